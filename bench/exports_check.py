"""Time and memory of one export of many enquiries (history.exports), on the database of
DATABASE_URL (PostgreSQL): generates N closed enquiries with a room and M messages each by
INSERT ... SELECT generate_series (once; tagged by their topic), then runs the export in
this process, as an admin and as an agent (the permission filter on), in CSV and XLSX.

    CC_TIMERS=off DATABASE_URL=postgres://... python bench/exports_check.py [N] [M]

Prints the seconds, the rows, the process's peak RSS before and after, and tracemalloc's
peak (Python allocations; a separate run, since tracing slows it down).
"""

from __future__ import annotations

import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contactcenter.settings")
os.environ.setdefault("CC_TIMERS", "off")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from channels_adapters import services as channel_services  # noqa: E402
from contactcenter.org import services as org_services  # noqa: E402
from contactcenter.org.models import Staff, Tag  # noqa: E402
from enquiries.models import Enquiry, Visitor  # noqa: E402
from history import exports  # noqa: E402
from history.models import Export  # noqa: E402

TOPIC = "bench-export"


def staff(email: str, role: str, tag: Tag) -> Staff:
    found = Staff.objects.filter(email=email).first()
    if found:
        return found
    return org_services.staff_create(
        actor=None,
        email=email,
        password="bench-password-42",
        display_name=email.split("@")[0].title(),
        role=role,
        tags=[tag],
        max_concurrent=5,
        availability=Staff.Availability.OFFLINE,
    )


def generate(n: int, m: int) -> tuple[Staff, Staff]:
    tag, _ = Tag.objects.get_or_create(name="Bench exports")
    admin = staff("bench-admin@example.com", Staff.Role.ADMIN, tag)
    agent = staff("bench-agent@example.com", Staff.Role.AGENT, tag)
    if Enquiry.objects.filter(topic=TOPIC).count() >= n:
        return admin, agent
    channel = channel_services.channel_create(actor=admin, kind="widget", name="Bench exports", destination_tag=tag)
    visitors = Visitor.objects.bulk_create(
        [Visitor(first_name="Visitor", last_name=str(i), email=f"v{i}@example.com") for i in range(1000)]
    )
    first_visitor = visitors[0].pk
    started = time.perf_counter()
    with connection.cursor() as c:
        c.execute(
            """
            INSERT INTO enquiries_enquiry (kind, status, missed_reason, first_message, topic, labels,
                created_at, picked_up_at, closed_at, rating_score, rating_comment, channel_id, destination_id,
                owner_id, visitor_id, client_country, via)
            SELECT 'broadcast', 'closed', '', 'Hello there', %s, '[]'::jsonb,
                now() - (g || ' seconds')::interval, now() - (g || ' seconds')::interval + interval '20 seconds',
                now() - (g || ' seconds')::interval + interval '10 minutes',
                CASE WHEN g %% 3 = 0 THEN 1 + g %% 5 END, CASE WHEN g %% 7 = 0 THEN '=1+1 nice' ELSE '' END,
                %s, %s, CASE WHEN g %% 2 = 0 THEN %s ELSE %s END, %s + g %% 1000, '', 'widget'
            FROM generate_series(1, %s) g
            """,
            [TOPIC, channel.pk, channel.destination_id, agent.pk, admin.pk, first_visitor, n],
        )
        c.execute(
            """
            INSERT INTO rooms_room (kind, name, description, is_private, created_at, enquiry_id)
            SELECT 'enquiry', '', '', false, e.created_at, e.id FROM enquiries_enquiry e
            WHERE e.topic = %s AND NOT EXISTS (SELECT 1 FROM rooms_room r WHERE r.enquiry_id = e.id)
            """,
            [TOPIC],
        )
        c.execute(
            """
            INSERT INTO rooms_message (kind, text, client_id, data, created_at, room_id, author_staff_id,
                author_visitor_id)
            SELECT 'text', 'Message ' || k || ' of the conversation, with a few words to make it realistic',
                '', '{}'::jsonb, r.created_at + (k || ' seconds')::interval, r.id,
                CASE WHEN k %% 2 = 0 THEN e.owner_id END, CASE WHEN k %% 2 = 1 THEN e.visitor_id END
            FROM rooms_room r JOIN enquiries_enquiry e ON e.id = r.enquiry_id, generate_series(1, %s) k
            WHERE e.topic = %s
            """,
            [m, TOPIC],
        )
        c.execute(
            """
            INSERT INTO rooms_roomparticipant (room_id, staff_id, first_joined_at)
            SELECT r.id, e.owner_id, r.created_at FROM rooms_room r JOIN enquiries_enquiry e ON e.id = r.enquiry_id
            WHERE e.topic = %s ON CONFLICT DO NOTHING
            """,
            [TOPIC],
        )
        c.execute("ANALYZE")
    print(f"generated {n} enquiries with {m} messages each in {time.perf_counter() - started:.1f} s")
    return admin, agent


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def once(who: Staff, kind: str, fmt: str, *, trace: bool) -> None:
    Export.objects.filter(requested_by=who).delete()
    export = exports.export_request(actor=who, kind=kind, format=fmt, filters={"status": "closed"})
    before = rss_mb()
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    result = exports.export_run(export_id=export.pk)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 2**20 if trace else 0.0
    if trace:
        tracemalloc.stop()
    export.refresh_from_db()
    what = f"{kind:9} {fmt:4} as {who.role:5}"
    if trace:
        print(f"{what}: tracemalloc peak {peak:.1f} MB ({export.rows} rows, {seconds:.1f} s traced)")
    else:
        print(
            f"{what}: {result} {export.rows} rows, {export.size / 2**20:.1f} MB file in {seconds:.1f} s;"
            f" peak RSS {before:.0f} -> {rss_mb():.0f} MB"
        )
    exports.exports_purge_before(exports.clock.now())


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    m = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    admin, agent = generate(n, m)
    for who, kind, fmt in [
        (admin, "enquiries", "csv"),
        (admin, "enquiries", "xlsx"),
        (agent, "enquiries", "csv"),
        (admin, "messages", "csv"),
    ]:
        once(who, kind, fmt, trace=False)
    once(admin, "enquiries", "csv", trace=True)


if __name__ == "__main__":
    main()
