"""``/readyz`` and ``/metrics`` (README "Health and metrics"); ``/healthz`` stays in
contactcenter.views, with no dependency at all."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterator

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, CollectorRegistry, generate_latest
from prometheus_client import multiprocess as prometheus_multiprocess
from prometheus_client.core import Metric
from prometheus_client.registry import REGISTRY

import contactcenter
from contactcenter.ops import readiness
from contactcenter.ops.collectors import ScrapeCollector
from contactcenter.org import metrics
from contactcenter.org.client_address import client_ip


@require_safe
async def readyz(request: HttpRequest) -> HttpResponse:
    """Ready to serve: every dependency answers (or is not used here). 503 otherwise. For
    load balancers and container healthchecks; no authentication, nothing secret."""
    results = await readiness.run_checks()
    ready = all(r.state != readiness.FAILED for r in results.values())
    body = {
        "status": "ready" if ready else "not ready",
        "version": contactcenter.__version__,
        "checks": {name: result.as_dict() for name, result in results.items()},
    }
    response = JsonResponse(body, status=200 if ready else 503)
    response["Cache-Control"] = "no-store"
    # Logged once, by the request log (contactcenter.ops.middleware), not by django.request
    # too at every probe of an outage.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def _bearer(request: HttpRequest) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def metrics_allowed(request: HttpRequest) -> int:
    """0 when ``request`` may read /metrics, else the HTTP status to refuse it with. With
    CC_METRICS_TOKEN: that bearer token, from anywhere. Without: loopback and private
    client addresses only, as the declared proxies give the address (a client's own
    X-Forwarded-For counts for nothing)."""
    token = settings.CC_METRICS_TOKEN
    if token:
        given = _bearer(request)
        return 0 if given and hmac.compare_digest(given.encode(), token.encode()) else 401
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return 403
    return 0 if (address.is_loopback or address.is_private) else 403


class _Scrape:
    """What one scrape shows: the counted metrics (every process's, in multiprocess mode;
    else this process's) and the figures read now."""

    def collect(self) -> Iterator[Metric]:
        if metrics.MULTIPROC_DIR:
            metrics.dead_live_gauges_remove()
            registry = CollectorRegistry()
            prometheus_multiprocess.MultiProcessCollector(registry)
            yield from registry.collect()
        else:
            yield from REGISTRY.collect()
        yield from ScrapeCollector().collect()


@require_safe
def metrics_view(request: HttpRequest) -> HttpResponse:
    refused = metrics_allowed(request)
    response: HttpResponse
    if refused == 401:
        response = JsonResponse({"detail": gettext("A valid bearer token is required.")}, status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if refused:
        return JsonResponse({"detail": gettext("Metrics are served to private addresses only.")}, status=403)
    text = generate_latest(_Scrape())  # type: ignore[arg-type]  # any object with collect() will do
    response = HttpResponse(text, content_type=CONTENT_TYPE_PLAIN_0_0_4)
    response["Cache-Control"] = "no-store"
    return response
