"""``manage.py analytics_rebuild [--since DATE]``: rebuild the analytics rollups
(analytics.facts.analytics_rebuild) of every enquiry, or of those created since DATE."""

from __future__ import annotations

import datetime as dt
import time
import zoneinfo
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from analytics.facts import analytics_rebuild
from contactcenter.org.i18n import business_time_zone


class Command(BaseCommand):
    help = "Rebuild the analytics facts (per-enquiry rollups, conversation tags, handling spans) set-based."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--since",
            help="Only enquiries created on or after this date (YYYY-MM-DD, the business's time zone) or ISO time.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        since = _parse_since(options.get("since"))
        started = time.monotonic()
        counts = analytics_rebuild(since=since)
        if options["verbosity"] >= 1:
            done = ", ".join(f"{count} {name}" for name, count in counts.items())
            self.stdout.write(f"Rebuilt {done} in {time.monotonic() - started:.1f} s.")


def _parse_since(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            return dt.datetime.combine(day, dt.time(), tzinfo=zoneinfo.ZoneInfo(business_time_zone()))
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--since: not a date or ISO time: {value!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=zoneinfo.ZoneInfo(business_time_zone()))
