"""Changes of state in the ai app: the provider configuration an admin saves, the "test
connection" check, and a summary saved as a note on an enquiry."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext

from ai.client import ai_chat
from ai.config import (
    PROVIDERS,
    ai_settings_row,
    env_configured,
    key_decrypt,
    key_encrypt,
    provider_config,
    url_problem,
)
from ai.models import AICall, AISettings
from ai.selectors import SUMMARY_NOTE_KEY, access_assist_enquiry
from contactcenter.org import clock
from contactcenter.org.errors import InvalidInput, NotAuthorized
from contactcenter.org.models import Staff
from rooms.models import Message
from rooms.services import system_message_post

NOTE_MAX_CHARS = 4000
SWEEP_BATCH = 5000
UNSET: Any = object()


def _require_admin(actor: Staff) -> None:
    if not actor.is_admin:
        raise NotAuthorized(gettext("Only admins can configure the AI provider."))


def ai_settings_data() -> dict[str, Any]:
    """The configuration as admins see it: never the key, only whether one is set."""
    row = ai_settings_row()
    env = env_configured()
    if env:
        provider, base_url, model = settings.CC_AI_PROVIDER, settings.CC_AI_BASE_URL, settings.CC_AI_MODEL
        api_version, key_set, key_readable = settings.CC_AI_API_VERSION, bool(settings.CC_AI_API_KEY), True
    else:
        provider, base_url, model, api_version = row.provider, row.base_url, row.model, row.api_version
        key = key_decrypt(row.api_key_encrypted)
        key_set, key_readable = bool(row.api_key_encrypted), key is not None
    return {
        "source": "environment" if env else "settings",
        "provider": provider,
        "base_url": base_url,
        "model": model,
        "api_version": api_version,
        "api_key_set": key_set,
        "api_key_readable": key_readable,
        "redact": row.redact,
        "redact_forced": bool(settings.CC_AI_REDACT),
        "configured": provider_config() is not None,
        "updated_at": row.updated_at.isoformat() if row.updated_at else None,
    }


def ai_settings_update(*, actor: Staff, changes: dict[str, Any]) -> AISettings:
    """An admin saves the provider (``provider``, ``base_url``, ``model``, ``api_version``,
    ``api_key``: "" keeps the saved key, ``clear_api_key`` removes it) and ``redact``. While
    the environment configures the provider only ``redact`` can change here."""
    _require_admin(actor)
    provider_fields = {"provider", "base_url", "model", "api_version", "api_key", "clear_api_key"}
    if env_configured() and any(changes.get(name) not in (None, "", False) for name in provider_fields - {"provider"}):
        raise InvalidInput.field(
            "provider",
            gettext("The provider is set by the environment (CC_AI_PROVIDER); only redaction can change here."),
        )
    provider = changes.get("provider", UNSET)
    if provider is not UNSET and provider not in ("", *PROVIDERS):
        raise InvalidInput.field("provider", gettext("Choose azure, openai or none."))
    base_url = changes.get("base_url", UNSET)
    if isinstance(base_url, str) and base_url.strip() and (problem := url_problem(base_url.strip())):
        raise InvalidInput.field("base_url", gettext("Give %(what)s.") % {"what": problem})
    with transaction.atomic():
        row = AISettings.objects.select_for_update().filter(pk=1).first() or AISettings(pk=1)
        fields = ["updated_at", "updated_by"]
        if not env_configured():
            if provider is not UNSET:
                row.provider = provider
                fields.append("provider")
            for name in ("base_url", "model", "api_version"):
                value = changes.get(name, UNSET)
                if value is not UNSET:
                    setattr(row, name, str(value).strip())
                    fields.append(name)
            if changes.get("clear_api_key"):
                row.api_key_encrypted = ""
                fields.append("api_key_encrypted")
            elif changes.get("api_key"):
                row.api_key_encrypted = key_encrypt(str(changes["api_key"]).strip())
                fields.append("api_key_encrypted")
        if "redact" in changes:
            row.redact = bool(changes["redact"])
            fields.append("redact")
        row.updated_at = clock.now()
        row.updated_by = actor
        if row._state.adding:
            row.save()
        else:
            row.save(update_fields=fields)
    return row


def ai_connection_test(*, actor: Staff, message: str | None = None) -> dict[str, Any]:
    """Send one tiny request to the configured provider; {"ok": true, "ms": ...} or raises
    AIError (the provider's failure) / AINotConfigured."""
    _require_admin(actor)
    started = clock.now()
    result = ai_chat(
        [{"role": "user", "content": message or "Reply with the single word: OK"}],
        purpose="test",
        staff_id=actor.pk,
        max_tokens=20,
    )
    ms = int((clock.now() - started).total_seconds() * 1000)
    return {"ok": True, "ms": ms, "reply": result.text[:40]}


def ai_summary_note_save(*, actor: Staff, enquiry_id: int, text: Any) -> Message:
    """Keep a summary as a note on the enquiry: a staff-only system message of its room, so
    it shows in the room and in History (never to the customer)."""
    enquiry = access_assist_enquiry(actor, enquiry_id)
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput.field("text", gettext("Give the summary to save."))
    if "\x00" in text:
        raise InvalidInput.field("text", gettext("Null characters are not allowed."))
    text = text.strip()
    if len(text) > NOTE_MAX_CHARS:
        raise InvalidInput.field("text", gettext("At most %(count)d characters.") % {"count": NOTE_MAX_CHARS})
    heading = gettext("AI summary, saved by %(name)s") % {"name": actor.display_name}
    with transaction.atomic():
        return system_message_post(
            room_id=enquiry.room.pk,
            text=f"{heading}:\n{text}",
            data={"visibility": "staff", SUMMARY_NOTE_KEY: {"by": actor.pk}},
        )


def ai_calls_sweep(now: dt.datetime | None = None) -> int:
    """Retention: delete call-log rows older than CC_AI_CALLS_KEEP_DAYS (0: keep them all),
    SWEEP_BATCH at a time; how many were deleted. Idempotent, safe from several processes."""
    days = settings.CC_AI_CALLS_KEEP_DAYS
    if days <= 0:
        return 0
    cutoff = (now or clock.now()) - dt.timedelta(days=days)
    total = 0
    while True:
        ids = list(AICall.objects.filter(created_at__lt=cutoff).values_list("id", flat=True)[:SWEEP_BATCH])
        if not ids:
            return total
        deleted, _ = AICall.objects.filter(pk__in=ids).delete()
        total += deleted
        if len(ids) < SWEEP_BATCH:
            return total
