"""The one way to talk to the AI provider (issue 16). Everything that sends text to a
provider (assist, the robot, VOC's optional scorer) calls ``ai_chat``; nothing else opens a
connection to one. Without a configured provider nothing is sent: ``ai_configured()`` is
false and ``ai_chat`` raises ``AINotConfigured``.

This module is the seam between the assist and the robot: its names and signatures are the
contract; the implementation (configuration, the ``openai`` client for both Azure and
OpenAI-compatible servers, retries, rate limit, redaction, call log) lives behind them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator


class AIError(Exception):
    """A provider call failed. ``status`` is what the API answers (502 bad answer, 503
    unavailable / not configured / rate limited, 504 timeout) and ``detail`` the message."""

    status = 502

    def __init__(self, detail: str, *, status: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status


class AINotConfigured(AIError):
    status = 503


@dataclasses.dataclass(frozen=True)
class AIResult:
    text: str
    tokens_in: int = 0
    tokens_out: int = 0


def ai_configured() -> bool:
    """True when an admin (or the environment) configured a provider."""
    return False


def ai_chat(
    messages: list[dict[str, str]],
    *,
    purpose: str,
    staff_id: int | None = None,
    enquiry_id: int | None = None,
    max_tokens: int | None = None,
) -> AIResult:
    """One chat completion: ``messages`` as the OpenAI chat format (role/content). ``purpose``
    ("summary", "reply", "labels", "robot", ...) and the ids go to the call log. Raises
    ``AIError`` (never anything else) when the provider fails."""
    raise AINotConfigured("No AI provider is configured.")


def ai_chat_stream(
    messages: list[dict[str, str]],
    *,
    purpose: str,
    staff_id: int | None = None,
    enquiry_id: int | None = None,
    max_tokens: int | None = None,
) -> Iterator[str]:
    """As ``ai_chat``, yielding the text as the provider streams it."""
    raise AINotConfigured("No AI provider is configured.")
