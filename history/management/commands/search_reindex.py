"""``manage.py search_reindex``: rebuild the whole search index (history.search_index)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from history.search_index import search_reindex


class Command(BaseCommand):
    help = "Rebuild the full-text search index of messages, enquiries and customers."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chunk", type=int, default=20000, help="Rows read and written per batch.")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        last = [started]

        def progress(name: str, count: int) -> None:
            now = time.monotonic()
            if options["verbosity"] >= 1 and now - last[0] >= 5:
                last[0] = now
                self.stdout.write(f"{name}: {count} rows ({now - started:.0f} s)")

        counts = search_reindex(chunk=options["chunk"], progress=progress)
        if options["verbosity"] >= 1:
            done = ", ".join(f"{count} {name}" for name, count in counts.items())
            self.stdout.write(f"Indexed {done} in {time.monotonic() - started:.1f} s.")
