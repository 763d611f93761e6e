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
    """Today in the business's time zone (``time_zone``); each enquiry counted once."""

    time_zone = serializers.CharField(help_text="The work hours' zone, else the admin's own.")
    opened = serializers.IntegerField(help_text="Enquiries opened today.")
    open = serializers.IntegerField(help_text="Waiting now.")
    handling = serializers.IntegerField(help_text="In hand now (reopened ones included).")
    missed = serializers.IntegerField(help_text="Enquiries missed today.")
    resolved = serializers.IntegerField(
        help_text="Enquiries whose latest resolve was today and that were not reopened since."
    )
    first_response_avg_seconds = serializers.IntegerField(
        allow_null=True,
        help_text="Mean time from the customer's first message to the first staff reply, over the enquiries "
        "first answered today; null when none was.",
    )


class OverviewTrend(serializers.Serializer):
    """Enquiries opened per hour of the business's day: today, and the same weekday a week ago."""

    hour = serializers.IntegerField(help_text="The current hour (0-23) in the business's time zone.")
    today = serializers.ListField(child=serializers.IntegerField(), min_length=24, max_length=24)
    last_week = serializers.ListField(child=serializers.IntegerField(), min_length=24, max_length=24)
    last_week_date = serializers.DateField()


class OpenEnquiryOut(EnquiryOut):
    waited_seconds = serializers.IntegerField()


class OverviewOut(serializers.Serializer):
    open = OpenEnquiryOut(many=True)
    handling = EnquiryOut(many=True)
    today = OverviewCounts()
    trend = OverviewTrend()
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
