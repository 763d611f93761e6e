"""API: exports (history.exports). ``POST /exports`` asks for one (202), ``GET /exports``
lists the caller's own, ``GET /exports/{id}`` shows its progress, and
``GET /exports/{id}/download`` streams the file: to its requester only (404 for anyone
else, admins included: the file holds what the requester could see), 410 once expired."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contactcenter.org.api_errors import JSONObjectField, results_of
from contactcenter.org.permissions import IsStaff, staff_of
from history import exports
from history.models import Export
from rooms.files_api import AnyAccept, content_disposition

CONTENT_TYPES: dict[str, str] = {
    Export.Format.CSV: "text/csv; charset=utf-8",
    Export.Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ExportIn(serializers.Serializer):
    # Plain strings: an unknown kind or format is refused by the service with its field.
    kind = serializers.CharField(help_text="enquiries, messages, notes or customers.")
    format = serializers.CharField(help_text="csv or xlsx.")
    filters = JSONObjectField(
        required=False,
        default=dict,
        max_chars=2000,
        help_text="As History's query: from, to, channel, tag, conversation_tag, owner, rating, customer, status.",
    )


class ExportOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(help_text="enquiries, messages, notes or customers.")
    format = serializers.CharField(help_text="csv or xlsx.")
    filters = serializers.DictField()
    status = serializers.CharField(help_text="pending, running, done or failed.")
    progress = serializers.IntegerField(help_text="0 to 100.")
    rows = serializers.IntegerField(help_text="Rows written so far (all of them once done).")
    size = serializers.IntegerField(help_text="The file's size in bytes once done.")
    error = serializers.CharField(help_text="Why it failed (empty otherwise).")
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True, help_text="When the file is deleted.")
    expired = serializers.BooleanField()
    download_url = serializers.CharField(allow_null=True, help_text="Only while done and not expired.")


class GoneOut(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField(required=False)


def export_data(export: Export) -> dict[str, Any]:
    expired = exports.export_is_expired(export)
    ready = export.status == Export.Status.DONE and not expired and bool(export.file)
    return ExportOut(
        {
            "id": export.pk,
            "kind": export.kind,
            "format": export.format,
            "filters": export.filters,
            "status": export.status,
            "progress": export.progress,
            "rows": export.rows,
            "size": export.size,
            "error": export.error,
            "created_at": export.created_at,
            "started_at": export.started_at,
            "finished_at": export.finished_at,
            "expires_at": export.expires_at,
            "expired": expired,
            "download_url": f"/api/v1/exports/{export.pk}/download" if ready else None,
        }
    ).data


class ExportsView(APIView):
    """The caller's own exports (the 50 newest); ask for a new one."""

    permission_classes = [IsStaff]

    @extend_schema(responses=results_of(ExportOut, "ExportList"), operation_id="exports_list")
    def get(self, request: Request) -> Response:
        return Response({"results": [export_data(e) for e in exports.exports_of(staff_of(request))]})

    @extend_schema(
        request=ExportIn,
        responses={202: OpenApiResponse(ExportOut, description="Queued; poll GET /exports/{id} for progress.")},
    )
    def post(self, request: Request) -> Response:
        data = ExportIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        export = exports.export_request(
            actor=staff_of(request), kind=values["kind"], format=values["format"], filters=values["filters"]
        )
        return Response(export_data(export), status=status.HTTP_202_ACCEPTED)


class ExportDetailView(APIView):
    permission_classes = [IsStaff]

    @extend_schema(responses=ExportOut, operation_id="export_retrieve")
    def get(self, request: Request, export_id: int) -> Response:
        return Response(export_data(exports.access_export(staff_of(request), export_id)))


class ExportDownloadView(APIView):
    permission_classes = [IsStaff]
    content_negotiation_class = AnyAccept

    @extend_schema(
        responses={
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, CONTENT_TYPES[Export.Format.XLSX]): OpenApiTypes.BINARY,
            410: OpenApiResponse(GoneOut, description="The file has expired (or was deleted after an erasure)."),
        }
    )
    def get(self, request: Request, export_id: int) -> FileResponse:
        export = exports.access_export(staff_of(request), export_id)
        full = exports.export_file_for_download(export)
        response = FileResponse(full.open("rb"), content_type=CONTENT_TYPES[export.format])
        day = (export.finished_at or export.created_at).strftime("%Y-%m-%d")
        name = f"{export.kind}-{day}-{export.pk}.{export.format}"
        response["Content-Disposition"] = content_disposition(name, inline=False)
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response
