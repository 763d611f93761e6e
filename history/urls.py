"""API routes of the history app, mounted under /api/v1/ by contactcenter/urls.py."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from history import exports_api

urlpatterns: list[URLPattern | URLResolver] = [
    path("exports", exports_api.ExportsView.as_view()),
    path("exports/<int:export_id>", exports_api.ExportDetailView.as_view()),
    path("exports/<int:export_id>/download", exports_api.ExportDownloadView.as_view()),
]
