"""Domain errors raised by services and selectors; the API maps each to one HTTP status."""

from __future__ import annotations

import math

from django.utils.translation import gettext, gettext_lazy


class DomainError(Exception):
    status_code = 400
    default_message: str = gettext_lazy("Request refused.")  # type: ignore[assignment]

    def __init__(self, message: str | None = None, *, code: str = "", fields: dict[str, list[str]] | None = None):
        # Translated now, in the language of the request that raised it (a plain str, for JSON).
        self.message = str(message or self.default_message)
        self.code = code
        self.fields = fields or {}
        super().__init__(self.message)


class InvalidInput(DomainError):
    """Bad input: 400 with field-level messages where there is a field."""

    status_code = 400
    default_message: str = gettext_lazy("Invalid input.")  # type: ignore[assignment]

    @classmethod
    def field(cls, name: str, message: str) -> InvalidInput:
        return cls(message, fields={name: [message]})


class NotAuthorized(DomainError):
    status_code = 403
    default_message: str = gettext_lazy("You do not have permission to do this.")  # type: ignore[assignment]


class NotFound(DomainError):
    status_code = 404
    default_message: str = gettext_lazy("Not found.")  # type: ignore[assignment]


class Conflict(DomainError):
    """A lost race or a state that no longer allows the action: 409."""

    status_code = 409
    default_message: str = gettext_lazy("This can no longer be done.")  # type: ignore[assignment]


# SQLSTATEs of a transaction that PostgreSQL aborted because it lost a race with another
# one over locks: deadlock_detected, serialization_failure, lock_not_available.
_LOST_RACE_SQLSTATES = frozenset({"40P01", "40001", "55P03"})


def lost_race(exc: BaseException | None) -> Conflict | None:
    """The Conflict (409) to answer for a database error that means "another action on the
    same rows won" (the lock order should make these impossible; if one still happens it
    is a lost race, not a server error), or None for any other error. Nothing was written:
    the transaction was rolled back."""
    seen = 0
    while exc is not None and seen < 5:
        code = getattr(exc, "pgcode", None) or getattr(exc, "sqlstate", None)  # psycopg 2 / 3
        if code in _LOST_RACE_SQLSTATES:
            return Conflict(
                gettext("Someone changed this at the same moment; nothing was changed. Try again."), code="retry"
            )
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


class Busy(DomainError):
    """The server cannot take this now (a full queue, a lock or statement timeout); nothing
    was stored and the client may try again after ``retry_after`` seconds: 503."""

    status_code = 503
    default_message: str = gettext_lazy("The server is busy. Try again in a moment.")  # type: ignore[assignment]

    def __init__(self, message: str | None = None, *, retry_after: float = 1, code: str = "busy") -> None:
        super().__init__(message, code=code)
        self.retry_after = max(1, math.ceil(retry_after))


# SQLSTATEs of a statement PostgreSQL gave up on after its connection's lock_timeout
# (lock_not_available) or statement_timeout (query_canceled).
_TIMEOUT_SQLSTATES = frozenset({"55P03", "57014"})


def timed_out(exc: BaseException | None) -> Busy | None:
    """The Busy (503) to answer for a database error caused by a lock or statement timeout
    (the transaction was rolled back: nothing was written), or None for any other error."""
    seen = 0
    while exc is not None and seen < 5:
        if (getattr(exc, "pgcode", None) or getattr(exc, "sqlstate", None)) in _TIMEOUT_SQLSTATES:
            return Busy()
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


class RateLimited(DomainError):
    """Too many requests of one kind by one client or for one account: 429, with the
    seconds to wait (the ``Retry-After`` header; ``retry_after`` in the body and on sockets)."""

    status_code = 429
    default_message: str = gettext_lazy("Too many requests. Try again later.")  # type: ignore[assignment]

    def __init__(self, message: str | None = None, *, retry_after: float, code: str = "rate_limited") -> None:
        super().__init__(message, code=code)
        self.retry_after = max(1, math.ceil(retry_after))
