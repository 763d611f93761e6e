"""API: room messages for members, admins (monitoring) and the room's visitor."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contactcenter.org import ratelimit
from contactcenter.org.api_errors import page_of
from contactcenter.org.auth import VisitorAuthentication
from contactcenter.org.errors import InvalidInput
from contactcenter.org.models import Staff
from contactcenter.org.permissions import IsStaffOrVisitor, principal_of
from rooms import services
from rooms.selectors import access_room, message_data, room_messages


class MessageIn(serializers.Serializer):
    # The length limit (CC_MESSAGE_MAX_CHARS) is checked by the service, as for sockets.
    text = serializers.CharField(trim_whitespace=True)
    client_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    reply_to = serializers.IntegerField(required=False, allow_null=True)


class _AuthorDoc(serializers.Serializer):
    type = serializers.CharField(help_text="staff | visitor | system")
    id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()


class MessageOut(serializers.Serializer):
    """Documents the JSON built by rooms.selectors.message_data."""

    id = serializers.IntegerField()
    room = serializers.IntegerField()
    kind = serializers.CharField(help_text="text | file | system")
    text = serializers.CharField()
    author = _AuthorDoc()
    client_id = serializers.CharField()
    reply_to = serializers.IntegerField(allow_null=True)
    forwarded_from = serializers.IntegerField(allow_null=True)
    # The metaclass takes declared fields off the class, so this does not hide Serializer.data.
    data = serializers.DictField()  # type: ignore[assignment]
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)
    recalled_at = serializers.DateTimeField(allow_null=True)


MessagePageOut = page_of(MessageOut, "MessagePageOut", by="has_more")


def _whole_number(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    if not (raw.isascii() and raw.lstrip("-").isdigit()) or len(raw) > 18:
        raise InvalidInput.field(name, f"{name} must be a whole number.")
    return int(raw)


class RoomMessagesView(APIView):
    authentication_classes = [
        VisitorAuthentication,
        *APIView.authentication_classes,
    ]
    permission_classes = [IsStaffOrVisitor]

    @extend_schema(
        parameters=[
            OpenApiParameter("after", int, required=False, description="Only messages with a larger id."),
            OpenApiParameter("limit", int, required=False),
        ],
        responses={200: MessagePageOut},
    )
    def get(self, request: Request, room_id: int) -> Response:
        after = _whole_number(request, "after", 0)
        limit = min(max(_whole_number(request, "limit", 200), 1), 500)
        room = access_room(principal_of(request), room_id)
        is_visitor = not isinstance(principal_of(request), Staff)
        messages = list(room_messages(room, after=after, for_visitor=is_visitor, limit=limit + 1))
        has_more = len(messages) > limit
        results = [message_data(m, for_visitor=is_visitor) for m in messages[:limit]]
        return Response({"results": results, "has_more": has_more})

    @extend_schema(
        request=MessageIn,
        responses={
            201: MessageOut,
            200: OpenApiResponse(MessageOut, description="A retry with a known client_id: the earlier message."),
        },
    )
    def post(self, request: Request, room_id: int) -> Response:
        data = MessageIn(data=request.data)
        data.is_valid(raise_exception=True)
        access_room(principal_of(request), room_id)
        principal = principal_of(request)
        ratelimit.message_rate_check(principal)
        author = {"staff": principal} if isinstance(principal, Staff) else {"visitor": principal}
        message, created = services.message_post(
            room_id=room_id,
            text=data.validated_data["text"],
            client_id=data.validated_data["client_id"],
            reply_to_id=data.validated_data.get("reply_to"),
            **author,
        )
        return Response(message_data(message), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
