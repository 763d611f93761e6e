"""System messages the visitor reads, worded in the reader's language (README "Languages").

Such a message is stored with its English text (what staff, the event log and platforms
read) and ``data["text_code"]`` / ``data["text_params"]`` (the values: names, never
translated). ``rooms.selectors.message_data(..., for_visitor=True)`` words it again in the
active language: the visitor's (their request's, or the one their socket and the events sent
to them are read in). The apps that post them register their texts (msgids marked with
gettext_noop, so that makemessages extracts them) in their ``AppConfig.ready()``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext

_TEXTS: dict[str, str] = {}


def register_system_texts(texts: Mapping[str, str]) -> None:
    """``code -> English text`` with %(name)s placeholders (a code registered twice keeps
    the last text)."""
    _TEXTS.update(texts)


def system_message_fields(
    code: str, params: Mapping[str, str] | None = None, *, data: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """``text`` (English) and ``data`` of a system message with the registered text ``code``:
    ``system_message_post(room_id=..., **system_message_fields("joined", {"name": name}))``."""
    template = _TEXTS[code]
    values = dict(params or {})
    return {
        "text": template % values,
        "data": {**(data or {}), "text_code": code, "text_params": values},
    }


def has_system_text(data: Mapping[str, Any]) -> bool:
    return isinstance(data.get("text_code"), str) and data["text_code"] in _TEXTS


def system_text(data: Mapping[str, Any], fallback: str) -> str:
    """The message's text in the active language (``fallback``, the stored text, for a
    message without a registered code or with broken parameters)."""
    if not has_system_text(data):
        return fallback
    params = data.get("text_params") or {}
    try:
        return gettext(_TEXTS[data["text_code"]]) % params
    except (KeyError, TypeError, ValueError):
        return fallback
