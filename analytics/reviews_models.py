"""Quality review's tables: the rubric admins define (``ReviewCriterion``), a review of one
finished enquiry by one admin (``Review``) and its score per criterion (``ReviewScore``).

A score keeps the criterion's weight as it was when the score was given, so changing a
weight later never changes a total already written. A criterion a review used is archived
(``archived_at``) instead of deleted: old reviews keep showing its name."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ReviewCriterion(models.Model):
    name = models.CharField(max_length=80)
    description = models.TextField(blank=True, default="")
    # A whole number (1-100): a review's total is the mean of its scores weighted by these.
    weight = models.PositiveSmallIntegerField(default=1)
    # Inactive: kept in the rubric but not scored in new reviews.
    active = models.BooleanField(default=True)
    # The rubric's order (0 first), among the criteria not archived.
    position = models.PositiveIntegerField(default=0)
    # Deleted while reviews used it: out of the rubric, kept for those reviews.
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["position", "id"]


class Review(models.Model):
    """One admin's review of one finished enquiry; ``agent`` is the enquiry's owner when the
    review was written. ``conversation_at`` is the enquiry's created_at (copied: the review
    lists and summaries select by it, by agent, without joining enquiries)."""

    enquiry = models.ForeignKey("enquiries.Enquiry", on_delete=models.CASCADE, related_name="reviews")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews_received")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews_written")
    conversation_at = models.DateTimeField()
    # The weighted mean of the scores, 1.00-5.00.
    total = models.DecimalField(max_digits=3, decimal_places=2)
    comment = models.TextField(blank=True, default="")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["enquiry", "reviewer"], name="review_one_per_reviewer")]
        indexes = [models.Index(fields=["agent", "conversation_at"], name="review_agent_conversation")]


class ReviewScore(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(ReviewCriterion, on_delete=models.PROTECT, related_name="scores")
    score = models.PositiveSmallIntegerField()
    # The criterion's weight when the score was given.
    weight = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["review", "criterion"], name="review_score_one_per_criterion"),
            models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=5), name="review_score_1_to_5"),
        ]
