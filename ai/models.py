"""Models of the ai app: the provider configuration an admin keeps (one row) and the log of
every call to the provider."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AISettings(models.Model):
    """The provider an admin configured in Settings (one row, pk 1). The API key is kept
    encrypted (``ai.config``); it is never answered by any endpoint. The environment's
    CC_AI_PROVIDER, when set, wins over this row (README "AI assist")."""

    class Provider(models.TextChoices):
        NONE = "", "None"
        AZURE = "azure", "Azure OpenAI"
        OPENAI = "openai", "OpenAI-compatible"

    provider = models.CharField(max_length=10, choices=Provider.choices, blank=True, default="")
    base_url = models.CharField(max_length=500, blank=True, default="")
    model = models.CharField(max_length=200, blank=True, default="")
    api_version = models.CharField(max_length=40, blank=True, default="")
    api_key_encrypted = models.TextField(blank=True, default="")
    # Emails, phone numbers and card numbers replaced before text leaves (or CC_AI_REDACT).
    redact = models.BooleanField(default=False)
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )


class AICall(models.Model):
    """One call to the provider (or one refused before it by the rate limit): who, which
    enquiry, what for, tokens, time and outcome. Never the key, never the text."""

    class Outcome(models.TextChoices):
        OK = "ok"
        ERROR = "error"
        RATE_LIMITED = "rate_limited"

    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    enquiry = models.ForeignKey("enquiries.Enquiry", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    purpose = models.CharField(max_length=30)
    provider = models.CharField(max_length=10, blank=True, default="")
    model = models.CharField(max_length=200, blank=True, default="")
    streamed = models.BooleanField(default=False)
    tokens_in = models.PositiveIntegerField(default=0)
    tokens_out = models.PositiveIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    status = models.PositiveSmallIntegerField(default=200)  # what the API answered
    error = models.CharField(max_length=100, blank=True, default="")  # the error's class, no text
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-id"]
