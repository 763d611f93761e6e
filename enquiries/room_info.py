"""The enquiry's part of a room's information panel, given to rooms through
``rooms.hooks.register_owner_info`` (EnquiriesConfig.ready())."""

from __future__ import annotations

from typing import Any

from enquiries.selectors import duration_seconds, first_response_seconds, visitor_data
from rooms.models import Room
from rooms.selectors import staff_ref


def enquiry_room_info(room: Room) -> dict[str, Any]:
    """The enquiry, visitor, device, UTM and destination parts of an enquiry room's
    information panel (``rooms.selectors.room_info``; the room is loaded with its enquiry's
    channel, visitor, owner and destination)."""
    enquiry = room.enquiry
    assert enquiry is not None
    visitor = enquiry.visitor
    channel = enquiry.channel
    dest = enquiry.destination
    device = visitor.device if isinstance(visitor.device, dict) else {}
    endpoint = dest.tag.name if dest.tag else (dest.staff.display_name if dest.staff else "")
    return {
        "enquiry": {
            "id": enquiry.pk,
            "status": enquiry.status,
            "kind": enquiry.kind,
            "channel": channel.kind,
            "channel_detail": {"id": channel.pk, "name": channel.name, "identity": visitor.channel_identity},
            "language": visitor.language,
            "location": device.get("location", ""),
            "topic": enquiry.topic,
            "owner": staff_ref(enquiry.owner) if enquiry.owner else None,
            "created_at": enquiry.created_at.isoformat(),
            "picked_up_at": enquiry.picked_up_at.isoformat() if enquiry.picked_up_at else None,
            "resolved_at": enquiry.resolved_at.isoformat() if enquiry.resolved_at else None,
            "auto_close_at": enquiry.auto_close_at.isoformat() if enquiry.auto_close_at else None,
            "closed_at": enquiry.closed_at.isoformat() if enquiry.closed_at else None,
            "first_response_seconds": first_response_seconds(enquiry),
            "duration_seconds": duration_seconds(enquiry),
        },
        "visitor": visitor_data(visitor),
        "device": device,
        "utm": visitor.utm,
        "destination": {"id": dest.pk, "name": dest.name, "type": dest.type, "endpoint": endpoint},
    }
