"""The enquiry's part of a room's information panel, given to rooms through
``rooms.hooks.register_owner_info`` (EnquiriesConfig.ready())."""

from __future__ import annotations

from typing import Any

from contactcenter.org.models import Staff
from enquiries.selectors import follow_up_data, staff_may_view_room, visitor_data
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
            "closed_at": enquiry.closed_at.isoformat() if enquiry.closed_at else None,
            "missed_at": enquiry.missed_at.isoformat() if enquiry.missed_at else None,
            "missed_reason": enquiry.missed_reason or None,
            "note": _note(enquiry),
            "follow_up": follow_up_data(enquiry) if enquiry.status == enquiry.Status.MISSED else None,
        },
        "visitor": visitor_data(visitor),
        "device": device,
        "utm": visitor.utm,
        "destination": {"id": dest.pk, "name": dest.name, "type": dest.type, "endpoint": endpoint},
    }


def _note(enquiry: Any) -> dict[str, str] | None:
    note = getattr(enquiry, "note", None)
    return {"text": note.text, "contact": note.contact} if note else None


def enquiry_room_viewer(staff: Staff, room: Room) -> bool:
    """May ``staff`` (not a member) look at this enquiry room: offered to them, or missed
    and theirs to follow up."""
    return room.enquiry_id is not None and staff_may_view_room(staff, room.enquiry_id)
