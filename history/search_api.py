"""``GET /api/v1/search``: full-text search of messages, enquiries and customers
(``history.search``), for staff: agents find what they served, admins everything."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contactcenter.org.api_errors import page_of
from contactcenter.org.errors import InvalidInput
from contactcenter.org.permissions import staff_of
from enquiries.models import Enquiry
from history.filters import Filters, parse_filters
from history.search import MAX_LIMIT, MAX_QUERY, SCOPES, search


class _ChannelOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    name = serializers.CharField()


class SearchResultOut(serializers.Serializer):
    type = serializers.ChoiceField(choices=["message", "enquiry", "customer"])
    enquiry = serializers.IntegerField(allow_null=True, help_text="The enquiry (a customer's latest one you may see).")
    room = serializers.IntegerField(allow_null=True, help_text="The enquiry's room.")
    message = serializers.IntegerField(
        allow_null=True, help_text="The message found (messages; enquiries found by one)."
    )
    customer = serializers.IntegerField(allow_null=True)
    snippet = serializers.CharField(help_text="Plain text around the match (render as text, never as HTML).")
    highlights = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField(), min_length=2, max_length=2),
        help_text="[start, end) character ranges of the snippet to highlight.",
    )
    time = serializers.DateTimeField(help_text="The message's time, the enquiry's start, the customer's last visit.")
    status = serializers.CharField(allow_null=True)
    topic = serializers.CharField(allow_blank=True)
    channel = _ChannelOut(allow_null=True)
    name = serializers.CharField(help_text="The customer's or visitor's name.")
    from_ = serializers.CharField(allow_null=True, help_text="Who wrote the message: visitor, staff, system.")
    rank = serializers.FloatField()
    open = serializers.ChoiceField(
        choices=["room", "history"],
        help_text="Where to show it: the live room (admins, current members) or the enquiry's read-only history.",
    )

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


SearchPageOut = page_of(SearchResultOut, "SearchPageOut", by="next_offset")


def _int(params: Any, name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise InvalidInput.field(name, gettext("Use a number.")) from None
    if value < low or value > high:
        raise InvalidInput.field(name, gettext("Use a number from %(low)d to %(high)d.") % {"low": low, "high": high})
    return value


class SearchView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, required=True, description=f"Words or characters (at most {MAX_QUERY})."),
            OpenApiParameter("scope", str, enum=list(SCOPES), required=False, description="Default: messages."),
            OpenApiParameter(
                "from", str, required=False, description="The enquiry started on or after (date or time)."
            ),
            OpenApiParameter(
                "to", str, required=False, description="The enquiry started before the end of (date or time)."
            ),
            OpenApiParameter("channel", int, required=False),
            OpenApiParameter("tag", int, required=False, description="The routing tag."),
            OpenApiParameter("conversation_tag", int, required=False),
            OpenApiParameter("owner", int, required=False),
            OpenApiParameter("rating", int, required=False),
            OpenApiParameter("customer", int, required=False),
            OpenApiParameter("status", str, required=False, description="Comma-separated; default: every status."),
            OpenApiParameter("limit", int, required=False, description=f"1 to {MAX_LIMIT}; default 20."),
            OpenApiParameter("offset", int, required=False),
        ],
        responses={200: SearchPageOut},
        operation_id="search",
    )
    def get(self, request: Request) -> Response:
        staff = staff_of(request)
        params = request.query_params
        scope = params.get("scope") or "messages"
        if scope not in SCOPES:
            raise InvalidInput.field("scope", gettext("Use one of: %(scopes)s.") % {"scopes": ", ".join(SCOPES)})
        filters = parse_filters(params)
        if params.get("status") in (None, ""):
            filters = Filters(**{**filters.__dict__, "status": tuple(Enquiry.Status.values)})
        limit = _int(params, "limit", 20, 1, MAX_LIMIT)
        offset = _int(params, "offset", 0, 0, 10_000)
        page = search(staff=staff, q=params.get("q"), scope=scope, filters=filters, offset=offset, limit=limit)
        return Response(SearchPageOut({"results": page.results, "next_offset": page.next_offset}).data)
