"""Analytics, quality review and the voice of the customer (SPEC section 10): rollups of the
enquiry event log kept up to date as events happen (and rebuilt by ``manage.py
analytics_rebuild``), the summary and ranking reports, quality reviews against an admin's
rubric, sentiment and keywords. The top feature app: it reads enquiries, rooms, channels,
customers, history and notifications, and none of them imports it (they reach it only
through hooks registered in ``ready()``)."""

from django.apps import AppConfig
from django.conf import settings


class AnalyticsConfig(AppConfig):
    name = "analytics"

    def ready(self) -> None:
        from analytics import facts
        from contactcenter.org.services import on_staff_availability_changed, on_staff_created
        from enquiries.hooks import register_enquiry_event_observer, register_tag_tree_observer
        from rooms.hooks import register_message_observers

        register_enquiry_event_observer(facts.enquiry_event_observed)
        register_tag_tree_observer(facts.conversation_tags_changed)
        register_message_observers(posted=facts.messages_posted)
        on_staff_availability_changed(facts.staff_availability_changed)
        on_staff_created(facts.staff_created)
        self.voc_ready()

    def voc_ready(self) -> None:
        """Voice of the customer (analytics.voc): queue messages as they are posted, score
        them in a sweep, forget them with erasure and retention."""
        from analytics import voc, voc_tasks  # noqa: F401 - Imported here: models load after the app registry.
        from contactcenter.org.background import register_sweep  # Imported here: see above.
        from history.hooks import register_erasure_hook, register_retention_hook  # Imported here: see above.
        from rooms import hooks  # Imported here: rooms' models load after the app registry.

        hooks.register_message_observers(posted=voc.voc_messages_posted, changed=voc.voc_message_changed)
        register_erasure_hook(voc.voc_erase)
        register_retention_hook(voc.voc_retain)
        register_sweep("analytics.voc.voc_sweep", every=settings.CC_VOC_SWEEP_SECONDS)
