"""The project layer, on top of every app: settings, ASGI and URLs, the Celery app, the dashboard's
pages; inside it the org core (org/, the bottom app) and the socket gateway (gateway/)."""

from contactcenter.celery import app as celery_app

__all__ = ["celery_app"]
