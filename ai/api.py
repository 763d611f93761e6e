"""The ai app's API: the provider's configuration and the call log (admins), whether AI is
available (staff), and assist on an enquiry (summary, reply drafts, labels; members of its
room and admins). Provider failures answer 502/503/504 with a ``detail``.

``?stream=1`` (or ``Accept: text/event-stream``) on an assist answers server-sent events as
the provider streams: ``delta`` events ({"text": ...}), then one ``done`` event with the
same JSON as the plain answer, or one ``error`` event ({"detail", "status", "code"})."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import StreamingHttpResponse
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ai import assist, services
from ai.client import AIError, ai_configured
from ai.selectors import access_assist_enquiry, ai_call_data, ai_calls
from contactcenter.org.api_errors import Pagination, page_of
from contactcenter.org.permissions import IsAdmin, staff_of
from rooms.files_api import AnyAccept
from rooms.selectors import message_data

# The provider's failures, documented on every operation that calls it.
AI_ERRORS: dict[int | str, Any] = {
    502: OpenApiResponse(description="The AI provider refused the request or gave an answer that cannot be read."),
    503: OpenApiResponse(
        description="No AI provider configured, the provider unavailable, or too many AI requests (Retry-After)."
    ),
    504: OpenApiResponse(description="The AI provider did not answer in time."),
}


def ai_error_response(exc: AIError) -> Response:
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else {}
    body: dict[str, Any] = {"detail": exc.detail, "code": exc.code}
    if exc.retry_after:
        body["retry_after"] = exc.retry_after
    return Response(body, status=exc.status, headers=headers)


class _AIView(APIView):
    """Provider failures (AIError) become their 502/503/504 answer."""

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, AIError):
            return ai_error_response(exc)
        return super().handle_exception(exc)


# ------------------------------------------------------------------ status and settings


class AIStatusView(APIView):
    @extend_schema(
        responses={200: inline_serializer("AIStatusOut", {"configured": serializers.BooleanField()})},
        operation_id="ai_status",
    )
    def get(self, request: Request) -> Response:
        """Whether an AI provider is configured (the room shows its AI buttons only then)."""
        return Response({"configured": ai_configured()})


class AISettingsOut(serializers.Serializer):
    source = serializers.ChoiceField(choices=["environment", "settings"])  # type: ignore[assignment]
    provider = serializers.CharField()
    base_url = serializers.CharField()
    model = serializers.CharField()
    api_version = serializers.CharField()
    api_key_set = serializers.BooleanField(help_text="The key itself is never answered.")
    api_key_readable = serializers.BooleanField(help_text="False when SECRET_KEY changed since it was saved.")
    redact = serializers.BooleanField()
    redact_forced = serializers.BooleanField(help_text="CC_AI_REDACT turns redaction on whatever the setting.")
    configured = serializers.BooleanField()
    updated_at = serializers.DateTimeField(allow_null=True)


class AISettingsIn(serializers.Serializer):
    provider = serializers.ChoiceField(choices=["", "azure", "openai"], required=False, allow_blank=True)
    base_url = serializers.CharField(max_length=500, required=False, allow_blank=True)
    model = serializers.CharField(max_length=200, required=False, allow_blank=True)
    api_version = serializers.CharField(max_length=40, required=False, allow_blank=True)
    api_key = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        write_only=True,
        help_text="Write-only; empty keeps the saved key.",
    )
    clear_api_key = serializers.BooleanField(required=False, default=False)
    redact = serializers.BooleanField(required=False)


class AISettingsView(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(responses={200: AISettingsOut}, operation_id="ai_settings_retrieve")
    def get(self, request: Request) -> Response:
        return Response(services.ai_settings_data())

    @extend_schema(request=AISettingsIn, responses={200: AISettingsOut}, operation_id="ai_settings_update")
    def put(self, request: Request) -> Response:
        """Save the provider (admins). The key is write-only: GET shows only api_key_set."""
        data = AISettingsIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.ai_settings_update(actor=staff_of(request), changes=dict(data.validated_data))
        return Response(services.ai_settings_data())


class AITestIn(serializers.Serializer):
    message = serializers.CharField(
        max_length=200, required=False, help_text="What to send (default: a request to answer OK)."
    )


class AISettingsTestView(_AIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        request=AITestIn,
        responses={
            **AI_ERRORS,
            200: inline_serializer(
                "AITestOut",
                {"ok": serializers.BooleanField(), "ms": serializers.IntegerField(), "reply": serializers.CharField()},
            ),
        },
        operation_id="ai_settings_test",
    )
    def post(self, request: Request) -> Response:
        """Send one tiny request to the configured provider."""
        data = AITestIn(data=request.data if isinstance(request.data, dict) else {})
        data.is_valid(raise_exception=True)
        return Response(
            services.ai_connection_test(actor=staff_of(request), message=data.validated_data.get("message"))
        )


class AICallOut(serializers.Serializer):
    id = serializers.IntegerField()
    staff = inline_serializer(
        "AICallStaff", {"id": serializers.IntegerField(), "name": serializers.CharField()}, allow_null=True
    )
    enquiry = serializers.IntegerField(allow_null=True)
    purpose = serializers.CharField()
    provider = serializers.CharField()
    model = serializers.CharField()
    streamed = serializers.BooleanField()
    tokens_in = serializers.IntegerField()
    tokens_out = serializers.IntegerField()
    duration_ms = serializers.IntegerField()
    attempts = serializers.IntegerField()
    outcome = serializers.CharField()
    status = serializers.IntegerField()
    error = serializers.CharField()
    created_at = serializers.DateTimeField()


AICallPageOut = page_of(AICallOut, "AICallPageOut", link=serializers.CharField)


class AICallsView(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        parameters=[
            OpenApiParameter("staff", int, required=False),
            OpenApiParameter("enquiry", int, required=False),
            OpenApiParameter("page", int, required=False),
            OpenApiParameter("page_size", int, required=False),
        ],
        responses={200: AICallPageOut},
        operation_id="ai_calls",
    )
    def get(self, request: Request) -> Response:
        """Every call to the AI provider, newest first (admins): no text, no key."""
        filters: dict[str, int] = {}
        for name in ("staff", "enquiry"):
            raw = request.query_params.get(name)
            if raw:
                if not raw.isdigit() or len(raw) > 18:
                    return Response({"detail": f"{name}: give an id.", name: ["Give an id."]}, status=400)
                filters[f"{name}_id"] = int(raw)
        paginator = Pagination()
        page = paginator.paginate_queryset(ai_calls(**filters), request, view=self) or []
        return paginator.get_paginated_response([ai_call_data(c) for c in page])


# ------------------------------------------------------------------ assist


def _sse(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _events(kind: str, chunks: Iterator[str], finish: Any) -> Iterator[str]:
    parts: list[str] = []
    try:
        for text in chunks:
            parts.append(text)
            yield _sse("delta", {"text": text})
        yield _sse("done", finish("".join(parts)))
    except AIError as exc:
        yield _sse("error", {"detail": exc.detail, "status": exc.status, "code": exc.code})


async def _async_events(events: Iterator[str]) -> AsyncIterator[str]:
    """The events for an ASGI server: each step of the sync iterator (the provider's stream,
    the ORM) in the request's sync thread, so the event loop never waits on them."""
    done = object()
    step = sync_to_async(lambda: next(events, done))
    while True:
        item = await step()
        if item is done:
            return
        yield item  # type: ignore[misc]


