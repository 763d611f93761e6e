"""Writes of the notifications app (STYLE: one place for each state change)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from contactcenter.org import clock
from contactcenter.org.events import NotificationCreated, staff_group
from contactcenter.org.realtime import send_event_on_commit
from notifications.models import Notification


def notification_data(item: Notification) -> dict[str, Any]:
    """The one JSON shape of a notification (the API and the socket event)."""
    return {
        "id": item.pk,
        "kind": item.kind,
        "enquiry": item.enquiry_id,
        "room": item.room_id,
        "actor": item.actor_id,
        "data": item.data,
        "created_at": item.created_at.isoformat(),
        "read": item.read_at is not None,
    }


def notification_add(
    *,
    staff_ids: Iterable[int],
    kind: str,
    enquiry_id: int | None = None,
    room_id: int | None = None,
    actor_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> list[Notification]:
    """Add one notification of ``kind`` (``Notification.Kind``) to each staff member in
    ``staff_ids`` (the actor is left out: nobody is told of what they did themselves) and
    queue ``notification.created`` to each on commit. Runs in the caller's transaction."""
    now = clock.now()
    targets = sorted({int(s) for s in staff_ids if s is not None and s != actor_id})
    if not targets:
        return []
    with transaction.atomic():
        items = Notification.objects.bulk_create(
            [
                Notification(
                    staff_id=staff_id,
                    kind=kind,
                    enquiry_id=enquiry_id,
                    room_id=room_id,
                    actor_id=actor_id,
                    data=data or {},
                    created_at=now,
                )
                for staff_id in targets
            ]
        )
        for item in items:
            unread = Notification.objects.filter(staff_id=item.staff_id, read_at__isnull=True).count()
            send_event_on_commit(
                [staff_group(item.staff_id)], NotificationCreated(notification=notification_data(item), unread=unread)
            )
    return items
