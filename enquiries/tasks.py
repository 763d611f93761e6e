from __future__ import annotations

import logging

from celery import shared_task

# The module, not the function: enquiries.services imports this module (through
# enquiries.timers), so whichever of them is imported first finds the other half done.
from enquiries import services

logger = logging.getLogger(__name__)


@shared_task(name="enquiries.tasks.sweep_timers", ignore_result=True)
def sweep_timers() -> dict[str, int]:
    """Enforce due deadlines; safe to run twice and from several workers at once. Celery's
    own lines about this task are not logged (contactcenter.celery.QuietSweeps): one line
    says what a sweep did, and a sweep that did nothing logs nothing."""
    done = services.timers_sweep()
    if any(done.values()):
        logger.info("timer sweep: %s", ", ".join(f"{what} {n}" for what, n in done.items() if n))
    return done