def _wants_stream(request: Request) -> bool:
    return request.query_params.get("stream") in ("1", "true") or "text/event-stream" in request.headers.get(
        "Accept", ""
    )


class AssistIn(serializers.Serializer):
    save_note = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Summary only: also keep it as a note on the enquiry (not when streaming).",
    )


class _AssistView(_AIView):
    kind = "summary"
    content_negotiation_class = AnyAccept  # Accept: text/event-stream is served, errors are JSON

    def post(self, request: Request, enquiry_id: int) -> Response | StreamingHttpResponse:
        data = AssistIn(data=request.data if isinstance(request.data, dict) else {})
        data.is_valid(raise_exception=True)
        staff = staff_of(request)
        enquiry = access_assist_enquiry(staff, enquiry_id)
        if _wants_stream(request):
            chunks = assist.assist_stream(self.kind, enquiry=enquiry, staff=staff)  # fails here before streaming

            def finish(text: str) -> dict[str, Any]:
                return assist.assist_result(self.kind, text, enquiry)

            events = _events(self.kind, chunks, finish)
            body: Any = _async_events(events) if isinstance(request._request, ASGIRequest) else events
            response = StreamingHttpResponse(body, content_type="text/event-stream; charset=utf-8")
            response["Cache-Control"] = "no-cache"
            response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
            return response
        result = assist.assist_run(self.kind, enquiry=enquiry, staff=staff)
        if self.kind == "summary" and data.validated_data["save_note"]:
            note = services.ai_summary_note_save(actor=staff, enquiry_id=enquiry.pk, text=result["summary"])
            result["note"] = message_data(note)
        return Response(result)


