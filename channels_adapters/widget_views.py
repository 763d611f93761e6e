"""The visitor's pages and public widget endpoints (SPEC 6 "Widget", "Web links and QR codes").

- ``/widget/<key>/``: the chat window, served into the loader's iframe on the customer's
  site. Framing is allowed only from the channel's ``allowed_domains`` (CSP
  ``frame-ancestors``; X-Frame-Options is dropped for this page, CSP supersedes it).
- ``/l/<slug>``: the Engage Now page of a web link; the same chat, full page.
- ``GET /api/v1/widget/channels/<key>``: the public configuration of a channel (look,
  form, directories with availability). Nothing private: no emails, no credentials.
- ``GET /api/v1/channels/<id>/qr.png|.svg``: a web link's QR code (admins).
"""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from channels_adapters.directory import directory_staff, directory_tags
from channels_adapters.models import VISITOR_FORM_FIELDS, WEBLINK_UTM_KEYS, Channel
from channels_adapters.selectors import public_name
from channels_adapters.services import clean_weblink_utm
from contactcenter.org import clock
from contactcenter.org.csp import content_security_policy
from contactcenter.org.errors import NotFound
from contactcenter.org.models import Staff, Tag
from contactcenter.org.permissions import IsAdmin
from contactcenter.org.services import org_settings_get, within_work_hours
from enquiries.auth import WidgetThrottle
from enquiries.services import NOTE_MAX_FILES

VISITOR_KINDS = (Channel.Kind.WIDGET, Channel.Kind.WEBLINK)


def _channel(**lookup: Any) -> Channel:
    channel = (
        Channel.objects.select_related("destination", "destination__tag", "destination__staff")
        .filter(is_active=True, kind__in=VISITOR_KINDS, **lookup)
        .first()
    )
    if channel is None:
        raise NotFound("This chat is not available.")
    return channel


def frame_ancestors(channel: Channel) -> list[str]:
    """Which sites may frame the chat page. No domains listed: any site."""
    return ["'self'", *channel.allowed_domains] if channel.allowed_domains else ["*"]


def visitor_page_policy(request: HttpRequest, *, frame_ancestors: list[str]) -> str:
    """The CSP of the visitor's pages: the project's scripts only, this server only for
    requests, images also over https (the logo and avatars are URLs an admin set), style
    attributes allowed (the accent colour)."""
    return content_security_policy(request, frame_ancestors=frame_ancestors, img_src=["https:"], style_inline=True)


# ------------------------------------------------------------------ public config


def _staff_entry(staff: Staff) -> dict[str, Any]:
    return {
        "id": staff.pk,
        "display_name": staff.display_name,
        "avatar_url": staff.avatar_url,
        "availability": staff.availability,
        "tags": sorted(t.name for t in staff.tags.all()),
    }


def widget_config(channel: Channel) -> dict[str, Any]:
    """What the visitor's chat needs to draw itself. Public: only names, avatars, availability."""
    dest = channel.destination
    tags = directory_tags(channel) if channel.show_tag_directory else []
    staff: list[dict[str, Any]] = []
    if channel.show_staff_directory:
        staff = [_staff_entry(s) for s in directory_staff(channel).prefetch_related("tags")]
    org = org_settings_get()
    target = dest.staff if dest.staff_id else None
    return {
        "key": channel.key,
        "kind": channel.kind,
        "company_name": public_name(channel, org.company_name),
        "logo_url": channel.widget_logo_url,
        "color": channel.widget_color,
        "position": channel.widget_position,
        # The panel's size on a desktop (the loader applies it; phones get the full screen).
        "width": channel.widget_width,
        "height": channel.widget_height,
        "greeting": channel.widget_greeting,
        "welcome_message": channel.welcome_message,
        "destination": {
            "type": dest.type,
            "name": dest.name,
            "staff": _staff_entry(target) if target is not None else None,
        },
        "open_now": within_work_hours(clock.now(), org.work_hours),
        "form": {
            "enabled": channel.form_enabled,
            "fields": list(VISITOR_FORM_FIELDS),
            "required": list(channel.form_required_fields) if channel.form_enabled else [],
        },
        "directory": {"tags": tags, "staff": staff},
        "refresh_seconds": settings.CC_WIDGET_REFRESH_SECONDS,
        "note_button": channel.note_button,
        "rate_anytime": channel.visitor_may_rate_anytime,
        "limits": {
            "message_chars": settings.CC_MESSAGE_MAX_CHARS,
            "note_chars": settings.CC_NOTE_MAX_CHARS,
            "upload_bytes": settings.CC_MAX_UPLOAD_BYTES,
            "note_files": NOTE_MAX_FILES,
        },
    }


