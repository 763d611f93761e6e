"""JSON error pages for the API and the webhooks (no stack traces, no HTML for API
clients), and the health check."""

from __future__ import annotations

import sys
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.views.decorators.http import require_safe

from contactcenter.org.api_errors import REQUEST_TOO_LARGE
from contactcenter.org.outages import is_outage, request_outage, unavailable_response


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith(("/api/", "/webhooks/")) or "application/json" in request.headers.get("Accept", "")


def bad_request(request: HttpRequest, exception: Any = None) -> HttpResponse:
    """Django's 400 (a SuspiciousOperation: a body over DATA_UPLOAD_MAX_MEMORY_SIZE, too
    many fields, a bad Host...). A body too large is a 413."""
    if isinstance(exception, RequestDataTooBig):
        if _wants_json(request):
            return JsonResponse({"detail": REQUEST_TOO_LARGE}, status=413)
        return render(request, "error.html", {"message": REQUEST_TOO_LARGE}, status=413)
    if _wants_json(request):
        return JsonResponse({"detail": gettext("Bad request.")}, status=400)
    return render(request, "error.html", {"message": gettext("Bad request.")}, status=400)


def permission_denied(request: HttpRequest, exception: Any = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"detail": gettext("You do not have permission to do this.")}, status=403)
    return render(
        request, "error.html", {"message": gettext("You do not have permission to see this page.")}, status=403
    )


def not_found(request: HttpRequest, exception: Any = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"detail": gettext("Not found.")}, status=404)
    return render(request, "error.html", {"message": gettext("Page not found.")}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this while handling the exception: an outage raised outside a view (by
    # a middleware: the session, the user) is a 503 too.
    exc = sys.exc_info()[1]
    if is_outage(exc):
        assert exc is not None
        request_outage(exc)
        return unavailable_response(request)
    if _wants_json(request):
        return JsonResponse({"detail": gettext("Something went wrong on our side. Nothing was changed.")}, status=500)
    return render(request, "error.html", {"message": gettext("Something went wrong.")}, status=500)


@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for load balancers and container healthchecks: the process serves HTTP.
    No authentication and, for now, no check of PostgreSQL or Redis."""
    return JsonResponse({"status": "ok"})
