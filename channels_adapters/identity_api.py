"""API of widget identity verification (channels_adapters.identity):

- ``POST /api/v1/widget/identify``: the widget proves its visitor is the host site's user
  (``ContactCenter.setVisitor({identifier, identifier_hash})``) and gets that visitor's token.
- ``GET /api/v1/channels/<id>/identity``: the channel's identity secret (admins only).
- ``POST /api/v1/channels/<id>/identity/rotate``: a new secret; old hashes are refused.
"""

from __future__ import annotations

from typing import Any

from django.utils import translation
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from channels_adapters.identity import IDENTITY_KINDS, channel_identity_secret_rotate, widget_visitor_identify
from channels_adapters.models import Channel
from contactcenter.org.api_errors import JSONObjectField
from contactcenter.org.auth import VisitorAuthentication
from contactcenter.org.errors import InvalidInput, NotFound
from contactcenter.org.permissions import IsAdmin, staff_of
from customers.identity import IDENTIFIER_MAX
from enquiries.auth import WidgetThrottle, visitor_token_for
from enquiries.models import Visitor


class WidgetIdentifyIn(serializers.Serializer):
    channel_key = serializers.CharField(max_length=40)
    identifier = serializers.CharField(
        max_length=IDENTIFIER_MAX, trim_whitespace=False, help_text="The host site's own id of its signed-in user."
    )
    identifier_hash = serializers.CharField(
        max_length=128,
        required=False,
        allow_blank=True,
        default="",
        help_text="Hex HMAC-SHA256 of the identifier with the channel's identity secret (computed by the host "
        "site's server). Missing or wrong: refused, nothing linked.",
    )
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    device = JSONObjectField(required=False, default=dict)


class WidgetIdentifyOut(serializers.Serializer):
    visitor_token = serializers.CharField(help_text="The verified visitor's token: use it from now on.")
    verified = serializers.BooleanField()
    new_visitor = serializers.BooleanField(
        help_text="A new visitor (this browser had none, or one of another identifier): forget the "
        "conversation shown with the old token."
    )


class WidgetIdentifyView(APIView):
    """The widget's visitor is the host site's signed-in user: checks the identifier's hash
    and answers the token of that user's visitor on this browser (the current one when it
    is anonymous or already theirs, else a new one). 403 for a wrong hash, nothing changed."""

    authentication_classes = [VisitorAuthentication]
    permission_classes = [AllowAny]
    throttle_classes = [WidgetThrottle]

    @extend_schema(request=WidgetIdentifyIn, responses={200: WidgetIdentifyOut}, operation_id="widget_identify")
    def post(self, request: Request) -> Response:
        data = WidgetIdentifyIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        channel = Channel.objects.filter(key=values["channel_key"]).first()
        if channel is None:
            raise InvalidInput.field("channel_key", translation.gettext("Unknown channel."))
        fields = {k: values[k] for k in ("name", "first_name", "last_name", "email", "phone") if k in values}
        visitor, new = widget_visitor_identify(
            channel=channel,
            visitor=request.user if isinstance(request.user, Visitor) else None,
            identifier=values["identifier"],
            identifier_hash=values["identifier_hash"],
            fields=fields,
            device=values.get("device"),
            language=translation.get_language() or "",
        )
        token = visitor_token_for(visitor.pk, visitor.token_epoch)
        return Response({"visitor_token": token, "verified": True, "new_visitor": new})


class ChannelIdentityOut(serializers.Serializer):
    channel = serializers.IntegerField()
    identity_secret = serializers.CharField(
        help_text="Keep it on the host site's server: it signs identifiers (HMAC-SHA256, hex)."
    )


def _identity_channel(channel_id: int) -> Channel:
    channel = Channel.objects.filter(pk=channel_id, kind__in=IDENTITY_KINDS).first()
    if channel is None:
        raise NotFound(translation.gettext("Channel not found (only widget and web link channels have one)."))
    return channel


def _identity_body(channel: Channel) -> dict[str, Any]:
    return {"channel": channel.pk, "identity_secret": channel.identity_secret}


class ChannelIdentityView(APIView):
    """A widget or web link channel's identity secret; admins only (agents and visitors
    never see it: it is in no other answer)."""

    permission_classes = [IsAdmin]

    @extend_schema(responses=ChannelIdentityOut, operation_id="channel_identity_retrieve")
    def get(self, request: Request, channel_id: int) -> Response:
        response = Response(_identity_body(_identity_channel(channel_id)))
        response["Cache-Control"] = "no-store"
        return response


class ChannelIdentityRotateView(APIView):
    """A new identity secret: hashes made with the old one are refused from now on."""

    permission_classes = [IsAdmin]

    @extend_schema(request=None, responses=ChannelIdentityOut, operation_id="channel_identity_rotate")
    def post(self, request: Request, channel_id: int) -> Response:
        channel = channel_identity_secret_rotate(actor=staff_of(request), channel=_identity_channel(channel_id))
        response = Response(_identity_body(channel))
        response["Cache-Control"] = "no-store"
        return response
