"""Background work, switched in one place by CC_TIMERS.

- ``run_after_commit(task, *args)`` (or ``run_task`` outside a transaction): "celery"
  (production) queues the Celery task; "ticker" (the embedded default) runs it in a daemon
  thread; "off" (tests) runs nothing and records it in ``scheduled`` (tests call the
  services themselves). A failed enqueue is logged, never raised: the caller's write is
  committed, and each kind of work has a sweep that resumes what was lost.
- One ticker runs the sweeps the apps register at startup (``register_sweep`` from their
  ``AppConfig.ready``), each at its own interval, instead of knowing each app:
  "ticker" runs every registered sweep in a daemon thread of the web process, as beat does
  in production; "celery" with CC_WEB_TICKER runs only the sweeps registered with
  ``web=True`` (the deadlines), and only in the one web process that holds a PostgreSQL
  advisory lock, so that deadlines fire on time while Celery is down. Celery's own beat
  schedule (settings.CELERY_BEAT_SCHEDULE) is unchanged by this module.

The web ticker's lock: each web process tries ``pg_try_advisory_lock`` on each tick on its
ticker thread's own connection; the holder sweeps; when it dies PostgreSQL releases the lock
and another process takes over within a tick. Exactly-once never depended on the lock (each
sweep is idempotent and settles races with conditional UPDATEs): it only keeps N web
processes from all sweeping four times a second.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

# CC_TIMERS="off": what would have been queued, as (task name, args, countdown).
scheduled: list[tuple[str, tuple[Any, ...], float]] = []


# ------------------------------------------------------------------------- tasks


def _in_thread(task: Any, args: tuple[Any, ...]) -> None:
    close_old_connections()
    try:
        task(*args)
    except Exception:
        logger.exception("background task %s failed", task.name)
    finally:
        close_old_connections()


def run_task(
    task: Any, *args: Any, countdown: float = 0.0, eta: dt.datetime | None = None, thread: bool = True
) -> None:
    """Run the Celery ``task(*args)`` in the background now (call it after commit), after
    ``countdown`` seconds or at ``eta``. ``thread=False``: work the embedded ticker does by
    itself anyway (the deadline sweep), so "ticker" starts no thread for it."""
    mode = settings.CC_TIMERS
    if mode == "celery":
        try:
            if eta is not None:
                task.apply_async(args=args, eta=eta)
            else:
                task.apply_async(args=args, countdown=countdown)
        except Exception:
            # Nothing is lost: the sweep of this kind of work picks it up again.
            logger.exception("could not queue %s", task.name)
    elif mode == "ticker":
        if not thread:
            return
        if eta is not None:
            countdown = max(0.0, (eta - timezone.now()).total_seconds())
        # In a copy of the caller's context: the task logs under the request id that caused it.
        timer = threading.Timer(countdown, contextvars.copy_context().run, (_in_thread, task, args))
        timer.daemon = True
        timer.start()
    elif thread:
        scheduled.append((task.name, args, countdown))


def run_after_commit(
    task: Any, *args: Any, countdown: float = 0.0, eta: dt.datetime | None = None, thread: bool = True
) -> None:
    """``run_task`` once the current transaction commits (at once outside one), in the
    context of this call: the task carries the request id of what queued it, even when the
    commit happens elsewhere (the socket writer commits many posts at once)."""
    context = contextvars.copy_context()
    transaction.on_commit(lambda: context.run(run_task, task, *args, countdown=countdown, eta=eta, thread=thread))


# ------------------------------------------------------------------------ sweeps


@dataclass(frozen=True)
class Sweep:
    path: str  # dotted path, resolved on each run (so a test can replace the function)
    every: float | None  # seconds; None: every tick (CC_TICKER_INTERVAL_SECONDS)
    web: bool  # also run by the production web ticker (under the advisory lock)

    @property
    def func(self) -> Callable[[], Any]:
        return import_string(self.path)  # type: ignore[no-any-return]


sweeps: dict[str, Sweep] = {}


def register_sweep(path: str, *, every: float | None = None, web: bool = False) -> None:
    """Have the ticker run the function at ``path`` every ``every`` seconds (every tick when
    None); idempotent. Called from the apps' ``AppConfig.ready``."""
    sweeps[path] = Sweep(path=path, every=every, web=web)


def _run_sweep(sweep: Sweep) -> None:
    try:
        sweep.func()
    except Exception:
        logger.exception("%s failed", sweep.path)


def _run() -> None:
    """The embedded ticker: every registered sweep at its interval; those with an interval
    run at once on start too (a restart lost the in-process timers of pending work)."""
    interval = settings.CC_TICKER_INTERVAL_SECONDS
    next_run: dict[str, float] = {}
    while True:
        started = time.monotonic()
        close_old_connections()
        for sweep in list(sweeps.values()):
            if sweep.every is None:
                _run_sweep(sweep)
            elif started >= next_run.get(sweep.path, started):
                next_run[sweep.path] = started + sweep.every
                _run_sweep(sweep)
        time.sleep(max(0.0, interval - (time.monotonic() - started)))


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
    """The production web ticker: the ``web`` sweeps, every tick, while holding the lock."""
    interval = settings.CC_TICKER_INTERVAL_SECONDS
    lock = SweepLock()
    while True:
        started = time.monotonic()
        try:
            if lock.held():
                for sweep in [s for s in sweeps.values() if s.web]:
                    sweep.func()
        except Exception:
            # PostgreSQL restarted, or a bug: drop the connection (and the lock with it) so
            # that the next tick starts clean; another process may take over meanwhile.
            logger.exception("web timer sweep failed")
            try:
                lock.release()
            except Exception:
                logger.debug("closing the sweep connection failed", exc_info=True)
        time.sleep(max(0.0, interval - (time.monotonic() - started)))


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
