"""API: supervision (admins only)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contactcenter.permissions import IsAdmin
from enquiries.selectors import access_enquiry, enquiry_data
from monitoring import selectors, services


class OverviewView(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(responses={200: dict})
    def get(self, request: Request) -> Response:
        return Response(selectors.overview(request.user))


class JoinView(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(request=None, responses={200: dict})
    def post(self, request: Request, enquiry_id: int) -> Response:
        services.enquiry_join(actor=request.user, enquiry_id=enquiry_id)
        return Response(enquiry_data(access_enquiry(request.user, enquiry_id)))


class TakeOverView(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(request=None, responses={200: dict})
    def post(self, request: Request, enquiry_id: int) -> Response:
        services.enquiry_take_over(actor=request.user, enquiry_id=enquiry_id)
        return Response(enquiry_data(access_enquiry(request.user, enquiry_id)))
