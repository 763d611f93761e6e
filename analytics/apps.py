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
        pass
