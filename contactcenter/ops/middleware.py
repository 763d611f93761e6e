"""One middleware, first in the chain: the request id (bound, and returned in
``X-Request-ID``), the request's latency and count by route, the webhook counts, and one log
line per request (README "Logs")."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from contactcenter.org import metrics, request_ids
from contactcenter.org.client_address import client_ip
from contactcenter.org.models import ChannelKind

logger = logging.getLogger("contactcenter.request")

HEADER = "X-Request-ID"
# Probes answered as expected are not logged at INFO: a healthcheck every few seconds would
# drown the log.
PROBES = frozenset({"healthz", "readyz", "metrics"})
_PLATFORMS = frozenset(ChannelKind.values)


def route_of(request: HttpRequest) -> str:
    """The URL pattern that served ``request`` ("api/v1/enquiries/<int:enquiry_id>"), never
    the raw path: a bounded label."""
    match = getattr(request, "resolver_match", None)
    if match is not None and match.route:
        return str(match.route)
    if request.path.startswith(settings.STATIC_URL):
        return "<static>"
    return "<unmatched>"


class RequestMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_ids.sane(request.headers.get(HEADER)) or request_ids.new_request_id()
        token = request_ids.bind(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[HEADER] = request_id
            self._observe(request, response.status_code, time.perf_counter() - started)
            return response
        finally:
            request_ids.reset(token)

    def _observe(self, request: HttpRequest, status: int, seconds: float) -> None:
        route = route_of(request)
        method = request.method or "?"
        metrics.http_request_duration.labels(route, method).observe(seconds)
        metrics.http_requests.labels(route, method, str(status)).inc()
        if route.startswith("webhooks/") and method == "POST":
            match = request.resolver_match
            kind = str(match.kwargs.get("kind", "")) if match is not None else ""
            platform = kind if kind in _PLATFORMS else "unknown"
            metrics.webhook_events.labels(platform, "received" if status < 300 else "refused").inc()
        if status < 400 and route in PROBES:
            level = logging.DEBUG
        else:
            level = logging.WARNING if status >= 500 else logging.INFO
        if not logger.isEnabledFor(level):
            return
        fields: dict[str, object] = {
            "method": method,
            "route": route,
            "status": status,
            "duration_ms": round(seconds * 1000, 1),
            "client": client_ip(request),
        }
        # The route's numeric ids, not the path: some paths carry signed tokens (media
        # links), and query strings may carry more.
        match = request.resolver_match
        if match is not None:
            fields.update({k: v for k, v in match.kwargs.items() if isinstance(v, int)})
        elif route == "<unmatched>":
            fields["path"] = request.path[:200]
        logger.log(level, "%s %s %s", method, route, status, extra={"fields": fields})
