"""API of the robot: the knowledge base (admins), each channel's robot (admins), the robot's
figures (admins), and the widget's "Talk to a person" (the visitor)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contactcenter.org.api_errors import results_of
from contactcenter.org.auth import VisitorAuthentication
from contactcenter.org.errors import InvalidInput, NotFound
from contactcenter.org.parsers import FormParser, JSONParser, MultiPartParser
from contactcenter.org.permissions import IsAdmin, staff_of
from enquiries.auth import IsVisitor, WidgetThrottle, visitor_of
from robot import selectors, services
from robot.matching import kb_search
from robot.models import Article


class ArticleOut(serializers.Serializer):
    id = serializers.IntegerField()
    questions = serializers.ListField(child=serializers.CharField(), help_text="The ways customers ask it.")
    answer = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    enabled = serializers.BooleanField()
    language = serializers.CharField(help_text='"" (any) or a language code.')
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ArticleIn(serializers.Serializer):
    questions = serializers.ListField(child=serializers.CharField(), help_text="1-20 question variants.")
    answer = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField(), required=False)
    enabled = serializers.BooleanField(required=False)
    language = serializers.CharField(required=False, allow_blank=True)


def article_data(article: Article) -> dict[str, Any]:
    return {
        "id": article.pk,
        "questions": article.questions,
        "answer": article.answer,
        "tags": article.tags,
        "enabled": article.enabled,
        "language": article.language,
        "created_at": article.created_at.isoformat(),
        "updated_at": article.updated_at.isoformat(),
    }


def _body(request: Request) -> Any:
    return request.data if isinstance(request.data, dict) else None


class ArticlesView(APIView):
    """The knowledge base's articles (admins): list (``q`` filters by text, ``tag`` by tag) and create."""

    permission_classes = [IsAdmin]

    @extend_schema(
        parameters=[OpenApiParameter("q", str), OpenApiParameter("tag", str)],
        responses=results_of(ArticleOut, "ArticleList"),
        operation_id="kb_article_list",
    )
    def get(self, request: Request) -> Response:
        q = str(request.query_params.get("q", ""))[:200]
        tag = str(request.query_params.get("tag", ""))[:60]
        return Response({"results": [article_data(a) for a in selectors.article_list(q=q, tag=tag)]})

    @extend_schema(request=ArticleIn, responses={201: ArticleOut}, operation_id="kb_article_create")
    def post(self, request: Request) -> Response:
        article = services.article_create(actor=staff_of(request), data=_body(request))
        return Response(article_data(article), status=status.HTTP_201_CREATED)


