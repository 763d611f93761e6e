"""API: erase a customer's personal data on request (admins)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contactcenter.org.permissions import IsAdmin, staff_of
from history import erasure


class CustomerEraseIn(serializers.Serializer):
    reason = serializers.CharField(
        max_length=erasure.REASON_MAX, help_text="Why (e.g. the customer's request and its date); no personal data."
    )


class _ErasureCountsOut(serializers.Serializer):
    customers = serializers.IntegerField(help_text="The customer and those merged into them.")
    visitors = serializers.IntegerField()
    enquiries = serializers.IntegerField()
    messages = serializers.IntegerField(help_text="Messages whose text was replaced by a placeholder.")
    files = serializers.IntegerField(help_text="Files deleted from disk.")
    notes = serializers.IntegerField()


class CustomerErasureOut(serializers.Serializer):
    id = serializers.IntegerField(help_text="The erasure record.")
    customer = serializers.IntegerField()
    actor = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField()
    counts = _ErasureCountsOut()
    created_at = serializers.DateTimeField()


class CustomerEraseView(APIView):
    """Erase the customer's personal data everywhere: their fields and every visitor's,
    their messages' text and files in every room, their notes, their enquiries' first
    message and topic, and what search and exports keep. It cannot be undone. 409: already
    erased, merged into another customer, or a conversation still going on."""

    permission_classes = [IsAdmin]

    @extend_schema(request=CustomerEraseIn, responses=CustomerErasureOut, operation_id="customer_erase")
    def post(self, request: Request, customer_id: int) -> Response:
        data = CustomerEraseIn(data=request.data)
        data.is_valid(raise_exception=True)
        record = erasure.customer_erase(
            actor=staff_of(request), customer_id=customer_id, reason=data.validated_data["reason"]
        )
        return Response(
            {
                "id": record.pk,
                "customer": record.customer_id_erased,
                "actor": record.actor_id,
                "reason": record.reason,
                "counts": record.counts,
                "created_at": record.created_at.isoformat(),
            }
        )
