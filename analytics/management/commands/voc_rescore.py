"""``manage.py voc_rescore``: score every customer and staff message of enquiries again
(history written before VOC existed, a change of scorer or of the business's time zone),
then rebuild the daily rollups. ``--queue-only`` leaves the scoring to the sweep."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from analytics import voc


class Command(BaseCommand):
    help = "Queue every scorable message for sentiment and keywords again and score them."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--queue-only", action="store_true", help="Only queue; the sweep scores them.")

    def handle(self, *args: Any, **options: Any) -> None:
        queued = voc.voc_rescore()
        self.stdout.write(f"queued {queued} messages")
        if options["queue_only"]:
            return
        scored = 0
        while True:
            done = voc.voc_sweep(max_batches=100)
            scored += done
            if not done:
                break
        days = voc.voc_rollup_rebuild()
        self.stdout.write(f"scored {scored} messages, rebuilt {days} days")
