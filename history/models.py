"""Models of the history app (each part in its own module)."""

from history.search_models import CustomerIndex, EnquiryIndex, MessageIndex, SearchStale

__all__ = ["CustomerIndex", "EnquiryIndex", "MessageIndex", "SearchStale"]
