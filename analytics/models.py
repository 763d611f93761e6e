"""Analytics' tables: per-part modules define their models and this module imports them
(Django looks for models here)."""

from analytics.voc_models import MessageKeyword, MessageSentiment, VocPending  # noqa: F401
