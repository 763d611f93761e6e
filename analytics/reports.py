# ruff: noqa: S608 - the SQL is built from constant table and column names; values are always parameters
"""Selectors of the analytics reports (METRICS.md): the summary (enquiry figures by day,
hour, agent, channel, channel kind, destination or conversation tag) and the agents'
ranking. They read only the rollups (analytics.facts_models), never messages.

PostgreSQL aggregates in SQL (``percentile_disc ... WITHIN GROUP``, day and hour buckets
with ``AT TIME ZONE``); SQLite (development, tests) loads the range's facts and
aggregates them in Python with the same definitions."""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.utils.translation import gettext as _

from analytics import report_lanes
from analytics.facts_models import AvailabilitySpan, EnquiryFact, EnquiryFactTagGroup, HandlingSpan
from channels_adapters.models import Channel
from contactcenter.org import clock
from contactcenter.org.errors import InvalidInput, NotAuthorized
from contactcenter.org.i18n import business_time_zone
from contactcenter.org.models import Destination, Staff
from enquiries.models import ConversationTag

GROUP_BYS = ("day", "hour", "agent", "channel", "channel_kind", "tag", "conversation_tag")
MAX_RANGE_DAYS = 366
AVAILABILITY_STATES = tuple(Staff.Availability.values)

SUMMARY_FIELDS = (
    "key",
    "label",
    "opened",
    "handled",
    "missed",
    "missed_rate",
    "missed_by_reason",
    "resolved",
    "reopened",
    "transferred",
    "wait_p50_s",
    "wait_p90_s",
    "first_response_p50_s",
    "first_response_p90_s",
    "handle_time_p50_s",
    "messages_customer",
    "messages_staff",
    "csat_avg",
    "csat_count",
    "csat_share_4_5",
    "csat_comments",
)
AGENT_FIELDS = (
    "rank",
    "key",
    "label",
    "handled",
    "resolved",
    "reopened",
    "transferred",
    "wait_p50_s",
    "first_response_p50_s",
    "handle_time_p50_s",
    "messages_staff",
    "csat_avg",
    "csat_count",
    *(f"{state}_s" for state in AVAILABILITY_STATES),
    "load_avg",
    "load_max",
)
# sort key -> (descending?): counts and satisfaction high first, times low first.
AGENT_SORTS = {
    "handled": True,
    "resolved": True,
    "messages_staff": True,
    "csat_avg": True,
    "csat_count": True,
    "active_s": True,
    "load_avg": True,
    "load_max": True,
    "wait_p50_s": False,
    "first_response_p50_s": False,
    "handle_time_p50_s": False,
}


MISSED_REASONS = ("timeout", "nobody_available", "out_of_hours", "all_rejected", "note_left")
# The columns of a fact the reports read (the SQLite path loads them; ``Accumulator.add``).
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


