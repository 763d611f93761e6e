# ruff: noqa: S608 - the SQL is built from constant table and column names; values are always parameters
"""Daily pre-aggregates of the facts (analytics.rollups_models), so that a report over a
range of whole days reads one row per day and dimension value instead of every enquiry's
fact, with the very same figures: the counts and sums add up, and each row keeps the
histogram of each timed measure at the precision the reports show (0.1 s; rounding is
non-decreasing, so the k-th smallest rounded value is the rounding of the k-th smallest
value, and every percentile shown equals the facts' ``percentile_disc``).

Off by default (CC_ANALYTICS_ROLLUPS): measured at 500k enquiries they are exact but not
faster on PostgreSQL, because the percentiles still sort about as many values (the handle
times hardly repeat within a day and a dimension value); bench/RESULTS-analytics.md.

Kept up to date through marks: the facts' observers (analytics.facts) append the UTC date
of every enquiry whose fact changes to ``RollupDirty`` (in the writing transaction, never
waiting on a lock); ``rollups_refresh`` deletes the marks it sees and rebuilds the local days
they touch, under one lock, so rows are never stale for a reader: a report refreshes the
days of its range first (only days marked or never built: today's, while chatting), and a
sweep keeps the rest fresh. A day is built for one time zone (the business's); another zone
finds no rows and builds them on first use. ``manage.py analytics_rebuild`` rebuilds them
with the facts; the migration that adds them builds them once."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import zoneinfo
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from analytics.facts_models import EnquiryFact
from analytics.rollups_models import DailyRollup, RollupDay, RollupDirty
from contactcenter.org.i18n import business_time_zone
from enquiries.models import ConversationTag

MISSED_REASONS = ("timeout", "nobody_available", "out_of_hours", "all_rejected", "note_left")
DIMS = ("all", "hour", "agent", "channel", "channel_kind", "tag", "conversation_tag")
DIM_COLUMNS = {"agent": "owner_id", "channel": "channel_id", "channel_kind": "channel_kind", "tag": "destination_id"}
FACT_VALUES = (
    "enquiry_id",
    "created_at",
    "owner_id",
    "channel_id",
    "channel_kind",
    "destination_id",
    "handled",
    "missed_at",
    "missed_reason",
    "resolved",
    "reopened",
    "transferred",
    "wait_s",
    "first_response_s",
    "handle_s",
    "messages_customer",
    "messages_staff",
    "rating_score",
    "rating_commented",
)
DIRTY = "analytics_rollupdirty"
_LOCK_KEY = 7_341_150_015  # pg_advisory_xact_lock: one refresh at a time
_BUILD_CHUNK_DAYS = 31


def nearest_rank(values: Sequence[float], p: float) -> float | None:
    """The smallest value v with at least ceil(p * n) values <= v (None: no values)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p * len(ordered))) - 1]


def shown(value: float) -> float:
    """A duration as the reports show it (seconds to 0.1): the histograms' key."""
    return round(float(value), 1)


def histogram_rank(histogram: dict[float, float], p: float) -> float | None:
    """``nearest_rank`` over a histogram (value -> how many)."""
    total = sum(histogram.values())
    if not total:
        return None
    wanted = max(1, math.ceil(p * total))
    running = 0.0
    for value in sorted(histogram):
        running += histogram[value]
        if running >= wanted:
            return value
    return None  # not reached: running ends at total


def _histogram(values: Iterable[float]) -> tuple[list[float], list[float]]:
    counts = Counter(shown(v) for v in values)
    keys = sorted(counts)
    return keys, [float(counts[k]) for k in keys]


