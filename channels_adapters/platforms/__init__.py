"""Messaging platform adapters and the credentials each kind of channel needs."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from channels_adapters.models import Channel
from channels_adapters.platforms.base import FileSent, Inbound, OutFile, Platform, SendError
from channels_adapters.platforms.credentials import KINDS as CREDENTIAL_KINDS
from channels_adapters.platforms.credentials import OPTIONAL as CREDENTIAL_OPTIONAL
from channels_adapters.platforms.credentials import REQUIRED as CREDENTIAL_REQUIRED
from channels_adapters.platforms.email import email_connection_check
from channels_adapters.platforms.line import Line
from channels_adapters.platforms.meta import Messenger, WhatsApp
from channels_adapters.platforms.twilio import Twilio
from channels_adapters.platforms.wechat import WeChat
from contactcenter.org.errors import InvalidInput

__all__ = [
    "CREDENTIAL_KINDS",
    "PLATFORMS",
    "FileSent",
    "Inbound",
    "OutFile",
    "Platform",
    "SendError",
    "connection_check",
    "credentials_clean",
    "credentials_merge",
    "webhook_path",
]

PLATFORMS: dict[str, Platform] = {p.kind: p for p in (Messenger(), WhatsApp(), Line(), WeChat(), Twilio())}

# Required and optional credential fields per kind (SPEC 6; issue 6 contract), described
# field by field in platforms.credentials.
REQUIRED = CREDENTIAL_REQUIRED
OPTIONAL = CREDENTIAL_OPTIONAL


def webhook_path(kind: str, channel_id: int) -> str | None:
    return f"/webhooks/{kind}/{channel_id}/" if kind in PLATFORMS else None


def credentials_clean(kind: str, credentials: Any) -> dict[str, Any]:
    """The credentials of a new channel of ``kind``, checked field by field. Widget and web
    link channels take none. Raises InvalidInput naming the missing or bad field."""
    if kind not in REQUIRED:
        return dict(credentials or {})
    if not isinstance(credentials, dict):
        raise InvalidInput.field("credentials", "credentials must be an object.")
    allowed = set(REQUIRED[kind]) | set(OPTIONAL.get(kind, ()))
    unknown = sorted(set(credentials) - allowed)
    if unknown:
        raise InvalidInput.field("credentials", f"Unknown credentials field for {kind}: {', '.join(unknown)}.")
    clean: dict[str, Any] = {}
    for name in REQUIRED[kind]:
        value = credentials.get(name)
        if value in (None, ""):
            raise InvalidInput.field(f"credentials.{name}", f"credentials.{name} is required for a {kind} channel.")
        clean[name] = value
    for name in OPTIONAL.get(kind, ()):
        if credentials.get(name) not in (None, ""):
            clean[name] = credentials[name]
    for name, value in clean.items():
        if name.endswith("_port"):
            if isinstance(value, bool) or not str(value).isdigit() or not 0 < int(value) < 65536:
                raise InvalidInput.field(f"credentials.{name}", f"credentials.{name} must be a port number.")
            clean[name] = int(value)
        elif not isinstance(value, str) or len(value) > 2000 or "\x00" in value:
            raise InvalidInput.field(f"credentials.{name}", f"credentials.{name} must be text.")
    if kind == "wechat" and "encoding_aes_key" in clean:
        try:
            ok = len(clean["encoding_aes_key"]) == 43 and len(base64.b64decode(clean["encoding_aes_key"] + "=")) == 32
        except (binascii.Error, ValueError):
            ok = False
        if not ok:
            raise InvalidInput.field(
                "credentials.encoding_aes_key", "credentials.encoding_aes_key must be the 43-character EncodingAESKey."
            )
    if kind == "sms" and not (clean.get("from_number") or clean.get("messaging_service_sid")):
        raise InvalidInput.field(
            "credentials.from_number", "Give the sending number (From) or a Messaging Service SID for an SMS channel."
        )
    if kind == "email":
        if "@" not in clean["address"]:
            raise InvalidInput.field("credentials.address", "credentials.address must be an email address.")
        if clean.get("smtp_security", "auto") not in ("auto", "starttls", "ssl", "none"):
            raise InvalidInput.field(
                "credentials.smtp_security", "credentials.smtp_security must be auto, starttls, ssl or none."
            )
    return clean


def credentials_merge(kind: str, saved: dict[str, Any], given: Any) -> dict[str, Any]:
    """The credentials after an edit: each field given with a value replaces the saved one,
    an empty one ("") keeps it (the API never shows them back, so a form sends only what
    the admin typed), null removes an optional field. Checked as by credentials_clean."""
    if not isinstance(given, dict):
        raise InvalidInput.field("credentials", "credentials must be an object.")
    merged = dict(saved or {})
    for name, value in given.items():
        if value is None:
            merged.pop(name, None)
        elif value != "":
            merged[name] = value
    if kind not in REQUIRED:
        return merged
    allowed = set(REQUIRED[kind]) | set(OPTIONAL.get(kind, ()))
    # Fields of another kind kept from before are dropped rather than refused.
    return credentials_clean(kind, {k: v for k, v in merged.items() if k in allowed or k in given})


def connection_check(kind: str, credentials: dict[str, Any], *, channel_id: int | None = None) -> str:
    """Call the platform's API with ``credentials`` (already clean) and say what answered,
    e.g. the WhatsApp number's name. Raises SendError with the platform's own error."""
    if kind == "email":
        return email_connection_check(credentials)
    platform = PLATFORMS.get(kind)
    if platform is None:
        raise SendError(f"A {kind} channel has no platform account to test.", retryable=False)
    # An unsaved Channel carries the credentials (a saved one's id keys WeChat's token cache).
    return platform.check(Channel(pk=channel_id, kind=kind, credentials=credentials))
