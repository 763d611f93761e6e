"""Reads of rooms and messages, with permission checks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet

from contactcenter.errors import NotAuthorized, NotFound
from contactcenter.models import Staff
from rooms.models import Message, Room, RoomMember

if TYPE_CHECKING:
    from enquiries.models import Visitor


def message_visible_to_visitor(message: Message) -> bool:
    return message.data.get("visibility") != "staff"


def message_author(message: Message) -> dict[str, Any]:
    if message.author_staff_id is not None:
        staff = message.author_staff
        return {"type": "staff", "id": message.author_staff_id, "name": staff.display_name if staff else ""}
    if message.author_visitor_id is not None:
        visitor = message.author_visitor
        return {"type": "visitor", "id": message.author_visitor_id, "name": visitor.display_name if visitor else ""}
    return {"type": "system", "id": None, "name": "System"}


def message_data(message: Message) -> dict[str, Any]:
    recalled = message.recalled_at is not None
    return {
        "id": message.pk,
        "room": message.room_id,
        "kind": message.kind,
        "text": "" if recalled else message.text,
        "author": message_author(message),
        "client_id": message.client_id,
        "reply_to": message.reply_to_id,
        "forwarded_from": message.forwarded_from_id,
        "data": {} if recalled else message.data,
        "created_at": message.created_at.isoformat(),
        "edited_at": message.edited_at.isoformat() if message.edited_at else None,
        "recalled_at": message.recalled_at.isoformat() if message.recalled_at else None,
    }


def access_room(principal: Staff | Visitor, room_id: int, *, lock: bool = False) -> Room:
    """The room if ``principal`` may see it: members, admins (monitoring), or the visitor
    of its enquiry. Raises NotFound / NotAuthorized."""
    from enquiries.models import Visitor

    query = Room.objects.select_related("enquiry")
    if lock:
        query = query.select_for_update(of=("self",))
    room = query.filter(pk=room_id).first()
    if room is None:
        raise NotFound("Room not found.")
    if isinstance(principal, Visitor):
        if room.enquiry is None or room.enquiry.visitor_id != principal.pk:
            raise NotAuthorized("This is not your conversation.")
        return room
    if principal.is_admin or RoomMember.objects.filter(room=room, staff=principal).exists():
        return room
    raise NotAuthorized("You are not a member of this room.")


def room_messages(room: Room, *, after: int = 0, for_visitor: bool = False, limit: int = 200) -> QuerySet[Message]:
    """Messages with id > ``after``, oldest first. Reading changes no read state."""
    query = room.messages.filter(id__gt=after).select_related("author_staff", "author_visitor").order_by("id")
    if for_visitor:
        # A bare exclude(data__visibility=...) also drops rows without the key (SQL NULL),
        # which would hide every ordinary message from the visitor.
        query = query.exclude(Q(data__has_key="visibility") & Q(data__visibility="staff"))
    return query[:limit]