@dataclass
class Accumulator:
    """The figures of one group of facts being added up (or of rollup rows merged)."""

    opened: int = 0
    handled: int = 0
    missed: int = 0
    by_reason: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MISSED_REASONS, 0))
    resolved: int = 0
    reopened: int = 0
    transferred: int = 0
    wait: list[float] = field(default_factory=list)
    first_response: list[float] = field(default_factory=list)
    handle: list[float] = field(default_factory=list)
    messages_customer: int = 0
    messages_staff: int = 0
    csat_sum: int = 0
    csat_count: int = 0
    csat_4_5: int = 0
    csat_comments: int = 0
    # Merged rollup rows' histograms (``merge``), instead of the values (``add``).
    histograms: dict[str, dict[float, float]] = field(default_factory=dict)

    def add(self, f: dict[str, Any]) -> None:
        """Add one fact (a dict of ``FACT_VALUES``)."""
        self.opened += 1
        self.handled += bool(f["handled"])
        if f["missed_at"] is not None:
            self.missed += 1
            if f["missed_reason"] in self.by_reason:
                self.by_reason[f["missed_reason"]] += 1
        self.resolved += bool(f["resolved"])
        self.reopened += bool(f["reopened"])
        self.transferred += bool(f["transferred"])
        for name, values in (
            ("wait_s", self.wait),
            ("first_response_s", self.first_response),
            ("handle_s", self.handle),
        ):
            if f[name] is not None:
                values.append(float(f[name]))
        self.messages_customer += f["messages_customer"]
        self.messages_staff += f["messages_staff"]
        if f["rating_score"] is not None:
            self.csat_sum += f["rating_score"]
            self.csat_count += 1
            self.csat_4_5 += f["rating_score"] >= 4
            self.csat_comments += bool(f["rating_commented"])

    def merge(self, row: DailyRollup) -> None:
        """Add one rollup row."""
        for name in (
            "opened",
            "handled",
            "missed",
            "resolved",
            "reopened",
            "transferred",
            "messages_customer",
            "messages_staff",
            "csat_sum",
            "csat_count",
            "csat_4_5",
            "csat_comments",
        ):
            setattr(self, name, getattr(self, name) + getattr(row, name))
        for reason in MISSED_REASONS:
            self.by_reason[reason] += getattr(row, f"m_{reason}")
        for name in ("wait", "first_response", "handle"):
            histogram = self.histograms.setdefault(name, defaultdict(float))
            for value, count in zip(getattr(row, f"{name}_v"), getattr(row, f"{name}_n"), strict=True):
                histogram[value] += count

    def _rank(self, name: str, p: float) -> float | None:
        if name in self.histograms:
            return histogram_rank(self.histograms[name], p)
        values: list[float] = getattr(self, name)
        return nearest_rank(values, p)

    def figures(self) -> dict[str, Any]:
        return {
            "opened": self.opened,
            "handled": self.handled,
            "missed": self.missed,
            "missed_by_reason": dict(self.by_reason),
            "resolved": self.resolved,
            "reopened": self.reopened,
            "transferred": self.transferred,
            "wait_p50": self._rank("wait", 0.5),
            "wait_p90": self._rank("wait", 0.9),
            "first_response_p50": self._rank("first_response", 0.5),
            "first_response_p90": self._rank("first_response", 0.9),
            "handle_p50": self._rank("handle", 0.5),
            "messages_customer": self.messages_customer,
            "messages_staff": self.messages_staff,
            "csat_sum": self.csat_sum,
            "csat_count": self.csat_count,
            "csat_4_5": self.csat_4_5,
            "csat_comments": self.csat_comments,
        }

    def row(self, zone: str, day: dt.date, dim: str, key: str) -> DailyRollup:
        wait, first_response, handle = _histogram(self.wait), _histogram(self.first_response), _histogram(self.handle)
        return DailyRollup(
            zone=zone,
            day=day,
            dim=dim,
            key=key,
            opened=self.opened,
            handled=self.handled,
            missed=self.missed,
            **{f"m_{r}": self.by_reason[r] for r in MISSED_REASONS},
            resolved=self.resolved,
            reopened=self.reopened,
            transferred=self.transferred,
            messages_customer=self.messages_customer,
            messages_staff=self.messages_staff,
            csat_sum=self.csat_sum,
            csat_count=self.csat_count,
            csat_4_5=self.csat_4_5,
            csat_comments=self.csat_comments,
            wait_v=wait[0],
            wait_n=wait[1],
            first_response_v=first_response[0],
            first_response_n=first_response[1],
            handle_v=handle[0],
            handle_n=handle[1],
        )


