"""Celery tasks of the voice of the customer and of the daily rollups (the embedded ticker
runs the same functions)."""

from __future__ import annotations

from celery import shared_task

from analytics import rollups, voc


@shared_task(name="analytics.voc_tasks.voc_sweep", ignore_result=True)
def voc_sweep() -> int:
    """Score the queued messages (beat: "voc-sweep")."""
    return voc.voc_sweep()


@shared_task(name="analytics.voc_tasks.rollups_sweep", ignore_result=True)
def rollups_sweep() -> int:
    """Rebuild the daily rollups of the days marked (beat: "analytics-rollups")."""
    return rollups.rollups_sweep()
