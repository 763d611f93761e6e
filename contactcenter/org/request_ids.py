"""The request id: one id per HTTP request, per socket frame and per task, carried in a
context variable so that every log line written while handling it names it.

- HTTP: an incoming ``X-Request-ID`` is kept when it is sane (``sane``), else one is made;
  the response carries it back (contactcenter.ops.middleware).
- Sockets: the consumer binds a fresh id for each frame it receives.
- Celery: the id travels in the task's headers (contactcenter.ops.tasks_context) and is
  bound while the task runs, so a message's webhook or socket frame and the tasks it causes
  share one id. Background threads of the embedded ticker run in a copy of the caller's
  context (contactcenter.org.background).
"""

from __future__ import annotations

import contextlib
import contextvars
import itertools
import logging
import os
import re
import secrets
from collections.abc import Iterator

# "-" when nothing is being handled (start-up, the ticker's own sweeps).
NO_REQUEST = "-"

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("cc_request_id", default=NO_REQUEST)

# Letters, digits and a few separators, as load balancers and tracing headers make them
# (UUIDs, hex, "Root=1-..."); anything else (too long, spaces, quotes, control characters)
# is replaced, so a client cannot forge log lines or blow up their size.
_SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:=+/-]{0,127}")


# A new id is this process's random prefix and a counter: 32 hex digits like a UUID's, unique
# across processes, without a system call per id (a uuid4 per socket frame, from the
# kernel's random source, was 7% of a loaded server's CPU: bench/RESULTS.md, session 11).
_prefix = secrets.token_hex(8)
_counter = itertools.count(1)


def _reseed() -> None:
    global _prefix, _counter  # noqa: PLW0603 - a forked child must not repeat its parent's ids
    _prefix = secrets.token_hex(8)
    _counter = itertools.count(1)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reseed)


def new_request_id() -> str:
    return f"{_prefix}{next(_counter):016x}"


def sane(value: str | None) -> str | None:
    """``value`` if it is usable as a request id, else None."""
    if value and _SANE.fullmatch(value):
        return value
    return None


def current() -> str:
    return request_id_var.get()


def bind(value: str | None = None) -> contextvars.Token[str]:
    """Make ``value`` (or a new id) the current request id; returns the token to reset."""
    return request_id_var.set(value or new_request_id())


def reset(token: contextvars.Token[str]) -> None:
    try:
        request_id_var.reset(token)
    except ValueError:  # reset from another context (a thread that copied it): leave it
        request_id_var.set(NO_REQUEST)


@contextlib.contextmanager
def bound(value: str) -> Iterator[None]:
    """Within the block, ``value`` is the current request id (unchanged when it is empty)."""
    if not value:
        yield
        return
    token = request_id_var.set(value)
    try:
        yield
    finally:
        reset(token)


class RequestIdFilter(logging.Filter):
    """Adds ``record.request_id`` (the current id) to every record, for the formatters."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True
