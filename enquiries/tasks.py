from __future__ import annotations

import logging

from celery import shared_task

from enquiries.services import timers_sweep

logger = logging.getLogger(__name__)


@shared_task(name="enquiries.tasks.sweep_timers", ignore_result=True)
def sweep_timers() -> dict[str, int]:
    """Enforce due deadlines; safe to run twice and from several workers at once. Celery's
    own lines about this task are not logged (contactcenter.celery.QuietSweeps): one line
    says what a sweep did, and a sweep that did nothing logs nothing."""
    done = timers_sweep()
    if any(done.values()):
        logger.info("timer sweep: %s", ", ".join(f"{what} {n}" for what, n in done.items() if n))
    return done
