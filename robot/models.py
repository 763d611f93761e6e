"""The knowledge base (articles admins write), each channel's robot settings, and the robot's
conversations and turns (what the figures are computed from)."""

from __future__ import annotations

from django.db import models


class Article(models.Model):
    """One answer of the knowledge base, found by any of its question variants."""

    # The ways customers ask it: ["How do I reset my password?", "forgot password", ...].
    questions = models.JSONField(default=list)
    answer = models.TextField()
    tags = models.JSONField(default=list, blank=True)
    enabled = models.BooleanField(default=True)
    # "" (any) or a language code ("en", "zh", "ja", "th"...): informative; matching works
    # across languages, since a question matches only articles written with its words.
    language = models.CharField(max_length=20, blank=True, default="")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]


class RobotSettings(models.Model):
    """The robot of one channel (absent: no robot)."""

    channel = models.OneToOneField(
        "channels_adapters.Channel", on_delete=models.CASCADE, primary_key=True, related_name="robot_settings"
    )
    enabled = models.BooleanField(default=False)
    welcome_message = models.TextField(blank=True, default="")
    # Hand over after this many answered questions (0: never for this reason).
    handover_after_turns = models.PositiveSmallIntegerField(default=5)
    # A best match scoring below this (0..1) is "not sure": the robot hands over.
    confidence_threshold = models.FloatField(default=0.3)
    updated_at = models.DateTimeField()


class RobotConversation(models.Model):
    """The robot's part of one enquiry: from the hold to the handover or the end."""

    class State(models.TextChoices):
        ACTIVE = "active"
        HANDED_OVER = "handed_over"
        ENDED = "ended"

    class Reason(models.TextChoices):
        ASKED = "asked"
        LOW_CONFIDENCE = "low_confidence"
        TURNS = "turns"

    enquiry = models.OneToOneField(
        "enquiries.Enquiry", on_delete=models.CASCADE, primary_key=True, related_name="robot_conversation"
    )
    channel = models.ForeignKey("channels_adapters.Channel", on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=12, choices=State.choices, default=State.ACTIVE)
    turns = models.PositiveIntegerField(default=0)
    handover_reason = models.CharField(max_length=20, choices=Reason.choices, blank=True, default="")
    created_at = models.DateTimeField(db_index=True)
    handed_over_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # The customer went quiet: the conversation ends (robot.services.robot_idle_sweep).
    idle_deadline_at = models.DateTimeField(null=True, blank=True, db_index=True)


class RobotTurn(models.Model):
    """One customer message the robot handled: what it matched and what it did."""

    class Outcome(models.TextChoices):
        ANSWERED = "answered"
        UNSURE = "unsure"  # low confidence: handed over, or refused when it may not
        ASKED = "asked"  # the customer asked for a person
        SKIPPED = "skipped"  # the conversation was no longer with the robot

    conversation = models.ForeignKey(RobotConversation, on_delete=models.CASCADE, related_name="turn_rows")
    # The customer's message (one turn per message: a retry of the task does nothing twice).
    message = models.OneToOneField("rooms.Message", on_delete=models.CASCADE, related_name="+")
    question = models.TextField()
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    score = models.FloatField(default=0.0)
    articles = models.JSONField(default=list, blank=True)
    by_ai = models.BooleanField(default=False)
    created_at = models.DateTimeField(db_index=True)
