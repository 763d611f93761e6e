"""API: files in rooms (upload, download, thumbnail) and changes to one message (edit,
recall, forward). Views check who is asking and call one service or selector each."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db.models import Model
from django.http import FileResponse
from django.urls import URLPattern, path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contactcenter.org import ratelimit
from contactcenter.org.auth import VisitorAuthentication
from contactcenter.org.errors import NotAuthorized, NotFound
from contactcenter.org.models import Staff
from contactcenter.org.parsers import FormParser, MultiPartParser
from contactcenter.org.permissions import IsStaff, IsStaffOrVisitor
from rooms import files, previews, services
from rooms.api import MessageOut
from rooms.models import Message
from rooms.selectors import Principal, access_message, access_message_to_read, access_room, message_data

# Room for the multipart envelope and the other form fields around the file itself.
_MULTIPART_SLACK_BYTES = 64 * 1024


def _principal(request: Request) -> Principal:
    user = request.user
    # Staff, or a visitor (the only other model our authentications give).
    if isinstance(user, Model):
        return user
    raise NotAuthorized("Log in as staff or send a visitor token.")


def _author(request: Request) -> dict[str, Any]:
    principal = _principal(request)
    return {"staff": principal} if isinstance(principal, Staff) else {"visitor": principal}


def _staff(request: Request) -> Staff:
    principal = _principal(request)
    if not isinstance(principal, Staff):
        raise NotAuthorized("Only staff can do this.")
    return principal


def _created_status(created: bool) -> int:
    return status.HTTP_201_CREATED if created else status.HTTP_200_OK


def content_disposition(name: str, *, inline: bool) -> str:
    """A Content-Disposition header: a plain ASCII ``filename`` for every client and, for
    other names, the exact name as RFC 5987 ``filename*``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    ascii_name = re.sub(r"[^A-Za-z0-9._ ()+-]", "_", ascii_name).strip(" .") or "file"
    header = f'{"inline" if inline else "attachment"}; filename="{ascii_name}"'
    if ascii_name != name:
        header += f"; filename*=UTF-8''{quote(name, safe='')}"
    return header


class AnyAccept(BaseContentNegotiation):
    """Downloads are whatever the file is; errors are JSON whatever the Accept header says."""

    def select_parser(self, request: Request, parsers: Any) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Request, renderers: Any, format_suffix: str | None = None) -> Any:
        return renderers[0], renderers[0].media_type


class FileUploadIn(serializers.Serializer):
    file = serializers.FileField(help_text="Image, video, document or voice message; checked by content.")
    text = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=True)
    client_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    reply_to = serializers.IntegerField(required=False, allow_null=True)


class MessageEditIn(serializers.Serializer):
    whole_on_patch = True  # PATCH needs every field (contactcenter.api_schema.AutoSchema)
    text = serializers.CharField(trim_whitespace=True)


class MessageForwardIn(serializers.Serializer):
    room = serializers.IntegerField(help_text="A room you are a member of.")
    client_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


class RoomFilesView(APIView):
    authentication_classes = [VisitorAuthentication, *APIView.authentication_classes]
    permission_classes = [IsStaffOrVisitor]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": FileUploadIn},
        responses={
            201: MessageOut,
            200: OpenApiResponse(MessageOut, description="A retry with a known client_id: the earlier message."),
            413: OpenApiResponse(description="The file is larger than CC_MAX_UPLOAD_BYTES."),
        },
    )
    def post(self, request: Request, room_id: int) -> Response:
        length = request.META.get("CONTENT_LENGTH") or "0"
        if length.isdigit() and int(length) > settings.CC_MAX_UPLOAD_BYTES + _MULTIPART_SLACK_BYTES:
            # Refused before the body is read.
            raise files.UploadTooLarge.field("file", files.upload_limit_message())
        access_room(_principal(request), room_id)
        ratelimit.upload_rate_check(_principal(request))  # before the body is read and stored
        data = FileUploadIn(data=request.data)
        data.is_valid(raise_exception=True)
        message, created = files.file_upload(
            room_id=room_id,
            upload=data.validated_data["file"],
            text=data.validated_data["text"],
            client_id=data.validated_data["client_id"],
            reply_to_id=data.validated_data.get("reply_to"),
            **_author(request),
        )
        return Response(message_data(message), status=_created_status(created))


