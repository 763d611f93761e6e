"""Analytics' rollups (METRICS.md): one fact row per enquiry with everything the reports
count, kept up to date as events happen (analytics.facts) and rebuilt set-based by
``manage.py analytics_rebuild``; the enquiry's conversation tags; the spans of each staff
member's availability and of each enquiry's handling (for time in state and concurrent
load).

The reports read only these tables (never messages): a 90-day summary is a handful of
aggregates over an index range of ``EnquiryFact``."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class EnquiryFact(models.Model):
    """One row per enquiry. Durations are seconds (floats, to the millisecond); null when
    the moment has not come (not picked up, unanswered, not finished)."""

    enquiry = models.OneToOneField("enquiries.Enquiry", primary_key=True, on_delete=models.CASCADE, related_name="+")
    # The enquiry's room (messages are counted by room on the posting hot path).
    room_id = models.BigIntegerField(null=True, blank=True, unique=True)
    created_at = models.DateTimeField()
    channel_id = models.BigIntegerField()
    # The channel's kind, or what the customer came through when it differs ("weblink").
    channel_kind = models.CharField(max_length=12)
    destination_id = models.BigIntegerField()
    owner_id = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(max_length=10)
    missed_at = models.DateTimeField(null=True, blank=True)
    missed_reason = models.CharField(max_length=20, blank=True, default="")
    handled = models.BooleanField(default=False)
    resolved = models.BooleanField(default=False)
    reopened = models.BooleanField(default=False)
    transferred = models.BooleanField(default=False)
    wait_s = models.FloatField(null=True, blank=True)
    first_response_s = models.FloatField(null=True, blank=True)
    handle_s = models.FloatField(null=True, blank=True)
    messages_customer = models.IntegerField(default=0)
    messages_staff = models.IntegerField(default=0)
    rating_score = models.SmallIntegerField(null=True, blank=True)
    rating_commented = models.BooleanField(default=False)
    # Has a conversation tag (the conversation-tag report's "Untagged" row and its total are
    # one pass over the facts alone).
    tagged = models.BooleanField(default=False, db_default=False)

    class Meta:
        indexes = [
            models.Index(fields=["created_at"], name="afact_created"),
            models.Index(fields=["owner_id", "created_at"], name="afact_owner_created"),
            models.Index(fields=["channel_id", "created_at"], name="afact_channel_created"),
            models.Index(fields=["channel_kind", "created_at"], name="afact_kind_created"),
            models.Index(fields=["destination_id", "created_at"], name="afact_dest_created"),
        ]


class EnquiryFactTag(models.Model):
    """A conversation tag of an enquiry (a copy of ``Enquiry.tags`` next to the facts)."""

    enquiry = models.ForeignKey("enquiries.Enquiry", on_delete=models.CASCADE, related_name="+")
    tag = models.ForeignKey("enquiries.ConversationTag", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["enquiry", "tag"], name="afact_tag_once")]
        indexes = [models.Index(fields=["tag", "enquiry"], name="afact_tag_enquiry")]


class EnquiryFactTagGroup(models.Model):
    """A conversation-tag group an enquiry counts in: each of its tags and each of their
    parents, once (an enquiry tagged "Billing > Refund" and "Billing > Invoice" counts once
    under "Billing"), with the enquiry's creation time. What the conversation-tag report
    groups by and filters on, read by an index range (no tag tree walked per request).
    Written with the tags (``analytics.facts``), resynced when a tag moves or goes
    (``conversation_tags_changed``), rebuilt by ``analytics_rebuild``."""

    # No index of their own: the unique constraint leads with the enquiry, an index with the group.
    enquiry = models.ForeignKey("enquiries.Enquiry", on_delete=models.CASCADE, related_name="+", db_index=False)
    group = models.ForeignKey("enquiries.ConversationTag", on_delete=models.CASCADE, related_name="+", db_index=False)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["enquiry", "group"], name="afact_group_once")]
        indexes = [
            models.Index(fields=["created_at"], name="afact_group_created"),
            models.Index(fields=["group", "created_at"], name="afact_group_group_created"),
        ]


class AvailabilitySpan(models.Model):
    """A staff member in one availability state from ``started_at`` to ``ended_at`` (null:
    still). Written as availability changes (``on_staff_availability_changed``); the
    source of the agents' time in state, so the rebuild keeps it."""

    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=10)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["staff", "started_at"], name="aavail_staff_started"),
            models.Index(fields=["started_at"], name="aavail_started"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["staff"], condition=models.Q(ended_at__isnull=True), name="aavail_one_open")
        ]


class HandlingSpan(models.Model):
    """A staff member handling (owning, not yet resolved or closed) an enquiry from
    ``started_at`` (pick-up, transfer accepted, take-over, reopen) to ``ended_at`` (null:
    still): the concurrent load. Derived from the enquiry event log (rebuildable)."""

    enquiry = models.ForeignKey("enquiries.Enquiry", on_delete=models.CASCADE, related_name="+")
    staff_id = models.BigIntegerField()
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    # How many enquiries the staff member handled at this span's start, itself included:
    # the most at once within a period is the largest of those starting in it (and of
    # those still running at its start), with no sweep per request.
    load_at_start = models.PositiveIntegerField(default=1)

    class Meta:
        indexes = [
            models.Index(fields=["staff_id", "started_at"], name="ahandle_staff_started"),
            models.Index(fields=["staff_id", "ended_at"], name="ahandle_staff_ended"),
            models.Index(fields=["enquiry"], condition=models.Q(ended_at__isnull=True), name="ahandle_open"),
            models.Index(fields=["staff_id"], condition=models.Q(ended_at__isnull=True), name="ahandle_staff_open"),
        ]
