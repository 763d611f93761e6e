"""API: a visitor's profile photo (from their messaging platform), fetched and cached by
the server like link preview images (rooms.previews), so that agents' browsers load
nothing from other hosts."""

from __future__ import annotations

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.views import APIView

from contactcenter.org.errors import NotFound
from contactcenter.org.permissions import IsStaff
from enquiries.models import Visitor
from rooms import previews
from rooms.files_api import AnyAccept, image_response


class VisitorPhotoView(APIView):
    permission_classes = [IsStaff]
    content_negotiation_class = AnyAccept

    @extend_schema(responses={(200, "image/*"): OpenApiTypes.BINARY, 404: OpenApiResponse(description="No photo.")})
    def get(self, request: Request, visitor_id: int) -> FileResponse:
        visitor = Visitor.objects.filter(pk=visitor_id).first()
        if visitor is None or not visitor.photo_url:
            raise NotFound("This visitor has no photo.")
        try:
            full, content_type = previews.preview_image_cached(visitor.photo_url)
        except previews.PreviewRefused as exc:
            raise NotFound("The photo is not available.") from exc
        return image_response(full, content_type, "photo")
