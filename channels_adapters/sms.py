"""Sending an SMS to the customer's phone from an enquiry's room (issue 17, "Sending SMS").

When the customer of an enquiry of another channel (the widget, a web link, WhatsApp...)
has a phone number with its country code and an SMS channel (Twilio) is active, a member
of the room may send a text to that number. It is posted in the room as the agent's
message, marked ``data.sms = {"to", "channel"}``, through the one posting service; the
outbound hooks (``channels_adapters.outbound``) send it through the SMS channel instead
of the conversation's own channel, with the same retries, delivery states and Retry.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _

from channels_adapters.models import Channel
from channels_adapters.platforms.twilio import SMS_MAX
from contactcenter.org.errors import Conflict, InvalidInput, NotFound
from contactcenter.org.models import Staff
from enquiries.models import Enquiry
from rooms.models import Message, Room, RoomMember
from rooms.services import PostRequest, message_post_request

_PHONE = re.compile(r"\+[1-9]\d{6,14}")
_SEPARATORS = re.compile(r"[\s().\-/]")


def sms_phone(raw: str) -> str:
    """The number in E.164 form (+ and 7 to 15 digits), or "" when ``raw`` is not one (a
    number without its country code cannot be sent to)."""
    phone = _SEPARATORS.sub("", raw or "")
    if phone.startswith("00"):
        phone = "+" + phone[2:]
    return phone if _PHONE.fullmatch(phone) else ""


def sms_channel() -> Channel | None:
    """The SMS channel messages from rooms go out through: the oldest active one."""
    return Channel.objects.filter(kind=Channel.Kind.SMS, is_active=True).order_by("id").first()


def _room_enquiry(staff: Staff, room_id: int) -> Enquiry:
    room = Room.objects.filter(pk=room_id).select_related("enquiry__visitor", "enquiry__channel").first()
    if room is None or not RoomMember.objects.filter(room=room, staff=staff).exists():
        raise NotFound(_("Room not found."))
    if room.enquiry is None:
        raise Conflict(_("SMS can only be sent from an enquiry's room."), code="not_enquiry")
    return room.enquiry


def sms_target(*, staff: Staff, room_id: int) -> dict[str, Any]:
    """Whether the room's customer can get an SMS now: {available, phone, channel_name,
    reason} (reason: why not, in words for staff)."""
    enquiry = _room_enquiry(staff, room_id)
    phone = sms_phone(enquiry.visitor.phone)
    channel = sms_channel()
    reason = ""
    if enquiry.channel.kind == Channel.Kind.SMS:
        reason = _("This conversation is by SMS already: your replies go to the customer's phone.")
    elif channel is None:
        reason = _("No SMS channel is set up (Channels → Add channel → SMS).")
    elif not enquiry.visitor.phone:
        reason = _("The customer has no phone number.")
    elif not phone:
        reason = _("The customer's phone number needs its country code (for example +44 20 7946 0000).")
    elif enquiry.status == Enquiry.Status.CLOSED:
        reason = _("This conversation is closed.")
    return {
        "available": not reason,
        "phone": phone or enquiry.visitor.phone,
        "channel_name": channel.name if channel is not None else "",
        "reason": reason,
    }


def sms_send(*, actor: Staff, room_id: int, text: Any, client_id: Any = "") -> Message:
    """Send ``text`` by SMS to the customer of the enquiry of ``room_id``, posted in the room
    as ``actor``'s message. Refused (409, with the reason) when ``sms_target`` says it is
    not available; 400 for an empty or too long text. A retry with the same ``client_id``
    sends nothing twice."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput.field("text", _("Write the text of the SMS."))
    if len(text) > SMS_MAX:
        raise InvalidInput.field("text", _("An SMS is at most %(n)s characters.") % {"n": SMS_MAX})
    target = sms_target(staff=actor, room_id=room_id)
    if not target["available"]:
        raise Conflict(target["reason"], code="sms_unavailable")
    channel = sms_channel()
    assert channel is not None
    message, _created = message_post_request(
        PostRequest(
            room_id=room_id,
            text=text.strip(),
            client_id=client_id,
            staff=actor,
            data={"sms": {"to": target["phone"], "channel": channel.pk}},
        )
    )
    return message
