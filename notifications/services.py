"""Writes of the notifications app (STYLE: one place for each state change): adding
notifications (``notification_add`` for one kind to many staff, ``notifications_insert``
for the producers' rows), marking them read or unread, and the retention sweep."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from contactcenter.org import clock
from contactcenter.org.errors import InvalidInput, NotFound
from contactcenter.org.events import NotificationCreated, NotificationRead, staff_group
from contactcenter.org.models import Staff
from contactcenter.org.realtime import send_event_on_commit
from notifications.models import Notification

# Where each kind leads in the dashboard (``notification_data``'s "url").
_APP = "/app"
# A review's link, unless the reviews helper gives one of its own (data["url"]).
REVIEWS_URL = "/app/reports/review"
# How many rows one retention statement deletes (the sweep repeats until none are left).
SWEEP_BATCH = 5000
# How much of a message or first message a notification keeps.
EXCERPT_CHARS = 140


def excerpt(text: str) -> str:
    """The first EXCERPT_CHARS characters of ``text`` on one line (an ellipsis when cut)."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[: EXCERPT_CHARS - 1] + "…"


def notification_url(item: Notification) -> str | None:
    """The dashboard page a notification opens: the room (mentions, transfers, take-overs),
    the Missed list, the review; the enquiry's history once its room is gone; None when
    what it was about is gone."""
    data = item.data if isinstance(item.data, dict) else {}
    if item.kind == Notification.Kind.REVIEW:
        url = data.get("url")
        if isinstance(url, str) and url.startswith(_APP + "/") and "//" not in url:
            return url
        # The Review page opens the conversation under review at /app/reports/review/<enquiry id>.
        return f"{REVIEWS_URL}/{item.enquiry_id}" if item.enquiry_id is not None else REVIEWS_URL
    if item.kind == Notification.Kind.MISSED:
        return f"{_APP}/missed" if item.enquiry_id is not None else None
    if item.room_id is not None:
        return f"{_APP}/rooms/{item.room_id}"
    if item.enquiry_id is not None:
        return f"{_APP}/history/{item.enquiry_id}"
    return None


def notification_data(item: Notification) -> dict[str, Any]:
    """The one JSON shape of a notification (the API and the socket event). ``data`` is
    text-ready as it was when it happened: ``actor_name``, and by kind ``excerpt``,
    ``room_kind``/``room_name`` (mention), ``visitor_name`` (enquiries), ``to_tag``
    (a transfer to a tag), ``reason`` (missed), what the reviews helper gave (review)."""
    return {
        "id": item.pk,
        "kind": item.kind,
        "enquiry": item.enquiry_id,
        "room": item.room_id,
        "actor": item.actor_id,
        "data": item.data,
        "url": notification_url(item),
        "created_at": item.created_at.isoformat(),
        "read": item.read_at is not None,
    }


def unread_counts(staff_ids: Iterable[int]) -> dict[int, int]:
    """Unread notifications of each of these staff members (one query; 0 for none)."""
    ids = sorted(set(staff_ids))
    counts = dict(
        Notification.objects.filter(staff_id__in=ids, read_at__isnull=True)
        .values("staff_id")
        .annotate(n=Count("id"))
        .values_list("staff_id", "n")
    )
    return {i: counts.get(i, 0) for i in ids}


