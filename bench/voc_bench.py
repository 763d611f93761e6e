"""How long the VOC report and a keyword's drill-down take on many scored messages
(PostgreSQL). Fills analytics' VOC tables with synthetic rows (no messages needed: the
report reads only its own tables; the drill-down reads the texts of one page by primary
key, absent here) over ``--days`` days, then times the requests in-process through the
selectors, as an admin, for a 30- and a 90-day range.

    DATABASE_URL=postgres://... python bench/voc_bench.py --messages 500000 --days 90

It writes into the database it is given: use a scratch one. ``--keep`` leaves the rows."""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contactcenter.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

WORDS = 3000  # distinct keywords (a Zipf-like draw picks them)


def fill(messages: int, days: int, per_message: int) -> None:
    """Rows spread evenly over the last ``days`` days; ``per_message`` keywords each.
    The FK to rooms_message is dropped for the fill (synthetic ids) and restored after."""
    with connection.cursor() as c:
        c.execute("SET session_replication_role = replica")  # no FK checks for synthetic ids
        c.execute(
            "TRUNCATE analytics_messagekeyword, analytics_messagesentiment, analytics_vocpending,"
            " analytics_vockeywordday, analytics_vockeywordtotalday, analytics_vocsentimentday, analytics_vocdirtyday"
        )
        c.execute(
            """
            INSERT INTO analytics_messagesentiment
              (message_id, room_id, enquiry_id, channel_id, tag_id, staff_id, author_kind, created_at, day,
               language, score, label, scorer)
            SELECT g, g / 10, g / 10, 1 + mod(g, 5), 1 + mod(mod(g, 5), 3),
                   CASE WHEN mod(g, 2) = 0 THEN 1 + mod(g, 20) END,
                   CASE WHEN mod(g, 2) = 0 THEN 'staff' ELSE 'customer' END,
                   now() - (g::float / %s * %s) * interval '1 day', current_date,
                   'en', s, CASE WHEN s >= 0.05 THEN 'positive' WHEN s <= -0.05 THEN 'negative' ELSE 'neutral' END,
                   'offline'
            FROM (SELECT g, round((random() * 2 - 1)::numeric, 3)::float AS s FROM generate_series(1, %s) g) x
            """,
            [messages, days, messages],
        )
        # The business's day of each row (the bench runs in UTC), before the keywords copy it.
        c.execute("UPDATE analytics_messagesentiment SET day = (created_at AT TIME ZONE 'UTC')::date")
        c.execute(
            """
            INSERT INTO analytics_messagekeyword
              (sentiment_id, keyword, kind, language, enquiry_id, channel_id, tag_id, author_kind, created_at, day,
               score)
            SELECT s.message_id, 'w' || floor(%s * power(random(), 3))::int,
                   CASE WHEN k = 1 THEN 'phrase' ELSE 'word' END,
                   'en', s.enquiry_id, s.channel_id, s.tag_id, s.author_kind, s.created_at, s.day, s.score
            FROM analytics_messagesentiment s CROSS JOIN generate_series(1, %s) k
            """,
            [WORDS, per_message],
        )
        c.execute("SET session_replication_role = DEFAULT")
        c.execute("ANALYZE analytics_messagesentiment")
        c.execute("ANALYZE analytics_messagekeyword")


def timed(fn, runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--keywords", type=int, default=4, help="keyword rows per message")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    assert connection.vendor == "postgresql", "a PostgreSQL DATABASE_URL"

    from analytics.voc_selectors import voc_keyword_messages, voc_query_parse, voc_report
    from contactcenter.org.models import Staff

    started = time.perf_counter()
    fill(args.messages, args.days, args.keywords)
    print(f"filled {args.messages} messages x {args.keywords} keywords in {time.perf_counter() - started:.1f} s")
    from analytics.voc import voc_rollup_rebuild

    started = time.perf_counter()
    print(f"rolled up {voc_rollup_rebuild()} days in {time.perf_counter() - started:.1f} s")
    # What autovacuum does after a bulk load: statistics, and the visibility map that lets
    # the drill-down read its covering index alone.
    started = time.perf_counter()
    with connection.cursor() as c:
        for table in (
            "analytics_messagekeyword",
            "analytics_messagesentiment",
            "analytics_vockeywordtotalday",
            "analytics_vockeywordtotalweek",
            "analytics_vockeywordday",
            "analytics_vocsentimentday",
        ):
            c.execute(f"VACUUM ANALYZE {table}")
    print(f"VACUUM ANALYZE in {time.perf_counter() - started:.1f} s")
    admin = Staff(role=Staff.Role.ADMIN)
    today = django.utils.timezone.localdate()
    try:
        for days in (30, 90):
            since = (today - datetime.timedelta(days=days - 1)).isoformat()
            query = voc_query_parse({"from": since, "to": today.isoformat(), "limit": "20"})
            p50, p95 = timed(lambda q=query: voc_report(admin, q), args.runs)
            print(f"report {days:2} days: p50 {p50:6.0f} ms  p95 {p95:6.0f} ms")
            p50, p95 = timed(lambda q=query: voc_keyword_messages(admin, "w1", q), args.runs)
            print(f"keyword {days:2} days: p50 {p50:6.0f} ms  p95 {p95:6.0f} ms")
            cut = voc_query_parse({"from": f"{since}T00:00:01", "to": today.isoformat(), "limit": "20"})
            p50, p95 = timed(lambda q=cut: voc_report(admin, q), max(1, args.runs // 3))
            print(f"report {days:2} days cut at a time (no rollups): p50 {p50:6.0f} ms  p95 {p95:6.0f} ms")
    finally:
        if not args.keep:
            with connection.cursor() as c:
                c.execute(
                    "TRUNCATE analytics_messagekeyword, analytics_messagesentiment, analytics_vockeywordday,"
                    " analytics_vocsentimentday, analytics_vocdirtyday, analytics_vockeywordtotalday"
                )


if __name__ == "__main__":
    main()
