"""What fills the Notifications lists: observers of the enquiry event log
(``enquiries.hooks``) and of posted messages (``rooms.hooks``), registered by
``NotificationsConfig.ready``. They run inside the writing transaction, so each is cheap
(nothing at all for the events and messages it does not care about; otherwise a few
reads and one bulk INSERT) and never fails its caller: an error is logged and its
savepoint rolled back, the change it observed goes on.

- mention: a staff message that mentions me (or ``@all`` in a space I am in), unless I
  muted the room entirely (``rooms.selectors.should_notify``, as ``mention.created``).
- transfer_offered: a transfer alerted me (to me, or to a tag I belong to: everyone
  alerted; the ``alerted`` event of the transfer, so a staff member alerted later, on
  becoming active, is told too).
- taken_over: an admin took over my enquiry.
- missed: an enquiry of a destination I serve was missed (everyone the destination
  serves, as the Missed list: one row each, one INSERT).
- review: from the reviews helper (``notification_add(kind="review")``).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from django.db import transaction

from enquiries.models import EnquiryEvent
from enquiries.services import destination_staff
from notifications.models import Notification
from notifications.services import excerpt, notifications_insert
from rooms.models import Message, Room, RoomMember
from rooms.selectors import should_notify

logger = logging.getLogger(__name__)


def _guarded(what: str, fn: Callable[[], object]) -> None:
    """Run ``fn`` in a savepoint; an error is logged and rolled back, never raised."""
    try:
        with transaction.atomic():
            fn()
    except Exception:
        logger.exception("notifications: %s failed", what)


def _room_and_visitor(enquiry_id: int) -> tuple[int | None, str]:
    """The enquiry's room id and its visitor's name (one query)."""
    room = Room.objects.filter(enquiry_id=enquiry_id).select_related("enquiry__visitor").first()
    if room is None or room.enquiry is None:
        return None, ""
    return room.pk, room.enquiry.visitor.display_name


# ---------------------------------------------------------------- mentions


def _mentions(message: Message) -> tuple[list[int], bool] | None:
    data = message.data if isinstance(message.data, dict) else {}
    mentioned = data.get("mentions") or []
    mention_all = bool(data.get("mention_all"))
    if message.author_staff_id is None or (not mentioned and not mention_all):
        return None
    return [int(i) for i in mentioned if isinstance(i, int)], mention_all


def messages_posted(messages: Sequence[Message]) -> None:
    """Observer of posted messages: a notification for each member a staff message mentions."""
    found = [(m, mentions) for m in messages if (mentions := _mentions(m)) is not None]
    if found:
        _guarded("mentions", lambda: _mentions_notify(found))


def _mentions_notify(found: list[tuple[Message, tuple[list[int], bool]]]) -> None:
    members: dict[int, list[RoomMember]] = defaultdict(list)
    for member in RoomMember.objects.filter(room_id__in={m.room_id for m, _ in found}):
        members[member.room_id].append(member)
    rows: list[Notification] = []
    for message, (mentioned, mention_all) in found:
        room = message.room
        # An enquiry room's instance may come from its owner's locker with fields deferred:
        # only the kind is read there (a space's name is all a room name means here).
        kind = room.kind
        author = message.author_staff
        data = {
            "actor_name": author.display_name if author is not None else "",
            "excerpt": excerpt(message.text),
            "room_kind": kind,
            "room_name": room.name if kind == Room.Kind.SPACE else "",
            "message": message.pk,
            "mention_all": mention_all,
        }
        for member in members[message.room_id]:
            if (mention_all or member.staff_id in mentioned) and should_notify(member, message):
                rows.append(
                    Notification(
                        staff_id=member.staff_id,
                        kind=Notification.Kind.MENTION,
                        room_id=message.room_id,
                        enquiry_id=room.enquiry_id,
                        actor_id=message.author_staff_id,
                        data=data,
                        created_at=message.created_at,
                    )
                )
    notifications_insert(rows)


def message_changed(message: Message) -> None:
    """Observer of changed messages: a mention's excerpt follows an edit of the message, and
    goes with a recall (the recalled words must not stay readable in anyone's list)."""
    if _mentions(message) is None:
        return
    _guarded("mention change", lambda: _mention_excerpt_update(message))


def _mention_excerpt_update(message: Message) -> None:
    items = list(
        Notification.objects.filter(room_id=message.room_id, kind=Notification.Kind.MENTION, data__message=message.pk)
    )
    for item in items:
        data = dict(item.data)
        if message.recalled_at is not None:
            data["excerpt"], data["recalled"] = "", True
        else:
            data["excerpt"] = excerpt(message.text)
        item.data = data
    Notification.objects.bulk_update(items, ["data"])


# ---------------------------------------------------------------- enquiry events


def enquiry_event(event: EnquiryEvent) -> None:
    """Observer of the enquiry event log: transfers offered, take-overs, missed enquiries."""
    handler = _HANDLERS.get(event.type)
    if handler is None:
        return
    if event.type == EnquiryEvent.Type.ALERTED and not (event.data or {}).get("transfer"):
        return  # a new enquiry's alert: the Open Enquiry panel's business, not the list's
    _guarded(f"enquiry event {event.type}", lambda: handler(event))


def _transfer_offered(event: EnquiryEvent) -> None:
    from enquiries.models import Transfer  # Imported here: only this producer reads transfers.

    data: dict[str, Any] = event.data or {}
    transfer = Transfer.objects.filter(pk=data["transfer"]).select_related("from_staff", "to_tag").first()
    staff_ids = [int(i) for i in data.get("staff") or []]
    if transfer is None or not staff_ids:
        return
    room_id, visitor_name = _room_and_visitor(event.enquiry_id)
    payload = {
        "actor_name": transfer.from_staff.display_name,
        "visitor_name": visitor_name,
        "to_tag": transfer.to_tag.name if transfer.to_tag is not None else "",
        "transfer": transfer.pk,
        "excerpt": excerpt(event.enquiry.first_message),
    }
    notifications_insert(
        [
            Notification(
                staff_id=staff_id,
                kind=Notification.Kind.TRANSFER_OFFERED,
                enquiry_id=event.enquiry_id,
                room_id=room_id,
                actor_id=transfer.from_staff_id,
                data=payload,
                created_at=event.created_at,
            )
            for staff_id in staff_ids
        ]
    )


def _taken_over(event: EnquiryEvent) -> None:
    previous = (event.data or {}).get("previous_owner")
    if not previous or event.actor is None:
        return
    room_id, visitor_name = _room_and_visitor(event.enquiry_id)
    notifications_insert(
        [
            Notification(
                staff_id=int(previous),
                kind=Notification.Kind.TAKEN_OVER,
                enquiry_id=event.enquiry_id,
                room_id=room_id,
                actor_id=event.actor_id,
                data={"actor_name": event.actor.display_name, "visitor_name": visitor_name},
                created_at=event.created_at,
            )
        ]
    )


def _missed(event: EnquiryEvent) -> None:
    enquiry = event.enquiry
    served = [s.pk for s in destination_staff(enquiry.destination)]
    if not served:
        return
    room_id, visitor_name = _room_and_visitor(enquiry.pk)
    payload = {
        "visitor_name": visitor_name,
        "reason": (event.data or {}).get("reason", ""),
        "destination": enquiry.destination.name,
        "excerpt": excerpt(enquiry.first_message),
    }
    notifications_insert(
        [
            Notification(
                staff_id=staff_id,
                kind=Notification.Kind.MISSED,
                enquiry_id=enquiry.pk,
                room_id=room_id,
                data=payload,
                created_at=event.created_at,
            )
            for staff_id in served
        ]
    )


_HANDLERS: dict[str, Callable[[EnquiryEvent], None]] = {
    EnquiryEvent.Type.ALERTED: _transfer_offered,
    EnquiryEvent.Type.TAKEN_OVER: _taken_over,
    EnquiryEvent.Type.MISSED: _missed,
}
