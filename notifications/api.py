"""API: the caller's Notifications list (keyset pages, newest first, with the unread
count), marking some or all read, one read or unread. Only one's own: anyone else's is
404, admins' included."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contactcenter.org.errors import InvalidInput
from contactcenter.org.permissions import staff_of
from notifications import selectors, services
from notifications.models import Notification

# ---------------------------------------------------------------- serializers (documentation of the JSON)


class NotificationOut(serializers.Serializer):
    """One notification (notifications.services.notification_data)."""

    id = serializers.IntegerField()
    # A plain string in the schema (a "kind" enum would collide with the other kinds' names).
    kind = serializers.CharField(help_text=", ".join(Notification.Kind.values))
    enquiry = serializers.IntegerField(allow_null=True, help_text="The enquiry it is about, if any (and still kept).")
    room = serializers.IntegerField(allow_null=True, help_text="The room it is about, if any (and still kept).")
    actor = serializers.IntegerField(allow_null=True, help_text="Who did it (null: nobody, e.g. a timeout).")
    # The metaclass takes declared fields off the class, so this does not hide Serializer.data.
    data = serializers.DictField(  # type: ignore[assignment]
        help_text="Text-ready, as it was then: actor_name; excerpt; room_kind and room_name (mention); "
        "visitor_name, to_tag (transfer_offered), reason and destination (missed); what the review gave."
    )
    url = serializers.CharField(allow_null=True, help_text="The dashboard page it opens.")
    created_at = serializers.DateTimeField()
    read = serializers.BooleanField()


class NotificationListOut(serializers.Serializer):
    results = NotificationOut(many=True)
    unread_count = serializers.IntegerField(help_text="All of the caller's unread notifications.")
    next_before = serializers.IntegerField(allow_null=True, help_text="Pass as ?before= for the next page; null: last.")


class MarkReadIn(serializers.Serializer):
    # Checked by the service (one message per field): either ids or all.
    ids = serializers.ListField(child=serializers.IntegerField(), required=False, help_text="At most 500.")
    all = serializers.BooleanField(required=False, help_text="true: every one of the caller's.")


class MarkReadOut(serializers.Serializer):
    updated = serializers.IntegerField(help_text="How many changed (those already read are not counted).")
    unread_count = serializers.IntegerField()


class NotificationPatchIn(serializers.Serializer):
    whole_on_patch = True  # PATCH needs every field (contactcenter.api_schema.AutoSchema)
    read = serializers.BooleanField()


class NotificationPatchOut(NotificationOut):
    unread_count = serializers.IntegerField()


# ---------------------------------------------------------------- views


class NotificationListView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("unread", str, required=False, description="1: unread ones only."),
            OpenApiParameter("before", int, required=False, description="next_before of the previous page."),
            OpenApiParameter(
                "limit", int, required=False, description=f"1-{selectors.MAX_LIMIT}, default {selectors.DEFAULT_LIMIT}."
            ),
        ],
        responses={200: NotificationListOut},
        operation_id="notifications_list",
    )
    def get(self, request: Request) -> Response:
        """The caller's notifications, newest first, a page at a time, and their unread count."""
        staff = staff_of(request)
        query = selectors.notifications_query_parse(request.query_params)
        rows, next_before = selectors.notifications_page(staff, **query)
        return Response(
            {
                "results": [services.notification_data(n) for n in rows],
                "unread_count": selectors.unread_count(staff),
                "next_before": next_before,
            }
        )


class NotificationsReadView(APIView):
    @extend_schema(request=MarkReadIn, responses={200: MarkReadOut}, operation_id="notifications_mark_read")
    def post(self, request: Request) -> Response:
        """Mark ``ids`` (the caller's own: any other id is 404 and nothing changes) or
        ``all`` read."""
        body: Any = request.data if isinstance(request.data, dict) else {}
        every = body.get("all")
        if every not in (None, True, False):
            raise InvalidInput.field("all", _("true or false."))
        ids = body.get("ids")
        updated, unread = services.notifications_mark(
            actor=staff_of(request), ids=ids if ids is not None else None, every=bool(every)
        )
        return Response({"updated": updated, "unread_count": unread})


class NotificationDetailView(APIView):
    @extend_schema(
        request=NotificationPatchIn, responses={200: NotificationPatchOut}, operation_id="notification_update"
    )
    def patch(self, request: Request, notification_id: int) -> Response:
        """Mark one of the caller's notifications read or unread."""
        staff = staff_of(request)
        selectors.access_notification(staff, notification_id)
        data = NotificationPatchIn(data=request.data)
        data.is_valid(raise_exception=True)
        item, unread = services.notification_set_read(
            actor=staff, notification_id=notification_id, read=data.validated_data["read"]
        )
        return Response({**services.notification_data(item), "unread_count": unread})
