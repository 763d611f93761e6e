"""API routes of the history app, mounted under /api/v1/ by contactcenter/urls.py."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from history import search_api

urlpatterns: list[URLPattern | URLResolver] = [
    path("search", search_api.SearchView.as_view(), name="search"),
]
