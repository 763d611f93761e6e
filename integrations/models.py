"""Models of the integrations app: outgoing webhooks (integrations.webhooks).

- ``Webhook``: a URL an admin registered, its signing secret and the events it wants.
- ``WebhookOutbox``: events as they happen, one cheap INSERT per batch from the observers
  (no HTTP call in the writing path); the sweep fans each out to the hooks that want it.
- ``WebhookDelivery``: one event for one hook, its body (the same bytes on every try),
  its state and when the next try is due; ``WebhookAttempt``: the log of its tries.
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models


def webhook_secret_new() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class Webhook(models.Model):
    name = models.CharField(max_length=120, blank=True, default="")
    url = models.URLField(max_length=2000)
    # The key of the HMAC-SHA256 signature of every request; shown to admins only.
    secret = models.CharField(max_length=80, default=webhook_secret_new)
    # Event types it receives (integrations.webhooks.EVENT_TYPES).
    events = models.JSONField(default=list)
    is_active = models.BooleanField(default=True)
    # Tries that failed in a row (reset by a success); CC_WEBHOOKS_DISABLE_AFTER disables it.
    failures_in_row = models.PositiveIntegerField(default=0)
    disabled_reason = models.CharField(max_length=300, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name or self.url


class WebhookOutbox(models.Model):
    """An event not yet fanned out to the hooks (deleted once it is)."""

    id = models.BigAutoField(primary_key=True)
    event_id = models.UUIDField(default=uuid.uuid4, unique=True)
    type = models.CharField(max_length=40)
    occurred_at = models.DateTimeField()
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["id"]


class WebhookDelivery(models.Model):
    class State(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        FAILED = "failed"

    id = models.BigAutoField(primary_key=True)
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=40)
    # The JSON body as sent: every try (and a redelivery) sends the same bytes.
    body = models.TextField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_try_at = models.DateTimeField(null=True, blank=True)
    # The lease of the try under way (as channels_adapters.OutboundMessage.claimed_until).
    claimed_until = models.DateTimeField(null=True, blank=True)
    # A try was queued until then: the sweep queues it again only after (a lost task), not
    # on every run while the workers are busy or down.
    queued_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["webhook", "event_id"], name="webhook_delivery_once")]
        indexes = [
            models.Index(
                fields=["next_try_at"], condition=models.Q(state="pending"), name="webhook_delivery_pending_due"
            ),
            models.Index(fields=["webhook", "-id"], name="webhook_delivery_log"),
        ]


class WebhookAttempt(models.Model):
    """One try of a delivery: what the receiver answered, how long it took."""

    id = models.BigAutoField(primary_key=True)
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True, default="")
    # When the next try is due after this one (null: none, delivered or given up).
    next_try_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["delivery", "number"]
