"""API: authentication, own profile, tags, staff, settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from contactcenter.org import i18n, ratelimit, services
from contactcenter.org.api_errors import NoNulJSONField, results_of
from contactcenter.org.auth import SESSION_EPOCH_KEY, StaffTokenAuthentication
from contactcenter.org.client_address import client_ident
from contactcenter.org.errors import InvalidInput, NotAuthorized, NotFound
from contactcenter.org.models import OrgSettings, Staff, Tag
from contactcenter.org.parsers import JSONParser
from contactcenter.org.permissions import IsAdmin, IsAdminOrReadOnlyStaff, IsStaff, staff_of


class LoginThrottle(AnonRateThrottle):
    """Logins per client address (CC_LOGIN_RATE), behind declared proxies only
    (contactcenter.org.client_address); the per-account lockout is in ``_check_credentials``."""

    scope = "login"

    def get_ident(self, request: Request) -> str:
        return client_ident(request)


class CredentialsIn(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(max_length=256, trim_whitespace=False)


class TokenOut(serializers.Serializer):
    token = serializers.CharField()


class StaffOut(serializers.ModelSerializer):
    tags: serializers.SlugRelatedField[Tag] = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")

    class Meta:
        model = Staff
        fields = [
            "id",
            "email",
            "display_name",
            "avatar_url",
            "role",
            "availability",
            "max_concurrent",
            "is_active",
            "tags",
            "phone",
            "time_zone",
            "language",
        ]


def _check_credentials(request: Request) -> Staff:
    """The staff member whose credentials were posted. Raises InvalidInput, or RateLimited
    (429) while the account is locked out after repeated failures (ratelimit)."""
    data = CredentialsIn(data=request.data)
    data.is_valid(raise_exception=True)
    email = data.validated_data["email"].lower()
    ratelimit.login_lockout_check(email)
    user = authenticate(request, email=email, password=data.validated_data["password"])
    if not isinstance(user, Staff) or not user.is_active:
        ratelimit.login_failure_record(email)
        raise InvalidInput(gettext("Wrong email or password."), code="bad_credentials")
    ratelimit.login_success_record(email)
    return user


class TokenLoginView(APIView):
    """Log in an API client; any earlier session or token of the same staff ends."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginThrottle]

    @extend_schema(request=CredentialsIn, responses={200: TokenOut})
    def post(self, request: Request) -> Response:
        staff = _check_credentials(request)
        return Response({"token": services.token_issue(staff=staff)})


_CROSS_SITE_LOGIN = gettext_lazy("Cross-site login refused: log in from this site's own login page.")


def _origin_allowed(origin: str, request: Request) -> bool:
    """``origin`` is this site (as Django's CSRF check sees it) or in CC_CSRF_TRUSTED_ORIGINS
    (entries may start with a ``*.`` subdomain wildcard, as in Django)."""
    own = f"{'https' if request.is_secure() else 'http'}://{request.get_host()}"
    if origin == own:
        return True
    for trusted in settings.CSRF_TRUSTED_ORIGINS:
        if origin == trusted:
            return True
        scheme, sep, host = trusted.partition("://*.")
        if sep and origin.startswith(f"{scheme}://") and origin.endswith(f".{host}"):
            return True
    return False


def _login_not_cross_site(request: Request) -> None:
    """Login CSRF: another site must not log the visitor's browser into an account of its
    choosing. A browser names the page that sent the request (Origin, Sec-Fetch-Site);
    either one showing another site is refused. API clients send neither and are not at
    risk (the cookie goes to them, not to a victim's browser). The view also takes JSON
    only, which a cross-site form cannot send without a CORS preflight."""
    if request.headers.get("Sec-Fetch-Site", "").lower() == "cross-site":
        raise NotAuthorized(str(_CROSS_SITE_LOGIN), code="cross_site")
    origin = request.headers.get("Origin")
    if origin is not None and not _origin_allowed(origin, request):
        raise NotAuthorized(str(_CROSS_SITE_LOGIN), code="cross_site")
    if request.content_type.split(";")[0].strip().lower() != "application/json":
        raise exceptions.UnsupportedMediaType(
            request.content_type,
            detail=gettext("Send the email and password as JSON (Content-Type: application/json)."),
        )


