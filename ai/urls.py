"""API routes of the ai app, mounted under /api/v1/ by contactcenter/urls.py."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

from ai.api import urlpatterns as api_urlpatterns

urlpatterns: list[URLPattern | URLResolver] = [*api_urlpatterns]
