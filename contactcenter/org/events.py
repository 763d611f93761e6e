"""Every realtime event the server sends (SPEC section 8), typed in one place.

Each event is ``{"type": "<noun>.<verb>", "data": {...}}`` on the wire.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar


@dataclasses.dataclass(frozen=True)
class Event:
    type: ClassVar[str]

    def payload(self) -> dict[str, Any]:
        # Shallow: the field values are fresh dicts/lists built for the event, never mutated
        # afterwards (dataclasses.asdict deep-copied every message twice per post).
        return {"type": self.type, "data": {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}}


# Group names. Staff sockets join staff.<id> (and "admins" for admins); visitor sockets
# join visitor.<id> and widget.<channel id>; both join room.<id> for the rooms they may see.
def staff_group(staff_id: int) -> str:
    return f"staff.{staff_id}"


def visitor_group(visitor_id: int) -> str:
    return f"visitor.{visitor_id}"


def room_group(room_id: int) -> str:
    return f"room.{room_id}"


def widget_channel_group(channel_id: int) -> str:
    """The visitor sockets of one widget / web link channel: what its public directory
    shows changed (``staff.availability``, ``tag.availability``)."""
    return f"widget.{channel_id}"


ADMINS_GROUP = "admins"


@dataclasses.dataclass(frozen=True)
class EnquiryOpened(Event):
    """A new enquiry (or an offered transfer) arrived in the receiver's Open Enquiry panel."""

    type: ClassVar[str] = "enquiry.opened"
    enquiry: dict[str, Any]
    transfer_id: int | None = None


@dataclasses.dataclass(frozen=True)
class EnquiryUpdated(Event):
    """To the staff in the enquiry's room and admins: what the room information panel shows
    of it changed (``fields``: "topic", "tags", "visitor"); the panel and the Inbox load it again."""

    type: ClassVar[str] = "enquiry.updated"
    enquiry_id: int
    room_id: int
    fields: list[str]


@dataclasses.dataclass(frozen=True)
class EnquiryTaken(Event):
    """Someone else picked the enquiry up (or the receiver rejected it): drop it from the panel."""

    type: ClassVar[str] = "enquiry.taken"
    enquiry_id: int
    owner_id: int | None
    owner_name: str


@dataclasses.dataclass(frozen=True)
class EnquiryPickedUp(Event):
    """To the visitor and admins: the enquiry has an owner."""

    type: ClassVar[str] = "enquiry.picked_up"
    enquiry: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class EnquiryRejected(Event):
    type: ClassVar[str] = "enquiry.rejected"
    enquiry_id: int


@dataclasses.dataclass(frozen=True)
class EnquiryMissed(Event):
    type: ClassVar[str] = "enquiry.missed"
    enquiry_id: int
    reason: str


@dataclasses.dataclass(frozen=True)
class EnquiryTransferred(Event):
    """state: "offered" (transfer started), "accepted" or "lapsed". ``reason`` says why a
    transfer lapsed: "timeout", "rejected", or what ended it first ("closed", "resolved",
    "taken_over")."""

    type: ClassVar[str] = "enquiry.transferred"
    enquiry_id: int
    transfer_id: int
    state: str
    owner_id: int | None
    owner_name: str
    reason: str = ""
    from_id: int | None = None  # "accepted": the previous owner


@dataclasses.dataclass(frozen=True)
class EnquiryResolved(Event):
    """Also sent when the owner keeps a resolved enquiry open (``auto_close_at`` None)."""

    type: ClassVar[str] = "enquiry.resolved"
    enquiry_id: int
    auto_close_at: str | None = None


@dataclasses.dataclass(frozen=True)
class EnquiryReopened(Event):
    type: ClassVar[str] = "enquiry.reopened"
    enquiry_id: int


@dataclasses.dataclass(frozen=True)
class EnquiryClosed(Event):
    type: ClassVar[str] = "enquiry.closed"
    enquiry_id: int


@dataclasses.dataclass(frozen=True)
class EnquiryRated(Event):
    type: ClassVar[str] = "enquiry.rated"
    enquiry_id: int
    score: int


