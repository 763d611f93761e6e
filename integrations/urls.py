"""API routes of the integrations app, mounted under /api/v1/ by contactcenter/urls.py."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from integrations import api, sms_api

urlpatterns: list[URLPattern | URLResolver] = [
    path("webhooks", api.WebhooksView.as_view()),
    path("webhooks/event-types", api.WebhookEventTypesView.as_view()),
    path("webhooks/<int:webhook_id>", api.WebhookDetailView.as_view()),
    path("webhooks/<int:webhook_id>/secret", api.WebhookSecretView.as_view()),
    path("webhooks/<int:webhook_id>/test", api.WebhookTestView.as_view()),
    path("webhooks/<int:webhook_id>/deliveries", api.WebhookDeliveriesView.as_view()),
    path("webhooks/<int:webhook_id>/deliveries/<int:delivery_id>/redeliver", api.WebhookRedeliverView.as_view()),
    # Sending an SMS to the customer's phone from an enquiry's room (channels_adapters.sms).
    path("rooms/<int:room_id>/sms", sms_api.RoomSmsView.as_view()),
]
