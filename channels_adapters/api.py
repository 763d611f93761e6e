"""API: channels (admin) and the widget's enquiry endpoint (visitors)."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db.models import F
from django.utils import translation
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from channels_adapters import services
from channels_adapters.models import Channel, WidgetPosition
from channels_adapters.outbound import outbound_retry
from channels_adapters.platforms import CREDENTIAL_KINDS, webhook_path
from channels_adapters.widget_views import weblink_path
from contactcenter.org import ratelimit
from contactcenter.org.api import tag_by_name_or_id
from contactcenter.org.api_errors import JSONObjectField, page_of, results_of
from contactcenter.org.auth import VisitorAuthentication
from contactcenter.org.client_address import client_ip
from contactcenter.org.errors import InvalidInput, NotFound
from contactcenter.org.models import Staff, Tag
from contactcenter.org.parsers import FormParser, JSONParser, MultiPartParser
from contactcenter.org.permissions import IsAdmin, IsAdminOrReadOnlyStaff, staff_of
from enquiries import services as enquiry_services
from enquiries.api import NoteDoc
from enquiries.auth import IsVisitor, WidgetThrottle, visitor_of, visitor_token_for
from enquiries.models import Visitor
from enquiries.selectors import HISTORY_PAGE_DEFAULT, note_data, visitor_history
from rooms.files import UploadTooLarge, upload_limit_message


def _credentials_serializer(kind: str, *, partial: bool) -> type[serializers.Serializer]:
    """The schema of one kind's credentials (only the schema: credentials_clean checks them)."""
    desc = CREDENTIAL_KINDS[kind]
    fields: dict[str, serializers.Field] = {}
    for f in desc.fields:
        options: dict[str, Any] = {"required": f.required and not partial, "help_text": f"{f.label}. {f.help}"}
        if f.type == "port":
            fields[f.name] = serializers.IntegerField(min_value=1, max_value=65535, **options)
        elif f.type == "choice":
            fields[f.name] = serializers.ChoiceField(choices=list(f.choices), **options)
        else:
            fields[f.name] = serializers.CharField(max_length=2000, **options)
    name = "".join(p.capitalize() for p in kind.split("_")) + ("CredentialsChange" if partial else "Credentials")
    return type(name, (serializers.Serializer,), {**fields, "__doc__": f"Credentials of a {desc.label} channel."})


def _credentials_schema(*, partial: bool) -> PolymorphicProxySerializer:
    return PolymorphicProxySerializer(
        component_name="ChannelCredentialsChange" if partial else "ChannelCredentials",
        serializers=[_credentials_serializer(kind, partial=partial) for kind in CREDENTIAL_KINDS],
        resource_type_field_name=None,
        many=False,
    )


@extend_schema_field(_credentials_schema(partial=False))
class CredentialsField(JSONObjectField):
    """Write-only credentials of a platform channel, by its kind (widget and web link
    channels take none)."""


@extend_schema_field(_credentials_schema(partial=True))
class CredentialsChangeField(JSONObjectField):
    """Only the credentials to change: a field left out or "" keeps its value, null
    removes an optional one."""


class ChannelOut(serializers.ModelSerializer):
    destination = serializers.SerializerMethodField()
    destination_tag = serializers.SerializerMethodField()
    destination_staff = serializers.SerializerMethodField()
    credentials_set = serializers.SerializerMethodField()
    weblink_url = serializers.SerializerMethodField()
    qr_png_url = serializers.SerializerMethodField()
    qr_svg_url = serializers.SerializerMethodField()
    widget_url = serializers.SerializerMethodField()
    webhook_url = serializers.SerializerMethodField()

    class Meta:
        model = Channel
        fields = [
            "id",
            "kind",
            "name",
            "key",
            "destination",
            "destination_tag",
            "destination_staff",
            "welcome_message",
            "custom_info",
            "credentials_set",
            "is_active",
            "created_at",
            *services.WIDGET_SETTINGS,
            "widget_url",
            "weblink_url",
            "qr_png_url",
            "qr_svg_url",
            "webhook_url",
        ]

    def get_destination(self, obj: Channel) -> dict[str, Any]:
        d = obj.destination
        return {"id": d.pk, "name": d.name, "type": d.type}

    def get_destination_tag(self, obj: Channel) -> int | None:
        return obj.destination.tag_id

    def get_destination_staff(self, obj: Channel) -> int | None:
        return obj.destination.staff_id

    def get_credentials_set(self, obj: Channel) -> dict[str, bool]:
        """Which credentials are set: never their values (write-only)."""
        saved = obj.credentials or {}
        desc = CREDENTIAL_KINDS.get(obj.kind)
        names = [f.name for f in desc.fields] if desc else list(saved)
        return {str(name): saved.get(name) not in (None, "") for name in names}

    def get_widget_url(self, obj: Channel) -> str | None:
        return f"/widget/{obj.key}/" if obj.kind in (Channel.Kind.WIDGET, Channel.Kind.WEBLINK) else None

    def get_weblink_url(self, obj: Channel) -> str | None:
        """The link to share (and the QR code's content): /l/<slug> with the UTM parameters."""
        return weblink_path(obj)

    def get_qr_png_url(self, obj: Channel) -> str | None:
        return f"/api/v1/channels/{obj.pk}/qr.png" if obj.weblink_slug else None

    def get_qr_svg_url(self, obj: Channel) -> str | None:
        return f"/api/v1/channels/{obj.pk}/qr.svg" if obj.weblink_slug else None

    def get_webhook_url(self, obj: Channel) -> str | None:
        return webhook_path(obj.kind, obj.pk)


