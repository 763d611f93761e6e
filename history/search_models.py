"""The search index (``history.search_index`` keeps it, ``history.search`` reads it).

One row per indexed object holding its tokens (``history.search_tokens``) as a
space-separated string. PostgreSQL adds a generated ``tsvector`` column with a GIN index to
each table; SQLite keeps an FTS5 table per index (migration ``0001_search_index``). A row
goes with its object (FK CASCADE, also in the database on PostgreSQL, so a raw DELETE of
messages by retention or erasure takes the index rows with it)."""

from __future__ import annotations

from django.db import models


class MessageIndex(models.Model):
    """A message that search can find: a text or file message of an enquiry's room (not a
    staff conversation), not recalled. ``room_id``,
    ``enquiry_id`` and ``created_at`` are copied from the message so a search narrows and
    orders without joining the message table."""

    message = models.OneToOneField("rooms.Message", primary_key=True, on_delete=models.CASCADE, related_name="+")
    room = models.ForeignKey("rooms.Room", on_delete=models.CASCADE, related_name="+", db_index=False)
    enquiry = models.ForeignKey("enquiries.Enquiry", on_delete=models.CASCADE, related_name="+", db_index=False)
    created_at = models.DateTimeField()
    tokens = models.TextField()

    class Meta:
        indexes = [models.Index(fields=["room", "message"], name="history_msgindex_room")]


class EnquiryIndex(models.Model):
    """An enquiry by its topic, first message, note and the visitor's and customer's names."""

    enquiry = models.OneToOneField("enquiries.Enquiry", primary_key=True, on_delete=models.CASCADE, related_name="+")
    tokens = models.TextField()


class CustomerIndex(models.Model):
    """A customer by name, email, phone, identifier and platform ids (their visitors'
    channel identities)."""

    customer = models.OneToOneField("customers.Customer", primary_key=True, on_delete=models.CASCADE, related_name="+")
    tokens = models.TextField()


class SearchStale(models.Model):
    """An enquiry or customer whose index row must be rebuilt: written by database
    triggers when an indexed field changes (so the apps below need not know about search),
    emptied by ``history.search_index.search_stale_flush`` before each search of that scope
    and by a sweep."""

    kind = models.CharField(max_length=1)  # "e" enquiry, "c" customer
    object_id = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["kind", "object_id"], name="history_searchstale_obj")]
