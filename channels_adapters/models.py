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