class WebLinkUTM(serializers.Serializer):
    """The UTM parameters of a web link (each optional, at most 100 printable characters)."""

    utm_source = serializers.CharField(required=False, help_text="e.g. poster, newsletter")
    utm_medium = serializers.CharField(required=False, help_text="e.g. print, email")
    utm_campaign = serializers.CharField(required=False, help_text="e.g. spring-sale")
    utm_term = serializers.CharField(required=False)
    utm_content = serializers.CharField(required=False)


@extend_schema_field(WebLinkUTM)
class WebLinkUTMField(JSONObjectField):
    """The web link's UTM parameters; checked by services.clean_weblink_utm (unknown keys and
    bad values are refused, not dropped)."""


class WidgetSettingsIn(serializers.Serializer):
    """Widget look, visitor form and web link; checked in detail by channel_widget_settings."""

    allowed_domains = serializers.ListField(child=serializers.CharField(max_length=255), required=False)
    widget_color = serializers.CharField(max_length=7, required=False)
    widget_position = serializers.ChoiceField(choices=WidgetPosition.choices, required=False)
    widget_greeting = serializers.CharField(max_length=200, required=False, allow_blank=True)
    widget_logo_url = serializers.CharField(max_length=500, required=False, allow_blank=True)
    widget_company_name = serializers.CharField(max_length=120, required=False, allow_blank=True)
    widget_width = serializers.IntegerField(
        required=False, help_text="The chat panel's width on a desktop, 300 to 600 CSS pixels (phones: full screen)."
    )
    widget_height = serializers.IntegerField(
        required=False, help_text="The chat panel's height on a desktop, 400 to 900 CSS pixels (phones: full screen)."
    )
    show_tag_directory = serializers.BooleanField(required=False)
    show_staff_directory = serializers.BooleanField(required=False)
    directory_staff = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        allow_null=True,
        help_text="Ids of the active staff the staff directory lists; empty: every active staff member with a tag.",
    )
    form_enabled = serializers.BooleanField(required=False)
    form_required_fields = serializers.ListField(child=serializers.CharField(max_length=20), required=False)
    weblink_slug = serializers.CharField(max_length=60, required=False, allow_blank=True, allow_null=True)
    weblink_utm = WebLinkUTMField(required=False, allow_null=True, max_chars=2000)
    note_button = serializers.BooleanField(
        required=False, help_text="The widget's Note button: a note (with files) without chatting. Default on."
    )
    visitor_may_rate_anytime = serializers.BooleanField(
        required=False, help_text='The visitor may rate while chatting ("Rate this conversation"). Default off.'
    )


class ChannelIn(WidgetSettingsIn):
    kind = serializers.ChoiceField(choices=Channel.Kind.choices)
    name = serializers.CharField(max_length=120)
    destination_tag = serializers.PrimaryKeyRelatedField(queryset=Tag.objects.all(), required=False, allow_null=True)
    destination_staff = serializers.PrimaryKeyRelatedField(
        queryset=Staff.objects.filter(is_active=True), required=False, allow_null=True
    )
    welcome_message = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)
    custom_info = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)
    credentials = CredentialsField(required=False, default=dict)


