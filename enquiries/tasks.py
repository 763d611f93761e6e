from __future__ import annotations

from celery import shared_task

from enquiries.services import timers_sweep


@shared_task(name="enquiries.tasks.sweep_timers", ignore_result=True)
def sweep_timers() -> dict[str, int]:
    """Enforce due deadlines; safe to run twice and from several workers at once."""
    return timers_sweep()
