"""API: enquiries for staff (panel, actions) and for the visitor (state, note, rating)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contactcenter.org import ratelimit
from contactcenter.org.api import tag_by_name_or_id
from contactcenter.org.api_errors import Pagination, page_of
from contactcenter.org.auth import VisitorAuthentication
from contactcenter.org.models import ChannelKind, Staff
from contactcenter.org.parsers import FormParser, JSONParser, MultiPartParser
from contactcenter.org.permissions import principal_of, staff_of
from contactcenter.org.services import org_settings_get
from enquiries import conversation_tags, services
from enquiries.auth import IsVisitor, WidgetThrottle, visitor_of
from enquiries.models import Enquiry
from enquiries.selectors import (
    access_enquiry,
    enquiries_data,
    enquiry_base,
    enquiry_data,
    enquiry_ids_offered,
    enquiry_list,
    rating_open,
)

# ---------------------------------------------------------------- OpenAPI descriptions
# These serializers only document the JSON built by enquiries.selectors.enquiry_data.


class _Ref(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    type = serializers.CharField()


class _VisitorDoc(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()
    photo_url = serializers.CharField(required=False)
    language = serializers.CharField(required=False)
    channel_identity = serializers.CharField(required=False)
    device = serializers.DictField(required=False)
    utm = serializers.DictField(required=False)
    custom_fields = serializers.ListField(
        child=serializers.DictField(child=serializers.CharField()),
        required=False,
        help_text="Staff's name/value pairs about the visitor: [{name, value}].",
    )
    customer = serializers.IntegerField(
        required=False, allow_null=True, help_text="The customer behind the visitor (/api/v1/customers/{id})."
    )


class _OwnerDoc(serializers.Serializer):
    id = serializers.IntegerField(required=False)
    display_name = serializers.CharField()
    avatar_url = serializers.CharField(required=False)
    availability = serializers.CharField(required=False)


class _RatingDoc(serializers.Serializer):
    score = serializers.IntegerField()
    comment = serializers.CharField()


class _NoteFileDoc(serializers.Serializer):
    message_id = serializers.IntegerField(help_text="The visitor's file message in the enquiry's room.")
    name = serializers.CharField()
    category = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    url = serializers.CharField()
    thumbnail_url = serializers.CharField(allow_null=True)


class NoteDoc(serializers.Serializer):
    """A visitor's note (enquiries.selectors.note_data)."""

    text = serializers.CharField()
    contact = serializers.CharField()
    files = _NoteFileDoc(many=True)


