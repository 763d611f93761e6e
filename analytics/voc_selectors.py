"""Reads of the voice of the customer: the report (sentiment index per day of customers
and of staff, top keywords and phrases) and a keyword's drill-down (its messages and
conversations). Both read only ``analytics.voc_models`` through their time indexes, never
``rooms_message`` as a whole (the drill-down reads the texts of one page of messages by
primary key).

The sentiment index of a group of messages is their mean score × 100: -100 (all as
negative as can be) .. 100, 0 neutral or balanced."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Avg, Count, F, Max, Min, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics.voc_models import (
    AuthorKind,
    MessageKeyword,
    MessageSentiment,
    VocKeywordDay,
    VocSentimentDay,
)
from contactcenter.org.errors import InvalidInput
from contactcenter.org.i18n import business_time_zone
from contactcenter.org.models import Staff
from history.filters import parse_filters, visible_enquiry_ids
from rooms.models import Message

DEFAULT_DAYS = 30
MAX_DAYS = 400
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
EXCERPT = 200
AUTHORS = ("customer", "staff", "all")


@dataclass(frozen=True)
class VocQuery:
    since: dt.datetime
    until: dt.datetime
    channel: int | None
    tag: int | None
    author: str  # keywords of: customer | staff | all
    limit: int
    page: int
    zone: zoneinfo.ZoneInfo

    def whole_days(self) -> tuple[dt.date, dt.date] | None:
        """(first day, day after the last) when the range is whole days of the business's
        time zone (the daily rollups answer it), else None."""
        since, until = timezone.localtime(self.since, self.zone), timezone.localtime(self.until, self.zone)
        if since.time() != dt.time() or until.time() != dt.time():
            return None
        return since.date(), until.date()


def _int_param(params: Mapping[str, Any], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise InvalidInput.field(name, _("Use a number.")) from None
    if not low <= value <= high:
        raise InvalidInput.field(name, _("Use a number from %(low)s to %(high)s.") % {"low": low, "high": high})
    return value


def voc_query_parse(params: Mapping[str, Any]) -> VocQuery:
    """``from``/``to`` (dates in the business's time zone, ``to`` included, or ISO times;
    default the last 30 days up to today), ``channel``, ``tag``, ``author``, ``limit``,
    ``page``. Raises InvalidInput for the field at fault."""
    zone = zoneinfo.ZoneInfo(business_time_zone())
    with timezone.override(zone):
        filters = parse_filters({k: params.get(k) for k in ("from", "to", "channel", "tag")})
        today = timezone.localdate()
    until = filters.until or timezone.make_aware(dt.datetime.combine(today + dt.timedelta(days=1), dt.time()), zone)
    since = filters.since or until - dt.timedelta(days=DEFAULT_DAYS)
    if since >= until:
        raise InvalidInput.field("from", _("The start of the range must be before its end."))
    if until - since > dt.timedelta(days=MAX_DAYS):
        raise InvalidInput.field("to", _("The range is limited to %(n)s days.") % {"n": MAX_DAYS})
    author = str(params.get("author") or "customer")
    if author not in AUTHORS:
        raise InvalidInput.field("author", _("Use customer, staff or all."))
    return VocQuery(
        since=since,
        until=until,
        channel=filters.channel,
        tag=filters.tag,
        author=author,
        limit=_int_param(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
        page=_int_param(params, "page", 1, 1, 10_000),
        zone=zone,
    )


def _narrow(rows: QuerySet[Any], staff: Staff, query: VocQuery) -> QuerySet[Any]:
    rows = rows.filter(created_at__gte=query.since, created_at__lt=query.until)
    if query.channel is not None:
        rows = rows.filter(channel_id=query.channel)
    if query.tag is not None:
        rows = rows.filter(tag_id=query.tag)
    if not staff.is_admin:
        rows = rows.filter(enquiry_id__in=visible_enquiry_ids(staff))
    return rows


def mean_of(total: float | None, count: int | None) -> float:
    """A mean score from a sum of scores: the sum rounded to 6 decimals first (scores have
    at most 4), so that it does not depend on the order the rows were added in (days or
    weeks, any plan)."""
    return round(float(total or 0.0), 6) / count if count else 0.0


def index_of(mean: float | None) -> float:
    return round((mean or 0.0) * 100, 1)


def _rollup(rows: QuerySet[Any], query: VocQuery, days: tuple[dt.date, dt.date]) -> QuerySet[Any]:
    rows = rows.filter(day__gte=days[0], day__lt=days[1])
    if query.channel is not None:
        rows = rows.filter(channel_id=query.channel)
    if query.tag is not None:
        rows = rows.filter(tag_id=query.tag)
    return rows


def _weeks_and_edges(days: tuple[dt.date, dt.date]) -> tuple[tuple[dt.date, dt.date], list[tuple[dt.date, dt.date]]]:
    """[first, end) split into the whole weeks (Monday to Monday) inside it and the days
    at its two edges."""
    first, end = days
    monday = first + dt.timedelta(days=(7 - first.weekday()) % 7)
    last_monday = end - dt.timedelta(days=end.weekday())
    if last_monday <= monday:
        return (monday, monday), [(first, end)]
    return (monday, last_monday), [(first, monday), (last_monday, end)]


def _keywords_by_weeks(query: VocQuery, kind: str, days: tuple[dt.date, dt.date]) -> list[dict[str, Any]]:
    """The top keywords of an unfiltered range of whole days: the weekly totals of its
    whole weeks and the daily ones of its edges, summed (the same counts as every day's)."""
    weeks, edges = _weeks_and_edges(days)
    author = "" if query.author == "all" else " AND author_kind = %s"
    author_params = [] if query.author == "all" else [query.author]
    parts = [
        f"SELECT keyword, language, count, score_sum FROM analytics_vockeywordtotalweek"  # noqa: S608
        f" WHERE kind = %s AND week >= %s AND week < %s{author}"
    ]
    params: list[Any] = [kind, weeks[0], weeks[1], *author_params]
    for lo, hi in edges:
        if lo < hi:
            parts.append(
                "SELECT keyword, language, count, score_sum FROM analytics_vockeywordtotalday"  # noqa: S608
                f" WHERE kind = %s AND day >= %s AND day < %s{author}"
            )
            params += [kind, lo, hi, *author_params]
    sql = (
        f"SELECT keyword, language, SUM(count) AS n, SUM(score_sum) AS total FROM ({' UNION ALL '.join(parts)}) x"  # noqa: S608
        " GROUP BY keyword, language ORDER BY n DESC, keyword LIMIT %s"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The range's rows hashed by keyword in memory (not sorted by it, on disk); no
            # JIT (its compile time is more than the grouping of ~50k rows saves).
            cursor.execute("SET LOCAL work_mem = '64MB'")
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, [*params, query.limit])
        rows = cursor.fetchall()
    return [
        {"keyword": k, "count": int(n), "language": lang, "sentiment": index_of(mean_of(total, n))}
        for k, lang, n, total in rows
    ]


def _keywords(staff: Staff, query: VocQuery, kind: str) -> list[dict[str, Any]]:
    days = query.whole_days() if staff.is_admin else None
    if days is not None and query.channel is None and query.tag is None:
        return _keywords_by_weeks(query, kind, days)
    if days is not None:
        rows = _rollup(VocKeywordDay.objects.filter(kind=kind), query, days)
        counted: dict[str, Any] = {"count": Sum("count"), "total": Sum("score_sum")}
    else:
        rows = _narrow(MessageKeyword.objects.filter(kind=kind), staff, query)
        counted = {"count": Count("id"), "total": Sum("score")}
    if query.author != "all":
        rows = rows.filter(author_kind=query.author)
    top = rows.values("keyword", "language").annotate(**counted).order_by("-count", "keyword")[: query.limit]
    return [
        {
            "keyword": r["keyword"],
            "count": r["count"],
            "language": r["language"],
            "sentiment": index_of(mean_of(r["total"], r["count"])),
        }
        for r in top
    ]


def _sentiment_days(staff: Staff, query: VocQuery) -> list[dict[str, Any]]:
    """[{"day", "author_kind", "count", "total"}] oldest first."""
    days = query.whole_days() if staff.is_admin else None
    if days is not None:
        rows = _rollup(VocSentimentDay.objects.all(), query, days)
        grouped = rows.values("day", "author_kind").annotate(n=Sum("count"), total=Sum("score_sum"))
    else:
        rows = _narrow(MessageSentiment.objects.all(), staff, query)
        grouped = (
            rows.annotate(local_day=TruncDate("created_at", tzinfo=query.zone))
            .values("local_day", "author_kind")
            .annotate(n=Count("message_id"), total=Sum("score"))
            .annotate(day=F("local_day"))
        )
    return [
        {"day": r["day"], "author_kind": r["author_kind"], "count": r["n"], "total": r["total"]}
        for r in grouped.order_by("day", "author_kind")
    ]


def voc_report(staff: Staff, query: VocQuery) -> dict[str, Any]:
    """{"sentiment": {"customers": [...], "agents": [...]}, "keywords": [...], "phrases": [...]}:
    three grouped reads: of the daily rollups for an admin's range of whole days, else of
    the per-message rows (an agent's: the enquiries they served; a range cut at times)."""
    series: dict[str, list[dict[str, Any]]] = {"customers": [], "agents": []}
    for row in _sentiment_days(staff, query):
        key = "customers" if row["author_kind"] == AuthorKind.CUSTOMER else "agents"
        mean = row["total"] / row["count"] if row["count"] else 0.0
        series[key].append({"day": row["day"], "index": index_of(mean), "count": row["count"]})
    return {
        "from": query.since,
        "to": query.until,
        "sentiment": series,
        "keywords": _keywords(staff, query, MessageKeyword.Kind.WORD),
        "phrases": _keywords(staff, query, MessageKeyword.Kind.PHRASE),
    }


def voc_keyword_messages(staff: Staff, keyword: str, query: VocQuery) -> dict[str, Any]:
    """The messages a keyword (or phrase) comes from, newest first a page at a time, and
    the conversations with the most of them."""
    keyword = keyword.strip()
    if not keyword or len(keyword) > 100:
        raise InvalidInput.field("keyword", _("Give a keyword of 1 to 100 characters."))
    rows = _narrow(MessageKeyword.objects.filter(keyword=keyword), staff, query)
    if query.author != "all":
        rows = rows.filter(author_kind=query.author)
    total = rows.count()
    start = (query.page - 1) * query.limit
    page = list(
        rows.order_by("-created_at", "-sentiment_id").values(
            "sentiment_id",
            "author_kind",
            "created_at",
            "enquiry_id",
            "language",
            "sentiment__room_id",
            "sentiment__score",
            "sentiment__label",
        )[start : start + query.limit]
    )
    texts = dict(Message.objects.filter(pk__in=[r["sentiment_id"] for r in page]).values_list("pk", "text"))
    messages = []
    for r in page:
        text = texts.get(r["sentiment_id"], "")
        messages.append(
            {
                "id": r["sentiment_id"],
                "text": text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…",
                "author_kind": r["author_kind"],
                "language": r["language"],
                "sentiment": {"score": r["sentiment__score"], "label": r["sentiment__label"]},
                "created_at": r["created_at"],
                "enquiry": r["enquiry_id"],
                "room": r["sentiment__room_id"],
            }
        )
    # Grouped by enquiry from the keyword rows alone (an enquiry has one room: looked up
    # for the page's conversations only).
    top = list(
        rows.values("enquiry_id")
        .annotate(count=Count("*"), mean=Avg("score"), first_at=Min("created_at"), last_at=Max("created_at"))
        .order_by("-count", "-last_at", "enquiry_id")[: query.limit]
    )
    rooms = dict(
        MessageSentiment.objects.filter(enquiry_id__in=[c["enquiry_id"] for c in top])
        .order_by()
        .values_list("enquiry_id", "room_id")
        .distinct()
    )
    conversations = [
        {
            "enquiry": c["enquiry_id"],
            "room": rooms.get(c["enquiry_id"]),
            "count": c["count"],
            "sentiment": index_of(c["mean"]),
            "first_at": c["first_at"],
            "last_at": c["last_at"],
        }
        for c in top
    ]
    more = start + len(page) < total
    return {
        "keyword": keyword,
        "count": total,
        "page": query.page,
        "next_page": query.page + 1 if more else None,
        "messages": messages,
        "conversations": conversations,
    }
