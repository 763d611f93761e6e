"""Analytics, quality review and the voice of the customer (SPEC section 10): rollups of the
enquiry event log kept up to date as events happen (and rebuilt by ``manage.py
analytics_rebuild``), the summary and ranking reports, quality reviews against an admin's
rubric, sentiment and keywords. The top feature app: it reads enquiries, rooms, channels,
customers, history and notifications, and none of them imports it (they reach it only
through hooks registered in ``ready()``)."""

from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"

    def ready(self) -> None:
        from analytics import facts
        from contactcenter.org.services import on_staff_availability_changed, on_staff_created
        from enquiries.hooks import register_enquiry_event_observer
        from rooms.hooks import register_message_observers

        register_enquiry_event_observer(facts.enquiry_event_observed)
        register_message_observers(posted=facts.messages_posted)
        on_staff_availability_changed(facts.staff_availability_changed)
        on_staff_created(facts.staff_created)
