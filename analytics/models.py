"""Analytics' tables: per-part modules define their models and this module imports them
(Django looks for models here)."""

from analytics import voc_models  # noqa: F401
from analytics.facts_models import AvailabilitySpan, EnquiryFact, EnquiryFactTag, EnquiryFactTagGroup, HandlingSpan  # noqa: F401
from analytics.reviews_models import Review, ReviewCriterion, ReviewScore  # noqa: F401