_STREAM = OpenApiParameter(
    "stream", bool, required=False, description="Answer server-sent events as the provider streams."
)


class SummaryView(_AssistView):
    kind = "summary"

    @extend_schema(
        parameters=[_STREAM],
        request=AssistIn,
        responses={**AI_ERRORS, 200: inline_serializer("AISummaryOut", {"summary": serializers.CharField()})},
        operation_id="ai_summary",
    )
    def post(self, request: Request, enquiry_id: int) -> Response | StreamingHttpResponse:
        """A summary of the enquiry's conversation, in its language (room members and admins)."""
        return super().post(request, enquiry_id)


class ReplyView(_AssistView):
    kind = "reply"

    @extend_schema(
        parameters=[_STREAM],
        request=AssistIn,
        responses={
            200: inline_serializer("AIReplyOut", {"suggestions": serializers.ListField(child=serializers.CharField())})
        },
        operation_id="ai_reply",
    )
    def post(self, request: Request, enquiry_id: int) -> Response | StreamingHttpResponse:
        """1-3 reply drafts in the customer's language; never sent by themselves."""
        return super().post(request, enquiry_id)


class LabelsView(_AssistView):
    kind = "labels"

    @extend_schema(
        parameters=[_STREAM],
        request=AssistIn,
        responses={
            **AI_ERRORS,
            200: inline_serializer(
                "AILabelsOut",
                {
                    "topic": serializers.CharField(),
                    "tags": serializers.ListField(child=serializers.DictField()),
                    "customer_tags": serializers.ListField(child=serializers.DictField()),
                    "suggested_new": serializers.DictField(),
                    "current": serializers.DictField(),
                },
            ),
        },
        operation_id="ai_labels",
    )
    def post(self, request: Request, enquiry_id: int) -> Response | StreamingHttpResponse:
        """A topic, conversation tags and customer tags chosen among the existing ones (names
        that match none only in ``suggested_new``)."""
        return super().post(request, enquiry_id)


class SummaryNoteIn(serializers.Serializer):
    text = serializers.CharField(max_length=services.NOTE_MAX_CHARS, trim_whitespace=True)


class SummaryNoteView(APIView):
    @extend_schema(
        request=SummaryNoteIn,
        responses={201: inline_serializer("AISummaryNoteOut", {"note": serializers.DictField()})},
        operation_id="ai_summary_note",
    )
    def post(self, request: Request, enquiry_id: int) -> Response:
        """Keep a (possibly edited) summary as a staff-only note in the enquiry's room and History."""
        data = SummaryNoteIn(data=request.data)
        data.is_valid(raise_exception=True)
        note = services.ai_summary_note_save(
            actor=staff_of(request), enquiry_id=enquiry_id, text=data.validated_data["text"]
        )
        return Response({"note": message_data(note)}, status=201)


urlpatterns = [
    path("ai/status", AIStatusView.as_view()),
    path("ai/settings", AISettingsView.as_view()),
    path("ai/settings/test", AISettingsTestView.as_view()),
    path("ai/calls", AICallsView.as_view()),
    path("enquiries/<int:enquiry_id>/ai/summary", SummaryView.as_view()),
    path("enquiries/<int:enquiry_id>/ai/summary/note", SummaryNoteView.as_view()),
    path("enquiries/<int:enquiry_id>/ai/reply", ReplyView.as_view()),
    path("enquiries/<int:enquiry_id>/ai/labels", LabelsView.as_view()),
]
