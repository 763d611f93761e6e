"""API: the voice of the customer (SPEC section 10). Staff: admins see every enquiry;
agents the enquiries they served (owned or were a member of, ``history.filters``)."""

from __future__ import annotations

from django.urls import URLPattern, path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics.voc_models import AuthorKind, Label
from analytics.voc_selectors import DEFAULT_LIMIT, MAX_LIMIT, voc_keyword_messages, voc_query_parse, voc_report
from contactcenter.org.permissions import staff_of

INDEX_HELP = "The sentiment index: the messages' mean score × 100 (-100 negative .. 0 neutral .. 100 positive)."


class VocDayOut(serializers.Serializer):
    day = serializers.DateField(help_text="In the business's time zone.")
    index = serializers.FloatField(help_text=INDEX_HELP)
    count = serializers.IntegerField(help_text="Messages scored.")


class VocSeriesOut(serializers.Serializer):
    customers = VocDayOut(many=True)
    agents = VocDayOut(many=True)


class VocKeywordOut(serializers.Serializer):
    keyword = serializers.CharField()
    count = serializers.IntegerField(help_text="Messages it appears in.")
    language = serializers.CharField(help_text="en, zh, ja, th or other.")
    sentiment = serializers.FloatField(help_text="The index of the messages it appears in. " + INDEX_HELP)


class VocReportOut(serializers.Serializer):
    # The metaclass takes declared fields off the class; "from" is a keyword, hence the dict.
    to = serializers.DateTimeField(help_text="End of the range (excluded).")
    sentiment = VocSeriesOut()
    keywords = VocKeywordOut(many=True)
    phrases = VocKeywordOut(many=True, help_text="Two or three words in a row.")

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["from"] = serializers.DateTimeField(help_text="Start of the range.")
        return fields


class VocSentimentOut(serializers.Serializer):
    score = serializers.FloatField(help_text="-1 .. 1")
    # The metaclass takes declared fields off the class, so this does not hide Field.label.
    label = serializers.ChoiceField(choices=Label.choices)  # type: ignore[assignment]


class VocMessageOut(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField(help_text="The message's text, cut at 200 characters.")
    author_kind = serializers.ChoiceField(choices=AuthorKind.choices)
    language = serializers.CharField()
    sentiment = VocSentimentOut()
    created_at = serializers.DateTimeField()
    enquiry = serializers.IntegerField()
    room = serializers.IntegerField()


class VocConversationOut(serializers.Serializer):
    enquiry = serializers.IntegerField()
    room = serializers.IntegerField()
    count = serializers.IntegerField(help_text="Its messages with the keyword.")
    sentiment = serializers.FloatField(help_text=INDEX_HELP)
    first_at = serializers.DateTimeField()
    last_at = serializers.DateTimeField()


class VocKeywordMessagesOut(serializers.Serializer):
    keyword = serializers.CharField()
    count = serializers.IntegerField(help_text="Messages with the keyword in the range.")
    page = serializers.IntegerField()
    next_page = serializers.IntegerField(allow_null=True)
    messages = VocMessageOut(many=True, help_text="Newest first, one page.")
    conversations = VocConversationOut(many=True, help_text="The conversations with the most of them.")


def _parameters(paged: bool) -> list[OpenApiParameter]:
    params = [
        OpenApiParameter("from", str, required=False, description="A date (its whole day) or an ISO time."),
        OpenApiParameter(
            "to", str, required=False, description="A date (included) or an ISO time; default: the last 30 days."
        ),
        OpenApiParameter("channel", int, required=False),
        OpenApiParameter("tag", int, required=False, description="The tag the enquiry was routed to."),
        OpenApiParameter(
            "author", str, required=False, description="Keywords of customer (default), staff or all messages."
        ),
        OpenApiParameter("limit", int, required=False, description=f"1-{MAX_LIMIT}, default {DEFAULT_LIMIT}."),
    ]
    if paged:
        params.append(OpenApiParameter("page", int, required=False, description="1-based."))
    return params


class VocView(APIView):
    @extend_schema(parameters=_parameters(False), responses={200: VocReportOut}, operation_id="analytics_voc")
    def get(self, request: Request) -> Response:
        """The sentiment index of customers and of agents per day, and the most frequent
        keywords and phrases of the range."""
        staff = staff_of(request)
        report = voc_report(staff, voc_query_parse(request.query_params))
        return Response(VocReportOut(report).data)


class VocKeywordView(APIView):
    @extend_schema(
        parameters=_parameters(True), responses={200: VocKeywordMessagesOut}, operation_id="analytics_voc_keyword"
    )
    def get(self, request: Request, keyword: str) -> Response:
        """The messages a keyword or phrase comes from, and their conversations."""
        staff = staff_of(request)
        result = voc_keyword_messages(staff, keyword, voc_query_parse(request.query_params))
        return Response(VocKeywordMessagesOut(result).data)


urlpatterns: list[URLPattern] = [
    path("analytics/voc", VocView.as_view()),
    path("analytics/voc/keywords/<str:keyword>", VocKeywordView.as_view()),
]