# ------------------------------------------------------------------------------ days and marks


def day_start(day: dt.date, zone: str) -> dt.datetime:
    """The first moment of a local day (aware)."""
    return dt.datetime.combine(day, dt.time(), tzinfo=zoneinfo.ZoneInfo(zone))


def _local_days_of_utc_date(day: dt.date, zone: zoneinfo.ZoneInfo) -> set[dt.date]:
    start = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    last = start + dt.timedelta(days=1) - dt.timedelta(microseconds=1)
    return {start.astimezone(zone).date(), last.astimezone(zone).date()}


def utc_date_sql(column: str) -> str:
    """SQL for the UTC date of a timestamp column."""
    if connection.vendor == "postgresql":
        return f"({column} AT TIME ZONE 'UTC')::date"
    return f"date({column})"


def rollups_mark_sql(where: str) -> str:
    """``INSERT`` of the marks of the facts matching ``where`` (over ``analytics_enquiryfact``)."""
    return (
        f"INSERT INTO {DIRTY} (day) SELECT DISTINCT {utc_date_sql('created_at')} "
        f"FROM analytics_enquiryfact WHERE {where}"
    )


def rollups_mark_enquiries(enquiry_ids: Sequence[int]) -> None:
    """Mark the days of these enquiries' facts (e.g. before they are deleted)."""
    if not settings.CC_ANALYTICS_ROLLUPS:
        return
    ids = list(enquiry_ids)
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            cursor.execute(rollups_mark_sql(f"enquiry_id IN ({', '.join(['%s'] * len(chunk))})"), chunk)


# ------------------------------------------------------------------------------ building


def _tag_groups(lo: dt.datetime, hi: dt.datetime) -> dict[int, set[int]]:
    """The conversation tags and their parents of the facts created in [lo, hi)."""
    groups: dict[int, set[int]] = defaultdict(set)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ft.enquiry_id, ft.tag_id, ct.parent_id FROM analytics_enquiryfacttag ft "
            "JOIN analytics_enquiryfact f ON f.enquiry_id = ft.enquiry_id "
            "JOIN enquiries_conversationtag ct ON ct.id = ft.tag_id "
            "WHERE f.created_at >= %s AND f.created_at < %s",
            [connection.ops.adapt_datetimefield_value(lo), connection.ops.adapt_datetimefield_value(hi)],
        )
        for enquiry_id, tag_id, parent_id in cursor.fetchall():
            groups[enquiry_id].add(tag_id)
            if parent_id is not None:
                groups[enquiry_id].add(parent_id)
    return groups


def _key(value: Any) -> str:
    return "" if value is None else str(value)


def tags_digest() -> str:
    """A digest of the conversation tags' tree (ids and parents)."""
    tree = ConversationTag.objects.order_by("pk").values_list("pk", "parent_id")
    return hashlib.sha256(repr(list(tree)).encode()).hexdigest()


def _build_chunk(zone: str, days: list[dt.date], digest: str) -> int:
    tz = zoneinfo.ZoneInfo(zone)
    wanted = set(days)
    lo, hi = day_start(days[0], zone), day_start(days[-1] + dt.timedelta(days=1), zone)
    groups = _tag_groups(lo, hi)
    accs: dict[tuple[dt.date, str, str], Accumulator] = defaultdict(Accumulator)
    facts = EnquiryFact.objects.filter(created_at__gte=lo, created_at__lt=hi).values(*FACT_VALUES)
    for f in facts.iterator(chunk_size=5000):
        local = f["created_at"].astimezone(tz)
        day = local.date()
        if day not in wanted:
            continue
        keys = [("all", ""), ("hour", f"{local.hour:02d}")]
        keys += [(dim, _key(f[column])) for dim, column in DIM_COLUMNS.items()]
        keys += [("conversation_tag", str(k)) for k in sorted(groups.get(f["enquiry_id"], ()))] or [
            ("conversation_tag", "")
        ]
        for dim, key in keys:
            accs[(day, dim, key)].add(f)
    DailyRollup.objects.filter(zone=zone, day__in=days).delete()
    RollupDay.objects.filter(zone=zone, day__in=days).delete()
    rows = [acc.row(zone, day, dim, key) for (day, dim, key), acc in accs.items()]
    DailyRollup.objects.bulk_create(rows, batch_size=500)
    RollupDay.objects.bulk_create([RollupDay(zone=zone, day=d, tags=digest) for d in days], batch_size=500)
    return len(rows)