def nearest_rank(values: Sequence[float], p: float) -> float | None:
    """The smallest value v with at least ceil(p * n) values <= v (None: no values)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p * len(ordered))) - 1]


@dataclass
class Accumulator:
    """The figures of one group of facts being added up (the SQLite path)."""

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

    def figures(self) -> dict[str, Any]:
        return {
            "opened": self.opened,
            "handled": self.handled,
            "missed": self.missed,
            "missed_by_reason": dict(self.by_reason),
            "resolved": self.resolved,
            "reopened": self.reopened,
            "transferred": self.transferred,
            "wait_p50": nearest_rank(self.wait, 0.5),
            "wait_p90": nearest_rank(self.wait, 0.9),
            "first_response_p50": nearest_rank(self.first_response, 0.5),
            "first_response_p90": nearest_rank(self.first_response, 0.9),
            "handle_p50": nearest_rank(self.handle, 0.5),
            "messages_customer": self.messages_customer,
            "messages_staff": self.messages_staff,
            "csat_sum": self.csat_sum,
            "csat_count": self.csat_count,
            "csat_4_5": self.csat_4_5,
            "csat_comments": self.csat_comments,
        }


# ------------------------------------------------------------------------------ input


@dataclass(frozen=True)
class Period:
    start: dt.datetime  # inclusive, aware
    end: dt.datetime  # exclusive, aware
    time_zone: str
    from_text: str
    to_text: str


@dataclass(frozen=True)
class Filters:
    agent: int | None = None
    channel: int | None = None
    channel_kind: str | None = None
    tag: int | None = None
    conversation_tag: int | None = None


@dataclass(frozen=True)
class SummaryQuery:
    period: Period
    group_by: str
    filters: Filters = field(default_factory=Filters)


def _parse_moment(name: str, raw: str, zone: zoneinfo.ZoneInfo, *, end: bool) -> tuple[dt.datetime, str]:
    """A date (a whole day in ``zone``; as an end, up to the next midnight) or an ISO time
    (naive ones in ``zone``; as an end, exclusive)."""
    raw = raw.strip()
    try:
        if len(raw) == 10:
            day = dt.date.fromisoformat(raw)
            start = dt.datetime.combine(day + dt.timedelta(days=1 if end else 0), dt.time(), tzinfo=zone)
            return start, day.isoformat()
        when = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput.field(name, _("Enter a date (YYYY-MM-DD) or an ISO date and time.")) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=zone)
    return when, when.isoformat()


def period_parse(raw_from: str | None, raw_to: str | None, *, time_zone: str | None = None) -> Period:
    """The report's period from the ``from``/``to`` parameters (default: today in the
    business's time zone). Refuses bad dates, from after to, and more than 366 days."""
    name = time_zone or business_time_zone()
    zone = zoneinfo.ZoneInfo(name)
    today = clock.now().astimezone(zone).date().isoformat()
    start, from_text = _parse_moment("from", raw_from or today, zone, end=False)
    end, to_text = _parse_moment(
        "to", raw_to or (raw_from if raw_from and len(raw_from.strip()) == 10 else today), zone, end=True
    )
    if end <= start:
        raise InvalidInput.field("to", _("The end of the period must come after its start."))
    if end - start > dt.timedelta(days=MAX_RANGE_DAYS):
        raise InvalidInput.field("to", _("The period is limited to %(n)s days.") % {"n": MAX_RANGE_DAYS})
    return Period(start=start, end=end, time_zone=name, from_text=from_text, to_text=to_text)


def _int_param(name: str, raw: Any) -> int | None:
    if raw in (None, ""):
        return None
    try:
        value = int(str(raw))
    except ValueError:
        raise InvalidInput.field(name, _("Enter a whole number (an id).")) from None
    if value <= 0:
        raise InvalidInput.field(name, _("Enter a whole number (an id)."))
    return value


def filters_parse(params: Any) -> Filters:
    kind = (params.get("channel_kind") or "").strip() or None
    if kind is not None and kind not in {*Channel.Kind.values, "weblink"}:
        raise InvalidInput.field("channel_kind", _("Unknown channel kind."))
    return Filters(
        agent=_int_param("agent", params.get("agent")),
        channel=_int_param("channel", params.get("channel")),
        channel_kind=kind,
        tag=_int_param("tag", params.get("tag")),
        conversation_tag=_int_param("conversation_tag", params.get("conversation_tag")),
    )


def summary_query_parse(staff: Staff, params: Any) -> SummaryQuery:
    """The summary's parameters, checked, with what ``staff`` may see applied: an agent
    sees their own figures only (another agent asked: NotAuthorized)."""
    group_by = (params.get("group_by") or "day").strip()
    if group_by not in GROUP_BYS:
        raise InvalidInput.field("group_by", _("Group by one of: %(names)s.") % {"names": ", ".join(GROUP_BYS)})
    period = period_parse(params.get("from"), params.get("to"))
    filters = filters_parse(params)
    if not staff.is_admin:
        if filters.agent is not None and filters.agent != staff.pk:
            raise NotAuthorized(_("Agents see their own figures only."))
        filters = Filters(
            agent=staff.pk,
            channel=filters.channel,
            channel_kind=filters.channel_kind,
            tag=filters.tag,
            conversation_tag=filters.conversation_tag,
        )
    return SummaryQuery(period=period, group_by=group_by, filters=filters)


# ------------------------------------------------------------------------------ figures


_EMPTY_FIGURES = Accumulator().figures()


