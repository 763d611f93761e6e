"""Log formats (README "Logs"): one JSON object per line in production, readable text in the
embedded default (CC_LOG_FORMAT). Both carry the request id (contactcenter.org.request_ids).

Structured fields of a line go in ``extra={"fields": {...}}``; the JSON formatter puts them
at the top level of the object, the text formatter appends them as ``key=value``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from contactcenter.org.request_ids import NO_REQUEST


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    fields = getattr(record, "fields", None)
    return fields if isinstance(fields, dict) else {}


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "msg", "request_id", ...fields, "exc"}``, one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": getattr(record, "request_id", NO_REQUEST),
        }
        for key, value in _fields(record).items():
            entry.setdefault(key, value)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``2026-12-01 13:40:53,123 INFO name [request id] message key=value ...``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = NO_REQUEST
        text = super().format(record)
        fields = _fields(record)
        if fields:
            first, newline, rest = text.partition("\n")
            text = first + " " + " ".join(f"{k}={v}" for k, v in fields.items()) + newline + rest
        return text


def logging_config(fmt: str, level: str) -> dict[str, Any]:
    """The LOGGING dict of settings for CC_LOG_FORMAT ``fmt`` ("json" or "text")."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "contactcenter.org.request_ids.RequestIdFilter"}},
        "formatters": {
            "json": {"()": "contactcenter.org.logs.JsonFormatter"},
            "text": {"()": "contactcenter.org.logs.TextFormatter"},
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": fmt, "filters": ["request_id"]},
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {"django.request": {"level": "ERROR"}},
    }
