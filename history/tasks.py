"""Background work of the history app (Celery in production; the embedded ticker runs the
same functions). Tasks take ids, tolerate rows that have gone and are safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task

from history import exports

logger = logging.getLogger(__name__)


@shared_task(name="history.tasks.export_run", ignore_result=True)
def export_run(export_id: int) -> str:
    """Write one export (a run that finds it no longer pending does nothing)."""
    return exports.export_run(export_id=export_id)


@shared_task(name="history.tasks.exports_sweep", ignore_result=True)
def exports_sweep() -> dict[str, int]:
    """Lost tasks, stuck runs and expired files; one log line when it did something."""
    done = exports.exports_sweep()
    if any(done.values()):
        logger.info("export sweep: %s", ", ".join(f"{what} {n}" for what, n in done.items() if n))
    return done
