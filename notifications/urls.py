"""API routes of the notifications app, mounted under /api/v1/ by contactcenter/urls.py."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from notifications import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("notifications", api.NotificationListView.as_view()),
    path("notifications/read", api.NotificationsReadView.as_view()),
    path("notifications/<int:notification_id>", api.NotificationDetailView.as_view()),
]
