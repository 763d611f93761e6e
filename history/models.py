"""What the history app keeps of its own: retention runs, the search index (history.search_models), exports."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from history.search_models import CustomerIndex, EnquiryIndex, MessageIndex, SearchStale

__all__ = ["CustomerIndex", "EnquiryIndex", "Export", "MessageIndex", "RetentionRun", "SearchStale"]


class RetentionRun(models.Model):
    """One day's retention run (history.retention.retention_sweep): the row claims the day
    (unique), so the run happens at most once a day across processes, and logs its counts."""

    day = models.DateField(unique=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    enquiries = models.PositiveIntegerField(default=0)
    messages = models.PositiveIntegerField(default=0)
    files = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day"]


class Export(models.Model):
    """A file of enquiries, messages, notes or customers that one staff member asked for,
    written in the background (history.exports) with the rights they have when it runs, and
    downloadable by them only until ``expires_at``. ``attempt`` is the run's ticket: a
    runner writes only while the row is still "running" with its own attempt number, so a
    run that was declared stuck (and retried) or interrupted by an erasure stops writing."""

    class Kind(models.TextChoices):
        ENQUIRIES = "enquiries"
        MESSAGES = "messages"
        NOTES = "notes"
        CUSTOMERS = "customers"

    class Format(models.TextChoices):
        CSV = "csv"
        XLSX = "xlsx"

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    format = models.CharField(max_length=4, choices=Format.choices)
    # history.filters.Filters.as_dict() of what was asked (parsed again when it runs).
    filters = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(default=0)  # 0-100
    rows = models.PositiveIntegerField(default=0)
    # Relative to MEDIA_ROOT (exports/...); empty until done, and again once deleted.
    file = models.CharField(max_length=255, blank=True, default="")
    size = models.PositiveBigIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    attempt = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    # Moved by the runner at each progress update; a running export whose heartbeat is old
    # crashed (or hangs) and is tried again or failed by the sweep.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    # When the file was deleted before expiry (an erasure of a customer it could contain).
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["requested_by", "-created_at"], name="export_by_requester"),
            models.Index(fields=["status", "created_at"], name="export_by_status"),
        ]
