"""Notifications' tables."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Notification(models.Model):
    """One item in a staff member's Notifications list. ``data`` holds what the list shows
    (who, which enquiry or room, a short excerpt) as it was when it happened."""

    class Kind(models.TextChoices):
        MENTION = "mention"
        TRANSFER_OFFERED = "transfer_offered"
        TAKEN_OVER = "taken_over"
        MISSED = "missed"
        REVIEW = "review"

    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # What it is about, when it is about an enquiry or a room (SET_NULL: retention and
    # erasure delete those; the notification stays, without its link).
    enquiry = models.ForeignKey("enquiries.Enquiry", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    room = models.ForeignKey("rooms.Room", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["staff", "-id"], name="notification_staff_list"),
            models.Index(fields=["staff"], condition=models.Q(read_at__isnull=True), name="notification_staff_unread"),
            # The retention sweep (notifications.services.notifications_sweep).
            models.Index(fields=["created_at"], name="notification_created"),
        ]
