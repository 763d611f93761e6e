"""State changes of quick replies: personal (owner set) and shared (owner null) phrases
inserted by a shortcut (SPEC 4)."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from contactcenter.org.errors import Conflict, InvalidInput, NotAuthorized
from contactcenter.org.models import Staff
from rooms.models import QuickReply
from rooms.selectors import access_quick_reply

SHORTCUT_RE = re.compile(r"[a-z0-9_-]{1,40}")
TEXT_MAX = 2000  # and never more than a message may hold (CC_MESSAGE_MAX_CHARS)


def _clean_shortcut(shortcut: Any) -> str:
    if not isinstance(shortcut, str) or not SHORTCUT_RE.fullmatch(shortcut):
        raise InvalidInput.field("shortcut", "A shortcut is 1-40 characters of a-z, 0-9, _ and -.")
    return shortcut


def _clean_text(text: Any) -> str:
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput.field("text", "A quick reply needs text.")
    text = text.strip()
    limit = min(TEXT_MAX, settings.CC_MESSAGE_MAX_CHARS)
    if len(text) > limit:
        raise InvalidInput.field("text", f"A quick reply is limited to {limit} characters.")
    return text


def _taken() -> Conflict:
    return Conflict("A quick reply with this shortcut already exists.", code="shortcut_taken")


def quick_reply_create(*, actor: Staff, shortcut: Any, text: Any, shared: bool = False) -> QuickReply:
    """A personal quick reply, or a shared one (admins only). The shortcut is unique per
    owner (and among shared replies): a second one is a 409."""
    clean_shortcut = _clean_shortcut(shortcut)
    clean_text = _clean_text(text)
    if not isinstance(shared, bool):
        raise InvalidInput.field("shared", "shared must be true or false.")
    if shared and not actor.is_admin:
        raise NotAuthorized("Only admins can create shared quick replies.")
    try:
        with transaction.atomic():
            return QuickReply.objects.create(owner=None if shared else actor, shortcut=clean_shortcut, text=clean_text)
    except IntegrityError:
        raise _taken() from None


def quick_reply_update(*, actor: Staff, quick_reply_id: int, changes: dict[str, Any]) -> QuickReply:
    """Change the shortcut or text: the owner, or an admin for a shared reply."""
    unknown = set(changes) - {"shortcut", "text"}
    if unknown:
        name = sorted(unknown)[0]
        raise InvalidInput.field(name, f"{name} cannot be changed.")
    reply = access_quick_reply(actor, quick_reply_id, write=True)
    fields: list[str] = []
    if "shortcut" in changes:
        reply.shortcut = _clean_shortcut(changes["shortcut"])
        fields.append("shortcut")
    if "text" in changes:
        reply.text = _clean_text(changes["text"])
        fields.append("text")
    if fields:
        try:
            with transaction.atomic():
                reply.save(update_fields=fields)
        except IntegrityError:
            raise _taken() from None
    return reply


def quick_reply_delete(*, actor: Staff, quick_reply_id: int) -> None:
    access_quick_reply(actor, quick_reply_id, write=True).delete()
