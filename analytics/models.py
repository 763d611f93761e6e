"""Analytics' tables: per-part modules define their models and this module imports them
(Django looks for models here)."""

from analytics.facts_models import AvailabilitySpan, EnquiryFact, EnquiryFactTag, HandlingSpan  # noqa: F401
