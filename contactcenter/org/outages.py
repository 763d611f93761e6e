"""Brief outages of PostgreSQL or Redis: answer 503 with ``Retry-After``, never 500, and
log an outage once rather than once per request.

- ``is_outage(exc)``: an error that means a backing service is unreachable (not a bug).
- ``unavailable_body()`` / ``RETRY_AFTER``: the 503 answer, shared by the DRF exception
  handler (``api_errors``), the middleware below and the 500 handler (``views``).
- ``OutageLog``: one WARNING when a component starts failing, one INFO when it works again.
- ``ServiceUnavailableMiddleware``: a view (page, webhook, any non-DRF view) that raised
  an outage error answers 503 instead of 500.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import redis.exceptions
from django.conf import settings
from django.db import InterfaceError as DbInterfaceError
from django.db import OperationalError as DbOperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from kombu.exceptions import OperationalError as KombuOperationalError

logger = logging.getLogger(__name__)

# Redis unreachable or not answering in time (redis-py's own classes, not the builtins).
REDIS_ERRORS: tuple[type[BaseException], ...] = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    DbOperationalError,
    DbInterfaceError,
    *REDIS_ERRORS,
    KombuOperationalError,
)

UNAVAILABLE_DETAIL = "The service is briefly unavailable. Try again in a few seconds."


def retry_after() -> str:
    return str(max(1, int(settings.CC_RETRY_AFTER_SECONDS)))


def is_outage(exc: BaseException | None) -> bool:
    """True when ``exc`` (or the error it was raised from) says that PostgreSQL, Redis or the
    Celery broker cannot be reached. Integrity errors and the like are not outages."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, OUTAGE_ERRORS):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def unavailable_body() -> dict[str, Any]:
    return {"detail": UNAVAILABLE_DETAIL, "code": "unavailable"}


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith(("/api/", "/webhooks/")) or "application/json" in request.headers.get("Accept", "")


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: JSON for API clients, a short page for browsers."""
    response: HttpResponse
    if _wants_json(request):
        response = JsonResponse(unavailable_body(), status=503)
    else:
        # No template: rendering one may itself need what is down (a context processor).
        response = HttpResponse(
            "<!doctype html><title>Briefly unavailable</title><h1>Briefly unavailable</h1>"
            "<p>Try again in a few seconds.</p>",
            status=503,
            content_type="text/html; charset=utf-8",
        )
    response["Retry-After"] = retry_after()
    return response


class OutageLog:
    """Logs the first failure of ``component`` and its recovery, not every failure."""

    def __init__(self, component: str) -> None:
        self.component = component
        self.down = False
        self._lock = threading.Lock()

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            first, self.down = not self.down, True
        if first:
            logger.warning(
                "%s unavailable (%s: %s); degrading until it is back", self.component, type(exc).__name__, exc
            )

    def ok(self) -> None:
        if not self.down:  # the common case, without the lock
            return
        with self._lock:
            was, self.down = self.down, False
        if was:
            logger.info("%s is back", self.component)


_requests_log = OutageLog("a backing service (database, Redis or broker) of web requests")


def request_outage(exc: BaseException) -> None:
    """Record an outage met by a request (logged once until a request succeeds again)."""
    _requests_log.failed(exc)


def request_succeeded() -> None:
    _requests_log.ok()


class ServiceUnavailableMiddleware:
    """Outage errors raised by views answer 503 + Retry-After (DRF views answer it through
    ``api_errors.exception_handler``; errors raised by other middleware reach Django's 500
    handler, ``views.server_error``, which answers 503 too)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 500:
            request_succeeded()
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_outage(exception):
            return None
        request_outage(exception)
        return unavailable_response(request)