class ArticleDetailView(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(responses=ArticleOut, operation_id="kb_article_retrieve")
    def get(self, request: Request, article_id: int) -> Response:
        article = Article.objects.filter(pk=article_id).first()
        if article is None:
            raise NotFound(_("Article not found."))
        return Response(article_data(article))

    @extend_schema(request=ArticleIn(partial=True), responses=ArticleOut, operation_id="kb_article_update")
    def patch(self, request: Request, article_id: int) -> Response:
        article = services.article_update(actor=staff_of(request), article_id=article_id, data=_body(request))
        return Response(article_data(article))

    @extend_schema(request=None, responses={204: None}, operation_id="kb_article_delete")
    def delete(self, request: Request, article_id: int) -> Response:
        services.article_delete(actor=staff_of(request), article_id=article_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ImportIn(serializers.Serializer):
    file = serializers.FileField(required=False, help_text="Multipart: the CSV file (UTF-8).")
    csv = serializers.CharField(required=False, help_text="JSON: the CSV text itself.")


class ImportOut(serializers.Serializer):
    created = serializers.IntegerField()
    errors = serializers.ListField(  # type: ignore[assignment]
        child=serializers.DictField(), help_text='On a 400: one {"row", "field", "detail"} per bad row.'
    )


class ArticlesImportView(APIView):
    """Import articles from CSV, all or nothing (a 400 lists every bad row in ``errors``)."""

    permission_classes = [IsAdmin]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(request=ImportIn, responses={201: ImportOut}, operation_id="kb_article_import")
    def post(self, request: Request) -> Response:
        actor = staff_of(request)
        upload = request.FILES.get("file") if hasattr(request, "FILES") else None
        if upload is not None:
            if upload.size is not None and upload.size > services.CSV_MAX_BYTES:
                raise InvalidInput.field("file", _("The file is too large."))
            content = upload.read()
        else:
            text = request.data.get("csv") if isinstance(request.data, dict) else None
            if not isinstance(text, str) or not text:
                raise InvalidInput.field("file", _('Send a CSV file (multipart field "file").'))
            content = text.encode("utf-8")
        return Response(services.articles_import(actor=actor, content=content), status=status.HTTP_201_CREATED)


class MatchIn(serializers.Serializer):
    text = serializers.CharField()


class MatchOut(serializers.Serializer):
    article = ArticleOut()
    score = serializers.FloatField(help_text="0..1")
    question = serializers.CharField(help_text="The variant that matched best.")


class MatchView(APIView):
    """Try the matching (admins): the best articles for a text, with their scores."""

    permission_classes = [IsAdmin]

    @extend_schema(request=MatchIn, responses=results_of(MatchOut, "MatchList"), operation_id="kb_match")
    def post(self, request: Request) -> Response:
        text = (_body(request) or {}).get("text")
        if not isinstance(text, str) or not text.strip():
            raise InvalidInput.field("text", _("Write a question."))
        matches = kb_search(text[:2000], limit=5)
        return Response(
            {
                "results": [
                    {"article": article_data(m.article), "score": m.score, "question": m.question} for m in matches
                ]
            }
        )


class RobotSettingsOut(serializers.Serializer):
    channel = serializers.IntegerField()
    channel_name = serializers.CharField()
    channel_kind = serializers.CharField()
    available = serializers.BooleanField(help_text="The channel's kind can have a robot (widget, web link).")
    enabled = serializers.BooleanField()
    welcome_message = serializers.CharField(allow_blank=True)
    handover_after_turns = serializers.IntegerField(help_text="0: never for this reason.")
    confidence_threshold = serializers.FloatField(help_text="0..1")


class RobotSettingsIn(serializers.Serializer):
    enabled = serializers.BooleanField(required=False)
    welcome_message = serializers.CharField(required=False, allow_blank=True)
    handover_after_turns = serializers.IntegerField(required=False)
    confidence_threshold = serializers.FloatField(required=False)


class RobotChannelsView(APIView):
    """Every channel with its robot settings (admins)."""

    permission_classes = [IsAdmin]

    @extend_schema(responses=results_of(RobotSettingsOut, "RobotSettingsList"), operation_id="robot_channel_list")
    def get(self, request: Request) -> Response:
        return Response({"results": selectors.robot_channels()})


class RobotChannelView(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(responses=RobotSettingsOut, operation_id="robot_channel_retrieve")
    def get(self, request: Request, channel_id: int) -> Response:
        return Response(selectors.robot_channel(selectors.channel_of(channel_id)))

    @extend_schema(request=RobotSettingsIn, responses=RobotSettingsOut, operation_id="robot_channel_update")
    def patch(self, request: Request, channel_id: int) -> Response:
        channel = selectors.channel_of(channel_id)
        services.robot_settings_update(actor=staff_of(request), channel=channel, changes=_body(request))
        return Response(selectors.robot_channel(channel))


class UnansweredOut(serializers.Serializer):
    question = serializers.CharField()
    count = serializers.IntegerField()
    examples = serializers.ListField(child=serializers.CharField())
    last_at = serializers.DateTimeField()


class StatsOut(serializers.Serializer):
    conversations = serializers.IntegerField(help_text="Conversations the robot started in the period.")
    active = serializers.IntegerField(help_text="Still with the robot.")
    resolved = serializers.IntegerField(help_text="Ended with the robot, never handed over.")
    handed_over = serializers.IntegerField()
    resolved_share = serializers.FloatField(
        allow_null=True, help_text="resolved / (resolved + handed_over); null with none finished."
    )
    handovers = serializers.DictField(
        child=serializers.IntegerField(), help_text="By reason: asked, low_confidence, turns."
    )
    answers = serializers.IntegerField(help_text="Questions the robot answered.")
    answers_by_ai = serializers.IntegerField()
    unanswered = UnansweredOut(many=True, help_text="Questions it could not answer, grouped, most asked first.")


class RobotStatsView(APIView):
    """The robot's figures over ``from``..``to`` (dates or times; default the last 30 days)."""

    permission_classes = [IsAdmin]

    @extend_schema(
        parameters=[OpenApiParameter("from", str), OpenApiParameter("to", str)],
        responses=StatsOut,
        operation_id="robot_stats",
    )
    def get(self, request: Request) -> Response:
        start, end = selectors.period(request.query_params.get("from"), request.query_params.get("to"))
        return Response(selectors.robot_stats(start=start, end=end))


class HandoverOut(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    with_robot = serializers.BooleanField()


class VisitorHandoverView(APIView):
    """The customer asks for a person (the widget's button): the robot hands over now."""

    authentication_classes = [VisitorAuthentication]
    permission_classes = [IsVisitor]
    throttle_classes = [WidgetThrottle]

    @extend_schema(request=None, responses=HandoverOut, operation_id="widget_robot_handover")
    def post(self, request: Request, enquiry_id: int) -> Response:
        enquiry = services.robot_handover_request(visitor=visitor_of(request), enquiry_id=enquiry_id)
        return Response({"id": enquiry.pk, "status": enquiry.status, "with_robot": enquiry.robot_held})
