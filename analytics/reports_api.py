"""API: the analytics summary and the agents' ranking (analytics.reports), as JSON or as a
CSV download (``?format=csv`` or ``Accept: text/csv``). Staff only; agents get their own
figures, admins everyone's."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import orjson
from django.http import HttpResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import reports
from contactcenter.org.permissions import staff_of
from history.exports import neutralise

# ---------------------------------------------------------------- serializers (documentation of the JSON)


class _MissedByReason(serializers.Serializer):
    timeout = serializers.IntegerField()
    nobody_available = serializers.IntegerField()
    out_of_hours = serializers.IntegerField()
    all_rejected = serializers.IntegerField()
    note_left = serializers.IntegerField()


class SummaryRowOut(serializers.Serializer):
    key = serializers.JSONField(
        allow_null=True,
        help_text="day: YYYY-MM-DD; hour: local ISO time; agent, channel, tag, conversation_tag: the id "
        "(null: no owner / untagged); channel_kind: the kind; total: null.",
    )
    label = serializers.CharField()  # type: ignore[assignment]
    opened = serializers.IntegerField()
    handled = serializers.IntegerField()
    missed = serializers.IntegerField()
    missed_rate = serializers.FloatField(
        allow_null=True, help_text="missed / opened, 4 decimals; null when none opened."
    )
    missed_by_reason = _MissedByReason()
    resolved = serializers.IntegerField()
    reopened = serializers.IntegerField()
    transferred = serializers.IntegerField()
    wait_p50_s = serializers.FloatField(allow_null=True)
    wait_p90_s = serializers.FloatField(allow_null=True)
    first_response_p50_s = serializers.FloatField(allow_null=True)
    first_response_p90_s = serializers.FloatField(allow_null=True)
    handle_time_p50_s = serializers.FloatField(allow_null=True)
    messages_customer = serializers.IntegerField()
    messages_staff = serializers.IntegerField()
    csat_avg = serializers.FloatField(allow_null=True)
    csat_count = serializers.IntegerField()
    csat_share_4_5 = serializers.FloatField(allow_null=True)
    csat_comments = serializers.IntegerField()


class SummaryOut(serializers.Serializer):
    from_ = serializers.CharField()
    to = serializers.CharField()
    time_zone = serializers.CharField()
    group_by = serializers.ChoiceField(choices=reports.GROUP_BYS)
    rows = SummaryRowOut(many=True)
    total = SummaryRowOut()

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class AgentRowOut(serializers.Serializer):
    rank = serializers.IntegerField()
    key = serializers.IntegerField(help_text="The staff member's id.")
    label = serializers.CharField(help_text="Their display name.")  # type: ignore[assignment]
    handled = serializers.IntegerField()
    resolved = serializers.IntegerField()
    reopened = serializers.IntegerField()
    transferred = serializers.IntegerField()
    wait_p50_s = serializers.FloatField(allow_null=True)
    first_response_p50_s = serializers.FloatField(allow_null=True)
    handle_time_p50_s = serializers.FloatField(allow_null=True)
    messages_staff = serializers.IntegerField()
    csat_avg = serializers.FloatField(allow_null=True)
    csat_count = serializers.IntegerField()
    active_s = serializers.FloatField()
    busy_s = serializers.FloatField()
    away_s = serializers.FloatField()
    offline_s = serializers.FloatField()
    load_avg = serializers.FloatField(help_text="Time-weighted average of enquiries handled at once.")
    load_max = serializers.IntegerField(help_text="Most enquiries handled at once.")


class AgentsOut(serializers.Serializer):
    from_ = serializers.CharField()
    to = serializers.CharField()
    time_zone = serializers.CharField()
    sort = serializers.ChoiceField(choices=list(reports.AGENT_SORTS))
    rows = AgentRowOut(many=True)

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


# ---------------------------------------------------------------- JSON


class ReportJSONRenderer(JSONRenderer):
    """The reports' JSON through orjson (an hourly range is thousands of rows: ~10x faster
    than the standard library's encoder, same compact output); anything orjson does not
    take (an error's lazy text) goes through DRF's encoder."""

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        if isinstance(data, dict):
            try:
                return bytes(orjson.dumps(data))
            except TypeError:
                pass
        return bytes(super().render(data, accepted_media_type, renderer_context))


# ---------------------------------------------------------------- CSV


class ReportNegotiation(BaseContentNegotiation):
    """JSON always (errors included); the views answer CSV themselves when asked."""

    def select_parser(self, request: Request, parsers: Any) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Request, renderers: Any, format_suffix: str | None = None) -> Any:
        return renderers[0], renderers[0].media_type


def wants_csv(request: Request) -> bool:
    fmt = request.query_params.get("format", "")
    if fmt:
        return fmt == "csv"
    return "text/csv" in request.headers.get("Accept", "")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str):
        return neutralise(value)
    return value


def _flatten(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in row.items():
        if isinstance(value, dict):
            for sub, inner in value.items():
                out[f"{name}_{sub}"] = inner
        else:
            out[name] = value
    return out


def csv_header(fields: Sequence[str]) -> list[str]:
    """The CSV columns of a report's fields (``missed_by_reason`` as one column per reason)."""
    out: list[str] = []
    for name in fields:
        if name == "missed_by_reason":
            out += [f"missed_by_reason_{r}" for r in reports.MISSED_REASONS]
        else:
            out.append(name)
    return out


def csv_response(rows: Sequence[dict[str, Any]], fields: Sequence[str], filename: str) -> HttpResponse:
    """A CSV download: UTF-8 with a BOM (spreadsheets read it as UTF-8), a header row of the
    JSON's fields (nested ones as ``name_sub``), cells a spreadsheet would take for a
    formula neutralised."""
    header = csv_header(fields)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        flat = _flatten(row)
        writer.writerow([_cell(flat.get(name)) for name in header])
    response = HttpResponse(("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


_CSV_RESPONSE = OpenApiResponse(response=OpenApiTypes.STR, description="CSV (with ?format=csv or Accept: text/csv).")
_PERIOD_PARAMETERS = [
    OpenApiParameter(
        "from",
        str,
        required=False,
        description="A date (its whole day, business time zone) or an ISO time; default today.",
    ),
    OpenApiParameter(
        "to",
        str,
        required=False,
        description="A date (included) or an ISO time (excluded); at most 366 days after from.",
    ),
    OpenApiParameter("format", str, required=False, enum=["json", "csv"], description="csv: a CSV download."),
]


class AnalyticsSummaryView(APIView):
    content_negotiation_class = ReportNegotiation
    renderer_classes = [ReportJSONRenderer]

    @extend_schema(
        parameters=[
            *_PERIOD_PARAMETERS,
            OpenApiParameter("group_by", str, required=False, enum=list(reports.GROUP_BYS), description="Default day."),
            OpenApiParameter("agent", int, required=False, description="Agents: only themselves."),
            OpenApiParameter("channel", int, required=False),
            OpenApiParameter("channel_kind", str, required=False),
            OpenApiParameter("tag", int, required=False, description="The destination id."),
            OpenApiParameter("conversation_tag", int, required=False, description="A parent tag counts its children."),
        ],
        responses={200: SummaryOut, (200, "text/csv"): _CSV_RESPONSE},
        operation_id="analytics_summary",
    )
    def get(self, request: Request) -> Response | HttpResponse:
        staff = staff_of(request)
        query = reports.summary_query_parse(staff, request.query_params)
        data = reports.summary(query)
        if wants_csv(request):
            total = {**data["total"], "label": _("Total")}
            name = f"analytics-{data['group_by']}-{query.period.from_text[:10]}-{query.period.to_text[:10]}.csv"
            return csv_response([*data["rows"], total], reports.SUMMARY_FIELDS, name)
        return Response(data)


class AnalyticsAgentsView(APIView):
    content_negotiation_class = ReportNegotiation
    renderer_classes = [ReportJSONRenderer]

    @extend_schema(
        parameters=[
            *_PERIOD_PARAMETERS,
            OpenApiParameter(
                "sort", str, required=False, enum=list(reports.AGENT_SORTS), description="Default handled."
            ),
        ],
        responses={200: AgentsOut, (200, "text/csv"): _CSV_RESPONSE},
        operation_id="analytics_agents",
    )
    def get(self, request: Request) -> Response | HttpResponse:
        staff = staff_of(request)
        data = reports.agents_ranking(staff, request.query_params)
        if wants_csv(request):
            return csv_response(
                data["rows"], reports.AGENT_FIELDS, f"analytics-agents-{data['from'][:10]}-{data['to'][:10]}.csv"
            )
        return Response(data)


urlpatterns: list[URLPattern] = [
    path("analytics/summary", AnalyticsSummaryView.as_view(), name="analytics-summary"),
    path("analytics/agents", AnalyticsAgentsView.as_view(), name="analytics-agents"),
]
