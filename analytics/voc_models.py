"""Voice of the customer's tables (``analytics.voc`` keeps them, ``analytics.voc_selectors``
reads them).

- ``VocPending``: a message waiting to be scored. The posting pipeline's observer only
  queues (one INSERT per batch); the sweep scores and empties it.
- ``MessageSentiment``: one scored message (customer or staff text in an enquiry's room),
  with what the reports cut by copied from the message and its enquiry (time, author,
  channel, tag), so that a report reads this table alone through its time index.
- ``MessageKeyword``: one keyword or phrase of a scored message, with the same copies.

No foreign key points from the reports' columns to the enquiries: retention and erasure
delete these rows through ``history.hooks`` before the messages go."""

from __future__ import annotations

from django.db import models


class AuthorKind(models.TextChoices):
    CUSTOMER = "customer"
    STAFF = "staff"


class Label(models.TextChoices):
    POSITIVE = "positive"
    NEUTRAL = "neutral"
    NEGATIVE = "negative"


class VocPending(models.Model):
    """A message to (re)score: posted, edited, or its file settled."""

    message = models.OneToOneField("rooms.Message", primary_key=True, on_delete=models.CASCADE, related_name="+")


class MessageSentiment(models.Model):
    message = models.OneToOneField("rooms.Message", primary_key=True, on_delete=models.CASCADE, related_name="+")
    room_id = models.BigIntegerField()
    enquiry_id = models.BigIntegerField()
    channel_id = models.BigIntegerField()
    tag_id = models.BigIntegerField(null=True)  # the destination's tag; null for a person
    staff_id = models.BigIntegerField(null=True)  # the author, for staff messages
    author_kind = models.CharField(max_length=8, choices=AuthorKind.choices)
    created_at = models.DateTimeField()  # the message's
    day = models.DateField()  # created_at's day in the business's time zone (the rollups' key)
    language = models.CharField(max_length=8)  # en, zh, ja, th, other
    score = models.FloatField()  # -1 (negative) .. 1 (positive)
    label = models.CharField(max_length=8, choices=Label.choices)
    scorer = models.CharField(max_length=16, default="offline")

    class Meta:
        indexes = [
            models.Index(fields=["created_at", "author_kind"], name="analytics_voc_sent_time"),
            models.Index(fields=["enquiry_id"], name="analytics_voc_sent_enquiry"),
        ]


class MessageKeyword(models.Model):
    """``kind``: "word" (one keyword) or "phrase" (two or three words in a row)."""

    class Kind(models.TextChoices):
        WORD = "word"
        PHRASE = "phrase"

    sentiment = models.ForeignKey(MessageSentiment, on_delete=models.CASCADE, related_name="keywords")
    keyword = models.CharField(max_length=100)
    kind = models.CharField(max_length=6, choices=Kind.choices)
    language = models.CharField(max_length=8)
    enquiry_id = models.BigIntegerField()
    channel_id = models.BigIntegerField()
    tag_id = models.BigIntegerField(null=True)
    author_kind = models.CharField(max_length=8, choices=AuthorKind.choices)
    created_at = models.DateTimeField()
    day = models.DateField()
    score = models.FloatField()

    class Meta:
        indexes = [
            models.Index(fields=["created_at", "kind"], name="analytics_voc_kw_time"),
            # A keyword's drill-down (its count, page and conversations) reads this index
            # alone on PostgreSQL (index-only; SQLite: the plain two-column index).
            models.Index(
                fields=["keyword", "created_at"],
                include=["author_kind", "enquiry_id", "score", "channel_id", "tag_id"],
                name="analytics_voc_kw_word_cover",
            ),
            models.Index(fields=["enquiry_id"], name="analytics_voc_kw_enquiry"),
            models.Index(fields=["day"], name="analytics_voc_kw_day"),
        ]


# Daily rollups of the two tables above, for admins' reports over whole days: rebuilt per
# day from them (``analytics.voc.voc_rollup_refresh``) whenever a day's rows changed, so a
# 90-day report reads about 90 rows per series and the day's distinct keywords, not every
# message.


class VocDirtyDay(models.Model):
    """A day whose rollup rows must be rebuilt."""

    day = models.DateField(primary_key=True)


class VocSentimentDay(models.Model):
    day = models.DateField()
    author_kind = models.CharField(max_length=8, choices=AuthorKind.choices)
    channel_id = models.BigIntegerField()
    tag_id = models.BigIntegerField(null=True)
    count = models.IntegerField()
    score_sum = models.FloatField()

    class Meta:
        indexes = [models.Index(fields=["day"], name="analytics_voc_sentday_day")]


class VocKeywordDay(models.Model):
    day = models.DateField()
    keyword = models.CharField(max_length=100)
    kind = models.CharField(max_length=6, choices=MessageKeyword.Kind.choices)
    language = models.CharField(max_length=8)
    author_kind = models.CharField(max_length=8, choices=AuthorKind.choices)
    channel_id = models.BigIntegerField()
    tag_id = models.BigIntegerField(null=True)
    count = models.IntegerField()
    score_sum = models.FloatField()

    class Meta:
        indexes = [models.Index(fields=["day", "kind"], name="analytics_voc_kwday_day")]


class VocKeywordTotalDay(models.Model):
    """``VocKeywordDay`` summed over channels and tags: what an unfiltered report reads
    (a few times fewer rows)."""

    day = models.DateField()
    keyword = models.CharField(max_length=100)
    kind = models.CharField(max_length=6, choices=MessageKeyword.Kind.choices)
    language = models.CharField(max_length=8)
    author_kind = models.CharField(max_length=8, choices=AuthorKind.choices)
    count = models.IntegerField()
    score_sum = models.FloatField()

    class Meta:
        indexes = [models.Index(fields=["day", "kind"], name="analytics_voc_kwtotal_day")]


class VocKeywordTotalWeek(models.Model):
    """``VocKeywordTotalDay`` summed over a week (``week``: its Monday): an unfiltered report
    over whole days reads the weeks wholly inside its range and the days at its edges, a
    few times fewer rows than every day's (rebuilt with the days, ``analytics.voc``)."""

    week = models.DateField()
    keyword = models.CharField(max_length=100)
    kind = models.CharField(max_length=6, choices=MessageKeyword.Kind.choices)
    language = models.CharField(max_length=8)
    author_kind = models.CharField(max_length=8, choices=AuthorKind.choices)
    count = models.IntegerField()
    score_sum = models.FloatField()

    class Meta:
        indexes = [models.Index(fields=["week", "kind"], name="analytics_voc_kwweek_week")]
