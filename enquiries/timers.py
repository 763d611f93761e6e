"""How deadlines get enforced in each mode.

- celery: a task at each deadline (queued on commit) plus the beat sweep every second.
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
    """Start the embedded ticker once per process (embedded default only)."""
    global _ticker
    if settings.CC_TIMERS != "ticker":
        return
    with _lock:
        if _ticker is not None:
            return
        _ticker = threading.Thread(target=_run, name="cc-ticker", daemon=True)
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
