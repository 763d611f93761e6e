"""API routes of the analytics app, mounted under /api/v1/ by contactcenter/urls.py."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

from analytics import reports_api
from analytics.reviews_api import urlpatterns as reviews_urls

urlpatterns: list[URLPattern | URLResolver] = []
# The summary and the agents' ranking (analytics/reports_api.py).
urlpatterns += reports_api.urlpatterns
# Quality review (analytics/reviews_api.py).
urlpatterns += reviews_urls