def _row(key: Any, label: str, raw: dict[str, Any] | None) -> dict[str, Any]:
    """A report row from the raw figures (None: an empty period, all zeros). Called once a
    row (2,160 for an hourly quarter): the roundings written out, no helper calls."""
    f = raw or _EMPTY_FIGURES
    opened, count, missed = f["opened"], f["csat_count"], f["missed"]
    by_reason = f["missed_by_reason"]
    wait_p50, wait_p90 = f["wait_p50"], f["wait_p90"]
    first_p50, first_p90, handle_p50 = f["first_response_p50"], f["first_response_p90"], f["handle_p50"]
    return {
        "key": key,
        "label": label,
        "opened": opened,
        "handled": f["handled"],
        "missed": missed,
        "missed_rate": round(missed / opened, 4) if opened else None,
        "missed_by_reason": {r: int(by_reason.get(r) or 0) for r in MISSED_REASONS},
        "resolved": f["resolved"],
        "reopened": f["reopened"],
        "transferred": f["transferred"],
        "wait_p50_s": None if wait_p50 is None else round(float(wait_p50), 1),
        "wait_p90_s": None if wait_p90 is None else round(float(wait_p90), 1),
        "first_response_p50_s": None if first_p50 is None else round(float(first_p50), 1),
        "first_response_p90_s": None if first_p90 is None else round(float(first_p90), 1),
        "handle_time_p50_s": None if handle_p50 is None else round(float(handle_p50), 1),
        "messages_customer": f["messages_customer"],
        "messages_staff": f["messages_staff"],
        "csat_avg": round(f["csat_sum"] / count, 2) if count else None,
        "csat_count": count,
        "csat_share_4_5": round(f["csat_4_5"] / count, 4) if count else None,
        "csat_comments": f["csat_comments"],
    }


# ------------------------------------------------------------------------------ the PostgreSQL path

_PG_AGGREGATES = (
    "COUNT(*) AS opened",
    "COUNT(*) FILTER (WHERE f.handled) AS handled",
    "COUNT(f.missed_at) AS missed",
    *(f"COUNT(*) FILTER (WHERE f.missed_at IS NOT NULL AND f.missed_reason = '{r}') AS m_{r}" for r in MISSED_REASONS),
    "COUNT(*) FILTER (WHERE f.resolved) AS resolved",
    "COUNT(*) FILTER (WHERE f.reopened) AS reopened",
    "COUNT(*) FILTER (WHERE f.transferred) AS transferred",
    # One sort per measure: the array form gives both percentiles of it.
    "percentile_disc(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY f.wait_s) AS wait_p",
    "percentile_disc(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY f.first_response_s) AS first_response_p",
    "percentile_disc(0.5) WITHIN GROUP (ORDER BY f.handle_s) AS handle_p50",
    "COALESCE(SUM(f.messages_customer), 0) AS messages_customer",
    "COALESCE(SUM(f.messages_staff), 0) AS messages_staff",
    "COALESCE(SUM(f.rating_score), 0) AS csat_sum",
    "COUNT(f.rating_score) AS csat_count",
    "COUNT(*) FILTER (WHERE f.rating_score >= 4) AS csat_4_5",
    "COUNT(*) FILTER (WHERE f.rating_score IS NOT NULL AND f.rating_commented) AS csat_comments",
)

# The conversation-tag groups (each tag and its parent, once: EnquiryFactTagGroup) of the
# tagged facts in the range, read by the same index range as the facts.
_TAG_GROUPS = (
    " JOIN analytics_enquiryfacttaggroup g ON g.enquiry_id = f.enquiry_id AND g.created_at >= %s AND g.created_at < %s"
)


def _pg_where(
    query: SummaryQuery, *, owned_only: bool = False, span: tuple[dt.datetime, dt.datetime] | None = None
) -> tuple[str, list[Any]]:
    f = query.filters
    lo, hi = span or (query.period.start, query.period.end)
    where = ["f.created_at >= %s", "f.created_at < %s"]
    params: list[Any] = [lo, hi]
    for column, value in (
        ("owner_id", f.agent),
        ("channel_id", f.channel),
        ("channel_kind", f.channel_kind),
        ("destination_id", f.tag),
    ):
        if value is not None:
            where.append(f"f.{column} = %s")
            params.append(value)
    if f.conversation_tag is not None:
        where.append(
            "f.enquiry_id IN (SELECT g.enquiry_id FROM analytics_enquiryfacttaggroup g "
            "WHERE g.group_id = %s AND g.created_at >= %s AND g.created_at < %s)"
        )
        params += [f.conversation_tag, lo, hi]
    if owned_only:
        where.append("f.owner_id IS NOT NULL")
    return " AND ".join(where), params