class WidgetLimitsOut(serializers.Serializer):
    message_chars = serializers.IntegerField(help_text="Longest message text accepted (CC_MESSAGE_MAX_CHARS).")
    note_chars = serializers.IntegerField(help_text="Longest offline note accepted (CC_NOTE_MAX_CHARS).")
    upload_bytes = serializers.IntegerField(help_text="Largest file accepted (CC_MAX_UPLOAD_BYTES).")
    note_files = serializers.IntegerField(help_text="Most files one note carries.")


class WidgetChannelOut(serializers.Serializer):
    key = serializers.CharField()
    kind = serializers.CharField()
    company_name = serializers.CharField()
    logo_url = serializers.CharField()
    color = serializers.CharField()
    position = serializers.CharField()
    width = serializers.IntegerField(help_text="The chat panel's width on a desktop, CSS pixels.")
    height = serializers.IntegerField(help_text="The chat panel's height on a desktop, CSS pixels.")
    greeting = serializers.CharField()
    welcome_message = serializers.CharField()
    destination = serializers.DictField()
    open_now = serializers.BooleanField()
    form = serializers.DictField()
    directory = serializers.DictField()
    refresh_seconds = serializers.FloatField(
        help_text="How often the open widget reads this again without a socket (CC_WIDGET_REFRESH_SECONDS)."
    )
    note_button = serializers.BooleanField(help_text="The Note button is shown (a note without chatting).")
    rate_anytime = serializers.BooleanField(help_text='"Rate this conversation" is offered while chatting.')
    limits = WidgetLimitsOut()


