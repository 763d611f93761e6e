"""Celery tasks of the voice of the customer (the embedded ticker runs the same
functions)."""

from __future__ import annotations

from celery import shared_task

from analytics import voc


@shared_task(name="analytics.voc_tasks.voc_sweep", ignore_result=True)
def voc_sweep() -> int:
    """Score the queued messages (beat: "voc-sweep")."""
    return voc.voc_sweep()