class ChannelUpdateIn(WidgetSettingsIn):
    name = serializers.CharField(max_length=120, required=False)
    destination_tag = serializers.PrimaryKeyRelatedField(queryset=Tag.objects.all(), required=False)
    destination_staff = serializers.PrimaryKeyRelatedField(
        queryset=Staff.objects.filter(is_active=True), required=False
    )
    welcome_message = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    custom_info = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    is_active = serializers.BooleanField(required=False)
    credentials = CredentialsChangeField(required=False)


class ChannelsView(APIView):
    permission_classes = [IsAdminOrReadOnlyStaff]

    @extend_schema(responses=results_of(ChannelOut, "ChannelList"), operation_id="channel_list")
    def get(self, request: Request) -> Response:
        query = Channel.objects.select_related("destination").prefetch_related("directory_staff").order_by("id")
        return Response({"results": ChannelOut(query, many=True).data})

    @extend_schema(request=ChannelIn, responses={201: ChannelOut})
    def post(self, request: Request) -> Response:
        data = ChannelIn(data=request.data)
        data.is_valid(raise_exception=True)
        channel = services.channel_create(actor=staff_of(request), **data.validated_data)
        return Response(ChannelOut(channel).data, status=status.HTTP_201_CREATED)


class ChannelDetailView(APIView):
    permission_classes = [IsAdminOrReadOnlyStaff]

    def _get(self, channel_id: int) -> Channel:
        channel = Channel.objects.select_related("destination").filter(pk=channel_id).first()
        if channel is None:
            raise NotFound("Channel not found.")
        return channel

    @extend_schema(responses=ChannelOut)
    def get(self, request: Request, channel_id: int) -> Response:
        return Response(ChannelOut(self._get(channel_id)).data)

    @extend_schema(request=ChannelUpdateIn, responses=ChannelOut)
    def patch(self, request: Request, channel_id: int) -> Response:
        channel = self._get(channel_id)
        data = ChannelUpdateIn(data=request.data)
        data.is_valid(raise_exception=True)
        channel = services.channel_update(actor=staff_of(request), channel=channel, changes=dict(data.validated_data))
        return Response(ChannelOut(channel).data)


