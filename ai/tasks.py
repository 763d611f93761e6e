"""Background work of the ai app (Celery beat in production; the embedded ticker runs the
same function)."""

from __future__ import annotations

import logging

from celery import shared_task

from ai import services

logger = logging.getLogger(__name__)


@shared_task(name="ai.tasks.ai_calls_sweep", ignore_result=True)
def ai_calls_sweep() -> int:
    """Retention: delete AI call-log rows older than CC_AI_CALLS_KEEP_DAYS."""
    deleted = services.ai_calls_sweep()
    if deleted:
        logger.info("ai calls sweep: deleted %d", deleted)
    return deleted
