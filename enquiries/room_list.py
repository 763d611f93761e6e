"""The enquiry's part of a room list row, given to rooms through
``rooms.hooks.register_room_list_extras`` (EnquiriesConfig.ready())."""

from __future__ import annotations

from typing import Any

from enquiries.models import Enquiry
from rooms.models import Room

# An enquiry whose customer may still be waiting for an answer (the room list's "waiting").
_AWAITING = {Enquiry.Status.OPEN, Enquiry.Status.HANDLING}


def enquiry_room_list_extras(room: Room) -> dict[str, Any]:
    """The channel's kind, the visitor's photo (the server's copy, as in
    ``enquiries.selectors.visitor_data``) and whether the customer's unanswered messages
    count as waiting. The room comes loaded with its enquiry, visitor and channel: no query."""
    enquiry = room.enquiry
    assert enquiry is not None
    visitor = enquiry.visitor
    return {
        "channel": enquiry.channel.kind,
        "avatar_url": f"/api/v1/visitors/{visitor.pk}/photo" if visitor.photo_url else "",
        "awaits_reply": enquiry.status in _AWAITING,
    }
