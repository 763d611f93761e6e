"""API routes of the history app, mounted under /api/v1/ by contactcenter/urls.py."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

from history.history_api import urlpatterns as history_list_urls

urlpatterns: list[URLPattern | URLResolver] = []
urlpatterns += history_list_urls
