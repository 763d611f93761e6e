"""Messaging platform adapters and the credentials each kind of channel needs."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from channels_adapters.platforms.base import FileSent, Inbound, OutFile, Platform, SendError
from channels_adapters.platforms.line import Line
from channels_adapters.platforms.meta import Messenger, WhatsApp
from channels_adapters.platforms.wechat import WeChat
from contactcenter.org.errors import InvalidInput

__all__ = ["PLATFORMS", "FileSent", "Inbound", "OutFile", "Platform", "SendError", "credentials_clean", "webhook_path"]

PLATFORMS: dict[str, Platform] = {p.kind: p for p in (Messenger(), WhatsApp(), Line(), WeChat())}

# Required and optional credential fields per kind (SPEC 6; issue 6 contract).
REQUIRED: dict[str, tuple[str, ...]] = {
    "messenger": ("page_id", "app_secret", "verify_token", "page_access_token"),
    "whatsapp": ("phone_number_id", "app_secret", "verify_token", "access_token"),
    "line": ("channel_secret", "channel_access_token"),
    "wechat": ("app_id", "app_secret", "token"),
    "email": ("address", "smtp_host", "smtp_port"),
}
OPTIONAL: dict[str, tuple[str, ...]] = {
    "wechat": ("encoding_aes_key",),
    "email": (
        "smtp_username",
        "smtp_password",
        "smtp_security",
        "imap_host",
        "imap_port",
        "imap_username",
        "imap_password",
        "imap_mailbox",
    ),
}


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
    if kind == "email":
        if "@" not in clean["address"]:
            raise InvalidInput.field("credentials.address", "credentials.address must be an email address.")
        if clean.get("smtp_security", "auto") not in ("auto", "starttls", "ssl", "none"):
            raise InvalidInput.field(
                "credentials.smtp_security", "credentials.smtp_security must be auto, starttls, ssl or none."
            )
    return clean
