"""Notifications (SPEC section 10): a staff member's list of what concerns them (mentions,
transfers offered to them, take-overs, missed enquiries of their destinations, reviews of
them), with read state, live over the socket. Above history and below analytics: the
lower apps reach it only through hooks it registers in ``ready()``; analytics (reviews)
calls its services."""

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self) -> None:
        pass
