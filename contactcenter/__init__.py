"""The project layer, on top of every app: settings, ASGI and URLs, the Celery app, the dashboard's
pages; inside it the org core (org/, the bottom app) and the socket gateway (gateway/)."""

from contactcenter.celery import app as celery_app

# The release (CHANGELOG.md); shown at /readyz and in the dashboard's footer. Kept equal to
# pyproject.toml's version (tests/test_version.py).
__version__ = "0.10.0"

__all__ = ["__version__", "celery_app"]
