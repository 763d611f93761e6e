"""Analytics' tables: per-part modules define their models and this module imports them
(Django looks for models here)."""

from analytics.reviews_models import Review, ReviewCriterion, ReviewScore  # noqa: F401
