"""The one source of "now" for services, so tests can move time without sleeping."""

from __future__ import annotations

import datetime as dt
import time

from django.utils import timezone

_offset = dt.timedelta(0)
_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    if _frozen is not None:
        return _frozen
    return timezone.now() + _offset


def timestamp() -> float:
    """``now()`` as epoch seconds, without making a datetime (the socket path asks per frame)."""
    if _frozen is not None:
        return _frozen.timestamp()
    return time.time() + _offset.total_seconds()


def freeze(at: dt.datetime | None) -> None:
    """Test hook: freeze the clock at ``at`` (None: run again from the real time)."""
    global _frozen
    _frozen = at


def advance(seconds: float) -> dt.datetime:
    """Test hook: move the (frozen or running) clock forward."""
    global _frozen, _offset
    delta = dt.timedelta(seconds=seconds)
    if _frozen is not None:
        _frozen = _frozen + delta
    else:
        _offset += delta
    return now()


def reset() -> None:
    global _frozen, _offset
    _frozen = None
    _offset = dt.timedelta(0)