def notifications_insert(items: Sequence[Notification]) -> list[Notification]:
    """Insert the producers' notifications in one statement and queue ``notification.created``
    to each recipient on commit, with their unread count after it (one more query). Rows
    for their own actor are dropped (nobody is told of what they did themselves). Runs in
    the caller's transaction; ``created_at`` is set to now where missing."""
    now = clock.now()
    rows = [i for i in items if i.staff_id is not None and i.staff_id != i.actor_id]
    if not rows:
        return []
    for item in rows:
        if item.created_at is None:
            item.created_at = now
    created = Notification.objects.bulk_create(rows)
    unread = unread_counts(i.staff_id for i in created)
    for item in created:
        send_event_on_commit(
            [staff_group(item.staff_id)],
            NotificationCreated(notification=notification_data(item), unread=unread[item.staff_id]),
        )
    return created


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
    queue ``notification.created`` to each on commit. Runs in the caller's transaction.

    ``data`` is what the list shows (see ``notification_data``); ``actor_name`` is filled
    in from the actor when not given. A review (from the reviews helper): ``enquiry_id``
    the reviewed enquiry, ``actor_id`` the reviewer, ``data`` e.g. ``{"review": id,
    "score": 4.5, "url": "/app/reports/review/<enquiry id>"}`` (``url``: a dashboard path, else
    the Review page of the enquiry)."""
    if kind not in Notification.Kind.values:
        raise ValueError(f"Unknown notification kind: {kind!r}")
    targets = sorted({int(s) for s in staff_ids if s is not None and s != actor_id})
    if not targets:
        return []
    payload = dict(data or {})
    if actor_id is not None and "actor_name" not in payload:
        name = Staff.objects.filter(pk=actor_id).values_list("display_name", flat=True).first()
        payload["actor_name"] = name or ""
    with transaction.atomic():
        return notifications_insert(
            [
                Notification(
                    staff_id=staff_id,
                    kind=kind,
                    enquiry_id=enquiry_id,
                    room_id=room_id,
                    actor_id=actor_id,
                    data=payload,
                )
                for staff_id in targets
            ]
        )


MAX_IDS = 500


def _clean_ids(ids: Any) -> list[int]:
    if not isinstance(ids, list | tuple) or not ids:
        raise InvalidInput.field("ids", _("Give a non-empty list of notification ids."))
    if len(ids) > MAX_IDS:
        raise InvalidInput.field("ids", _("At most %(n)d ids at a time.") % {"n": MAX_IDS})
    if not all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in ids):
        raise InvalidInput.field("ids", _("Each id must be a positive whole number."))
    return sorted(set(ids))


def notifications_mark(
    *, actor: Staff, ids: Sequence[int] | None = None, every: bool = False, read: bool = True
) -> tuple[int, int]:
    """Mark the actor's notifications ``ids`` (or ``every`` one of them) read (or unread, with
    ``read=False``). Only one's own: an id that is not the actor's is NotFound and nothing
    changes. Returns (how many changed, the unread count after); tells the actor's other
    tabs (``notification.read``) when something changed. One conditional UPDATE: marking
    twice changes nothing the second time."""
    if every == (ids is not None):
        message = _("Give either ids or all.")
        raise InvalidInput(message, fields={"ids": [message]})
    if every and not read:
        raise InvalidInput.field("all", _("Only marking all as read is possible."))
    with transaction.atomic():
        query = Notification.objects.filter(staff=actor)
        wanted: list[int] = []
        if not every:
            wanted = _clean_ids(list(ids or []))
            query = query.filter(pk__in=wanted)
            if query.count() != len(wanted):
                raise NotFound(_("Notification not found."))
        if read:
            changed = query.filter(read_at__isnull=True).update(read_at=clock.now())
        else:
            changed = query.filter(read_at__isnull=False).update(read_at=None)
        unread = unread_counts([actor.pk])[actor.pk]
        if changed:
            send_event_on_commit(
                [staff_group(actor.pk)], NotificationRead(ids=wanted, all=every, read=read, unread=unread)
            )
    return changed, unread


def notification_set_read(*, actor: Staff, notification_id: int, read: bool) -> tuple[Notification, int]:
    """One notification of the actor's read or unread (NotFound for anyone else's); the
    notification as it is now and the actor's unread count."""
    _changed, unread = notifications_mark(actor=actor, ids=[notification_id], read=read)
    return Notification.objects.get(pk=notification_id), unread


# What a notification keeps that may tell of a customer: their name, their (or a staff
# message's) words.
PERSONAL_KEYS = ("visitor_name", "excerpt")


def notifications_scrub(enquiry_ids: Sequence[int]) -> int:
    """Forget what notifications about these enquiries keep of the customer (their name, the
    excerpt): a customer's erasure, and retention before it deletes the enquiries (the
    notification stays, without its link, as the model says). How many were changed."""
    ids = list(enquiry_ids)
    if not ids:
        return 0
    items = list(Notification.objects.filter(enquiry_id__in=ids))
    changed = [i for i in items if isinstance(i.data, dict) and any(k in i.data for k in PERSONAL_KEYS)]
    for item in changed:
        item.data = {k: v for k, v in item.data.items() if k not in PERSONAL_KEYS}
    Notification.objects.bulk_update(changed, ["data"], batch_size=500)
    return len(changed)


def notifications_on_retention(enquiry_ids: Sequence[int]) -> None:
    """``history.hooks.register_retention_hook``: before retention deletes the enquiries."""
    notifications_scrub(enquiry_ids)


def notifications_on_erasure(customer_id: int, visitor_ids: Sequence[int], enquiry_ids: Sequence[int]) -> None:
    """``history.hooks.register_erasure_hook``: inside the erasure's transaction."""
    notifications_scrub(enquiry_ids)


def notifications_sweep(now: dt.datetime | None = None) -> int:
    """Retention: delete notifications older than CC_NOTIFICATIONS_KEEP_DAYS (0: keep
    them all), SWEEP_BATCH at a time; how many were deleted. Idempotent and safe to run
    from several processes at once."""
    days = settings.CC_NOTIFICATIONS_KEEP_DAYS
    if days <= 0:
        return 0
    cutoff = (now or clock.now()) - dt.timedelta(days=days)
    total = 0
    while True:
        ids = list(Notification.objects.filter(created_at__lt=cutoff).values_list("id", flat=True)[:SWEEP_BATCH])
        if not ids:
            return total
        deleted, _ = Notification.objects.filter(pk__in=ids).delete()
        total += deleted
        if len(ids) < SWEEP_BATCH:
            return total
