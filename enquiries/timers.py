"""How deadlines get enforced in each mode (the switch itself: contactcenter/org/background.py).

- celery (production): a task at each deadline (queued on commit) plus the beat sweep every
  second; and, unless CC_WEB_TICKER is off, the web process that holds the timers' advisory
  lock sweeps every CC_TICKER_INTERVAL_SECONDS too, so that deadlines fire on time while
  Celery is down. Celery's sweeps do not take the lock: exactly-once never depended on it
  (each sweep re-reads the enquiry under its row lock and changes it with a conditional
  UPDATE; see ``enquiries.services._sweep_enquiries``).
- ticker: the embedded ticker runs the sweep every CC_TICKER_INTERVAL_SECONDS (registered in
  ``enquiries.apps``), no task per deadline.
- off: nothing runs by itself (tests call the sweep with a controlled clock).

Either way the deadline is a column, so a restart of any process loses nothing: the next
sweep finds whatever came due while it was down.
"""

from __future__ import annotations

import datetime as dt

from contactcenter.org.background import run_after_commit

# The module, not the task: enquiries.tasks imports enquiries.services, which imports this
# module, so whichever of them is imported first finds the others half done.
from enquiries import tasks

# The deadline task runs a hair after the deadline: a timer that fires a millisecond early
# would find nothing due and leave the miss to the next beat sweep, up to a second later.
ETA_MARGIN = dt.timedelta(milliseconds=20)


def schedule_sweep(when: dt.datetime | None) -> None:
    """Queue the sweep for ``when`` after the current transaction commits (celery mode; the
    embedded ticker sweeps every tick anyway, so no thread is started for it)."""
    if when is None:
        return
    run_after_commit(tasks.sweep_timers, eta=when + ETA_MARGIN, thread=False)
