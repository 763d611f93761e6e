"""Query plans of the History list on a generated history (not the 5M benchmark: enough
rows to see which index each filter uses). Run on a throwaway PostgreSQL database:

    DATABASE_URL=postgres://.../cc_plans .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://.../cc_plans .venv/bin/python bench/history_plans.py --enquiries 300000

It fills the database with SQL (generate_series), then prints EXPLAIN (ANALYZE, BUFFERS) of
the first page and of a deep page for an admin and an agent, with each filter, and the
median and p95 time of each query over a few runs.
"""

from __future__ import annotations

import argparse
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

from channels_adapters import services as channel_services  # noqa: E402
from contactcenter.org import services as org_services  # noqa: E402
from contactcenter.org.models import Staff, Tag  # noqa: E402
from enquiries.models import Enquiry  # noqa: E402
from history.filters import parse_filters  # noqa: E402
from history.selectors import HistoryQuery, history_page  # noqa: E402

AGENTS = 50
CHANNELS = 10
MESSAGES_PER_ENQUIRY = 6


def fill(enquiries: int) -> None:
    if Enquiry.objects.exists():
        print("already filled")
        return
    admin = org_services.staff_create(
        actor=None, email="admin@plans.test", password="x-plans-42", display_name="Admin", role=Staff.Role.ADMIN
    )
    tags = [Tag.objects.create(name=f"Tag {n}") for n in range(CHANNELS)]
    for n in range(AGENTS):
        org_services.staff_create(
            actor=None,
            email=f"agent{n}@plans.test",
            password="x-plans-42",
            display_name=f"Agent {n}",
            tags=[tags[n % CHANNELS]],
        )
    for n in range(CHANNELS):
        channel_services.channel_create(actor=admin, kind="widget", name=f"Channel {n}", destination_tag=tags[n])
    with connection.cursor() as cur:
        cur.execute("SELECT id FROM contactcenter_staff WHERE role = 'agent' ORDER BY id")
        agents = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT id FROM channels_adapters_channel ORDER BY id")
        channels = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT id FROM contactcenter_destination ORDER BY id")
        destinations = [r[0] for r in cur.fetchall()]
        started = time.monotonic()
        cur.execute(
            """
            INSERT INTO enquiries_visitor (id, first_name, last_name, email, phone, photo_url, language,
              channel_identity, device, utm, extra, created_at, token_epoch, custom_fields, chat_language)
            SELECT g, 'Visitor', g::text, '', '', '', '', '', '{}', '{}', '{}', now(), 0, '[]', ''
            FROM generate_series(1, %s) g
            """,
            [enquiries],
        )
        cur.execute(
            """
            INSERT INTO enquiries_enquiry (id, kind, status, missed_reason, first_message, topic, labels,
              created_at, rating_comment, channel_id, destination_id, visitor_id, client_country, via,
              owner_id, picked_up_at, resolved_at, closed_at, rating_score)
            SELECT g, 'broadcast',
              CASE WHEN g %% 100 = 0 THEN 'missed' WHEN g %% 37 = 0 THEN 'resolved'
                   WHEN g > %s - 50 THEN 'handling' ELSE 'closed' END,
              '', 'Hello ' || g, '', '[]',
              timestamptz '2024-01-01' + (g * interval '90 seconds'), '',
              (%s::bigint[])[1 + g %% %s], (%s::bigint[])[1 + g %% %s], g, '', '',
              CASE WHEN g %% 100 = 0 THEN NULL ELSE (%s::bigint[])[1 + (g * 7) %% %s] END,
              timestamptz '2024-01-01' + (g * interval '90 seconds') + interval '20 seconds',
              timestamptz '2024-01-01' + (g * interval '90 seconds') + interval '10 minutes',
              timestamptz '2024-01-01' + (g * interval '90 seconds') + interval '20 minutes',
              CASE WHEN g %% 9 = 0 THEN 1 + g %% 5 END
            FROM generate_series(1, %s) g
            """,
            [enquiries, channels, len(channels), destinations, len(destinations), agents, len(agents), enquiries],
        )
        cur.execute(
            """
            INSERT INTO rooms_room (id, kind, name, description, is_private, created_at, enquiry_id)
            SELECT id, 'enquiry', '', '', false, created_at, id FROM enquiries_enquiry
            """
        )
        # Each enquiry's owner, and a second agent on every 5th (a transfer).
        cur.execute(
            """
            INSERT INTO rooms_roomparticipant (first_joined_at, room_id, staff_id)
            SELECT created_at, id, owner_id FROM enquiries_enquiry WHERE owner_id IS NOT NULL
            UNION ALL
            SELECT created_at, id, (%s::bigint[])[1 + (id * 11) %% %s] FROM enquiries_enquiry
            WHERE id %% 5 = 0 AND owner_id IS NOT NULL AND owner_id <> (%s::bigint[])[1 + (id * 11) %% %s]
            """,
            [agents, len(agents), agents, len(agents)],
        )
        cur.execute(
            """
            INSERT INTO rooms_message (kind, text, client_id, data, created_at, room_id, author_staff_id)
            SELECT 'text', 'message ' || n || ' of ' || r.id, '', '{}', r.created_at + n * interval '5 seconds',
              r.id, NULL
            FROM rooms_room r, generate_series(1, %s) n
            """,
            [MESSAGES_PER_ENQUIRY],
        )
        for table in ("enquiries_visitor", "enquiries_enquiry", "rooms_room"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        cur.execute("VACUUM ANALYZE")
        print(f"filled {enquiries} enquiries in {time.monotonic() - started:.0f} s")


def timed(staff: Staff, params: dict[str, str], *, deep: bool, runs: int = 7) -> tuple[float, float, int]:
    filters = parse_filters(params)
    cursor = None
    if deep:
        # A cursor far down the list: the 20,000th matching row.
        from history.selectors import history_enquiries

        row = history_enquiries(staff, filters)[20_000:20_001].first()
        cursor = (row.created_at, row.pk) if row else None
    query = HistoryQuery(filters=filters, cursor=cursor, limit=50)
    times = []
    found = 0
    for _ in range(runs):
        start = time.perf_counter()
        rows, _next = history_page(staff, query)
        times.append((time.perf_counter() - start) * 1000)
        found = len(rows)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1 if len(times) > 1 else 0], found


