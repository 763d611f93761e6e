"""Entry points: widget, web links, messaging platforms and email."""

from __future__ import annotations

import secrets

from django.db import models


def new_channel_key() -> str:
    return secrets.token_urlsafe(16)


class Channel(models.Model):
    class Kind(models.TextChoices):
        WIDGET = "widget"
        WEBLINK = "weblink"
        MESSENGER = "messenger"
        WHATSAPP = "whatsapp"
        LINE = "line"
        WECHAT = "wechat"
        EMAIL = "email"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    name = models.CharField(max_length=120)
    # Public identifier used by the widget and web links (not a secret).
    key = models.CharField(max_length=40, unique=True, default=new_channel_key)
    destination = models.ForeignKey("contactcenter.Destination", on_delete=models.PROTECT, related_name="channels")
    welcome_message = models.TextField(blank=True, default="")
    custom_info = models.TextField(blank=True, default="")
    # Platform credentials; never returned in full by the API.
    credentials = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"


class InboundEvent(models.Model):
    """A platform delivery already taken in (mid, wamid, webhookEventId, MsgId, Message-ID):
    a redelivery finds its row and is ignored."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="inbound_events")
    provider_key = models.CharField(max_length=255)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["channel", "provider_key"], name="inbound_event_once")]


class OutboundMessage(models.Model):
    """A staff message sent out through a platform's send API (or SMTP), with its delivery state."""

    class State(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        DELIVERED = "delivered"
        READ = "read"
        FAILED = "failed"

    message = models.OneToOneField("rooms.Message", on_delete=models.CASCADE, related_name="outbound")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="outbound_messages")
    provider_message_id = models.CharField(max_length=255, blank=True, default="", db_index=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    error = models.TextField(blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
