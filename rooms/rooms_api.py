"""API: direct rooms, spaces, memberships (read marker, mute), the room list with unread
counts, the room information panel, and quick replies. Staff only (default permission)."""

from __future__ import annotations

from typing import Any, cast

from django.urls import URLPattern, path
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contactcenter.org.api_errors import Pagination, page_of
from contactcenter.org.models import Staff
from rooms import quick_replies, spaces
from rooms.models import RoomMember
from rooms.selectors import (
    access_room,
    quick_replies_for,
    quick_reply_data,
    room_info,
    room_list_data,
    room_memberships,
    room_unread_count,
    rooms_with_unread,
)
from rooms.services import room_mark_read

# ---------------------------------------------------------------- OpenAPI descriptions
# These serializers document the JSON built by rooms.selectors.


class _StaffRefDoc(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    avatar_url = serializers.CharField()


class _RoomEnquiryRefDoc(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()


class _LastMessageAuthorDoc(serializers.Serializer):
    type = serializers.CharField(help_text="staff | visitor | system")
    id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()


class _LastMessageDoc(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    author = _LastMessageAuthorDoc()
    text = serializers.CharField(help_text="The text on one line, cut to 140 characters (empty when recalled).")
    file_name = serializers.CharField(help_text="A file message's file name, else empty.")
    recalled = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class RoomListItemOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(help_text="enquiry | direct | space | conference")
    title = serializers.CharField(help_text="Visitor name, the other staff member's name, or the space name.")
    name = serializers.CharField()
    is_private = serializers.BooleanField()
    enquiry = _RoomEnquiryRefDoc(allow_null=True)
    other = _StaffRefDoc(allow_null=True, help_text="Direct rooms: the other staff member.")
    channel = serializers.CharField(
        allow_null=True, help_text="Enquiry rooms: the channel's kind (widget, whatsapp...)."
    )
    avatar_url = serializers.CharField(
        help_text="The customer's photo (server's copy) or the colleague's avatar; empty when none."
    )
    last_message_at = serializers.DateTimeField(allow_null=True)
    last_message = _LastMessageDoc(allow_null=True)
    waiting_since = serializers.DateTimeField(
        allow_null=True,
        help_text="Open or handled enquiries: when the customer's oldest message not yet answered by staff was posted.",
    )
    unread = serializers.IntegerField()
    role = serializers.CharField(help_text="owner | participant")
    mute = serializers.CharField(help_text="all | mentions | mute")
    last_read_message_id = serializers.IntegerField()


RoomListPageOut = page_of(RoomListItemOut, "RoomListPageOut", link=serializers.CharField)


class _RoomMemberDoc(_StaffRefDoc):
    email = serializers.EmailField()
    role = serializers.CharField()
    availability = serializers.CharField()


class _MeDoc(serializers.Serializer):
    role = serializers.CharField()
    mute = serializers.CharField()
    last_read_message_id = serializers.IntegerField()
    unread = serializers.IntegerField()


class _ContactDoc(_StaffRefDoc):
    email = serializers.EmailField()
    phone = serializers.CharField()
    time_zone = serializers.CharField()
    availability = serializers.CharField()


class _ChannelDetailDoc(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    identity = serializers.CharField()


class _OriginDoc(serializers.Serializer):
    kind = serializers.CharField(help_text="language | time_zone | country")
    value = serializers.CharField(help_text="A language tag, an IANA time zone, or an ISO 3166-1 country code.")
    known_from = serializers.ChoiceField(choices=["profile", "browser", "ip_address"])


class _ConversationTagDoc(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    parent = serializers.IntegerField(allow_null=True)  # type: ignore[assignment]
    parent_name = serializers.CharField(allow_null=True)
    label = serializers.CharField()  # type: ignore[assignment]


class _RoomEnquiryInfoDoc(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    kind = serializers.CharField()
    channel = serializers.CharField(help_text='What the customer came through ("weblink" for a web link).')
    channel_kind = serializers.CharField()
    channel_detail = _ChannelDetailDoc()
    language = serializers.CharField()
    location = serializers.JSONField()
    origin = _OriginDoc(many=True, help_text="The customer's language and whereabouts, each with its known_from.")
    topic = serializers.CharField()
    tags = _ConversationTagDoc(many=True, help_text="The enquiry's conversation tags.")
    owner = _StaffRefDoc(allow_null=True)
    created_at = serializers.DateTimeField()
    picked_up_at = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    first_response_seconds = serializers.IntegerField(
        allow_null=True, help_text="From the customer's first message to the first staff reply."
    )
    duration_seconds = serializers.IntegerField(help_text="From the customer's first message; counts while it goes on.")
    missed_at = serializers.DateTimeField(allow_null=True, required=False)
    missed_reason = serializers.CharField(allow_null=True, required=False)
    note = serializers.JSONField(allow_null=True, required=False, help_text="A missed enquiry's note: text, contact.")
    follow_up = serializers.JSONField(
        allow_null=True,
        required=False,
        help_text="A missed enquiry's follow-up: handled, handled_at, handled_by and assignee ({id, display_name}).",
    )


class _RoomDestinationDoc(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    type = serializers.CharField()
    endpoint = serializers.CharField()


class RoomInfoOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    is_private = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    last_message_at = serializers.DateTimeField(allow_null=True)
    members = _RoomMemberDoc(many=True)
    me = _MeDoc(allow_null=True, help_text="Null when an admin monitors without being a member.")
    contact = _ContactDoc(allow_null=True, help_text="Direct rooms: the other staff member.")
    enquiry = _RoomEnquiryInfoDoc(required=False, help_text="Enquiry rooms only.")
    visitor = serializers.DictField(required=False, help_text="Enquiry rooms only.")
    device = serializers.DictField(required=False, help_text="Enquiry rooms only.")
    utm = serializers.DictField(required=False, help_text="Enquiry rooms only.")
    destination = _RoomDestinationDoc(required=False, help_text="Enquiry rooms only.")


class UnreadOut(serializers.Serializer):
    rooms_with_unread = serializers.IntegerField()


class MembershipOut(serializers.Serializer):
    room = serializers.IntegerField()
    role = serializers.CharField()
    mute = serializers.CharField()
    last_read_message_id = serializers.IntegerField()
    unread = serializers.IntegerField()


class QuickReplyOut(serializers.Serializer):
    id = serializers.IntegerField()
    shortcut = serializers.CharField()
    text = serializers.CharField()
    shared = serializers.BooleanField()
    owner = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()


# ---------------------------------------------------------------- input


class DirectRoomIn(serializers.Serializer):
    staff = serializers.IntegerField()


class SpaceIn(serializers.Serializer):
    name = serializers.CharField(max_length=spaces.NAME_MAX)
    description = serializers.CharField(max_length=spaces.DESCRIPTION_MAX, required=False, allow_blank=True)
    is_private = serializers.BooleanField(required=False, default=False)
    members = serializers.ListField(
        child=serializers.IntegerField(), required=False, max_length=spaces.SPACE_MEMBERS_MAX
    )


class SpaceUpdateIn(serializers.Serializer):
    name = serializers.CharField(max_length=spaces.NAME_MAX, required=False)
    description = serializers.CharField(max_length=spaces.DESCRIPTION_MAX, required=False, allow_blank=True)
    is_private = serializers.BooleanField(required=False)


class MemberIn(serializers.Serializer):
    staff = serializers.IntegerField()


class ReadIn(serializers.Serializer):
    message = serializers.IntegerField(min_value=1)


class MembershipIn(serializers.Serializer):
    whole_on_patch = True  # PATCH needs every field (contactcenter.api_schema.AutoSchema)
    mute = serializers.ChoiceField(choices=RoomMember.Mute.choices)


class QuickReplyIn(serializers.Serializer):
    # Lengths and the shortcut's characters are checked by the service, with one message.
    shortcut = serializers.CharField(max_length=200, trim_whitespace=False)
    text = serializers.CharField()
    shared = serializers.BooleanField(required=False, default=False)


class QuickReplyUpdateIn(serializers.Serializer):
    shortcut = serializers.CharField(max_length=200, trim_whitespace=False, required=False)
    text = serializers.CharField(required=False)


def _valid(serializer_cls: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    data = serializer_cls(data=request.data)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


def _staff(request: Request) -> Staff:
    return cast(Staff, request.user)


def _membership(member: RoomMember) -> dict[str, Any]:
    return {
        "room": member.room_id,
        "role": member.role,
        "mute": member.mute,
        "last_read_message_id": member.last_read_message_id,
        "unread": room_unread_count(member),
    }


# ---------------------------------------------------------------- rooms


class RoomListView(APIView):
    @extend_schema(responses={200: RoomListPageOut}, operation_id="room_list")
    def get(self, request: Request) -> Response:
        """The caller's rooms, newest activity first, each with its unread count, last
        message, channel, avatar and how long the customer has been waiting (a fixed number
        of statements whatever the page size)."""
        staff = _staff(request)
        paginator = Pagination()
        page = paginator.paginate_queryset(room_memberships(staff), request, view=self)
        return paginator.get_paginated_response(room_list_data(staff, list(page or [])))


class RoomUnreadView(APIView):
    @extend_schema(responses={200: UnreadOut}, operation_id="room_unread")
    def get(self, request: Request) -> Response:
        """How many of the caller's rooms have unread messages (the workspace badge;
        muted rooms do not count)."""
        return Response({"rooms_with_unread": rooms_with_unread(_staff(request))})


class DirectRoomView(APIView):
    @extend_schema(
        request=DirectRoomIn,
        responses={
            201: RoomInfoOut,
            200: OpenApiResponse(RoomInfoOut, description="The pair already had a direct room."),
        },
        operation_id="room_direct_open",
    )
    def post(self, request: Request) -> Response:
        """Open the direct room with another staff member (one room per pair)."""
        staff = _staff(request)
        room, created = spaces.direct_room_open(actor=staff, staff=_valid(DirectRoomIn, request)["staff"])
        return Response(room_info(staff, room.pk), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class SpaceCreateView(APIView):
    @extend_schema(request=SpaceIn, responses={201: RoomInfoOut}, operation_id="room_space_create")
    def post(self, request: Request) -> Response:
        """Create a space; the caller owns it and the given staff are its members."""
        staff = _staff(request)
        data = _valid(SpaceIn, request)
        room = spaces.space_create(
            actor=staff,
            name=data["name"],
            description=data.get("description", ""),
            is_private=data["is_private"],
            members=data.get("members"),
        )
        return Response(room_info(staff, room.pk), status=status.HTTP_201_CREATED)


class RoomDetailView(APIView):
    @extend_schema(responses={200: RoomInfoOut}, operation_id="room_retrieve")
    def get(self, request: Request, room_id: int) -> Response:
        """The room information panel."""
        return Response(room_info(_staff(request), room_id))

    @extend_schema(request=SpaceUpdateIn, responses={200: RoomInfoOut}, operation_id="room_space_update")
    def patch(self, request: Request, room_id: int) -> Response:
        """Change a space's name, description or privacy (its owner or an admin)."""
        staff = _staff(request)
        spaces.space_update(actor=staff, room_id=room_id, changes=_valid(SpaceUpdateIn, request))
        return Response(room_info(staff, room_id))


class RoomMembersView(APIView):
    @extend_schema(request=MemberIn, responses={200: RoomInfoOut}, operation_id="room_member_add")
    def post(self, request: Request, room_id: int) -> Response:
        """Invite a staff member into a space."""
        staff = _staff(request)
        spaces.space_member_add(actor=staff, room_id=room_id, staff=_valid(MemberIn, request)["staff"])
        return Response(room_info(staff, room_id))


class RoomMemberView(APIView):
    @extend_schema(request=None, responses={204: None}, operation_id="room_member_remove")
    def delete(self, request: Request, room_id: int, staff_id: int) -> Response:
        """Remove a member from a space (owner or admin), or leave it (oneself)."""
        spaces.space_member_remove(actor=_staff(request), room_id=room_id, staff_id=staff_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RoomJoinView(APIView):
    @extend_schema(request=None, responses={200: RoomInfoOut}, operation_id="room_space_join")
    def post(self, request: Request, room_id: int) -> Response:
        """Join a public space."""
        staff = _staff(request)
        spaces.space_join(actor=staff, room_id=room_id)
        return Response(room_info(staff, room_id))


class RoomReadView(APIView):
    @extend_schema(request=ReadIn, responses={200: MembershipOut}, operation_id="room_mark_read")
    def post(self, request: Request, room_id: int) -> Response:
        """Move the caller's read marker forward to ``message`` (never back)."""
        staff = _staff(request)
        access_room(staff, room_id)
        member = room_mark_read(room_id=room_id, staff=staff, message_id=_valid(ReadIn, request)["message"])
        return Response(_membership(member))


class RoomMembershipView(APIView):
    @extend_schema(request=MembershipIn, responses={200: MembershipOut}, operation_id="room_membership_update")
    def patch(self, request: Request, room_id: int) -> Response:
        """Set the caller's notification mode for the room: all, mentions or mute."""
        staff = _staff(request)
        member = spaces.room_membership_update(actor=staff, room_id=room_id, mute=_valid(MembershipIn, request)["mute"])
        return Response(_membership(member))


# ---------------------------------------------------------------- quick replies


class QuickRepliesView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("q", str, required=False, description="Only shortcuts starting with this.")],
        responses={200: QuickReplyOut(many=True)},
        operation_id="quick_reply_list",
    )
    def get(self, request: Request) -> Response:
        """The caller's personal quick replies and the shared ones."""
        prefix = (request.query_params.get("q") or "")[:40]
        return Response([quick_reply_data(r) for r in quick_replies_for(_staff(request), prefix=prefix)])

    @extend_schema(request=QuickReplyIn, responses={201: QuickReplyOut}, operation_id="quick_reply_create")
    def post(self, request: Request) -> Response:
        """Create a personal quick reply, or a shared one (admins)."""
        data = _valid(QuickReplyIn, request)
        reply = quick_replies.quick_reply_create(
            actor=_staff(request), shortcut=data["shortcut"], text=data["text"], shared=data["shared"]
        )
        return Response(quick_reply_data(reply), status=status.HTTP_201_CREATED)


class QuickReplyView(APIView):
    @extend_schema(request=QuickReplyUpdateIn, responses={200: QuickReplyOut}, operation_id="quick_reply_update")
    def patch(self, request: Request, quick_reply_id: int) -> Response:
        """Change a quick reply: its owner, or an admin for a shared one."""
        reply = quick_replies.quick_reply_update(
            actor=_staff(request), quick_reply_id=quick_reply_id, changes=_valid(QuickReplyUpdateIn, request)
        )
        return Response(quick_reply_data(reply))

    @extend_schema(request=None, responses={204: None}, operation_id="quick_reply_delete")
    def delete(self, request: Request, quick_reply_id: int) -> Response:
        """Delete a quick reply: its owner, or an admin for a shared one."""
        quick_replies.quick_reply_delete(actor=_staff(request), quick_reply_id=quick_reply_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# Specific paths come before "rooms/<int:room_id>"; "rooms/<int:room_id>/messages" lives in
# contactcenter/urls.py and "rooms/<int:room_id>/files" in rooms/files_api.py.
urlpatterns: list[URLPattern] = [
    path("rooms", RoomListView.as_view()),
    path("rooms/unread", RoomUnreadView.as_view()),
    path("rooms/direct", DirectRoomView.as_view()),
    path("rooms/spaces", SpaceCreateView.as_view()),
    path("rooms/<int:room_id>/members", RoomMembersView.as_view()),
    path("rooms/<int:room_id>/members/<int:staff_id>", RoomMemberView.as_view()),
    path("rooms/<int:room_id>/join", RoomJoinView.as_view()),
    path("rooms/<int:room_id>/read", RoomReadView.as_view()),
    path("rooms/<int:room_id>/membership", RoomMembershipView.as_view()),
    path("rooms/<int:room_id>", RoomDetailView.as_view()),
    path("quick-replies", QuickRepliesView.as_view()),
    path("quick-replies/<int:quick_reply_id>", QuickReplyView.as_view()),
]
