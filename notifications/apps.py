"""Notifications (SPEC section 10): a staff member's list of what concerns them (mentions,
transfers offered to them, take-overs, missed enquiries of their destinations, reviews of
them), with read state, live over the socket. Above history and below analytics: the
lower apps reach it only through hooks it registers in ``ready()``; analytics (reviews)
calls its services."""

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self) -> None:
        # Imported here: these modules import models, which are loaded only now.
        from contactcenter.org.background import register_sweep
        from enquiries.hooks import register_enquiry_event_observer
        from history.hooks import register_erasure_hook, register_retention_hook
        from notifications import producers, services, tasks  # noqa: F401 - tasks: its Celery task
        from rooms.hooks import register_message_observers

        register_enquiry_event_observer(producers.enquiry_event)
        register_message_observers(posted=producers.messages_posted, changed=producers.message_changed)
        # What they keep of a customer goes with an erasure, and before retention's delete.
        register_erasure_hook(services.notifications_on_erasure)
        register_retention_hook(services.notifications_on_retention)
        # Retention (CC_NOTIFICATIONS_KEEP_DAYS; beat: "sweep-notifications").
        register_sweep("notifications.services.notifications_sweep", every=3600.0)
