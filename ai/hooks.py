"""Hooks of the ai app, registered by the apps above it at startup (the robot registers its
knowledge base as context for smart replies)."""

from __future__ import annotations

from collections.abc import Callable

# (enquiry_id, query text, limit) -> short texts to give the provider as context (e.g. the
# best matching knowledge-base articles, "Q: ... A: ...").
ReplyContextProvider = Callable[[int, str, int], list[str]]

_reply_context_providers: list[ReplyContextProvider] = []


def register_reply_context(provider: ReplyContextProvider) -> None:
    """Add a source of context for smart replies (called from an AppConfig.ready())."""
    if provider not in _reply_context_providers:
        _reply_context_providers.append(provider)


def reply_context(enquiry_id: int, text: str, limit: int = 3) -> list[str]:
    """Context from every registered provider, in registration order."""
    out: list[str] = []
    for provider in _reply_context_providers:
        out.extend(provider(enquiry_id, text, limit))
    return out