class SessionLoginView(APIView):
    """Browser login: a session cookie; any earlier session or token ends. JSON only, and
    never from another site (``_login_not_cross_site``)."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginThrottle]
    parser_classes = [JSONParser]

    @extend_schema(request=CredentialsIn, responses={200: StaffOut})
    def post(self, request: Request) -> Response:
        _login_not_cross_site(request)
        staff = _check_credentials(request)
        epoch = services.staff_login(staff=staff)
        login(request._request, staff, backend="django.contrib.auth.backends.ModelBackend")
        request.session[SESSION_EPOCH_KEY] = str(epoch)
        return Response(StaffOut(staff).data)


class LogoutView(APIView):
    """End the staff member's session (browser or token): every token, open socket and
    socket ticket of it ends at once, and availability becomes offline."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        services.staff_logout(staff=staff_of(request))
        logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SocketTicketOut(serializers.Serializer):
    ticket = serializers.CharField(
        help_text=f"Open /ws/staff/?ticket=<ticket> within {services.SOCKET_TICKET_SECONDS} s; it works once."
    )


class SocketTicketView(APIView):
    """A one-time ticket for an API client's staff socket (``/ws/staff/?ticket=...``),
    valid 30 seconds and once, so that the token itself never appears in a URL. The
    browser dashboard needs none: its socket uses the session cookie."""

    authentication_classes = [StaffTokenAuthentication]

    @extend_schema(request=None, responses={200: SocketTicketOut})
    def post(self, request: Request) -> Response:
        ticket = services.socket_ticket_issue(staff=staff_of(request))
        return Response(SocketTicketOut({"ticket": ticket}).data)


class MeIn(serializers.Serializer):
    whole_on_patch = True  # PATCH needs every field (contactcenter.api_schema.AutoSchema)
    availability = serializers.ChoiceField(choices=Staff.Availability.choices)


class MeView(APIView):
    @extend_schema(responses=StaffOut)
    def get(self, request: Request) -> Response:
        return Response(StaffOut(staff_of(request)).data)

    @extend_schema(request=MeIn, responses=StaffOut)
    def patch(self, request: Request) -> Response:
        data = MeIn(data=request.data)
        data.is_valid(raise_exception=True)
        staff = services.staff_set_availability(
            actor=staff_of(request), staff=staff_of(request), availability=data.validated_data["availability"]
        )
        return Response(StaffOut(staff).data)


class PreferencesIn(serializers.Serializer):
    language = serializers.ChoiceField(
        choices=[("", "The browser's language"), *i18n.staff_languages()],
        required=False,
        allow_blank=True,
        help_text='The dashboard\'s language; "" follows the browser.',
        error_messages={"invalid_choice": gettext_lazy("Unknown language: {input}.")},
    )
    time_zone = serializers.CharField(
        max_length=60,
        required=False,
        allow_blank=True,
        help_text='An IANA time zone such as "Asia/Shanghai"; "" follows the business\'s.',
    )


class PreferencesOut(serializers.Serializer):
    language = serializers.CharField(help_text='The chosen language, "" for the browser\'s.')
    time_zone = serializers.CharField(help_text='The chosen time zone, "" for the business\'s.')
    effective_time_zone = serializers.CharField(help_text="The time zone dates and times are shown in.")


class MePreferencesView(APIView):
    """The staff member's own language and time zone (the dashboard reloads in them)."""

    def _out(self, staff: Staff) -> Response:
        return Response(
            PreferencesOut(
                {
                    "language": staff.language,
                    "time_zone": staff.time_zone,
                    "effective_time_zone": i18n.staff_time_zone(staff),
                }
            ).data
        )

    @extend_schema(responses=PreferencesOut)
    def get(self, request: Request) -> Response:
        return self._out(staff_of(request))

    @extend_schema(request=PreferencesIn, responses=PreferencesOut)
    def patch(self, request: Request) -> Response:
        data = PreferencesIn(data=request.data)
        data.is_valid(raise_exception=True)
        staff = services.staff_set_preferences(
            actor=staff_of(request),
            staff=staff_of(request),
            language=data.validated_data.get("language"),
            time_zone=data.validated_data.get("time_zone"),
        )
        return self._out(staff)


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name", "custom_info"]


class TagIn(serializers.Serializer):
    # Not the model serializer: a duplicate name is a conflict (409) decided by the service.
    name = serializers.CharField(max_length=80)
    # Its length is checked by the service (one message for channels and tags).
    custom_info = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)


class TagUpdateIn(serializers.Serializer):
    name = serializers.CharField(max_length=80, required=False)
    custom_info = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)