def _pg_statement(
    query: SummaryQuery,
    group_by: str | None,
    *,
    owned_only: bool = False,
    with_total: bool = False,
    span: tuple[dt.datetime, dt.datetime] | None = None,
    untagged: bool = False,
) -> tuple[str, list[Any]]:
    """One aggregate statement over the facts of the period (or of ``span``; with
    ``untagged``, only those without a conversation tag), by ``group_by`` (None: one row;
    "conversation_tag": the tagged facts' groups, a fact in each of its groups), with the
    total in the same pass (GROUPING SETS) when ``with_total``. Columns: key, is_total and
    _PG_AGGREGATES."""
    where, params = _pg_where(query, owned_only=owned_only, span=span)
    if untagged:
        where += " AND NOT f.tagged"
    join = ""
    if group_by is None:
        key_sql = "NULL::text"
    elif group_by == "conversation_tag":
        lo, hi = span or (query.period.start, query.period.end)
        key_sql, join = "g.group_id", _TAG_GROUPS
        params = [lo, hi, *params]
    elif group_by in ("day", "hour"):
        # A literal (a checked IANA name), so the SELECT and GROUP BY expressions are one.
        zone = "'" + query.period.time_zone.replace("'", "''") + "'"
        key_sql = f"date_trunc('{group_by}', f.created_at AT TIME ZONE {zone})"
    else:
        column = {"agent": "owner_id", "channel": "channel_id", "channel_kind": "channel_kind", "tag": "destination_id"}
        key_sql = f"f.{column[group_by]}"
    if with_total and group_by is not None:
        select = f"{key_sql} AS key, GROUPING({key_sql}) AS is_total"
        group = f"GROUPING SETS (({key_sql}), ())"
    else:
        select, group = f"{key_sql} AS key, 0 AS is_total", "1"
    aggregates = ", ".join(_PG_AGGREGATES)
    return f"SELECT {select}, {aggregates} FROM analytics_enquiryfact f{join} WHERE {where} GROUP BY {group}", params


def _figures(raw: dict[str, Any]) -> dict[str, Any]:
    """A statement's row (without key and is_total) as the raw figures ``_row`` reads."""
    raw["missed_by_reason"] = {r: raw.pop(f"m_{r}") for r in MISSED_REASONS}
    for name in ("wait", "first_response"):
        p50, p90 = raw.pop(f"{name}_p") or (None, None)
        raw[f"{name}_p50"], raw[f"{name}_p90"] = p50, p90
    return raw


# The hourly table's first lane takes this share of the range and the total (about as much
# work as the rest of the range's hours: bench/RESULTS-analytics.md, session 12).
_HOUR_FIRST_SHARE = 0.35


def _hour_split(query: SummaryQuery) -> tuple[tuple[dt.datetime, dt.datetime], tuple[dt.datetime, dt.datetime]] | None:
    """The period cut at the local midnight nearest ``_HOUR_FIRST_SHARE`` of it (a bucket
    boundary of the hourly rows in every time zone), or None when that leaves a part empty."""
    start, end = query.period.start, query.period.end
    zone = zoneinfo.ZoneInfo(query.period.time_zone)
    near = (start + (end - start) * _HOUR_FIRST_SHARE + dt.timedelta(hours=12)).astimezone(zone)
    cut = dt.datetime.combine(near.date(), dt.time(), tzinfo=zone)
    if not start < cut < end:
        return None
    return (start, cut), (cut, end)