@dataclasses.dataclass(frozen=True)
class EnquiryRatingInvited(Event):
    """Staff asked the visitor to rate: the widget reads the enquiry again (can_rate)."""

    type: ClassVar[str] = "enquiry.rating_invited"
    enquiry_id: int


@dataclasses.dataclass(frozen=True)
class EnquiryNoteLeft(Event):
    type: ClassVar[str] = "enquiry.note_left"
    enquiry_id: int


@dataclasses.dataclass(frozen=True)
class EnquiryFollowUp(Event):
    """A missed enquiry's follow-up changed (assignee, handled): the missed lists redraw."""

    type: ClassVar[str] = "enquiry.follow_up"
    enquiry_id: int
    handled: bool
    assignee_id: int | None


@dataclasses.dataclass(frozen=True)
class QueuePosition(Event):
    type: ClassVar[str] = "queue.position"
    enquiry_id: int
    position: int


@dataclasses.dataclass(frozen=True)
class MessageCreated(Event):
    type: ClassVar[str] = "message.created"
    message: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class MessageEdited(Event):
    type: ClassVar[str] = "message.edited"
    message: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class MessagePreview(Event):
    """A message's link preview is ready (fetched after the message was posted): the
    message with ``data.preview``. Not an edit: the message shows no "(edited)"."""

    type: ClassVar[str] = "message.preview"
    message: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class MessageRecalled(Event):
    type: ClassVar[str] = "message.recalled"
    message: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Typing(Event):
    type: ClassVar[str] = "typing"
    room_id: int
    author: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Read(Event):
    type: ClassVar[str] = "read"
    room_id: int
    staff_id: int
    message_id: int


@dataclasses.dataclass(frozen=True)
class RoomMemberJoined(Event):
    type: ClassVar[str] = "room.member_joined"
    room_id: int
    staff_id: int
    staff_name: str
    enquiry_id: int | None


@dataclasses.dataclass(frozen=True)
class RoomMemberLeft(Event):
    type: ClassVar[str] = "room.member_left"
    room_id: int
    staff_id: int


@dataclasses.dataclass(frozen=True)
class RoomTakenOver(Event):
    type: ClassVar[str] = "room.taken_over"
    room_id: int
    enquiry_id: int
    by_id: int
    by_name: str
    previous_owner_id: int | None


@dataclasses.dataclass(frozen=True)
class StaffAvailability(Event):
    type: ClassVar[str] = "staff.availability"
    staff_id: int
    availability: str


@dataclasses.dataclass(frozen=True)
class TagAvailability(Event):
    """To a channel's visitors: a tag of its directory became available (someone serving it
    is active) or unavailable."""

    type: ClassVar[str] = "tag.availability"
    tag_id: int
    available: bool


@dataclasses.dataclass(frozen=True)
class SessionEnded(Event):
    type: ClassVar[str] = "session.ended"
    reason: str


@dataclasses.dataclass(frozen=True)
class MentionCreated(Event):
    """To a mentioned staff member (or every member for ``@all``): notify even when the room
    is muted to "mentions"."""

    type: ClassVar[str] = "mention.created"
    room_id: int
    message: dict[str, Any]
    mention_all: bool


@dataclasses.dataclass(frozen=True)
class VisitorTokenRenewed(Event):
    """To a visitor socket whose token is getting old: store this one instead (sent by the
    consumer itself, not to a group)."""

    type: ClassVar[str] = "visitor.token_renewed"
    token: str


@dataclasses.dataclass(frozen=True)
class NotificationCreated(Event):
    """To the staff member's sockets: a new item in their Notifications list (notifications
    app); ``unread`` is their unread count after it."""

    type: ClassVar[str] = "notification.created"
    notification: dict[str, Any]
    unread: int


@dataclasses.dataclass(frozen=True)
class NotificationRead(Event):
    """To the staff member's sockets (every tab): notifications marked read or unread
    (``ids``; ``all``: every one of theirs), and their unread count after it."""

    type: ClassVar[str] = "notification.read"
    ids: list[int]
    all: bool
    read: bool
    unread: int
