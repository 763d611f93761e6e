"""Integrations (issue 17): outgoing webhooks, signed JSON deliveries of enquiry and message
events to URLs admins register, retried with back-off, with a delivery log. Above robot."""

from django.apps import AppConfig
from django.conf import settings


class IntegrationsConfig(AppConfig):
    name = "integrations"

    def ready(self) -> None:
        # Imported here: these modules import models, which are loaded only now.
        from contactcenter.org.background import register_sweep
        from enquiries.hooks import register_enquiry_event_observer
        from integrations import tasks, webhooks  # noqa: F401 - tasks: its Celery tasks
        from rooms.hooks import register_message_observers

        register_enquiry_event_observer(webhooks.enquiry_event_observed)
        register_message_observers(posted=webhooks.messages_posted)
        register_sweep("integrations.webhooks.webhooks_sweep", every=settings.CC_WEBHOOKS_SWEEP_SECONDS)
        register_sweep("integrations.webhooks.webhooks_log_trim", every=3600.0)