class CredentialFieldOut(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a JSON key, not the Field attribute
    help = serializers.CharField(help_text="What it is and where to find it in the platform's console.")
    required = serializers.BooleanField()  # type: ignore[assignment]  # a JSON key, not the Field attribute
    secret = serializers.BooleanField()
    type = serializers.ChoiceField(choices=["text", "port", "choice"])
    choices = serializers.ListField(child=serializers.CharField())


class ChannelKindOut(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a JSON key, not the Field attribute
    console = serializers.CharField(help_text="The platform's console, where the credentials are found.")
    webhook_help = serializers.CharField(help_text="Where the webhook URL and verify token go (empty: no webhook).")
    fields = CredentialFieldOut(many=True)  # type: ignore[assignment]  # a JSON key, not the Field attribute


class ChannelKindsOut(serializers.Serializer):
    results = ChannelKindOut(many=True)
    public_base_url = serializers.CharField(
        help_text="CC_PUBLIC_BASE_URL: the server's public address, the start of each webhook URL (empty: not set)."
    )


class ChannelKindsView(APIView):
    """The credentials each platform kind needs, named and explained for the admin's forms."""

    permission_classes = [IsAdmin]

    @extend_schema(responses=ChannelKindsOut, operation_id="channel_kinds")
    def get(self, request: Request) -> Response:
        kinds = [
            {
                "kind": d.kind,
                "label": str(d.label),
                "console": d.console,
                "webhook_help": str(d.webhook_help),
                "fields": [
                    {
                        "name": f.name,
                        "label": str(f.label),
                        "help": str(f.help),
                        "required": f.required,
                        "secret": f.secret,
                        "type": f.type,
                        "choices": list(f.choices),
                    }
                    for f in d.fields
                ],
            }
            for d in CREDENTIAL_KINDS.values()
        ]
        return Response({"results": kinds, "public_base_url": settings.CC_PUBLIC_BASE_URL.rstrip("/")})


class ConnectionTestIn(serializers.Serializer):
    # Every kind (one enum with the channel's kind); widget and web link have nothing to test.
    kind = serializers.ChoiceField(choices=Channel.Kind.choices)
    channel = serializers.IntegerField(
        required=False, allow_null=True, help_text="A saved channel whose credentials fill in the ones not given."
    )
    credentials = CredentialsChangeField(required=False, default=dict)


class ConnectionTestOut(serializers.Serializer):
    ok = serializers.BooleanField()
    detail = serializers.CharField(help_text="What answered, or the platform's own error.")


class ConnectionTestView(APIView):
    """Test a platform's credentials (typed in a form, over a saved channel's) with one
    harmless call to its API (through CC_META_GRAPH_URL, CC_LINE_API_URL,
    CC_WECHAT_API_URL; SMTP for email). The platform's refusal is an answer (ok: false),
    not an error of this API; incomplete credentials are a 400 naming the field."""

    permission_classes = [IsAdmin]

    @extend_schema(request=ConnectionTestIn, responses=ConnectionTestOut, operation_id="channel_connection_test")
    def post(self, request: Request) -> Response:
        data = ConnectionTestIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        ok, detail = services.channel_connection_test(
            actor=staff_of(request),
            kind=values["kind"],
            channel_id=values.get("channel"),
            credentials=values.get("credentials") or {},
        )
        return Response({"ok": ok, "detail": detail})


# Room for the multipart envelope and the note's other fields around its files.
_NOTE_SLACK_BYTES = 256 * 1024


class VisitorFormIn(serializers.Serializer):
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)


class WidgetEnquiryIn(serializers.Serializer):
    channel_key = serializers.CharField(max_length=40)
    tag = serializers.CharField(max_length=80, required=False, allow_null=True)
    staff = serializers.IntegerField(required=False, allow_null=True)
    visitor = VisitorFormIn(required=False, default=dict)
    device = JSONObjectField(required=False, default=dict)
    utm = JSONObjectField(required=False, default=dict)
    entry = serializers.ChoiceField(
        choices=["widget", "weblink"],
        required=False,
        default="widget",
        help_text='Where the chat runs: "weblink" on a web link\'s page (counts only for a channel with one).',
    )
    message = serializers.CharField(trim_whitespace=True)
    replaces = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="The visitor's conversation going on, ended in the same request (else 409 while one is open).",
    )

    def validate_message(self, value: str) -> str:
        # The one limit of every message (CC_MESSAGE_MAX_CHARS), read per request.
        if len(value) > settings.CC_MESSAGE_MAX_CHARS:
            raise serializers.ValidationError(
                gettext("Message text is limited to %(limit)s characters.") % {"limit": settings.CC_MESSAGE_MAX_CHARS}
            )
        return value


