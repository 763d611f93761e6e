"""Where a customer's message goes (SPEC 3, SPEC 6): the one "a customer wrote" service.

The channel adapters (messaging platforms, email) hand each customer message to
:func:`customer_wrote`, which puts it where it belongs and posts it through the rooms'
posting pipeline (kind "platform"):

- a mail replying to one of ours (In-Reply-To/References): the enquiry of that thread,
  unless it is closed;
- no enquiry yet, or the last one is closed: a new enquiry (its first message; a media
  message opens it, then goes in as a file message of its own);
- open, handling or resolved: the message joins it (a resolved one reopens to its owner,
  ``enquiries.posting``);
- missed less than ``CC_PLATFORM_MISSED_JOIN_SECONDS`` ago: the message is added to the
  missed enquiry's room, where staff following up on the missed list read it (a platform
  customer has no note form; nothing they write is lost). Later: a new enquiry.

The widget (and web links, which are the widget on a page of its own) asks its customer
instead: "start" opens an enquiry (``enquiry_open``; refused while one is in progress),
posts go to the room the customer is in (``rooms.services.message_post``, whose rules are
``enquiries.posting``), a note is left on a missed one (``enquiry_leave_note``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings

from contactcenter.org import clock
from enquiries.models import Enquiry, Visitor
from enquiries.services import enquiry_open
from rooms import services as room_services
from rooms.models import Message, Room

LIVE = (Enquiry.Status.OPEN, Enquiry.Status.HANDLING, Enquiry.Status.RESOLVED)

if TYPE_CHECKING:  # the type only: channels_adapters is above this app
    from channels_adapters.models import Channel


@dataclass(frozen=True)
class Wrote:
    """Where a customer's message went: its enquiry, the message posted (the file message
    when there is one) and whether the enquiry was opened by it."""

    enquiry: Enquiry
    message: Message
    opened: bool


def current_enquiry(visitor: Visitor) -> Enquiry | None:
    """The customer's latest enquiry (any status)."""
    return Enquiry.objects.filter(visitor=visitor).order_by("-created_at", "-id").first()


def _room_id(enquiry: Enquiry) -> int:
    return Room.objects.filter(enquiry=enquiry).values_list("id", flat=True).get()


def _post(enquiry: Enquiry, visitor: Visitor, kind: str, text: str, data: dict[str, Any]) -> Message:
    request = room_services.PostRequest(
        _room_id(enquiry), text, visitor=visitor, kind="platform", data=data, message_kind=kind
    )
    message, _created = room_services.message_post_request(request)
    return message


def customer_wrote(
    *,
    channel: Channel,
    visitor: Visitor,
    text: str,
    data: dict[str, Any],
    file_info: dict[str, Any] | None = None,
    thread: Enquiry | None = None,
) -> Wrote:
    """Put one message of a platform or email customer where it belongs (module
    docstring). ``data["media"]`` (a platform's media still loading) or ``file_info`` (a
    stored attachment) make it a file message. Caller is inside a transaction and holds the
    visitor's row lock (so two messages of one customer cannot open two enquiries)."""
    kind = Message.Kind.FILE if file_info or data.get("media") else Message.Kind.TEXT
    message_data = {**data, **({"file": file_info} if file_info else {})}
    text = text[: settings.CC_MESSAGE_MAX_CHARS]
    current = thread if thread is not None and thread.status != Enquiry.Status.CLOSED else current_enquiry(visitor)
    if current is not None and current.status in LIVE:
        return Wrote(current, _post(current, visitor, kind, text, message_data), opened=False)
    join_missed = dt.timedelta(seconds=settings.CC_PLATFORM_MISSED_JOIN_SECONDS)
    if (
        current is not None
        and current.status == Enquiry.Status.MISSED
        and current.missed_at is not None
        and clock.now() - current.missed_at < join_missed
    ):
        return Wrote(current, _post(current, visitor, kind, text, message_data), opened=False)
    # A media message opens the enquiry, then goes in as a file message of its own.
    first_text = text if kind == Message.Kind.TEXT else ""
    enquiry = enquiry_open(
        channel=channel,
        visitor=visitor,
        message=first_text,
        message_data=message_data if first_text else None,
        posted_as="platform",
    )
    if kind == Message.Kind.FILE:
        message = _post(enquiry, visitor, kind, text, message_data)
        if not enquiry.first_message:
            category = (file_info or data.get("media") or {}).get("category") or "file"
            enquiry.first_message = text or f"[{category}]"
            enquiry.save(update_fields=["first_message"])
    else:
        first = Message.objects.filter(room__enquiry=enquiry, author_visitor=visitor).order_by("-id").first()
        assert first is not None  # enquiry_open posted it
        message = first
    return Wrote(enquiry, message, opened=True)
