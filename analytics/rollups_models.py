"""Daily pre-aggregates of the analytics facts (analytics.rollups): per business day (in a
time zone) and per dimension value, the counts and sums of the summary and the histograms
of the three timed measures at the precision shown (0.1 s), so that a report over N days
reads N x (dimension values) rows instead of every enquiry's fact, with the very same
figures."""

from __future__ import annotations

import json
from typing import Any

from django.db import models


class FloatListField(models.Field):
    """A list of floats: ``double precision[]`` on PostgreSQL (the reports unnest it), JSON
    text elsewhere (floats round-trip exactly through ``repr``)."""

    description = "A list of floats"

    def db_type(self, connection: Any) -> str:
        return "double precision[]" if connection.vendor == "postgresql" else "text"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> list[float]:
        if value is None:
            return []
        if isinstance(value, str):
            return [float(v) for v in json.loads(value)]
        return [float(v) for v in value]

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        values = [float(v) for v in (value or [])]
        return values if connection.vendor == "postgresql" else json.dumps(values)


class DailyRollup(models.Model):
    """The figures of the enquiries created on ``day`` (in ``zone``) whose ``dim`` is ``key``:
    dim ``all`` (key ""), ``hour`` (key "00".."23", the local hour), ``agent`` (the owner's
    id, "" unassigned), ``channel``, ``channel_kind``, ``tag`` (destination) and
    ``conversation_tag`` (a tag or a parent of one of the enquiry's tags, each enquiry once
    per key; "" untagged)."""

    zone = models.CharField(max_length=64)
    day = models.DateField()
    dim = models.CharField(max_length=16)
    key = models.CharField(max_length=64, blank=True, default="")
    opened = models.IntegerField(default=0)
    handled = models.IntegerField(default=0)
    missed = models.IntegerField(default=0)
    m_timeout = models.IntegerField(default=0)
    m_nobody_available = models.IntegerField(default=0)
    m_out_of_hours = models.IntegerField(default=0)
    m_all_rejected = models.IntegerField(default=0)
    m_note_left = models.IntegerField(default=0)
    resolved = models.IntegerField(default=0)
    reopened = models.IntegerField(default=0)
    transferred = models.IntegerField(default=0)
    messages_customer = models.BigIntegerField(default=0)
    messages_staff = models.BigIntegerField(default=0)
    csat_sum = models.BigIntegerField(default=0)
    csat_count = models.IntegerField(default=0)
    csat_4_5 = models.IntegerField(default=0)
    csat_comments = models.IntegerField(default=0)
    # The histogram of each timed measure: its non-null values rounded as the reports show
    # them (seconds to 0.1, Python's ``round(v, 1)``), ascending, and how many of each.
    # Rounding is non-decreasing, so the k-th smallest rounded value is the rounding of the
    # k-th smallest value: every percentile shown is the one computed from the facts.
    wait_v = FloatListField()
    wait_n = FloatListField()
    first_response_v = FloatListField()
    first_response_n = FloatListField()
    handle_v = FloatListField()
    handle_n = FloatListField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["zone", "dim", "day", "key"], name="arollup_once")]


class RollupDay(models.Model):
    """A day (in ``zone``) whose rollup rows are built (a day without enquiries has none),
    with the conversation tags' tree it was built with (a digest: a tag moved or deleted
    changes the groups, so the day is built again)."""

    zone = models.CharField(max_length=64)
    day = models.DateField()
    tags = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["zone", "day"], name="arollup_day_once")]


class RollupDirty(models.Model):
    """A UTC date some of whose enquiries' facts changed since their day's rollups were
    built (append-only, so marking never waits on a lock; the refresh deletes the marks it
    has seen, then rebuilds the local days they touch)."""

    day = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["day"], name="arollup_dirty_day")]
