"""How deadlines get enforced in each mode.

- celery (production): a task at each deadline (queued on commit) plus the beat sweep every
  second; and, unless CC_WEB_TICKER is off, the web processes sweep too, so that deadlines
  fire on time while Celery is down: each web process runs a ticker thread, and the one
  that holds a PostgreSQL advisory lock (session level, on the thread's own connection)
  sweeps every CC_TICKER_INTERVAL_SECONDS; the others try to take the lock on each tick, so
  when the holder dies (its connection closes and PostgreSQL releases the lock) another
  takes over within a tick. Celery's sweeps do not take the lock: they are a second,
  independent path, and exactly-once never depended on the lock (each sweep re-reads the
  enquiry under its row lock and changes it with a conditional UPDATE; see
  ``enquiries.services._sweep_enquiries``). The lock only keeps N web processes from all
  sweeping four times a second.
- ticker: a daemon thread in the web process runs the sweep every CC_TICKER_INTERVAL_SECONDS,
  and every 30 s the sweeps of lost background work, as beat does in production: staff
  replies to platform customers whose send was lost, webhook events whose processing was.
- off: nothing runs by itself (tests call the sweep with a controlled clock).

Either way the deadline is a column, so a restart of any process loses nothing: the next
sweep finds whatever came due while it was down.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time

from django.conf import settings
from django.db import close_old_connections, transaction

logger = logging.getLogger(__name__)


# The deadline task runs a hair after the deadline: a timer that fires a millisecond early
# would find nothing due and leave the miss to the next beat sweep, up to a second later.
ETA_MARGIN = dt.timedelta(milliseconds=20)

# How often the ticker re-queues platform replies whose send was lost (beat: "sweep-outbound").
OUTBOUND_SWEEP_SECONDS = 30.0


def schedule_sweep(when: dt.datetime | None) -> None:
    """Queue the sweep for ``when`` after the current transaction commits (celery mode)."""
    if when is None or settings.CC_TIMERS != "celery":
        return

    def enqueue() -> None:
        from enquiries.tasks import sweep_timers

        try:
            sweep_timers.apply_async(eta=when + ETA_MARGIN)
        except Exception:  # The beat sweep still fires it within a second.
            logger.exception("could not queue the deadline task")

    transaction.on_commit(enqueue)


_ticker: threading.Thread | None = None
_lock = threading.Lock()


def start_ticker() -> None:
    """Start this process's ticker once: the embedded ticker ("ticker"), or in production
    ("celery") the web ticker that sweeps while it holds the advisory lock (CC_WEB_TICKER)."""
    global _ticker
    if settings.CC_TIMERS == "ticker":
        target = _run
    elif settings.CC_TIMERS == "celery" and settings.CC_WEB_TICKER:
        target = _run_web
    else:
        return
    with _lock:
        if _ticker is not None:
            return
        _ticker = threading.Thread(target=target, name="cc-ticker", daemon=True)
        _ticker.start()


def _run() -> None:
    from channels_adapters.inbound import inbound_process_pending
    from channels_adapters.outbound import outbound_resume_due
    from enquiries.services import timers_sweep

    interval = settings.CC_TICKER_INTERVAL_SECONDS
    # At once on start: a restart lost the in-process timers of pending sends.
    next_outbound_sweep = time.monotonic()
    while True:
        started = time.monotonic()
        try:
            close_old_connections()
            timers_sweep()
        except Exception:
            logger.exception("timer sweep failed")
        if started >= next_outbound_sweep:
            next_outbound_sweep = started + OUTBOUND_SWEEP_SECONDS
            for sweep in (outbound_resume_due, inbound_process_pending):
                try:
                    sweep()
                except Exception:
                    logger.exception("%s failed", sweep.__name__)
        time.sleep(max(0.0, interval - (time.monotonic() - started)))


# ---------------------------------------------------------------------------- web ticker

# The advisory lock whose holder sweeps ("cctm"; below 2**31, so pg_locks shows it as
# classid 0, objid TIMERS_LOCK_KEY). Advisory locks are per database: deployments sharing a
# PostgreSQL server do not exclude each other.
TIMERS_LOCK_KEY = 0x6363746D


class SweepLock:
    """The session-level advisory lock on this thread's database connection: taken with
    ``pg_try_advisory_lock`` (never waits), held until the connection closes. Not
    re-entrant on purpose: ``held()`` knows it has the lock while the connection it took it
    on is still the thread's, and tries again otherwise."""

    def __init__(self, key: int = TIMERS_LOCK_KEY) -> None:
        self.key = key
        self._held_on: object | None = None  # the DB-API connection the lock was taken on

    def held(self) -> bool:
        """True if this process holds the lock (taking it if it is free)."""
        from django.db import connection

        if self._held_on is not None and connection.connection is self._held_on:
            return True
        self._held_on = None
        if connection.vendor != "postgresql":  # one process (SQLite): nobody to exclude
            return True
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [self.key])
            (taken,) = cursor.fetchone()
            if taken:
                # Shown in pg_stat_activity: which process of which host sweeps.
                cursor.execute("SELECT set_config('application_name', %s, false)", [_process_name()])
        if taken:
            self._held_on = connection.connection
            logger.info("this process now sweeps the timers (%s)", _process_name())
        return bool(taken)

    def release(self) -> None:
        """Give the lock up by closing the connection (after an error, or on shutdown)."""
        from django.db import connection

        self._held_on = None
        connection.close()


def _process_name() -> str:
    import os
    import socket

    return f"contactcenter timers {socket.gethostname()}:{os.getpid()}"


def _run_web() -> None:
    from enquiries.services import timers_sweep

    interval = settings.CC_TICKER_INTERVAL_SECONDS
    lock = SweepLock()
    while True:
        started = time.monotonic()
        try:
            if lock.held():
                timers_sweep()
        except Exception:
            # PostgreSQL restarted, or a bug: drop the connection (and the lock with it) so
            # that the next tick starts clean; another process may take over meanwhile.
            logger.exception("web timer sweep failed")
            try:
                lock.release()
            except Exception:
                logger.debug("closing the sweep connection failed", exc_info=True)
        time.sleep(max(0.0, interval - (time.monotonic() - started)))