class TagsView(APIView):
    permission_classes = [IsAdminOrReadOnlyStaff]

    @extend_schema(responses=results_of(TagSerializer, "TagList"))
    def get(self, request: Request) -> Response:
        return Response({"results": TagSerializer(Tag.objects.all(), many=True).data})

    @extend_schema(request=TagIn, responses={201: TagSerializer})
    def post(self, request: Request) -> Response:
        data = TagIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        tag = services.tag_create(actor=staff_of(request), name=values["name"], custom_info=values["custom_info"])
        return Response(TagSerializer(tag).data, status=status.HTTP_201_CREATED)


class TagDetailOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    custom_info = serializers.CharField()
    members = serializers.IntegerField(help_text="Staff members in the tag.")
    blockers = serializers.ListField(
        child=serializers.CharField(), help_text="Why the tag cannot be deleted now (empty: it can)."
    )
    effects = serializers.ListField(child=serializers.CharField(), help_text="What deleting the tag does.")


class TagDetailView(APIView):
    """One tag: what deleting it would do or why it is refused; rename and custom info;
    delete (409 while channels route to it or enquiries wait on it)."""

    permission_classes = [IsAdminOrReadOnlyStaff]

    def _get(self, tag_id: int) -> Tag:
        tag = Tag.objects.filter(pk=tag_id).first()
        if tag is None:
            raise NotFound("Tag not found.")
        return tag

    def _body(self, tag: Tag) -> dict[str, Any]:
        usage = services.tag_usage(tag)
        return {
            "id": tag.pk,
            "name": tag.name,
            "custom_info": tag.custom_info,
            "members": Staff.objects.filter(tags=tag).count(),
            "blockers": usage.blockers,
            "effects": usage.effects,
        }

    @extend_schema(responses=TagDetailOut, operation_id="tag_retrieve")
    def get(self, request: Request, tag_id: int) -> Response:
        return Response(self._body(self._get(tag_id)))

    @extend_schema(request=TagUpdateIn, responses=TagDetailOut, operation_id="tag_update")
    def patch(self, request: Request, tag_id: int) -> Response:
        tag = self._get(tag_id)
        data = TagUpdateIn(data=request.data)
        data.is_valid(raise_exception=True)
        tag = services.tag_update(actor=staff_of(request), tag=tag, **data.validated_data)
        return Response(self._body(tag))

    @extend_schema(responses={204: None}, operation_id="tag_delete")
    def delete(self, request: Request, tag_id: int) -> Response:
        services.tag_delete(actor=staff_of(request), tag=self._get(tag_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class StaffIn(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(max_length=256, trim_whitespace=False)
    display_name = serializers.CharField(max_length=120, required=False, allow_blank=True)
    role = serializers.ChoiceField(choices=Staff.Role.choices, default=Staff.Role.AGENT)
    tags = serializers.ListField(child=serializers.CharField(max_length=80), required=False, default=list)
    max_concurrent = serializers.IntegerField(min_value=1, max_value=100, default=5)
    availability = serializers.ChoiceField(choices=Staff.Availability.choices, default=Staff.Availability.OFFLINE)


class StaffUpdateIn(serializers.Serializer):
    display_name = serializers.CharField(max_length=120, required=False)
    password = serializers.CharField(max_length=256, trim_whitespace=False, required=False)
    role = serializers.ChoiceField(choices=Staff.Role.choices, required=False)
    tags = serializers.ListField(child=serializers.CharField(max_length=80), required=False)
    max_concurrent = serializers.IntegerField(min_value=1, max_value=100, required=False)
    is_active = serializers.BooleanField(required=False)
    availability = serializers.ChoiceField(choices=Staff.Availability.choices, required=False)


def _is_id(value: str) -> bool:
    # isascii(): str.isdigit() is also true of "²", which int() refuses.
    return value.isascii() and value.isdigit() and len(value) <= 18


def tag_by_name_or_id(value: str) -> Tag | None:
    """A tag by its name, or by its id given as a numeric string."""
    tag = Tag.objects.filter(name=value).first()
    if tag is None and _is_id(value):
        tag = Tag.objects.filter(pk=int(value)).first()
    return tag


def _tags_from(values: list[str]) -> list[Tag]:
    """Tags given by name, or by id as a numeric string."""
    ids = [int(v) for v in values if _is_id(v)]
    names = [v for v in values if not _is_id(v)]
    return services.tags_resolve(names=names, ids=ids)


class StaffListView(APIView):
    permission_classes = [IsAdminOrReadOnlyStaff]

    @extend_schema(responses=results_of(StaffOut, "StaffList"), operation_id="staff_list")
    def get(self, request: Request) -> Response:
        query = Staff.objects.prefetch_related("tags").order_by("id")
        return Response({"results": StaffOut(query, many=True).data})

    @extend_schema(request=StaffIn, responses={201: StaffOut})
    def post(self, request: Request) -> Response:
        data = StaffIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values["tags"] = _tags_from(values.get("tags", []))
        staff = services.staff_create(actor=staff_of(request), **values)
        return Response(StaffOut(staff).data, status=status.HTTP_201_CREATED)


class StaffDetailView(APIView):
    permission_classes = [IsAdminOrReadOnlyStaff]

    def _get(self, staff_id: int) -> Staff:
        staff = Staff.objects.filter(pk=staff_id).first()
        if staff is None:
            raise NotFound(gettext("Staff member not found."))
        return staff

    @extend_schema(responses=StaffOut)
    def get(self, request: Request, staff_id: int) -> Response:
        return Response(StaffOut(self._get(staff_id)).data)

    @extend_schema(request=StaffUpdateIn, responses=StaffOut)
    def patch(self, request: Request, staff_id: int) -> Response:
        staff = self._get(staff_id)
        data = StaffUpdateIn(data=request.data)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        if "tags" in changes:
            changes["tags"] = _tags_from(changes["tags"])
        availability = changes.pop("availability", None)
        staff = services.staff_update(actor=staff_of(request), staff=staff, changes=changes)
        if availability:
            staff = services.staff_set_availability(actor=staff_of(request), staff=staff, availability=availability)
        return Response(StaffOut(staff).data)


class SettingsSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrgSettings
        fields = [
            "auto_close_enabled",
            "auto_close_minutes",
            "work_hours",
            "ratings_visible_to_agents",
            "agents_may_keep_open",
            "company_name",
            "require_conversation_tag",
            "retention_days",
        ]


RETENTION_DAYS_MAX = 3650


class SettingsIn(serializers.Serializer):
    """Typed input, so that e.g. "no" is never read as a true boolean by ``bool()``."""

    auto_close_enabled = serializers.BooleanField(required=False)
    auto_close_minutes = serializers.IntegerField(min_value=1, max_value=7 * 24 * 60, required=False)
    work_hours = NoNulJSONField(required=False, allow_null=True)
    ratings_visible_to_agents = serializers.BooleanField(required=False)
    agents_may_keep_open = serializers.BooleanField(required=False)
    company_name = serializers.CharField(max_length=120, required=False, allow_blank=True)
    require_conversation_tag = serializers.BooleanField(
        required=False, help_text="Resolving or closing an enquiry is refused (409) until it has a conversation tag."
    )
    retention_days = serializers.IntegerField(
        min_value=1,
        max_value=RETENTION_DAYS_MAX,
        required=False,
        allow_null=True,
        help_text="Finished conversations older than this many days are deleted by a daily task; null: kept.",
    )


class SettingsView(APIView):
    def get_permissions(self) -> list[Any]:
        return [IsAdmin()] if self.request.method != "GET" else [IsStaff()]

    @extend_schema(responses=SettingsSerializer)
    def get(self, request: Request) -> Response:
        return Response(SettingsSerializer(services.org_settings_get()).data)

    @extend_schema(request=SettingsIn, responses=SettingsSerializer)
    def patch(self, request: Request) -> Response:
        if not isinstance(request.data, dict):
            raise InvalidInput(gettext("Send a JSON object."))
        unknown = set(request.data) - set(SettingsIn().fields)
        if unknown:
            raise InvalidInput(gettext("Unknown setting: %(names)s.") % {"names": ", ".join(sorted(unknown))})
        data = SettingsIn(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        obj = services.org_settings_update(actor=staff_of(request), changes=dict(data.validated_data))
        return Response(SettingsSerializer(obj).data)


# ---------------------------------------------------------------- OpenAPI security schemes


class StaffTokenScheme(OpenApiAuthenticationExtension):
    target_class = "contactcenter.org.auth.StaffTokenAuthentication"
    name = "staffToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'Staff API token from POST /api/v1/auth/token, sent as "Token <token>".',
        }


class StaffSessionScheme(OpenApiAuthenticationExtension):
    target_class = "contactcenter.org.auth.StaffSessionAuthentication"
    name = "staffSession"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.SESSION_COOKIE_NAME,
            "description": "Browser session from POST /api/v1/auth/session; unsafe methods need X-CSRFToken.",
        }
