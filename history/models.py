"""What the history app keeps of its own."""

from __future__ import annotations

from django.db import models

from history.search_models import CustomerIndex, EnquiryIndex, MessageIndex, SearchStale

__all__ = ["CustomerIndex", "EnquiryIndex", "MessageIndex", "RetentionRun", "SearchStale"]


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
