"""Analytics' tables: per-part modules define their models and this module imports them
(Django looks for models here)."""

from analytics import voc_models  # noqa: F401