def explain(staff: Staff, params: dict[str, str]) -> str:
    from history.selectors import history_enquiries

    # The first step of a page (history.selectors.history_page): the page's ids.
    qs = history_enquiries(staff, parse_filters(params)).values_list("id", flat=True)[:51]
    return qs.explain(analyze=True, buffers=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enquiries", type=int, default=300_000)
    parser.add_argument(
        "--explain", nargs="?", const="short", help="print the plans too (scans and times; 'full': all)"
    )
    args = parser.parse_args()
    fill(args.enquiries)
    admin = Staff.objects.get(email="admin@plans.test")
    agent = Staff.objects.get(email="agent7@plans.test")
    channel = str(Enquiry.objects.values_list("channel_id", flat=True).first())
    tag = str(Tag.objects.order_by("id").values_list("id", flat=True).first())
    cases = [
        ("no filter", {}),
        ("date range (a month)", {"from": "2024-03-01", "to": "2024-03-31"}),
        ("channel", {"channel": channel}),
        ("tag", {"tag": tag}),
        ("owner", {"owner": str(agent.pk)}),
        ("rating", {"rating": "4"}),
        ("status=resolved", {"status": "resolved"}),
        ("customer (none match)", {"customer": "1"}),
    ]
    print(f"{Enquiry.objects.count()} enquiries")
    print(f"{'who':6} {'filter':24} {'page':5} {'median ms':>9} {'p95 ms':>7} rows")
    # An agent who served three enquiries of the whole history (the case an OR filter
    # walking the newest-first index makes slow).
    rare, created = Staff.objects.get_or_create(
        email="rare@plans.test", defaults={"display_name": "Rare", "role": Staff.Role.AGENT}
    )
    if created:
        from rooms.models import RoomParticipant

        RoomParticipant.objects.bulk_create([RoomParticipant(staff=rare, room_id=i) for i in (5, 50_000, 100_000)])
    for who, staff in (("admin", admin), ("agent", agent), ("rare", rare)):
        for name, params in cases:
            for deep in (False, True):
                med, p95, found = timed(staff, params, deep=deep)
                print(f"{who:6} {name:24} {'deep' if deep else 'first':5} {med:9.1f} {p95:7.1f} {found}")
            if args.explain:
                plan = explain(staff, params)
                print(
                    plan
                    if args.explain == "full"
                    else "\n".join(line for line in plan.splitlines() if "Time:" in line or "Scan" in line)
                )


if __name__ == "__main__":
    main()
