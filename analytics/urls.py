"""API routes of the analytics app, mounted under /api/v1/ by contactcenter/urls.py."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []

# Voice of the customer (analytics/voc_api.py).
from analytics.voc_api import urlpatterns as voc_urls  # noqa: E402

urlpatterns += voc_urls
