"""Platform webhook URLs (issue 6): /webhooks/<kind>/<channel id>/."""

from django.urls import URLPattern, path

from channels_adapters import webhooks

urlpatterns: list[URLPattern] = [
    path("<str:kind>/<int:channel_id>/", webhooks.webhook, name="platform-webhook"),
]
