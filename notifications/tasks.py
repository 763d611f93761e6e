"""Background work of the notifications app (Celery beat in production; the embedded
ticker runs the same function)."""

from __future__ import annotations

import logging

from celery import shared_task

from notifications import services

logger = logging.getLogger(__name__)


@shared_task(name="notifications.tasks.notifications_sweep", ignore_result=True)
def notifications_sweep() -> int:
    """Retention: delete notifications older than CC_NOTIFICATIONS_KEEP_DAYS."""
    deleted = services.notifications_sweep()
    if deleted:
        logger.info("notifications sweep: deleted %d", deleted)
    return deleted
