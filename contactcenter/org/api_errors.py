"""Domain errors to HTTP codes, in one place; the API's pagination and page serializers; shared
input fields."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from contactcenter.org.errors import Busy, DomainError, RateLimited, lost_race
from contactcenter.org.outages import is_outage, request_outage, retry_after, unavailable_body
from contactcenter.org.text import json_problem

logger = logging.getLogger(__name__)

# Bodies over DATA_UPLOAD_MAX_MEMORY_SIZE (files have their own limit, CC_MAX_UPLOAD_BYTES).
REQUEST_TOO_LARGE = "The request body is too large."


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


def _has_nul(value: Any) -> bool:
    """A string (or key) that cannot be stored, or nesting too deep (contactcenter.org.text)."""
    return json_problem(value) is not None


class JSONObjectField(serializers.DictField):
    """A free-form JSON object of bounded size. Null characters are refused here because
    PostgreSQL cannot store them in jsonb (they would otherwise be a 500)."""

    default_error_messages = {
        "null_character": "Null characters, lone surrogates and deep nesting are not allowed.",
        "too_large": "This object is too large (at most {max_chars} characters as JSON).",
    }

    def __init__(self, *, max_chars: int = 10_000, **kwargs: Any) -> None:
        self.max_chars = max_chars
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        value = super().to_internal_value(data)
        if _has_nul(value):
            self.fail("null_character")
        if len(json.dumps(value, default=str)) > self.max_chars:
            self.fail("too_large", max_chars=self.max_chars)
        return value


class NoNulJSONField(serializers.JSONField):
    """Any JSON value, without null characters (see JSONObjectField)."""

    default_error_messages = {"null_character": "Null characters, lone surrogates and deep nesting are not allowed."}

    def to_internal_value(self, data: Any) -> Any:
        value = super().to_internal_value(data)
        if _has_nul(value):
            self.fail("null_character")
        return value


def _first_message(errors: Any, path: str = "") -> str:
    """'field: message' for the first error of a (possibly nested) DRF error structure."""
    if isinstance(errors, dict):
        if not errors:
            return path or "Invalid input."
        key, value = next(iter(errors.items()))
        name = "" if key in (api_settings.NON_FIELD_ERRORS_KEY, "non_field_errors") else str(key)
        return _first_message(value, ".".join(p for p in (path, name) if p))
    if isinstance(errors, list | tuple):
        return _first_message(errors[0], path) if errors else (path or "Invalid input.")
    return f"{path}: {errors}" if path else str(errors)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every error is JSON with a "detail" string; field errors keep their per-field lists.
    PostgreSQL, Redis or the broker briefly unreachable: 503 with Retry-After."""
    # First: a deadlock is an OperationalError too, but a lost race (409), not an outage or a bug.
    if not isinstance(exc, DomainError) and (conflict := lost_race(exc)) is not None:
        logger.warning("%s answered 409: %s", context.get("view").__class__.__name__, exc)
        exc = conflict
    elif is_outage(exc):
        request_outage(exc)
        return Response(unavailable_body(), status=503, headers={"Retry-After": retry_after()})
    if isinstance(exc, DomainError):
        body: dict[str, Any] = {**exc.fields, "detail": exc.message}
        if exc.code:
            body["code"] = exc.code
        headers: dict[str, str] = {}
        if isinstance(exc, RateLimited | Busy):
            body["retry_after"] = exc.retry_after
            headers["Retry-After"] = str(exc.retry_after)
        return Response(body, status=exc.status_code, headers=headers)
    if isinstance(exc, RequestDataTooBig):
        return Response({"detail": REQUEST_TOO_LARGE}, status=413)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        if isinstance(response.data, dict):
            # Field errors keep their keys; a summary "detail" names the first one.
            if not isinstance(response.data.get("detail"), str):
                response.data["detail"] = _first_message(response.data)
        else:
            response.data = {"detail": _first_message(response.data), "errors": response.data}
    elif not (isinstance(response.data, dict) and isinstance(response.data.get("detail"), str)):
        response.data = {"detail": _first_message(response.data)}
    return response


def results_of(item: type[serializers.Serializer], name: str) -> serializers.Serializer:
    """The schema of an unpaginated list answered as {"results": [...]}."""
    from drf_spectacular.utils import inline_serializer  # schema-only helper; keeps import time small

    return inline_serializer(name=name, fields={"results": item(many=True)})


PAGE_FIELDS = ("count", "next_cursor", "has_more", "next_offset")
NEXT_CURSOR_HELP = "Pass as ?cursor= for the next page; null: last."


def page_of(
    item: type[serializers.Serializer],
    name: str,
    *,
    by: str = "count",
    link: type[serializers.Field] = serializers.URLField,
    cursor: type[serializers.Field] = serializers.CharField,
) -> type[serializers.Serializer]:
    """The serializer (schema component ``name``) of a page of ``item``s: ``results`` and,
    by how the API pages (``by``):

    - "count": ``count``, ``next`` and ``previous`` links (``link``: URLField, or CharField
      where the links are not documented as URLs) before ``results`` (``Pagination``);
    - "next_cursor": the keyset cursor of the next page (``cursor``'s type), null on the last;
    - "has_more": whether older items are left;
    - "next_offset": the offset of the next page, null at the end."""
    fields: dict[str, Any]
    if by == "count":
        fields = {
            "count": serializers.IntegerField(),
            "next": link(allow_null=True),
            "previous": link(allow_null=True),
            "results": item(many=True),
        }
    elif by == "next_cursor":
        fields = {"results": item(many=True), "next_cursor": cursor(allow_null=True, help_text=NEXT_CURSOR_HELP)}
    elif by == "has_more":
        fields = {"results": item(many=True), "has_more": serializers.BooleanField()}
    elif by == "next_offset":
        fields = {
            "results": item(many=True),
            "next_offset": serializers.IntegerField(
                allow_null=True, help_text="The offset of the next page; null at the end."
            ),
        }
    else:
        raise ValueError(f"page_of: by must be one of {PAGE_FIELDS}, not {by!r}")
    return type(name, (serializers.Serializer,), {**fields, "__module__": item.__module__})


# Every error body (exception_handler above): a "detail" string, sometimes a "code", a
# "retry_after" (429) and the per-field lists of a validation error.
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "retry_after": {"type": "integer"},
    },
    "required": ["detail"],
    "additionalProperties": True,
}
ERROR_STATUSES = {
    "400": "Bad input (a field-level message per field).",
    "401": "Not authenticated.",
    "403": "Not allowed.",
    "404": "Not found (or not visible to the caller).",
    "409": "A lost race or a state that does not allow this.",
    "429": "Too many requests; see Retry-After.",
    "503": "A dependency is briefly unavailable; see Retry-After.",
}
BODY_ERROR_STATUSES = {"413": "The request body is too large.", "415": "Unsupported media type."}


def document_errors(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: the error answers, documented once for every
    operation (413/415 where the operation takes a body)."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, item in result.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for operation in item.values():
            statuses = dict(ERROR_STATUSES)
            if "requestBody" in operation:
                statuses.update(BODY_ERROR_STATUSES)
            for code, description in statuses.items():
                # A view may describe an error code itself; the body is still the Error shape.
                operation["responses"].setdefault(code, {"description": description}).setdefault("content", ref)
    return result