def rollups_build(zone: str, days: Iterable[dt.date]) -> int:
    """(Re)build the rows of these local days of ``zone`` from the facts: -> rows written.
    Runs in the caller's transaction (``rollups_refresh`` holds the lock)."""
    ordered = sorted(set(days))
    digest = tags_digest()
    written = 0
    chunk: list[dt.date] = []
    for day in ordered:
        # Contiguous runs of at most a month: one range read of the facts each.
        if chunk and (len(chunk) >= _BUILD_CHUNK_DAYS or (day - chunk[-1]).days > 1):
            written += _build_chunk(zone, chunk, digest)
            chunk = []
        chunk.append(day)
    if chunk:
        written += _build_chunk(zone, chunk, digest)
    return written


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def rollups_refresh(zone: str | None = None, first: dt.date | None = None, last: dt.date | None = None) -> int:
    """Rebuild the days of ``zone`` (default: the business's) touched by marks (those of
    [first, last] when given, else all) and the days of [first, last] never built (or
    built with another tree of conversation tags):
    -> days rebuilt. One refresh at a time; its marks go in its transaction."""
    zone = zone or business_time_zone()
    tz = zoneinfo.ZoneInfo(zone)
    with transaction.atomic():
        _lock()
        marks = RollupDirty.objects.all()
        if first is not None and last is not None:
            lo = day_start(first, zone).astimezone(dt.UTC).date()
            hi = day_start(last + dt.timedelta(days=1), zone).astimezone(dt.UTC).date()
            marks = marks.filter(day__gte=lo, day__lte=hi)
        seen = list(marks.values_list("id", "day"))
        days: set[dt.date] = set()
        for _id, day in seen:
            days |= _local_days_of_utc_date(day, tz)
        if first is not None and last is not None:
            built = set(
                RollupDay.objects.filter(zone=zone, day__gte=first, day__lte=last, tags=tags_digest()).values_list(
                    "day", flat=True
                )
            )
            days |= {first + dt.timedelta(days=i) for i in range((last - first).days + 1)} - built
        if not days:
            return 0
        ids = [i for i, _day in seen]
        for start in range(0, len(ids), 500):
            RollupDirty.objects.filter(id__in=ids[start : start + 500]).delete()
        rollups_build(zone, days)
    return len(days)


def rollups_sweep() -> int:
    """Periodic (the ticker, Celery beat): rebuild the days marked since the last run."""
    return rollups_refresh() if settings.CC_ANALYTICS_ROLLUPS else 0


def rollups_rebuild(since: dt.datetime | None = None) -> int:
    """Rebuild every day from the first fact on (or from ``since``'s day) in the business's
    time zone; rows of other zones go (all of them when ``since`` is None): -> days."""
    zone = business_time_zone()
    with transaction.atomic():
        _lock()
        if since is None:
            DailyRollup.objects.all().delete()
            RollupDay.objects.all().delete()
            RollupDirty.objects.all().delete()
            first_moment = EnquiryFact.objects.order_by("created_at").values_list("created_at", flat=True).first()
        else:
            first_moment = since
        last_moment = EnquiryFact.objects.order_by("-created_at").values_list("created_at", flat=True).first()
        if first_moment is None or last_moment is None:
            return 0
        tz = zoneinfo.ZoneInfo(zone)
        first, last = first_moment.astimezone(tz).date(), last_moment.astimezone(tz).date()
        days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
        rollups_build(zone, days)
    return len(days)
