"""The project (settings, ASGI, URLs, Celery app, web pages) on top, the socket gateway (consumers,
socket writer, routing) under it, and at the bottom the org core: staff, tags, destinations, errors, events."""

from contactcenter.celery import app as celery_app

__all__ = ["celery_app"]
