"""The weekly keyword totals of the voice of the customer: an unfiltered report over whole
days reads the weeks inside its range and the days at its edges, and finds the same top
keywords, counts and sentiment as from every day's totals."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from django.db.models import Sum

from analytics import voc, voc_selectors
from analytics.voc_models import VocKeywordTotalDay, VocKeywordTotalWeek

pytestmark = pytest.mark.django_db

FIRST = dt.date(2026, 2, 1)  # a Sunday
DAYS = 45


def _daily_top(query: voc_selectors.VocQuery, kind: str, days: tuple[dt.date, dt.date]) -> list[dict[str, Any]]:
    """The top keywords from every day's totals (how the report read them before weeks)."""
    rows = VocKeywordTotalDay.objects.filter(kind=kind, day__gte=days[0], day__lt=days[1])
    if query.author != "all":
        rows = rows.filter(author_kind=query.author)
    top = (
        rows.values("keyword", "language")
        .annotate(count=Sum("count"), total=Sum("score_sum"))
        .order_by("-count", "keyword")[: query.limit]
    )
    return [
        {
            "keyword": r["keyword"],
            "count": r["count"],
            "language": r["language"],
            "sentiment": voc_selectors.index_of(voc_selectors.mean_of(r["total"], r["count"])),
        }
        for r in top
    ]


@pytest.fixture
def totals() -> None:
    rng = random.Random(14)
    rows = []
    for i in range(DAYS):
        day = FIRST + dt.timedelta(days=i)
        for word in rng.sample(range(60), 25):
            for author in ("customer", "staff"):
                rows.append(
                    VocKeywordTotalDay(
                        day=day,
                        keyword=f"w{word}",
                        kind=rng.choice(["word", "word", "phrase"]),
                        language=rng.choice(["en", "zh"]),
                        author_kind=author,
                        count=rng.randint(1, 9),
                        score_sum=round(rng.uniform(-3, 3), 3),
                    )
                )
    VocKeywordTotalDay.objects.bulk_create(rows)
    for week in sorted({voc.week_of(FIRST + dt.timedelta(days=i)) for i in range(DAYS)}):
        voc.voc_rollup_week(week)


@pytest.mark.parametrize(
    ("start", "end"),
    [(0, 45), (1, 30), (3, 10), (8, 15), (2, 4), (14, 42), (0, 1)],
)
@pytest.mark.parametrize("author", ["customer", "staff", "all"])
def test_weeks_and_edges_equal_every_day(totals: None, start: int, end: int, author: str) -> None:
    first, last = FIRST + dt.timedelta(days=start), FIRST + dt.timedelta(days=end - 1)
    query = voc_selectors.voc_query_parse(
        {"from": first.isoformat(), "to": last.isoformat(), "author": author, "limit": "15"}
    )
    days = query.whole_days()
    assert days == (first, last + dt.timedelta(days=1))
    for kind in ("word", "phrase"):
        assert voc_selectors._keywords_by_weeks(query, kind, days) == _daily_top(query, kind, days)


def test_a_refresh_rebuilds_the_weeks_of_its_days(totals: None) -> None:
    week = voc.week_of(FIRST + dt.timedelta(days=10))
    before = VocKeywordTotalWeek.objects.filter(week=week).aggregate(n=Sum("count"))["n"]
    assert (
        before
        and before
        == VocKeywordTotalDay.objects.filter(day__gte=week, day__lt=week + dt.timedelta(days=7)).aggregate(
            n=Sum("count")
        )["n"]
    )
    # A day of that week rebuilt from the (here empty) per-message rows: its week follows.
    voc.days_mark_dirty([week + dt.timedelta(days=2)])
    voc.voc_rollup_refresh()
    after = VocKeywordTotalWeek.objects.filter(week=week).aggregate(n=Sum("count"))["n"]
    assert (
        after
        == VocKeywordTotalDay.objects.filter(day__gte=week, day__lt=week + dt.timedelta(days=7)).aggregate(
            n=Sum("count")
        )["n"]
    )
    assert after < before
