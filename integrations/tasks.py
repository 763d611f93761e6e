"""Celery tasks of the outgoing webhooks (the embedded ticker runs the same functions)."""

from __future__ import annotations

from celery import shared_task

from integrations import webhooks


@shared_task(name="integrations.tasks.webhook_deliver", ignore_result=True)
def webhook_deliver(delivery_id: int) -> str:
    """One try of a delivery; the next try, if any, is queued by the sweep when it is due."""
    return webhooks.webhook_delivery_attempt(delivery_id=delivery_id)


@shared_task(name="integrations.tasks.webhooks_sweep", ignore_result=True)
def webhooks_sweep() -> int:
    """Fan the outbox out and queue the due tries (beat: "webhooks-sweep")."""
    return webhooks.webhooks_sweep()
