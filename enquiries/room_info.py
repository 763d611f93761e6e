"""The enquiry's part of a room's information panel, given to rooms through
``rooms.hooks.register_owner_info`` (EnquiriesConfig.ready())."""

from __future__ import annotations

from typing import Any

from contactcenter.org.models import Staff
from enquiries.selectors import (
    conversation_tags_of,
    duration_seconds,
    first_response_seconds,
    follow_up_data,
    note_data,
    staff_may_view_room,
    visitor_data,
)
from rooms.models import Room
from rooms.selectors import staff_ref


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def customer_origin(profile_language: str, device: dict[str, Any], country: str) -> list[dict[str, str]]:
    """Where the customer is and what language they speak, each fact with where it came
    from: ``profile`` (the platform's profile), ``browser`` (what the widget's browser
    reported: language, time zone; ``_clean_device`` kept only well-formed ones), or
    ``ip_address`` (the country of the address the enquiry came from, looked up offline)."""
    facts: list[dict[str, str]] = []
    if profile_language:
        facts.append({"kind": "language", "value": profile_language, "known_from": "profile"})
    elif _text(device.get("language")):
        facts.append({"kind": "language", "value": device["language"], "known_from": "browser"})
    if _text(device.get("time_zone")):
        facts.append({"kind": "time_zone", "value": device["time_zone"], "known_from": "browser"})
    if country:
        facts.append({"kind": "country", "value": country, "known_from": "ip_address"})
    return facts


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
            "channel": enquiry.via or channel.kind,
            "channel_kind": channel.kind,
            "channel_detail": {"id": channel.pk, "name": channel.name, "identity": visitor.channel_identity},
            "language": visitor.language or _text(device.get("language")),
            "location": _text(device.get("location")),
            "origin": customer_origin(visitor.language, device, enquiry.client_country),
            "topic": enquiry.topic,
            "tags": conversation_tags_of([enquiry.pk])[enquiry.pk],
            "owner": staff_ref(enquiry.owner) if enquiry.owner else None,
            "created_at": enquiry.created_at.isoformat(),
            "picked_up_at": enquiry.picked_up_at.isoformat() if enquiry.picked_up_at else None,
            "resolved_at": enquiry.resolved_at.isoformat() if enquiry.resolved_at else None,
            "auto_close_at": enquiry.auto_close_at.isoformat() if enquiry.auto_close_at else None,
            "closed_at": enquiry.closed_at.isoformat() if enquiry.closed_at else None,
            "first_response_seconds": first_response_seconds(enquiry),
            "duration_seconds": duration_seconds(enquiry),
            "missed_at": enquiry.missed_at.isoformat() if enquiry.missed_at else None,
            "missed_reason": enquiry.missed_reason or None,
            "note": _note(enquiry),
            "rated": enquiry.rating_score is not None,
            "follow_up": follow_up_data(enquiry) if enquiry.status == enquiry.Status.MISSED else None,
        },
        "visitor": visitor_data(visitor),
        "device": device,
        "utm": visitor.utm,
        "destination": {"id": dest.pk, "name": dest.name, "type": dest.type, "endpoint": endpoint},
    }


def _note(enquiry: Any) -> dict[str, Any] | None:
    note = getattr(enquiry, "note", None)
    return note_data(note) if note else None


def enquiry_room_viewer(staff: Staff, room: Room) -> bool:
    """May ``staff`` (not a member) look at this enquiry room: offered to them, or missed
    and theirs to follow up."""
    return room.enquiry_id is not None and staff_may_view_room(staff, room.enquiry_id)
