"""Reads of rooms and messages, with permission checks."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F, IntegerField, Model, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from contactcenter.org.errors import NotAuthorized, NotFound
from contactcenter.org.i18n import staff_time_zone
from contactcenter.org.models import Staff
from rooms.hooks import owner_info, room_list_extras, room_viewer_allowed, visitor_reader_allowed
from rooms.models import Message, QuickReply, Room, RoomMember
from rooms.previews import preview_public
from rooms.system_texts import system_text

# Who reads and posts in rooms: staff, or the visitor of an enquiry's room (a model of
# the enquiries app, which rooms does not import: anything that is not Staff).
Principal = Staff | Model


# A system message's text as the visitor reads it, when it is not the staff's ``text``.


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


def message_public_data(message: Message) -> dict[str, Any]:
    """``message.data`` without storage details: a file is described by its download URLs,
    a link preview's image by the server's copy (no third-party URL a browser would load), a
    platform file being fetched by its state (not the bookkeeping)."""
    data = message.data
    info = data.get("file")
    preview = data.get("preview")
    media = data.get("media")
    if not isinstance(info, dict) and not isinstance(preview, dict) and not isinstance(media, dict):
        return data
    data = dict(data)
    if isinstance(info, dict):
        public = {key: info.get(key) for key in ("name", "size", "content_type", "category", "width", "height")}
        public["url"] = f"/api/v1/messages/{message.pk}/file"
        public["thumbnail_url"] = f"/api/v1/messages/{message.pk}/thumbnail" if info.get("thumbnail") else None
        if info.get("category") == "voice":
            public["duration_ms"] = info.get("duration_ms")
        data["file"] = public
    if isinstance(preview, dict):
        data["preview"] = preview_public(message.pk, preview)
    if isinstance(media, dict):
        data["media"] = {key: media.get(key) for key in ("state", "category", "label")}
    return data


def message_data(message: Message, *, for_visitor: bool = False) -> dict[str, Any]:
    """A message as clients get it. ``for_visitor``: without what only staff may see (who
    wrote the original of a forward: possibly another customer), and a system message with a
    text code worded in the active language (rooms.system_texts)."""
    recalled = message.recalled_at is not None
    data = {} if recalled else message_public_data(message)
    text = "" if recalled else message.text
    if for_visitor and "forwarded" in data:
        data = {key: value for key, value in data.items() if key != "forwarded"}
    if for_visitor and not recalled and message.kind == Message.Kind.SYSTEM:
        text = system_text(data, text)  # in the active language: the visitor's
    return {
        "id": message.pk,
        "room": message.room_id,
        "kind": message.kind,
        "text": text,
        "author": message_author(message),
        "client_id": message.client_id,
        "reply_to": message.reply_to_id,
        "forwarded_from": message.forwarded_from_id,
        "data": data,
        "created_at": message.created_at.isoformat(),
        "edited_at": message.edited_at.isoformat() if message.edited_at else None,
        "recalled_at": message.recalled_at.isoformat() if message.recalled_at else None,
    }


def access_room(principal: Principal, room_id: int, *, lock: bool = False) -> Room:
    """The room if ``principal`` may see it: members, admins (monitoring), staff the room's
    owner lets look (``rooms.hooks.register_room_viewer``: an enquiry offered to them, a
    missed one they follow up), or the visitor of its enquiry. Raises NotFound /
    NotAuthorized."""
    query = Room.objects.select_related("enquiry")
    if lock:
        query = query.select_for_update(of=("self",), no_key=True)
    room = query.filter(pk=room_id).first()
    if room is None:
        raise NotFound("Room not found.")
    if not isinstance(principal, Staff):
        if room.enquiry is None or room.enquiry.visitor_id != principal.pk:
            raise NotAuthorized("This is not your conversation.")
        return room
    if principal.is_admin or RoomMember.objects.filter(room=room, staff=principal).exists():
        return room
    if not lock and room_viewer_allowed(principal, room):
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


def visitor_transcript_messages(room_ids: list[int]) -> QuerySet[Message]:
    """The messages of these rooms as their visitor reads them afterwards (the widget's
    earlier conversations): no staff-only ones, no recalled ones; by room, oldest first."""
    return (
        Message.objects.filter(room_id__in=room_ids, recalled_at__isnull=True)
        .exclude(Q(data__has_key="visibility") & Q(data__visibility="staff"))
        .select_related("author_staff", "author_visitor")
        .order_by("room_id", "id")
    )


def access_message(principal: Principal, message_id: int) -> Message:
    """The message if ``principal`` may see its room (see access_room). A visitor is told
    a staff-only message does not exist. Raises NotFound / NotAuthorized."""
    message = Message.objects.filter(pk=message_id).first()
    if message is None:
        raise NotFound("Message not found.")
    access_room(principal, message.room_id)
    if not isinstance(principal, Staff) and not message_visible_to_visitor(message):
        raise NotFound("Message not found.")
    return message


def access_message_to_read(principal: Principal, message_id: int) -> Message:
    """As access_message, for reading only (a file, a thumbnail, a preview image): a
    visitor may also read a message of a room the enquiries app lets it read (a verified
    customer's other devices: ``rooms.hooks.register_visitor_reader``). Never for a change."""
    try:
        return access_message(principal, message_id)
    except NotAuthorized:
        if isinstance(principal, Staff):
            raise
        message = Message.objects.select_related("room").get(pk=message_id)
        if not visitor_reader_allowed(principal, message.room) or not message_visible_to_visitor(message):
            raise
        return message


# ---------------------------------------------------------------- unread, room list, info


def unread_condition() -> Q:
    """Which messages count as unread for a member (beyond their read marker, not their own).

    Text and file messages from anyone else count everywhere. System messages count only in
    enquiry rooms, where they record what happened to the customer (transfer, take over,
    visitor form, custom info); in direct rooms and spaces they are membership notices,
    which should not light a badge. Recalled messages never count: they show a placeholder.
    """
    counted = Q(kind__in=[Message.Kind.TEXT, Message.Kind.FILE]) | Q(
        kind=Message.Kind.SYSTEM, room__kind=Room.Kind.ENQUIRY
    )
    return counted & Q(recalled_at__isnull=True)


def room_unread_count(member: RoomMember) -> int:
    """Unread messages of one membership (see ``unread_condition``)."""
    return (
        Message.objects.filter(room_id=member.room_id, id__gt=member.last_read_message_id)
        .filter(unread_condition())
        .exclude(author_staff_id=member.staff_id)
        .count()
    )


def _unread_subquery() -> Coalesce:
    counted = (
        Message.objects.filter(room_id=OuterRef("room_id"), id__gt=OuterRef("last_read_message_id"))
        .filter(unread_condition())
        .exclude(author_staff_id=OuterRef("staff_id"))
        .order_by()
        .values("room_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _newest_message_id(**filters: Any) -> Subquery:
    """The id of the newest message of the outer row's room matching ``filters``."""
    newest = Message.objects.filter(room_id=OuterRef("room_id"), **filters).order_by("-id").values("id")[:1]
    return Subquery(newest, output_field=IntegerField())


def room_memberships(staff: Staff) -> QuerySet[RoomMember]:
    """The staff member's rooms (as memberships), newest activity first, each annotated
    with ``unread``, ``last_message_id`` and ``waiting_since`` (when the customer's oldest
    message after the last staff message was posted; None when staff spoke last or no
    customer wrote). Rooms without messages sort by creation, after the active ones. The
    room comes with what the room list's rows show (``room_list_data``)."""
    unanswered = (
        Message.objects.filter(
            room_id=OuterRef("room_id"),
            author_visitor__isnull=False,
            recalled_at__isnull=True,
            id__gt=Coalesce(OuterRef("last_staff_message_id"), Value(0)),
        )
        .order_by("id")
        .values("created_at")[:1]
    )
    return (
        RoomMember.objects.filter(staff=staff)
        .select_related("room", "room__enquiry", "room__enquiry__visitor", "room__enquiry__channel")
        .annotate(
            unread=_unread_subquery(),
            last_message_id=_newest_message_id(),
            last_staff_message_id=_newest_message_id(author_staff__isnull=False),
        )
        .annotate(waiting_since=Subquery(unanswered))
        .order_by(F("room__last_message_at").desc(nulls_last=True), F("room__created_at").desc(), "-room_id")
    )


def rooms_with_unread(staff: Staff) -> int:
    """How many of the staff member's rooms have unread messages (the workspace badge).
    Muted rooms do not count."""
    return (
        RoomMember.objects.filter(staff=staff)
        .exclude(mute=RoomMember.Mute.MUTE)
        .annotate(unread=_unread_subquery())
        .filter(unread__gt=0)
        .count()
    )


def staff_ref(staff: Staff) -> dict[str, Any]:
    return {"id": staff.pk, "name": staff.display_name, "avatar_url": staff.avatar_url}


def _room_title(room: Room, other: Staff | None) -> str:
    if room.kind == Room.Kind.DIRECT:
        return other.display_name if other else "Direct room"
    if room.kind == Room.Kind.ENQUIRY and room.enquiry is not None:
        return room.enquiry.visitor.display_name
    return room.name or room.get_kind_display()


def direct_partners(staff: Staff, room_ids: list[int]) -> dict[int, Staff]:
    """The other member of each of these direct rooms, by room id (one query)."""
    rows = RoomMember.objects.filter(room_id__in=room_ids).exclude(staff=staff).select_related("staff")
    return {row.room_id: row.staff for row in rows}


# How much of the last message a room list row shows.
PREVIEW_CHARS = 140


def last_message_summary(message: Message | None) -> dict[str, Any] | None:
    """The room list's preview of a room's last message: who, what (text cut to
    PREVIEW_CHARS, a file's name), when."""
    if message is None:
        return None
    recalled = message.recalled_at is not None
    file = message.data.get("file") if isinstance(message.data, dict) and not recalled else None
    text = "" if recalled else " ".join(message.text.split())
    return {
        "id": message.pk,
        "kind": message.kind,
        "author": message_author(message),
        "text": text[:PREVIEW_CHARS],
        "file_name": file.get("name", "") if isinstance(file, dict) else "",
        "recalled": recalled,
        "created_at": message.created_at.isoformat(),
    }


def room_summary(
    member: RoomMember,
    *,
    unread: int,
    other: Staff | None = None,
    last_message: Message | None = None,
    waiting_since: Any = None,
) -> dict[str, Any]:
    """One row of the room list: what it shows (title, avatar, channel, last message,
    unread, who waits) and the viewer's membership (role, mute, read marker)."""
    room = member.room
    enquiry = room.enquiry
    extras = room_list_extras(room)
    avatar = other.avatar_url if other else extras.get("avatar_url", "")
    return {
        "id": room.pk,
        "kind": room.kind,
        "title": _room_title(room, other),
        "name": room.name,
        "is_private": room.is_private,
        "enquiry": {"id": enquiry.pk, "status": enquiry.status} if enquiry else None,
        "other": staff_ref(other) if other else None,
        "channel": extras.get("channel"),
        "avatar_url": avatar or "",
        "last_message_at": room.last_message_at.isoformat() if room.last_message_at else None,
        "last_message": last_message_summary(last_message),
        "waiting_since": waiting_since.isoformat() if waiting_since and extras.get("awaits_reply") else None,
        "unread": unread,
        "role": member.role,
        "mute": member.mute,
        "last_read_message_id": member.last_read_message_id,
    }


def room_list_data(staff: Staff, members: list[RoomMember]) -> list[dict[str, Any]]:
    """Room list rows for memberships from ``room_memberships`` (annotated). Two queries
    whatever the number of rows: the direct rooms' partners and the last messages."""
    partners = direct_partners(staff, [m.room_id for m in members if m.room.kind == Room.Kind.DIRECT])
    last_ids = [m.last_message_id for m in members if m.last_message_id]  # type: ignore[attr-defined]
    last = (
        {m.pk: m for m in Message.objects.filter(pk__in=last_ids).select_related("author_staff", "author_visitor")}
        if last_ids
        else {}
    )
    return [
        room_summary(
            m,
            unread=m.unread,  # type: ignore[attr-defined]
            other=partners.get(m.room_id),
            last_message=last.get(m.last_message_id),  # type: ignore[attr-defined]
            waiting_since=m.waiting_since,  # type: ignore[attr-defined]
        )
        for m in members
    ]


def room_info(viewer: Staff, room_id: int) -> dict[str, Any]:
    """The room information panel (SPEC 4) for a room ``viewer`` may see (``access_room``):
    members with roles, the viewer's own mute mode and unread count (None when an admin
    monitors without being a member), and per kind: enquiry, visitor, device, UTM and
    destination information; the direct contact; a space's name and description."""
    access_room(viewer, room_id)
    room = Room.objects.select_related(
        "enquiry__channel",
        "enquiry__visitor",
        "enquiry__owner",
        "enquiry__destination__tag",
        "enquiry__destination__staff",
    ).get(pk=room_id)
    members = list(room.members.select_related("staff").order_by("joined_at", "id"))
    me = next((m for m in members if m.staff_id == viewer.pk), None)
    data: dict[str, Any] = {
        "id": room.pk,
        "kind": room.kind,
        "name": room.name,
        "description": room.description,
        "is_private": room.is_private,
        "created_at": room.created_at.isoformat(),
        "last_message_at": room.last_message_at.isoformat() if room.last_message_at else None,
        "members": [
            {
                **staff_ref(m.staff),
                "email": m.staff.email,
                "role": m.role,
                "availability": m.staff.availability,
            }
            for m in members
        ],
        "me": (
            {
                "role": me.role,
                "mute": me.mute,
                "last_read_message_id": me.last_read_message_id,
                "unread": room_unread_count(me),
            }
            if me
            else None
        ),
        "contact": None,
    }
    if room.kind == Room.Kind.ENQUIRY and room.enquiry is not None:
        data.update(owner_info(room))
    if room.kind == Room.Kind.DIRECT:
        other = next((m.staff for m in members if m.staff_id != viewer.pk), None)
        if other is not None:
            data["contact"] = {
                **staff_ref(other),
                "email": other.email,
                "phone": other.phone,
                "time_zone": staff_time_zone(other),
                "availability": other.availability,
            }
    return data


def should_notify(member: RoomMember, message: Message) -> bool:
    """Whether ``member`` gets a notification (sound, browser notification) for ``message``.

    mute "all": every message from someone else; "mentions": only when the message
    mentions them or ``@all``; "mute": never. Nobody is notified of their own messages.
    """
    if message.author_staff_id is not None and message.author_staff_id == member.staff_id:
        return False
    if member.mute == RoomMember.Mute.ALL:
        return True
    if member.mute == RoomMember.Mute.MENTIONS:
        data = message.data if isinstance(message.data, dict) else {}
        return bool(data.get("mention_all")) or member.staff_id in (data.get("mentions") or [])
    return False


# ---------------------------------------------------------------- quick replies


def quick_replies_for(staff: Staff, *, prefix: str = "") -> QuerySet[QuickReply]:
    """The staff member's personal quick replies and the shared ones, by shortcut (personal
    first on a tie), optionally only shortcuts starting with ``prefix``."""
    query = QuickReply.objects.filter(Q(owner=staff) | Q(owner__isnull=True))
    if prefix:
        query = query.filter(shortcut__startswith=prefix.lower())
    return query.order_by("shortcut", F("owner_id").asc(nulls_last=True))


def access_quick_reply(staff: Staff, quick_reply_id: int, *, write: bool = False) -> QuickReply:
    """A quick reply ``staff`` may see (own or shared) or, with ``write``, change (own, or
    shared for admins). Raises NotFound / NotAuthorized."""
    reply = QuickReply.objects.filter(pk=quick_reply_id).first()
    if reply is None:
        raise NotFound("Quick reply not found.")
    if reply.owner_id is None:
        if write and not staff.is_admin:
            raise NotAuthorized("Only admins can change shared quick replies.")
        return reply
    if reply.owner_id != staff.pk:
        raise NotAuthorized("This is someone else's quick reply.")
    return reply


def quick_reply_data(reply: QuickReply) -> dict[str, Any]:
    return {
        "id": reply.pk,
        "shortcut": reply.shortcut,
        "text": reply.text,
        "shared": reply.owner_id is None,
        "owner": reply.owner_id,
        "created_at": reply.created_at.isoformat(),
    }