class _FollowUpStaffDoc(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField()


class _FollowUpDoc(serializers.Serializer):
    handled = serializers.BooleanField()
    handled_at = serializers.DateTimeField(allow_null=True)
    handled_by = _FollowUpStaffDoc(allow_null=True)
    assignee = _FollowUpStaffDoc(allow_null=True)


class _TransferDoc(serializers.Serializer):
    id = serializers.IntegerField()
    from_staff = serializers.IntegerField()
    from_staff_name = serializers.CharField()
    to_staff = serializers.IntegerField(allow_null=True)
    to_staff_name = serializers.CharField(allow_null=True, help_text="A transfer to a person: their name.")
    to_tag = serializers.IntegerField(allow_null=True)
    to_tag_name = serializers.CharField(allow_null=True, help_text="A transfer to a tag: its name.")
    created_at = serializers.DateTimeField()
    deadline_at = serializers.DateTimeField(help_text="When the offer lapses if nobody accepts it.")


class ConversationTagRefOut(serializers.Serializer):
    """A conversation tag as enquiries carry it."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    parent = serializers.IntegerField(allow_null=True, help_text="The parent tag's id (null: a top-level tag).")  # type: ignore[assignment]
    parent_name = serializers.CharField(allow_null=True)
    label = serializers.CharField(help_text='"Parent > Child", or the name of a top-level tag.')  # type: ignore[assignment]


class EnquiryOut(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Enquiry.Status.choices)
    kind = serializers.CharField(help_text="broadcast | direct")
    channel = serializers.IntegerField()
    channel_kind = serializers.CharField()
    channel_name = serializers.CharField()
    via = serializers.CharField(
        help_text='What the customer came through: "weblink" for a web link, else channel_kind.'
    )
    destination = _Ref()
    visitor = _VisitorDoc()
    owner = _OwnerDoc(allow_null=True)
    room = serializers.IntegerField(allow_null=True)
    first_message = serializers.CharField()
    topic = serializers.CharField()
    tags = ConversationTagRefOut(many=True, help_text="Conversation tags the owner or an admin set.")
    missed_reason = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    picked_up_at = serializers.DateTimeField(allow_null=True)
    first_response_at = serializers.DateTimeField(allow_null=True)
    first_response_seconds = serializers.IntegerField(
        allow_null=True, help_text="From the customer's first message to the first staff reply; null while unanswered."
    )
    duration_seconds = serializers.IntegerField(
        help_text="From the customer's first message to the resolve (or close, or miss); still counting while "
        "open or handled, a reopened enquiry included."
    )
    resolved_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    missed_at = serializers.DateTimeField(allow_null=True)
    deadline_at = serializers.DateTimeField(allow_null=True)
    auto_close_at = serializers.DateTimeField(
        allow_null=True, help_text="A resolved enquiry: when it closes by itself (null: it stays open)."
    )
    queue_position = serializers.IntegerField(allow_null=True)
    with_robot = serializers.BooleanField(
        help_text="Open but still answered by the channel's robot: nobody is alerted until it hands over."
    )
    rating = _RatingDoc(allow_null=True, required=False, help_text="Admins, or agents when the setting allows.")
    note = NoteDoc(allow_null=True)
    follow_up = _FollowUpDoc(allow_null=True, help_text="A missed enquiry's follow-up (null otherwise).")
    transfer = _TransferDoc(allow_null=True, required=False)
    offered = serializers.BooleanField(
        required=False,
        help_text="The caller may pick it up (or accept the transfer): a live offer.",
    )
    message_count = serializers.IntegerField(required=False, help_text="Text and file messages (lists only).")


EnquiryPageOut = page_of(EnquiryOut, "EnquiryPageOut")


class VisitorEnquiryOut(EnquiryOut):
    # The channel's internal name and kind are for staff ("Website", "Agent link"): the
    # visitor's copy has neither (see _visitor_view).
    channel_kind = None  # type: ignore[assignment]
    channel_name = None  # type: ignore[assignment]
    tags = None  # type: ignore[assignment]
    can_leave_note = serializers.BooleanField()
    can_rate = serializers.BooleanField(
        help_text="The visitor may rate now: after resolve or close, or while handled when invited or the "
        "channel allows rating any time."
    )
    rating_invited = serializers.BooleanField(help_text="Staff asked the visitor to rate.")


class RejectOut(serializers.Serializer):
    id = serializers.IntegerField()
    rejected = serializers.BooleanField()


class TransferOut(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    deadline_at = serializers.DateTimeField()


def _staff_view(enquiry: Enquiry, staff: Staff) -> dict[str, Any]:
    return _staff_views([enquiry], staff)[0]


def _staff_views(enquiries: list[Enquiry], staff: Staff) -> list[dict[str, Any]]:
    """The staff JSON of a page of enquiries, with a fixed number of queries for the page."""
    show_rating = staff.is_admin or org_settings_get().ratings_visible_to_agents
    offered = enquiry_ids_offered(staff, [e.pk for e in enquiries])
    found = enquiries_data(enquiries, include_rating=show_rating)
    for enquiry, data in zip(enquiries, found, strict=True):
        data["offered"] = enquiry.pk in offered
    return found


class EnquiryListView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=Enquiry.Status.values, required=False),
            OpenApiParameter("channel", str, enum=ChannelKind.values, required=False, description="Channel kind."),
            OpenApiParameter("owner", str, required=False, description='"me" or a staff id.'),
            OpenApiParameter(
                "handled",
                str,
                enum=["yes", "no"],
                required=False,
                description="Missed enquiries whose follow-up is (yes) or is not (no) marked handled.",
            ),
        ],
        responses={200: EnquiryPageOut},
        operation_id="enquiry_list",
    )
    def get(self, request: Request) -> Response:
        staff = staff_of(request)
        params = request.query_params
        query = enquiry_list(
            staff,
            status=params.get("status") or None,
            channel=params.get("channel") or None,
            owner=params.get("owner") or None,
            handled=params.get("handled") or None,
        )
        paginator = Pagination()
        page = list(paginator.paginate_queryset(query, request, view=self) or [])
        return paginator.get_paginated_response(_staff_views(page, staff))


class EnquiryUpdateIn(serializers.Serializer):
    topic = serializers.CharField(max_length=200, allow_blank=True, trim_whitespace=True, required=False)
    tags = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        max_length=conversation_tags.ENQUIRY_TAGS_MAX,
        help_text="Conversation tag ids: the whole list (replaces the one kept; empty clears).",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError({"topic": [_("Give topic and/or tags.")]})
        return attrs


class EnquiryDetailView(APIView):
    @extend_schema(responses={200: EnquiryOut}, operation_id="enquiry_retrieve")
    def get(self, request: Request, enquiry_id: int) -> Response:
        return Response(_staff_view(access_enquiry(principal_of(request), enquiry_id), staff_of(request)))

    @extend_schema(request=EnquiryUpdateIn, responses={200: EnquiryOut}, operation_id="enquiry_update")
    def patch(self, request: Request, enquiry_id: int) -> Response:
        """The enquiry's topic and conversation tags, set by its owner or an admin."""
        access_enquiry(principal_of(request), enquiry_id)
        data = EnquiryUpdateIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        conversation_tags.enquiry_classify(
            actor=staff_of(request),
            enquiry_id=enquiry_id,
            topic=values.get("topic", conversation_tags.UNSET),
            tag_ids=values.get("tags", conversation_tags.UNSET),
        )
        return Response(_staff_view(access_enquiry(principal_of(request), enquiry_id), staff_of(request)))


def _action(name: str, func: Any) -> type[APIView]:
    class ActionView(APIView):
        @extend_schema(request=None, responses={200: EnquiryOut}, operation_id=f"enquiry_{name}")
        def post(self, request: Request, enquiry_id: int) -> Response:
            func(actor=staff_of(request), enquiry_id=enquiry_id)
            # The action succeeded, so the actor may see the result (even one who just left).
            return Response(_staff_view(enquiry_base().get(pk=enquiry_id), staff_of(request)))

    ActionView.__name__ = f"Enquiry{name.title().replace('_', '')}View"
    ActionView.__doc__ = f"{name.replace('_', ' ').capitalize()} an enquiry."
    return ActionView


PickUpView = _action("pick_up", services.enquiry_pick_up)
ResolveView = _action("resolve", services.enquiry_resolve)
LeaveView = _action("leave", services.enquiry_leave)
KeepOpenView = _action("keep_open", services.enquiry_keep_open)
CloseView = _action("close", services.enquiry_close)


class LoadOut(serializers.Serializer):
    handling = serializers.IntegerField(help_text="Enquiries the caller is handling now.")
    max_concurrent = serializers.IntegerField(help_text="The caller's concurrent-enquiry limit.")
    at_limit = serializers.BooleanField(help_text="New enquiries (and transfers) are not offered to the caller.")


class MyLoadView(APIView):
    """The caller's load against their concurrent limit: at the limit, the routing offers
    them no new enquiry (SPEC 3)."""

    @extend_schema(responses={200: LoadOut}, operation_id="me_load")
    def get(self, request: Request) -> Response:
        staff = staff_of(request)
        handling = services.staff_load([staff.pk]).get(staff.pk, 0)
        return Response(
            {"handling": handling, "max_concurrent": staff.max_concurrent, "at_limit": handling >= staff.max_concurrent}
        )


class RejectView(APIView):
    @extend_schema(request=None, responses={200: RejectOut}, operation_id="enquiry_reject")
    def post(self, request: Request, enquiry_id: int) -> Response:
        enquiry = services.enquiry_reject(actor=staff_of(request), enquiry_id=enquiry_id)
        return Response({"id": enquiry.pk, "rejected": True})


class TransferIn(serializers.Serializer):
    staff = serializers.PrimaryKeyRelatedField(queryset=Staff.objects.filter(is_active=True), required=False)
    tag = serializers.CharField(max_length=80, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("staff" in attrs) == ("tag" in attrs):
            raise serializers.ValidationError({"staff": ["Give exactly one of staff or tag."]})
        if "tag" in attrs:
            tag = tag_by_name_or_id(attrs["tag"])
            if tag is None:
                raise serializers.ValidationError({"tag": ["Unknown tag."]})
            attrs["tag"] = tag
        return attrs


class TransferView(APIView):
    @extend_schema(request=TransferIn, responses={200: TransferOut}, operation_id="enquiry_transfer")
    def post(self, request: Request, enquiry_id: int) -> Response:
        data = TransferIn(data=request.data)
        data.is_valid(raise_exception=True)
        transfer = services.enquiry_transfer(
            actor=staff_of(request),
            enquiry_id=enquiry_id,
            to_staff=data.validated_data.get("staff"),
            to_tag=data.validated_data.get("tag"),
        )
        return Response({"id": transfer.pk, "status": transfer.status, "deadline_at": transfer.deadline_at.isoformat()})


class CustomFieldIn(serializers.Serializer):
    name = serializers.CharField(max_length=services.CUSTOM_FIELD_NAME_MAX)
    value = serializers.CharField(max_length=services.CUSTOM_FIELD_VALUE_MAX, allow_blank=True)


class FollowUpIn(serializers.Serializer):
    handled = serializers.BooleanField(required=False, help_text="Mark the follow-up handled, or not handled again.")
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=Staff.objects.all(),
        required=False,
        allow_null=True,
        help_text="A colleague (staff id) to follow it up; null to unassign.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError({"handled": [_("Give handled and/or assignee.")]})
        return attrs


class FollowUpView(APIView):
    """A missed enquiry's follow-up (SPEC 3.3): the staff its destination serves, the
    colleague it is assigned to and admins. POST: take part in its room (as a participant)
    to write to the customer. PATCH: mark it handled and/or assign it to a colleague."""

    @extend_schema(request=None, responses={200: EnquiryOut}, operation_id="enquiry_follow_up_join")
    def post(self, request: Request, enquiry_id: int) -> Response:
        services.missed_follow_up_join(actor=staff_of(request), enquiry_id=enquiry_id)
        return Response(_staff_view(access_enquiry(principal_of(request), enquiry_id), staff_of(request)))

    @extend_schema(request=FollowUpIn, responses={200: EnquiryOut}, operation_id="enquiry_follow_up_update")
    def patch(self, request: Request, enquiry_id: int) -> Response:
        data = FollowUpIn(data=request.data)
        data.is_valid(raise_exception=True)
        changes: dict[str, Any] = {}
        if "handled" in data.validated_data:
            changes["handled"] = data.validated_data["handled"]
        if "assignee" in data.validated_data:
            changes["assignee"] = data.validated_data["assignee"]
        services.missed_follow_up_update(actor=staff_of(request), enquiry_id=enquiry_id, **changes)
        return Response(_staff_view(access_enquiry(principal_of(request), enquiry_id), staff_of(request)))


class VisitorInfoIn(serializers.Serializer):
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    custom_fields = serializers.ListField(
        child=CustomFieldIn(),
        required=False,
        max_length=services.CUSTOM_FIELDS_MAX,
        help_text="The whole list of the visitor's custom fields (replaces the one kept).",
    )


class EnquiryVisitorView(APIView):
    """Staff who may see the enquiry edit its visitor's information."""

    @extend_schema(request=VisitorInfoIn, responses={200: EnquiryOut})
    def patch(self, request: Request, enquiry_id: int) -> Response:
        enquiry = access_enquiry(principal_of(request), enquiry_id)
        data = VisitorInfoIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.visitor_update(actor=staff_of(request), visitor=enquiry.visitor, changes=dict(data.validated_data))
        return Response(_staff_view(access_enquiry(principal_of(request), enquiry_id), staff_of(request)))


class VisitorTokensRevokeView(APIView):
    """Revoke every token of a visitor: later calls with them get 401, and the visitor's
    open sockets close at once. Admins, and staff in one of the visitor's rooms."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request, visitor_id: int) -> Response:
        services.visitor_tokens_revoke(actor=staff_of(request), visitor_id=visitor_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# ---------------------------------------------------------------- visitor side


class VisitorView(APIView):
    authentication_classes = [VisitorAuthentication]
    permission_classes = [IsVisitor]
    throttle_classes = [WidgetThrottle]


def _visitor_view(enquiry: Enquiry) -> dict[str, Any]:
    data = enquiry_data(enquiry)
    owner = enquiry.owner
    data["owner"] = (
        # The id (public, as in the widget's directory) matches staff.availability events.
        {
            "id": owner.pk,
            "display_name": owner.display_name,
            "avatar_url": owner.avatar_url,
            "availability": owner.availability,
        }
        if owner
        else None
    )
    data["visitor"] = {k: data["visitor"][k] for k in ("id", "name", "first_name", "last_name", "email", "phone")}
    data.pop("transfer", None)
    data.pop("channel_name", None)
    data.pop("channel_kind", None)
    data.pop("tags", None)  # staff's classification
    data["can_leave_note"] = enquiry.status == Enquiry.Status.MISSED and data["note"] is None
    data["can_rate"] = rating_open(enquiry)
    data["rating_invited"] = enquiry.rating_invited_at is not None
    return data


class VisitorEnquiryView(VisitorView):
    @extend_schema(responses={200: VisitorEnquiryOut}, operation_id="widget_enquiry_retrieve")
    def get(self, request: Request, enquiry_id: int) -> Response:
        return Response(_visitor_view(access_enquiry(principal_of(request), enquiry_id)))


class NoteIn(serializers.Serializer):
    text = serializers.CharField(trim_whitespace=True)
    contact = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    files = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        default=list,
        help_text=f"Multipart only: images or documents, checked by content as chat uploads are "
        f"(at most {services.NOTE_MAX_FILES}).",
    )


class VisitorNoteView(VisitorView):
    """The note on a missed enquiry: JSON, or multipart with files."""

    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        request={"application/json": NoteIn, "multipart/form-data": NoteIn}, responses={201: VisitorEnquiryOut}
    )
    def post(self, request: Request, enquiry_id: int) -> Response:
        raw: Any = request.data
        # The form's fields without its files (a JSON body that is no object: the serializer says so).
        fields = {name: raw.get(name) for name in ("text", "contact") if name in raw} if isinstance(raw, dict) else raw
        data = NoteIn(data=fields)
        data.is_valid(raise_exception=True)
        uploads = request.FILES.getlist("files") if hasattr(request.FILES, "getlist") else []
        if uploads:
            ratelimit.upload_rate_check(visitor_of(request))
        services.enquiry_leave_note(
            visitor=visitor_of(request),
            enquiry_id=enquiry_id,
            text=data.validated_data["text"],
            contact=data.validated_data["contact"],
            uploads=uploads,
        )
        return Response(
            _visitor_view(access_enquiry(principal_of(request), enquiry_id)), status=status.HTTP_201_CREATED
        )


class VisitorEndView(VisitorView):
    """The visitor ends its conversation (waiting or going on); one already over is
    answered as it is."""

    @extend_schema(request=None, responses={200: VisitorEnquiryOut}, operation_id="widget_enquiry_end")
    def post(self, request: Request, enquiry_id: int) -> Response:
        services.enquiry_end_by_visitor(visitor=visitor_of(request), enquiry_id=enquiry_id)
        return Response(_visitor_view(access_enquiry(principal_of(request), enquiry_id)))


class RatingIn(serializers.Serializer):
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class VisitorRatingView(VisitorView):
    @extend_schema(request=RatingIn, responses={201: VisitorEnquiryOut})
    def post(self, request: Request, enquiry_id: int) -> Response:
        data = RatingIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.enquiry_rate(
            visitor=visitor_of(request),
            enquiry_id=enquiry_id,
            score=data.validated_data["score"],
            comment=data.validated_data["comment"],
        )
        return Response(
            _visitor_view(access_enquiry(principal_of(request), enquiry_id)), status=status.HTTP_201_CREATED
        )


class RatingInviteView(APIView):
    """Ask the visitor to rate the conversation (the owner or an admin): the widget shows
    its rating card. 409 once rated, or for an enquiry nobody handled."""

    @extend_schema(request=None, responses={200: EnquiryOut}, operation_id="enquiry_rating_invite")
    def post(self, request: Request, enquiry_id: int) -> Response:
        access_enquiry(principal_of(request), enquiry_id)
        services.enquiry_rating_invite(actor=staff_of(request), enquiry_id=enquiry_id)
        return Response(_staff_view(enquiry_base().get(pk=enquiry_id), staff_of(request)))