def file_download_response(message: Message, *, thumbnail: bool) -> FileResponse:
    """The file (or thumbnail) of ``message`` as a download with safe headers; the caller
    has checked who may read it (rooms' download views, history's transcript files)."""
    full, info = files.file_for_download(message, thumbnail=thumbnail)
    if thumbnail:
        content_type = "image/png" if full.suffix == ".png" else "image/jpeg"
        inline, name = True, f"thumbnail-{PurePosixPath(info['name']).stem}{full.suffix}"
    else:
        content_type = info["content_type"]
        inline, name = info["category"] != "document", info["name"]
    response = FileResponse(full.open("rb"), content_type=content_type)
    response["Content-Disposition"] = content_disposition(name, inline=inline)
    response["X-Content-Type-Options"] = "nosniff"
    # Even if a browser rendered it, a stored file may run no script and load nothing.
    response["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox"
    )
    response["Cache-Control"] = "private, max-age=3600"
    return response


class _DownloadView(APIView):
    authentication_classes = [VisitorAuthentication, *APIView.authentication_classes]
    permission_classes = [IsStaffOrVisitor]
    content_negotiation_class = AnyAccept
    thumbnail = False

    @extend_schema(responses={(200, "*/*"): OpenApiTypes.BINARY})
    def get(self, request: Request, message_id: int) -> FileResponse:
        message = access_message_to_read(_principal(request), message_id)
        return file_download_response(message, thumbnail=self.thumbnail)


class MessageFileView(_DownloadView):
    pass


class MessageThumbnailView(_DownloadView):
    thumbnail = True


class MessagePreviewImageView(APIView):
    """The image of a message's link preview, as the server fetched and cached it (see
    rooms.previews): for those who may see the message, never a redirect to its host."""

    authentication_classes = [VisitorAuthentication, *APIView.authentication_classes]
    permission_classes = [IsStaffOrVisitor]
    content_negotiation_class = AnyAccept

    @extend_schema(responses={(200, "image/*"): OpenApiTypes.BINARY, 404: OpenApiResponse(description="No image.")})
    def get(self, request: Request, message_id: int) -> FileResponse:
        message = access_message_to_read(_principal(request), message_id)
        preview = message.data.get("preview")
        source = preview.get("image") if isinstance(preview, dict) else None
        if message.recalled_at is not None or not isinstance(source, str) or not source:
            raise NotFound("This message has no preview image.")
        try:
            full, content_type = previews.preview_image_cached(source)
        except previews.PreviewRefused as exc:
            raise NotFound("The preview image is not available.") from exc
        return image_response(full, content_type, "preview")


def image_response(full: Path, content_type: str, name: str) -> FileResponse:
    response = FileResponse(full.open("rb"), content_type=content_type)
    response["Content-Disposition"] = content_disposition(f"{name}{full.suffix}", inline=True)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=86400"
    return response


class MessageDetailView(APIView):
    authentication_classes = [VisitorAuthentication, *APIView.authentication_classes]
    permission_classes = [IsStaffOrVisitor]

    @extend_schema(request=MessageEditIn, responses={200: MessageOut})
    def patch(self, request: Request, message_id: int) -> Response:
        data = MessageEditIn(data=request.data)
        data.is_valid(raise_exception=True)
        access_message(_principal(request), message_id)
        ratelimit.message_rate_check(_principal(request))  # an edit goes out to the room as a post does
        message = services.message_edit(message_id=message_id, text=data.validated_data["text"], **_author(request))
        return Response(message_data(message))

    @extend_schema(request=None, responses={200: MessageOut})
    def delete(self, request: Request, message_id: int) -> Response:
        access_message(_principal(request), message_id)
        message = services.message_recall(message_id=message_id, **_author(request))
        return Response(message_data(message))


class MessageForwardView(APIView):
    permission_classes = [IsStaff]

    @extend_schema(
        request=MessageForwardIn,
        responses={
            201: MessageOut,
            200: OpenApiResponse(MessageOut, description="A retry with a known client_id: the earlier message."),
        },
    )
    def post(self, request: Request, message_id: int) -> Response:
        data = MessageForwardIn(data=request.data)
        data.is_valid(raise_exception=True)
        ratelimit.message_rate_check(_staff(request))
        message, created = services.message_forward(
            message_id=message_id,
            room_id=data.validated_data["room"],
            client_id=data.validated_data["client_id"],
            staff=_staff(request),
        )
        return Response(message_data(message), status=_created_status(created))


urlpatterns: list[URLPattern] = [
    path("rooms/<int:room_id>/files", RoomFilesView.as_view()),
    path("messages/<int:message_id>", MessageDetailView.as_view()),
    path("messages/<int:message_id>/file", MessageFileView.as_view()),
    path("messages/<int:message_id>/thumbnail", MessageThumbnailView.as_view()),
    path("messages/<int:message_id>/preview-image", MessagePreviewImageView.as_view()),
    path("messages/<int:message_id>/forward", MessageForwardView.as_view()),
]
