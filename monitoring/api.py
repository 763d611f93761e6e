"""API: supervision (admins only)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contactcenter.org.permissions import IsAdmin, principal_of, staff_of
from enquiries import services
from enquiries.api import EnquiryOut
from enquiries.selectors import access_enquiry, enquiry_data
from monitoring import selectors


class OverviewCounts(serializers.Serializer):
    opened = serializers.IntegerField()
    open = serializers.IntegerField()
    handling = serializers.IntegerField()
    missed = serializers.IntegerField()
    resolved = serializers.IntegerField()


class OpenEnquiryOut(EnquiryOut):
    waited_seconds = serializers.IntegerField()


class OverviewOut(serializers.Serializer):
    open = OpenEnquiryOut(many=True)
    handling = EnquiryOut(many=True)
    today = OverviewCounts()
    generated_at = serializers.DateTimeField()


class OverviewView(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(responses={200: OverviewOut})
    def get(self, request: Request) -> Response:
        return Response(selectors.overview(staff_of(request)))


class JoinView(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(request=None, responses={200: EnquiryOut}, operation_id="enquiry_join")
    def post(self, request: Request, enquiry_id: int) -> Response:
        services.enquiry_join(actor=staff_of(request), enquiry_id=enquiry_id)
        return Response(enquiry_data(access_enquiry(principal_of(request), enquiry_id)))


class TakeOverView(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(request=None, responses={200: EnquiryOut}, operation_id="enquiry_take_over")
    def post(self, request: Request, enquiry_id: int) -> Response:
        services.enquiry_take_over(actor=staff_of(request), enquiry_id=enquiry_id)
        return Response(enquiry_data(access_enquiry(principal_of(request), enquiry_id)))
