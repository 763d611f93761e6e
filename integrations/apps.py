"""Integrations (issue 17): outgoing webhooks, signed JSON deliveries of enquiry and message
events to URLs admins register, retried with back-off, with a delivery log. Above robot."""

from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