class WidgetChannelView(APIView):
    """Public configuration of a widget or web link channel (no authentication)."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    throttle_classes = [WidgetThrottle]

    @extend_schema(
        responses={200: WidgetChannelOut, 304: None},
        operation_id="widget_channel_retrieve",
        description="Answers 304 (no body) when the If-None-Match header has the ETag of the same config.",
    )
    def get(self, request: Request, key: str) -> Response:
        config = widget_config(_channel(key=key))
        # The open widget polls this (availability, open hours): an unchanged config is a
        # 304 with no body.
        etag = '"' + hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:32] + '"'
        if etag in request.headers.get("If-None-Match", ""):
            response = Response(status=304)
        else:
            response = Response(config)
        response["ETag"] = etag
        response["Cache-Control"] = "no-cache"
        # The loader on another site reads this too (availability before opening).
        response["Access-Control-Allow-Origin"] = "*"
        response["Access-Control-Expose-Headers"] = "ETag"
        return response


# ------------------------------------------------------------------ pages


def _page_context(channel: Channel, *, mode: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    config = {**widget_config(channel), **(extra or {})}
    return {
        "channel": channel,
        "config": config,
        "config_json": json.dumps({**config, "mode": mode}),
        "mode": mode,
    }


def weblink_start(channel: Channel, *, tag_name: str | None) -> dict[str, Any]:
    """What a web link page opens on (the widget's Choice): the team named by ``?tag=``
    when there is one (``/l/help?tag=Support``), else the link's own destination; never
    the list of every team. A staff destination is shown by name only ({"staffName"}), so
    that the enquiry goes to the channel's destination exactly as set."""
    if tag_name:
        tag = Tag.objects.filter(name__iexact=tag_name.strip()[:80]).first()
        if tag is not None:
            return {"tag": tag.name}
    dest = channel.destination
    if dest.staff is not None:
        return {"staffName": dest.staff.display_name}
    return {"tag": dest.name}


@require_GET
@xframe_options_exempt
def widget_page(request: HttpRequest, key: str) -> HttpResponse:
    """The chat window inside the loader's iframe."""
    try:
        channel = _channel(key=key)
    except NotFound:
        raise Http404("This chat is not available.") from None
    response = render(request, "widget/chat.html", _page_context(channel, mode="frame"))
    response["Content-Security-Policy"] = visitor_page_policy(request, frame_ancestors=frame_ancestors(channel))
    response["Referrer-Policy"] = "strict-origin-when-cross-origin"
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def weblink_page(request: HttpRequest, slug: str) -> HttpResponse:
    """Engage Now: a web link (or its QR code) opens the same chat as a page of its own;
    the link's utm_* parameters are recorded with the enquiry."""
    try:
        channel = _channel(weblink_slug=slug)
    except NotFound:
        raise Http404("This link is not available.") from None
    start = weblink_start(channel, tag_name=request.GET.get("tag"))
    response = render(request, "weblink.html", _page_context(channel, mode="page", extra={"start": start}))
    response["Content-Security-Policy"] = visitor_page_policy(request, frame_ancestors=["'self'"])
    response["Cache-Control"] = "no-store"
    return response


# ------------------------------------------------------------------ QR codes


def weblink_path(channel: Channel, utm: dict[str, str] | None = None) -> str | None:
    """The web link to share and encode in its QR code: ``/l/<slug>`` and the admin's UTM
    parameters (``?utm_source=poster&utm_campaign=spring``), or ``utm`` instead of them;
    None without a link name."""
    if not channel.weblink_slug:
        return None
    utm = channel.weblink_utm if utm is None else utm
    query = urlencode([(k, utm[k]) for k in WEBLINK_UTM_KEYS if utm.get(k)])
    return f"/l/{channel.weblink_slug}" + (f"?{query}" if query else "")


def qr_utm(channel: Channel, query: Any) -> dict[str, str]:
    """The UTM set of one QR code: the link's own, with the request's ``utm_*`` parameters
    over it (an empty one removes that key). So one link can have several printed codes
    (``qr.png?utm_campaign=bus-stop``) without a row per code. Bad values: InvalidInput."""
    given = {k: v for k, v in query.items() if k.startswith("utm_")}
    utm = {**channel.weblink_utm, **clean_weblink_utm(given)}
    return {k: v for k, v in utm.items() if not (k in given and not str(given[k]).strip())}


class QRCodeView(APIView):
    """A web link's QR code, for admins to download and print; ``?utm_campaign=`` (and the
    other UTM keys) make a code of the same link with another UTM set (see qr_utm)."""

    permission_classes = [IsAdmin]
    kind = "png"

    @extend_schema(
        parameters=[
            OpenApiParameter(key, str, description="Instead of the link's own value (empty: left out).")
            for key in WEBLINK_UTM_KEYS
        ],
        responses={(200, "image/png"): OpenApiTypes.BINARY, (200, "image/svg+xml"): OpenApiTypes.BINARY},
    )
    def get(self, request: Request, channel_id: int) -> HttpResponse:
        channel = Channel.objects.filter(pk=channel_id).first()
        if channel is None:
            raise NotFound("Channel not found.")
        if not channel.weblink_slug:
            raise NotFound("This channel has no web link: set weblink_slug first.")
        path = weblink_path(channel, qr_utm(channel, request.query_params))
        # A printed code must work from anywhere: the public address when set, else this request's.
        base = settings.CC_PUBLIC_BASE_URL.rstrip("/")
        url = f"{base}{path}" if base else request.build_absolute_uri(path)
        qr = segno.make(url, error="m")
        out = io.BytesIO()
        if self.kind == "svg":
            qr.save(out, kind="svg", scale=8, border=4, xmldecl=True)
            content_type = "image/svg+xml"
        else:
            qr.save(out, kind="png", scale=8, border=4)
            content_type = "image/png"
        response = HttpResponse(out.getvalue(), content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="weblink-{channel.weblink_slug}.{self.kind}"'
        response["X-Content-Type-Options"] = "nosniff"
        # What the code encodes, for tools (and tests) that do not decode images.
        response["X-QR-Content"] = url
        return response


class QRCodePNGView(QRCodeView):
    kind = "png"


class QRCodeSVGView(QRCodeView):
    kind = "svg"
