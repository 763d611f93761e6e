"""Times the retention sweep (history.retention): N finished enquiries of M messages each,
made with bulk inserts in the configured database, deleted by ``retention_run``.

    DATABASE_URL=postgres://... .venv/bin/python bench/retention_bench.py [enquiries] [messages]

Uses (and empties of what it made) the configured database: never point it at real data.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time

import django

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contactcenter.settings")
django.setup()

from django.utils import timezone  # noqa: E402

from channels_adapters.models import Channel  # noqa: E402
from contactcenter.org.models import Destination  # noqa: E402
from enquiries.models import Enquiry, Visitor  # noqa: E402
from history import retention  # noqa: E402
from rooms.models import Message, Room  # noqa: E402


def _channel() -> Channel:
    from channels_adapters.services import channel_create
    from contactcenter.org.models import Staff, Tag
    from contactcenter.org.services import staff_create

    tag = Tag.objects.create(name="Bench retention")
    admin = staff_create(
        actor=None, email="bench-retention@example.com", password="bench-retention-42", display_name="Bench",
        role=Staff.Role.ADMIN, tags=[], max_concurrent=5, availability=Staff.Availability.OFFLINE,
    )  # fmt: skip
    return channel_create(actor=admin, kind="widget", name="Bench retention", destination_tag=tag)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    per = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    channel = Channel.objects.select_related("destination").first()
    if channel is None:
        channel = _channel()
    destination: Destination = channel.destination
    old = timezone.now() - dt.timedelta(days=400)
    visitor = Visitor.objects.create(first_name="Bench")
    made = time.perf_counter()
    enquiries = Enquiry.objects.bulk_create(
        Enquiry(
            channel=channel,
            destination=destination,
            kind="broadcast",
            visitor=visitor,
            status="closed",
            created_at=old,
            closed_at=old,
            first_message="bench",
        )  # fmt: skip
        for _ in range(n)
    )
    rooms = Room.objects.bulk_create(Room(kind="enquiry", enquiry=e, name="bench") for e in enquiries)
    Message.objects.bulk_create(
        (Message(room=r, kind="text", text=f"bench message {i}", created_at=old) for r in rooms for i in range(per)),
        batch_size=5000,
    )
    print(f"made {n} enquiries, {n * per} messages in {time.perf_counter() - made:.1f} s")
    started = time.perf_counter()
    done = retention.retention_run(days=365)
    took = time.perf_counter() - started
    print(f"retention_run: {done} in {took:.1f} s ({done['enquiries'] / took:.0f} enquiries/s)")
    visitor.delete()


if __name__ == "__main__":
    main()
