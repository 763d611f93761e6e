"""Domain errors to HTTP codes, in one place; and the API's pagination."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from contactcenter.errors import DomainError


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        body: dict[str, Any] = {"detail": exc.message}
        if exc.code:
            body["code"] = exc.code
        body.update(exc.fields)
        return Response(body, status=exc.status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.ValidationError) and isinstance(response.data, dict):
        # Field errors keep their keys; a summary "detail" names the first one.
        if "detail" not in response.data:
            first_field, first = next(iter(response.data.items()))
            message = first[0] if isinstance(first, list) and first else first
            if isinstance(message, dict):
                message = "invalid"
            response.data["detail"] = f"{first_field}: {message}"
    if response is not None and isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        response.status_code = (
            status.HTTP_401_UNAUTHORIZED if response.status_code == 401 else response.status_code
        )
    return response
