"""A model field kept for the migrations' history: ``FloatListField`` was the type of the
daily pre-aggregates' histograms (migration 0007, dropped by 0009: they measured slower
than the facts)."""

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
