"""Reads of the ai app: who may use assist on an enquiry, the transcript as the provider
reads it, and the call log."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext

from ai.models import AICall
from contactcenter.org.errors import NotAuthorized
from contactcenter.org.models import Staff
from enquiries.models import Enquiry
from enquiries.selectors import access_enquiry
from history.selectors import transcript_messages
from rooms.models import Message

# The data key of a summary saved as a note (a staff-only system message of the room).
SUMMARY_NOTE_KEY = "ai_summary"


def access_assist_enquiry(staff: Staff, enquiry_id: int) -> Enquiry:
    """An enquiry ``staff`` may use AI assist on: admins, and members of its room. Raises
    NotFound (404) for an enquiry that does not exist and NotAuthorized (403) for one the
    caller may not see or is not a member of (the convention of ``access_enquiry``)."""
    enquiry = access_enquiry(staff, enquiry_id)
    if staff.is_admin:
        return enquiry
    room = getattr(enquiry, "room", None)
    if room is None or not room.members.filter(staff=staff).exists():
        raise NotAuthorized(gettext("Only the members of this enquiry's room and admins can use AI assist on it."))
    return enquiry


def _speaker(message: Message) -> str:
    if message.author_visitor_id is not None:
        return "Customer"
    if message.author_staff_id is not None:
        name = message.author_staff.display_name if message.author_staff else ""
        return f"Agent {name}".strip()
    return "System"


def transcript_lines(enquiry: Enquiry) -> list[str]:
    """The conversation as the provider reads it, oldest first: customer, staff and system
    messages, files by name; recalled messages and saved AI summaries left out. Only the
    newest CC_AI_MAX_TRANSCRIPT_CHARS characters."""
    lines: list[str] = []
    for message in transcript_messages(enquiry):
        if message.recalled_at is not None or SUMMARY_NOTE_KEY in (message.data or {}):
            continue
        text = message.text.strip()
        info = (message.data or {}).get("file")
        if isinstance(info, dict):
            text = f"{text} [file: {info.get('name') or 'file'}]".strip()
        if not text:
            continue
        lines.append(f"{_speaker(message)}: {text}")
    budget = settings.CC_AI_MAX_TRANSCRIPT_CHARS
    kept: list[str] = []
    for line in reversed(lines):
        budget -= len(line) + 1
        if budget < 0:
            break
        kept.append(line)
    return list(reversed(kept))


def last_customer_text(enquiry: Enquiry) -> str:
    room = getattr(enquiry, "room", None)
    if room is None:
        return ""
    message = (
        room.messages.filter(author_visitor__isnull=False, recalled_at__isnull=True)
        .exclude(text="")
        .order_by("-id")
        .first()
    )
    return message.text if message else ""


def customer_language(enquiry: Enquiry) -> str:
    visitor = enquiry.visitor
    device = visitor.device if isinstance(visitor.device, dict) else {}
    return str(visitor.language or device.get("language") or "")


def ai_calls(*, staff_id: int | None = None, enquiry_id: int | None = None) -> QuerySet[AICall]:
    query = AICall.objects.select_related("staff").order_by("-id")
    if staff_id is not None:
        query = query.filter(staff_id=staff_id)
    if enquiry_id is not None:
        query = query.filter(enquiry_id=enquiry_id)
    return query


def ai_call_data(call: AICall) -> dict[str, Any]:
    return {
        "id": call.pk,
        "staff": {"id": call.staff_id, "name": call.staff.display_name} if call.staff else None,
        "enquiry": call.enquiry_id,
        "purpose": call.purpose,
        "provider": call.provider,
        "model": call.model,
        "streamed": call.streamed,
        "tokens_in": call.tokens_in,
        "tokens_out": call.tokens_out,
        "duration_ms": call.duration_ms,
        "attempts": call.attempts,
        "outcome": call.outcome,
        "status": call.status,
        "error": call.error,
        "created_at": call.created_at.isoformat(),
    }
