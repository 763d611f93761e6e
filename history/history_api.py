"""API: History (finished enquiries, keyset pages), one enquiry's read-only transcript
with its files, and the transcript as a text or PDF download. Staff only; every view
checks what the caller may see (history.selectors) and answers 404 for the rest."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, HttpResponse
from django.urls import URLPattern, path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contactcenter.org.api_errors import page_of
from contactcenter.org.models import Staff
from contactcenter.org.permissions import staff_of
from enquiries.models import Enquiry
from history import transcripts
from history.filters import FINISHED
from history.selectors import (
    MAX_LIMIT,
    access_history_enquiry,
    history_page,
    history_query_parse,
    history_row,
    ratings_visible,
    transcript_file_message,
    transcript_message_data,
    transcript_messages,
)
from rooms.api import MessageOut
from rooms.files_api import AnyAccept, content_disposition, file_download_response

# ---------------------------------------------------------------- serializers (documentation of the JSON)


class _IdName(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class _ChannelRef(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    name = serializers.CharField()


class _DestinationRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    type = serializers.CharField(help_text="tag | staff")


class ConversationTagRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    # The metaclass takes declared fields off the class, so this does not hide Field.parent.
    parent = serializers.IntegerField(allow_null=True)  # type: ignore[assignment]
    path = serializers.CharField(help_text='"Parent > Child", or the name of a top-level tag.')


class _RatingRef(serializers.Serializer):
    score = serializers.IntegerField()
    comment = serializers.CharField(allow_blank=True)


class HistoryEnquiryOut(serializers.Serializer):
    """One finished enquiry (history.selectors.history_row)."""

    id = serializers.IntegerField()
    room = serializers.IntegerField(allow_null=True)
    status = serializers.ChoiceField(choices=Enquiry.Status.choices)
    channel = _ChannelRef()
    via = serializers.CharField(help_text='"weblink" for a web link, else the channel\'s kind.')
    destination = _DestinationRef()
    tag = _IdName(allow_null=True, help_text="The destination's tag (who it was routed to); null for a person.")
    visitor = _IdName()
    customer = _IdName(allow_null=True)
    owner = _IdName(allow_null=True)
    created_at = serializers.DateTimeField()
    picked_up_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True, help_text="Resolved, closed without resolve, or missed.")
    resolved_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    missed_at = serializers.DateTimeField(allow_null=True)
    duration_seconds = serializers.IntegerField()
    topic = serializers.CharField(allow_blank=True)
    first_message = serializers.CharField(allow_blank=True)
    tags = ConversationTagRef(many=True)
    message_count = serializers.IntegerField(allow_null=True, help_text="Text and file messages.")
    rating = _RatingRef(
        allow_null=True, required=False, help_text="Admins, or agents when ratings are visible to them."
    )


HistoryListOut = page_of(HistoryEnquiryOut, "HistoryListOut", by="next_cursor")


class TranscriptMessageOut(MessageOut):
    staff_only = serializers.BooleanField(help_text="Staff-only (never shown to the visitor).")


class _Downloads(serializers.Serializer):
    txt = serializers.CharField()
    pdf = serializers.CharField()


class TranscriptOut(serializers.Serializer):
    enquiry = HistoryEnquiryOut()
    messages = TranscriptMessageOut(many=True, help_text="Oldest first; file URLs serve through History.")
    downloads = _Downloads()


def _filter_parameters() -> list[OpenApiParameter]:
    return [
        OpenApiParameter("from", str, required=False, description="A date (its whole day) or an ISO time."),
        OpenApiParameter("to", str, required=False, description="A date (included) or an ISO time (excluded)."),
        OpenApiParameter("channel", int, required=False),
        OpenApiParameter("tag", int, required=False, description="The tag it was routed to."),
        OpenApiParameter("conversation_tag", int, required=False, description="A parent tag matches its children."),
        OpenApiParameter("owner", int, required=False),
        OpenApiParameter("rating", int, required=False, description="1-5."),
        OpenApiParameter("customer", int, required=False),
        OpenApiParameter(
            "status",
            str,
            required=False,
            description=f"Comma-separated; default {','.join(FINISHED)}.",
        ),
        OpenApiParameter("cursor", str, required=False, description="next_cursor of the previous page."),
        OpenApiParameter("limit", int, required=False, description=f"1-{MAX_LIMIT}, default 50."),
    ]


# ---------------------------------------------------------------- views


class HistoryListView(APIView):
    @extend_schema(parameters=_filter_parameters(), responses={200: HistoryListOut}, operation_id="history_list")
    def get(self, request: Request) -> Response:
        """Finished enquiries the caller may see (admins: all; agents: owned or ever a
        member of), newest first, a page at a time."""
        staff = staff_of(request)
        query = history_query_parse(staff, request.query_params)
        rows, next_cursor = history_page(staff, query)
        show_rating = ratings_visible(staff)
        return Response(
            {"results": [history_row(e, include_rating=show_rating) for e in rows], "next_cursor": next_cursor}
        )


def _transcript_json(staff: Staff, enquiry: Enquiry) -> dict[str, Any]:
    base = f"/api/v1/enquiries/{enquiry.pk}/transcript"
    return {
        "enquiry": history_row(enquiry, include_rating=ratings_visible(staff)),
        "messages": [transcript_message_data(enquiry.pk, m) for m in transcript_messages(enquiry)],
        "downloads": {"txt": f"{base}.txt", "pdf": f"{base}.pdf"},
    }


class HistoryDetailView(APIView):
    @extend_schema(responses={200: TranscriptOut}, operation_id="history_transcript")
    def get(self, request: Request, enquiry_id: int) -> Response:
        """The enquiry and every message of its room, oldest first (read-only)."""
        staff = staff_of(request)
        enquiry = access_history_enquiry(staff, enquiry_id)
        return Response(_transcript_json(staff, enquiry))


class _HistoryFileView(APIView):
    content_negotiation_class = AnyAccept
    thumbnail = False

    @extend_schema(responses={(200, "*/*"): OpenApiTypes.BINARY})
    def get(self, request: Request, enquiry_id: int, message_id: int) -> FileResponse:
        message = transcript_file_message(staff_of(request), enquiry_id, message_id)
        return file_download_response(message, thumbnail=self.thumbnail)


class HistoryFileView(_HistoryFileView):
    """A file of a transcript, for staff who may read it (members or not)."""


class HistoryThumbnailView(_HistoryFileView):
    thumbnail = True


class _TranscriptDownloadView(APIView):
    content_negotiation_class = AnyAccept
    extension = "txt"

    def get(self, request: Request, enquiry_id: int) -> HttpResponse:
        staff = staff_of(request)
        enquiry = access_history_enquiry(staff, enquiry_id)
        tz = transcripts.staff_zone(staff)
        header = transcripts.header_lines(enquiry, tz=tz, include_rating=ratings_visible(staff))
        base_url = request.build_absolute_uri("/").rstrip("/")
        lines = [
            transcripts.message_line(m, base_url=base_url, enquiry_id=enquiry.pk) for m in transcript_messages(enquiry)
        ]
        if self.extension == "pdf":
            title = f"{enquiry.visitor.display_name} - #{enquiry.pk}"
            body = transcripts.transcript_pdf(title, header, lines, tz=tz)
            response = HttpResponse(body, content_type="application/pdf")
        else:
            text = transcripts.transcript_text(header, lines, tz=tz)
            response = HttpResponse(text.encode(), content_type="text/plain; charset=utf-8")
        name = transcripts.transcript_filename(enquiry, self.extension)
        response["Content-Disposition"] = content_disposition(name, inline=False)
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


class TranscriptTextView(_TranscriptDownloadView):
    extension = "txt"

    @extend_schema(
        responses={(200, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description="The transcript as text.")},
        operation_id="enquiry_transcript_txt",
    )
    def get(self, request: Request, enquiry_id: int) -> HttpResponse:
        return super().get(request, enquiry_id)


class TranscriptPdfView(_TranscriptDownloadView):
    extension = "pdf"

    @extend_schema(
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The transcript.")},
        operation_id="enquiry_transcript_pdf",
    )
    def get(self, request: Request, enquiry_id: int) -> HttpResponse:
        return super().get(request, enquiry_id)


urlpatterns: list[URLPattern] = [
    path("history", HistoryListView.as_view()),
    path("history/<int:enquiry_id>", HistoryDetailView.as_view()),
    path("history/<int:enquiry_id>/files/<int:message_id>", HistoryFileView.as_view()),
    path("history/<int:enquiry_id>/files/<int:message_id>/thumbnail", HistoryThumbnailView.as_view()),
    path("enquiries/<int:enquiry_id>/transcript.txt", TranscriptTextView.as_view()),
    path("enquiries/<int:enquiry_id>/transcript.pdf", TranscriptPdfView.as_view()),
]