class WidgetEnquiryOut(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    visitor_token = serializers.CharField()
    queue_position = serializers.IntegerField(allow_null=True)
    room = serializers.IntegerField()


def _widget_target(values: dict[str, Any]) -> tuple[Channel, Tag | None, Staff | None]:
    """The visitor's channel (by its key) and the team or person chosen in its directory."""
    # The destination's tag's custom info read with it (enquiries.services._custom_info).
    channel = (
        Channel.objects.select_related("destination")
        .annotate(destination_tag_custom_info=F("destination__tag__custom_info"))
        .filter(key=values["channel_key"], is_active=True)
        .first()
    )
    if channel is None or channel.kind not in (Channel.Kind.WIDGET, Channel.Kind.WEBLINK):
        raise InvalidInput.field("channel_key", gettext("Unknown channel."))
    tag = staff = None
    if values.get("tag"):
        tag = tag_by_name_or_id(values["tag"])
        if tag is None:
            raise InvalidInput.field("tag", gettext("Unknown tag."))
    if values.get("staff"):
        staff = Staff.objects.filter(pk=values["staff"], is_active=True).first()
        if staff is None:
            raise InvalidInput.field("staff", gettext("Unknown staff member."))
    if tag and staff:
        raise InvalidInput.field("tag", gettext("Choose a tag or a staff member, not both."))
    return channel, tag, staff


class WidgetEnquiriesView(APIView):
    """A visitor opens an enquiry. A returning visitor sends its visitor token."""

    authentication_classes = [VisitorAuthentication]
    permission_classes = [AllowAny]
    throttle_classes = [WidgetThrottle]

    @extend_schema(request=WidgetEnquiryIn, responses={201: WidgetEnquiryOut})
    def post(self, request: Request) -> Response:
        data = WidgetEnquiryIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        channel, tag, staff = _widget_target(values)
        visitor = request.user if isinstance(request.user, Visitor) else None
        if channel.form_enabled:
            form = values.get("visitor") or {}
            for name in channel.form_required_fields:
                known = getattr(visitor, name, "") if visitor is not None else ""
                if not str(form.get(name) or known or "").strip():
                    label = {
                        "first_name": gettext("First name"),
                        "last_name": gettext("Last name"),
                        "email": gettext("Email"),
                        "phone": gettext("Phone"),
                    }.get(name, name)
                    raise InvalidInput.field(f"visitor.{name}", gettext("%(field)s is required.") % {"field": label})
        services.widget_enquiry_allowed(visitor_id=visitor.pk if visitor is not None else None)
        enquiry = enquiry_services.widget_enquiry_open(
            channel=channel,
            visitor=visitor,
            fields=values.get("visitor") or {},
            device=values.get("device"),
            utm=values.get("utm"),
            message=values["message"],
            tag=tag,
            staff=staff,
            client_address=client_ip(request),
            entry=values["entry"],
            replaces=values.get("replaces"),
            # The widget's language (?lang= or the browser's: contactcenter.org.i18n).
            language=translation.get_language() or "",
        )
        body = {
            "id": enquiry.pk,
            "status": enquiry.status,
            "visitor_token": visitor_token_for(enquiry.visitor_id, enquiry.visitor.token_epoch),
            # Routing's figure (the same count, read in its transaction).
            "queue_position": enquiry.opened_position,
            "room": enquiry.room.pk,
        }
        return Response(body, status=status.HTTP_201_CREATED)


class HistoryAgentOut(serializers.Serializer):
    display_name = serializers.CharField()
    avatar_url = serializers.CharField()


class HistoryConversationOut(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    room = serializers.IntegerField(allow_null=True)
    destination = serializers.CharField(help_text="The tag or staff member it went to.")
    agent = HistoryAgentOut(allow_null=True, help_text="Who answered (the last owner), null if nobody did.")
    created_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    messages_truncated = serializers.BooleanField(help_text="Only its newest messages are included.")
    messages = serializers.ListField(child=serializers.DictField(), help_text="As GET /rooms/<id>/messages.")


HistoryPageOut = page_of(HistoryConversationOut, "HistoryPageOut", by="has_more")


def _query_int(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18 or int(raw) < 1:
        raise InvalidInput.field(name, f"{name} must be a positive whole number.")
    return int(raw)


class WidgetHistoryView(APIView):
    """A returning visitor's earlier conversations on one channel (its own only), newest
    first, each with its transcript (no recalled or staff-only messages); page on with
    ``before`` = the oldest id seen."""

    authentication_classes = [VisitorAuthentication]
    permission_classes = [IsVisitor]
    throttle_classes = [WidgetThrottle]

    @extend_schema(
        parameters=[
            OpenApiParameter("channel", str, required=True, description="The channel's key."),
            OpenApiParameter("before", int, required=False, description="Only enquiries with a smaller id."),
            OpenApiParameter("limit", int, required=False, description="Enquiries per page, 1 to 10 (3)."),
        ],
        responses={200: HistoryPageOut},
        operation_id="widget_history",
    )
    def get(self, request: Request) -> Response:
        key = request.query_params.get("channel") or ""
        if not key:
            raise InvalidInput.field("channel", "channel (the channel's key) is required.")
        channel = Channel.objects.filter(key=key[:40], kind__in=[Channel.Kind.WIDGET, Channel.Kind.WEBLINK]).first()
        if channel is None:
            raise InvalidInput.field("channel", gettext("Unknown channel."))
        limit = _query_int(request, "limit")
        results, has_more = visitor_history(
            visitor_of(request),
            channel_id=channel.pk,
            before=_query_int(request, "before"),
            limit=HISTORY_PAGE_DEFAULT if limit is None else limit,
        )
        return Response({"results": results, "has_more": has_more})


class WidgetNoteIn(serializers.Serializer):
    channel_key = serializers.CharField(max_length=40)
    tag = serializers.CharField(max_length=80, required=False, allow_null=True, allow_blank=True)
    staff = serializers.IntegerField(required=False, allow_null=True)
    visitor = VisitorFormIn(required=False, default=dict)
    device = JSONObjectField(required=False, default=dict)
    utm = JSONObjectField(required=False, default=dict)
    text = serializers.CharField(trim_whitespace=True, help_text="The note (at most CC_NOTE_MAX_CHARS).")
    contact = serializers.CharField(
        max_length=255,
        required=False,
        allow_blank=True,
        default="",
        help_text="Email or phone to reach the visitor; required unless the visitor's email or phone is known.",
    )
    files = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        default=list,
        help_text=f"Multipart only: images or documents, checked by content as chat uploads are "
        f"(at most {enquiry_services.NOTE_MAX_FILES}, each within CC_MAX_UPLOAD_BYTES).",
    )


class WidgetNoteOut(serializers.Serializer):
    id = serializers.IntegerField(help_text="The enquiry the note was recorded as (missed, reason note_left).")
    status = serializers.CharField()
    visitor_token = serializers.CharField()
    note = NoteDoc()


def _multipart_json(data: Any, name: str) -> Any:
    """A multipart form carries objects (visitor, device, utm) as JSON text."""
    value = data.get(name)
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value) if value.strip() else {}
    except ValueError:
        raise InvalidInput.field(name, f"{name} is a JSON object.") from None


class WidgetNotesView(APIView):
    """A visitor leaves a note without chatting (the widget's Note button): recorded as an
    enquiry of the channel missed at once, on the missed list with its follow-up. JSON, or
    multipart with files. A returning visitor sends its visitor token."""

    authentication_classes = [VisitorAuthentication]
    permission_classes = [AllowAny]
    throttle_classes = [WidgetThrottle]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        request={"application/json": WidgetNoteIn, "multipart/form-data": WidgetNoteIn},
        responses={201: WidgetNoteOut},
        operation_id="widget_note_create",
    )
    def post(self, request: Request) -> Response:
        length = request.META.get("CONTENT_LENGTH") or "0"
        most = enquiry_services.NOTE_MAX_FILES * settings.CC_MAX_UPLOAD_BYTES + _NOTE_SLACK_BYTES
        if length.isdigit() and int(length) > most:  # refused before the body is read
            raise UploadTooLarge.field("files", upload_limit_message())
        raw: Any = request.data
        body: Any = raw  # a JSON body that is no object: the serializer says so
        if isinstance(raw, dict):  # JSON or a form (a QueryDict): its fields without the files
            body = {name: raw.get(name) for name in ("channel_key", "tag", "staff", "text", "contact") if name in raw}
            for name in ("visitor", "device", "utm"):
                if name in raw:
                    body[name] = _multipart_json(raw, name)
        data = WidgetNoteIn(data=body)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        channel, tag, staff = _widget_target(values)
        visitor = request.user if isinstance(request.user, Visitor) else None
        form = values.get("visitor") or {}
        known = [form.get("email"), form.get("phone")]
        if visitor is not None:
            known += [visitor.email, visitor.phone]
        if not values["contact"] and not any(known):
            raise InvalidInput.field("contact", "Tell us how to reach you: an email address or a phone number.")
        uploads = request.FILES.getlist("files") if hasattr(request.FILES, "getlist") else []
        services.widget_enquiry_allowed(visitor_id=visitor.pk if visitor is not None else None)
        if uploads and visitor is not None:
            ratelimit.upload_rate_check(visitor)
        note = enquiry_services.widget_note_leave(
            channel=channel,
            visitor=visitor,
            fields=form,
            device=values.get("device"),
            utm=values.get("utm"),
            text=values["text"],
            contact=values["contact"],
            uploads=uploads,
            tag=tag,
            staff=staff,
            client_address=client_ip(request),
        )
        enquiry = note.enquiry
        body = {
            "id": enquiry.pk,
            "status": enquiry.status,
            "visitor_token": visitor_token_for(enquiry.visitor_id, enquiry.visitor.token_epoch),
            "note": note_data(note),
        }
        return Response(body, status=status.HTTP_201_CREATED)


class RetrySendOut(serializers.Serializer):
    message = serializers.IntegerField()
    state = serializers.CharField(help_text="The delivery state now: pending (being sent again).")


class MessageRetrySendView(APIView):
    """Send again a staff reply to a platform or email customer whose send failed (the
    same outbound path and retry keys; a message already being sent is left alone)."""

    @extend_schema(request=None, responses={200: RetrySendOut}, operation_id="message_retry_send")
    def post(self, request: Request, message_id: int) -> Response:
        outbound = outbound_retry(actor=staff_of(request), message_id=message_id)
        return Response({"message": outbound.message_id, "state": outbound.state})
