"""API: sending an SMS to the customer's phone from an enquiry's room (the service is
``channels_adapters.sms``; mounted here with the other integrations)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from channels_adapters import sms
from channels_adapters.platforms.twilio import SMS_MAX
from contactcenter.org.permissions import IsStaff, staff_of
from rooms.api import MessageOut
from rooms.selectors import message_data


class SmsTargetOut(serializers.Serializer):
    available = serializers.BooleanField(help_text="Whether an SMS can be sent now.")
    phone = serializers.CharField(help_text="The customer's number (E.164 when available).")
    channel_name = serializers.CharField(help_text="The SMS channel it goes out through.")
    reason = serializers.CharField(help_text="Why it cannot, in words for staff ('' when it can).")


class SmsIn(serializers.Serializer):
    text = serializers.CharField(max_length=SMS_MAX, trim_whitespace=False)
    client_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


class RoomSmsView(APIView):
    """GET: can the room's customer get an SMS? POST: send one (posted in the room as the
    caller's message, its delivery state shown as for platform replies)."""

    permission_classes = [IsStaff]

    @extend_schema(responses=SmsTargetOut, operation_id="room_sms_target")
    def get(self, request: Request, room_id: int) -> Response:
        return Response(sms.sms_target(staff=staff_of(request), room_id=room_id))

    @extend_schema(request=SmsIn, responses={201: MessageOut}, operation_id="room_sms_send")
    def post(self, request: Request, room_id: int) -> Response:
        data = SmsIn(data=request.data)
        data.is_valid(raise_exception=True)
        message = sms.sms_send(
            actor=staff_of(request),
            room_id=room_id,
            text=data.validated_data["text"],
            client_id=data.validated_data["client_id"],
        )
        return Response(message_data(message), status=status.HTTP_201_CREATED)
