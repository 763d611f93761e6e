"""When the timer sweep last ran, readable by every process (``/readyz``'s "timers" check
and the ``cc_timers_last_sweep_age_seconds`` metric).

Kept in the cache: Redis in production (shared by web, worker and beat), the process's own
memory in the embedded default, where the one web process runs the ticker and answers
/readyz. Written at most once a second per process: the web ticker sweeps four times a
second.
"""

from __future__ import annotations

import time

from django.core.cache import cache

KEY = "cc:timers:last-sweep"
_WRITE_EVERY = 1.0
_last_written = 0.0


def sweep_done() -> None:
    """The timer sweep has just run (called by ``enquiries.services.timers_sweep``)."""
    global _last_written
    now = time.time()
    if now - _last_written < _WRITE_EVERY:
        return
    _last_written = now
    # A day: a stopped deployment's value ages out of Redis eventually.
    cache.set(KEY, now, timeout=86400)


def last_sweep() -> float | None:
    """The Unix time of the last sweep any process recorded, or None."""
    value = cache.get(KEY)
    return float(value) if isinstance(value, int | float) else None


def forget() -> None:
    """Tests: as if no sweep had run."""
    global _last_written
    _last_written = 0.0
    cache.delete(KEY)
