"""API: the conversation tag tree. Staff list it (the room's picker); admins change it."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contactcenter.org.api_errors import results_of
from contactcenter.org.errors import NotFound
from contactcenter.org.permissions import IsAdminOrReadOnlyStaff, staff_of
from enquiries import conversation_tags
from enquiries.models import ConversationTag


class ConversationTagOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    parent = serializers.IntegerField(allow_null=True, help_text="The parent tag's id (null: a top-level tag).")  # type: ignore[assignment]
    parent_name = serializers.CharField(allow_null=True)
    label = serializers.CharField(help_text='"Parent > Child", or the name of a top-level tag.')  # type: ignore[assignment]
    enquiries = serializers.IntegerField(help_text="Enquiries carrying this tag.")


class ConversationTagIn(serializers.Serializer):
    name = serializers.CharField(max_length=conversation_tags.NAME_MAX)
    parent = serializers.IntegerField(  # type: ignore[assignment]
        required=False, allow_null=True, default=None, help_text="A top-level tag's id; null or absent: top level."
    )


class ConversationTagUpdateIn(serializers.Serializer):
    name = serializers.CharField(max_length=conversation_tags.NAME_MAX, required=False)
    parent = serializers.IntegerField(  # type: ignore[assignment]
        required=False, allow_null=True, help_text="Move under this top-level tag; null: to the top."
    )


class ConversationTagDeleteOut(serializers.Serializer):
    tags = serializers.IntegerField(help_text="Tags deleted: the tag and its children.")
    enquiries = serializers.IntegerField(help_text="Enquiries that lost one of them.")


def _out(tag_id: int) -> dict[str, Any]:
    for item in conversation_tags.conversation_tag_list():
        if item["id"] == tag_id:
            return item
    raise NotFound("Conversation tag not found.")


class ConversationTagsView(APIView):
    """Every conversation tag, each top-level tag followed by its children."""

    permission_classes = [IsAdminOrReadOnlyStaff]

    @extend_schema(
        responses=results_of(ConversationTagOut, "ConversationTagList"), operation_id="conversation_tag_list"
    )
    def get(self, request: Request) -> Response:
        return Response({"results": conversation_tags.conversation_tag_list()})

    @extend_schema(
        request=ConversationTagIn, responses={201: ConversationTagOut}, operation_id="conversation_tag_create"
    )
    def post(self, request: Request) -> Response:
        data = ConversationTagIn(data=request.data)
        data.is_valid(raise_exception=True)
        tag = conversation_tags.conversation_tag_create(
            actor=staff_of(request), name=data.validated_data["name"], parent_id=data.validated_data["parent"]
        )
        return Response(_out(tag.pk), status=status.HTTP_201_CREATED)


class ConversationTagDetailView(APIView):
    """Rename or move a tag (PATCH); delete it with its children (DELETE)."""

    permission_classes = [IsAdminOrReadOnlyStaff]

    @extend_schema(responses=ConversationTagOut, operation_id="conversation_tag_retrieve")
    def get(self, request: Request, tag_id: int) -> Response:
        if not ConversationTag.objects.filter(pk=tag_id).exists():
            raise NotFound("Conversation tag not found.")
        return Response(_out(tag_id))

    @extend_schema(
        request=ConversationTagUpdateIn, responses=ConversationTagOut, operation_id="conversation_tag_update"
    )
    def patch(self, request: Request, tag_id: int) -> Response:
        data = ConversationTagUpdateIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        conversation_tags.conversation_tag_update(
            actor=staff_of(request),
            tag_id=tag_id,
            name=values.get("name", conversation_tags.UNSET),
            parent_id=values.get("parent", conversation_tags.UNSET),
        )
        return Response(_out(tag_id))

    @extend_schema(request=None, responses={200: ConversationTagDeleteOut}, operation_id="conversation_tag_delete")
    def delete(self, request: Request, tag_id: int) -> Response:
        return Response(conversation_tags.conversation_tag_delete(actor=staff_of(request), tag_id=tag_id))