def _pg_rows(
    query: SummaryQuery, group_by: str | None, *, owned_only: bool = False, with_total: bool = False
) -> tuple[dict[Any, dict[str, Any]], dict[str, Any] | None]:
    """The rows by ``group_by`` (None: one row, key None) and, with ``with_total``, the total.

    One statement with the total in the same pass (GROUPING SETS), except for the two
    reports that split over two lanes (analytics.report_lanes): the conversation tags (an
    enquiry may count in several groups, so the total is its own pass: the tagged groups |
    the untagged and the total) and the hourly table with its total (2,160 groups for 90
    days: the first third of the range and the total | the rest)."""
    halves = _hour_split(query) if group_by == "hour" and with_total else None
    own = owned_only
    if group_by == "conversation_tag":
        # The tagged facts' groups | the untagged ones and the total, from the facts alone.
        second = [_pg_statement(query, None, owned_only=own, untagged=True)]
        if with_total:
            second.append(_pg_statement(query, None, owned_only=own))
        lanes = [[_pg_statement(query, "conversation_tag", owned_only=own)], second]
    elif halves is not None:
        lanes = [
            [_pg_statement(query, "hour", owned_only=own, span=halves[0]), _pg_statement(query, None, owned_only=own)],
            [_pg_statement(query, "hour", owned_only=own, span=halves[1])],
        ]
    else:
        lanes = [[_pg_statement(query, group_by, owned_only=own, with_total=with_total)]]
    results = report_lanes.lanes_run(lanes)

    def figures(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
        """The figures of a one-row statement (no row: an empty range)."""
        return _figures({k: v for k, v in rows[0].items() if k not in ("key", "is_total")}) if rows else None

    out: dict[Any, dict[str, Any]] = {}
    total: dict[str, Any] | None = None
    grouped = results[0][0]
    if group_by == "conversation_tag":
        untagged = figures(results[1][0])
        if untagged is not None:
            out[None] = untagged
        if with_total:
            total = figures(results[1][1])
    elif halves is not None:
        grouped = [*results[0][0], *results[1][0]]
        total = figures(results[0][1])
    for raw in grouped:
        key, is_total = raw.pop("key"), raw.pop("is_total")
        if is_total:
            total = _figures(raw)
        else:
            out[key] = _figures(raw)
    if with_total and group_by is None:
        total = out.get(None)
    return out, total


# ------------------------------------------------------------------------------ the SQLite path


def _facts_of(query: SummaryQuery, *, owned_only: bool = False) -> list[dict[str, Any]]:
    f = query.filters
    qs = EnquiryFact.objects.filter(created_at__gte=query.period.start, created_at__lt=query.period.end)
    if f.agent is not None:
        qs = qs.filter(owner_id=f.agent)
    if f.channel is not None:
        qs = qs.filter(channel_id=f.channel)
    if f.channel_kind is not None:
        qs = qs.filter(channel_kind=f.channel_kind)
    if f.tag is not None:
        qs = qs.filter(destination_id=f.tag)
    if f.conversation_tag is not None:
        qs = qs.filter(
            enquiry_id__in=EnquiryFactTagGroup.objects.filter(group_id=f.conversation_tag).values("enquiry_id")
        )
    if owned_only:
        qs = qs.filter(owner_id__isnull=False)
    return list(qs.values(*FACT_VALUES))


def _tag_groups(enquiry_ids: Iterable[int]) -> dict[int, set[int]]:
    groups: dict[int, set[int]] = defaultdict(set)
    for enquiry_id, group_id in EnquiryFactTagGroup.objects.filter(enquiry_id__in=list(enquiry_ids)).values_list(
        "enquiry_id", "group_id"
    ):
        groups[enquiry_id].add(group_id)
    return groups


def _py_rows(query: SummaryQuery, group_by: str | None, *, owned_only: bool = False) -> dict[Any, dict[str, Any]]:
    facts = _facts_of(query, owned_only=owned_only)
    zone = zoneinfo.ZoneInfo(query.period.time_zone)
    accs: dict[Any, Accumulator] = defaultdict(Accumulator)
    tag_groups = _tag_groups(f["enquiry_id"] for f in facts) if group_by == "conversation_tag" else {}
    column = {"agent": "owner_id", "channel": "channel_id", "channel_kind": "channel_kind", "tag": "destination_id"}
    for f in facts:
        keys: Iterable[Any]
        if group_by is None:
            keys = [None]
        elif group_by in ("day", "hour"):
            local = f["created_at"].astimezone(zone)
            keys = [
                local.replace(hour=0 if group_by == "day" else local.hour, minute=0, second=0, microsecond=0).replace(
                    tzinfo=None
                )
            ]
        elif group_by == "conversation_tag":
            keys = tag_groups.get(f["enquiry_id"]) or [None]
        else:
            keys = [f[column[group_by]]]
        for key in keys:
            accs[key].add(f)
    return {key: acc.figures() for key, acc in accs.items()}


def _raw_rows(
    query: SummaryQuery, group_by: str | None, *, owned_only: bool = False, with_total: bool = False
) -> tuple[dict[Any, dict[str, Any]], dict[str, Any] | None]:
    if connection.vendor == "postgresql":
        return _pg_rows(query, group_by, owned_only=owned_only, with_total=with_total)
    rows = _py_rows(query, group_by, owned_only=owned_only)
    total = _py_rows(query, None, owned_only=owned_only).get(None) if with_total else None
    return rows, total


# ------------------------------------------------------------------------------ the summary


def _periods(period: Period, group_by: str) -> list[dt.datetime]:
    """Every day or hour (local wall-clock, naive) of the period, in order."""
    zone = zoneinfo.ZoneInfo(period.time_zone)
    out: list[dt.datetime] = []
    seen: set[dt.datetime] = set()
    step = dt.timedelta(hours=1)
    moment = period.start.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
    while moment < period.end:
        local = moment.astimezone(zone).replace(tzinfo=None)
        bucket = local.replace(hour=0) if group_by == "day" else local
        bucket = bucket.replace(minute=0, second=0, microsecond=0)
        if bucket not in seen:
            seen.add(bucket)
            out.append(bucket)
        moment += step
    return out


def _time_key(bucket: dt.datetime, group_by: str, zone: zoneinfo.ZoneInfo) -> tuple[str, str]:
    if group_by == "day":
        day = bucket.date().isoformat()
        return day, day
    key = bucket.replace(tzinfo=zone).isoformat()
    # "YYYY-MM-DDTHH:00:00+hh:mm" -> "YYYY-MM-DD HH:00" (the label, without strftime's cost).
    return key, key[:10] + " " + key[11:13] + ":00"


def _labels(group_by: str, keys: Iterable[Any]) -> dict[Any, str]:
    ids = [k for k in keys if k is not None]
    if group_by == "agent":
        return dict(Staff.objects.filter(pk__in=ids).values_list("id", "display_name"))
    if group_by == "channel":
        return dict(Channel.objects.filter(pk__in=ids).values_list("id", "name"))
    if group_by == "tag":
        return dict(Destination.objects.filter(pk__in=ids).values_list("id", "name"))
    if group_by == "conversation_tag":
        return {t.pk: str(t) for t in ConversationTag.objects.filter(pk__in=ids).select_related("parent")}
    return {k: str(k) for k in ids}


def summary(query: SummaryQuery) -> dict[str, Any]:
    """The summary report: one row per period or dimension value, and the total."""
    group_by = query.group_by
    raw, total_raw = _raw_rows(query, group_by, with_total=True)
    rows: list[dict[str, Any]] = []
    if group_by in ("day", "hour"):
        zone = zoneinfo.ZoneInfo(query.period.time_zone)
        empty: dict[str, Any] | None = None
        for bucket in _periods(query.period, group_by):
            key, label = _time_key(bucket, group_by, zone)
            figures = raw.get(bucket)
            if figures is None:
                # Every empty period's row is alike (a long hourly range has many): made once.
                empty = empty or _row(None, "", None)
                rows.append({**empty, "key": key, "label": label, "missed_by_reason": dict(empty["missed_by_reason"])})
            else:
                rows.append(_row(key, label, figures))
    else:
        labels = _labels(group_by, raw)
        none_label = {"agent": _("Unassigned"), "conversation_tag": _("Untagged")}.get(group_by, _("None"))
        for key in raw:
            label = labels.get(key, str(key)) if key is not None else none_label
            rows.append(_row(key, label, raw[key]))
        rows.sort(key=lambda r: (-r["opened"], r["key"] is None, str(r["label"]).lower()))
    return {
        "from": query.period.from_text,
        "to": query.period.to_text,
        "time_zone": query.period.time_zone,
        "group_by": group_by,
        "rows": rows,
        "total": _row(None, _("Total"), total_raw),
    }


# ------------------------------------------------------------------------------ agents


def _clip_seconds(start: dt.datetime, end: dt.datetime | None, lo: dt.datetime, hi: dt.datetime) -> float:
    return max(0.0, (min(end or hi, hi) - max(start, lo)).total_seconds())


def _availability_seconds(staff_ids: Sequence[int], lo: dt.datetime, hi: dt.datetime) -> dict[int, dict[str, float]]:
    out: dict[int, dict[str, float]] = {i: dict.fromkeys(AVAILABILITY_STATES, 0.0) for i in staff_ids}
    spans = AvailabilitySpan.objects.filter(staff_id__in=staff_ids, started_at__lt=hi).exclude(ended_at__lte=lo)
    for staff_id, state, started, ended in spans.values_list("staff_id", "state", "started_at", "ended_at"):
        if state in out[staff_id]:
            out[staff_id][state] += _clip_seconds(started, ended, lo, hi)
    return out


def _load(staff_ids: Sequence[int], lo: dt.datetime, hi: dt.datetime) -> dict[int, tuple[float, int]]:
    """(time-weighted average, maximum) of the enquiries each staff member handled at once
    within [lo, hi): the handling spans' time in it over its length, and the largest load
    of the spans starting in it or of those running at its start (their number)."""
    length = (hi - lo).total_seconds()
    out: dict[int, tuple[float, int]] = {i: (0.0, 0) for i in staff_ids}
    if length <= 0 or not staff_ids:
        return out
    if connection.vendor == "postgresql":
        sql = (
            "SELECT staff_id, SUM(EXTRACT(EPOCH FROM (LEAST(COALESCE(ended_at, %s), %s) - GREATEST(started_at, %s)))), "
            "MAX(load_at_start) FILTER (WHERE started_at >= %s), COUNT(*) FILTER (WHERE started_at < %s) "
            "FROM analytics_handlingspan WHERE staff_id = ANY(%s) AND ("
            "(started_at >= %s AND started_at < %s) "
            "OR (started_at < %s AND ended_at > %s) OR (started_at < %s AND ended_at IS NULL)) GROUP BY staff_id"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [hi, hi, lo, lo, lo, list(staff_ids), lo, hi, lo, lo, lo])
            for staff_id, seconds, peak, at_start in cursor.fetchall():
                out[staff_id] = (round(float(seconds) / length, 2), max(int(peak or 0), int(at_start or 0)))
        return out
    spans = HandlingSpan.objects.filter(staff_id__in=staff_ids, started_at__lt=hi).exclude(ended_at__lte=lo)
    busy: dict[int, float] = defaultdict(float)
    peaks: dict[int, int] = defaultdict(int)
    running: dict[int, int] = defaultdict(int)
    for staff_id, started, ended, load in spans.values_list("staff_id", "started_at", "ended_at", "load_at_start"):
        busy[staff_id] += _clip_seconds(started, ended, lo, hi)
        if started >= lo:
            peaks[staff_id] = max(peaks[staff_id], load)
        else:
            running[staff_id] += 1
    for staff_id in busy:
        out[staff_id] = (round(busy[staff_id] / length, 2), max(peaks[staff_id], running[staff_id]))
    return out


def agents_ranking(staff: Staff, params: Any) -> dict[str, Any]:
    """The agents' ranking over the period: their enquiry figures (enquiries opened in the
    period that they own), time in each availability state and concurrent load; an agent
    sees only their own row."""
    period = period_parse(params.get("from"), params.get("to"))
    sort = (params.get("sort") or "handled").strip()
    if sort not in AGENT_SORTS:
        raise InvalidInput.field("sort", _("Sort by one of: %(names)s.") % {"names": ", ".join(AGENT_SORTS)})
    filters = Filters(agent=None if staff.is_admin else staff.pk)
    query = SummaryQuery(period=period, group_by="agent", filters=filters)
    raw, _total = _raw_rows(query, "agent", owned_only=True)
    people = Staff.objects.filter(role=Staff.Role.AGENT, is_active=True) | Staff.objects.filter(pk__in=list(raw))
    if not staff.is_admin:
        people = Staff.objects.filter(pk=staff.pk)
    names = dict(people.values_list("id", "display_name"))
    ids = sorted(names)
    hi = min(period.end, clock.now())
    lo = period.start
    availability = (
        _availability_seconds(ids, lo, hi) if hi > lo else {i: dict.fromkeys(AVAILABILITY_STATES, 0.0) for i in ids}
    )
    load = _load(ids, lo, hi) if hi > lo else {}
    rows = []
    for staff_id in ids:
        base = _row(staff_id, names[staff_id], raw.get(staff_id))
        row = {name: base[name] for name in AGENT_FIELDS if name in base}
        for state, seconds in availability[staff_id].items():
            row[f"{state}_s"] = round(seconds, 1)
        avg, peak = load.get(staff_id, (0.0, 0))
        row["load_avg"], row["load_max"] = avg, peak
        rows.append(row)
    descending = AGENT_SORTS[sort]

    def order(row: dict[str, Any]) -> tuple[Any, ...]:
        value = row[sort]
        missing = value is None
        number = 0.0 if missing else float(value)
        return (missing, -number if descending else number, str(row["label"]).lower(), row["key"])

    rows.sort(key=order)
    ranked = [{"rank": i, **row} for i, row in enumerate(rows, start=1)]
    return {
        "from": period.from_text,
        "to": period.to_text,
        "time_zone": period.time_zone,
        "sort": sort,
        "rows": [{name: r[name] for name in AGENT_FIELDS} for r in ranked],
    }
