"""API: quality review (analytics.reviews). The rubric (``/review-criteria``: staff read
it, admins change it), reviews (``/reviews``: admins write them; agents read the reviews
of themselves only), per-agent averages (``/reviews/summary``) and the random sample of an
agent's finished conversations to review (``/reviews/sample``, admins)."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import reviews
from analytics.reviews_models import ReviewCriterion
from contactcenter.org.api_errors import JSONObjectField, page_of, results_of
from contactcenter.org.permissions import IsAdmin, IsAdminOrReadOnlyStaff, staff_of

# ---------------------------------------------------------------- serializers


class ReviewCriterionOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    weight = serializers.IntegerField(help_text="1-100: the total is the mean of the scores weighted by these.")
    active = serializers.BooleanField(help_text="Scored in new reviews.")
    position = serializers.IntegerField(help_text="The rubric's order, from 0.")
    archived = serializers.BooleanField(help_text="Deleted while reviews used it: kept for those reviews only.")


class CriterionIn(serializers.Serializer):
    # Plain values: the service checks each and answers with the field's message.
    name = serializers.CharField(max_length=reviews.NAME_MAX)
    description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=reviews.DESCRIPTION_MAX
    )
    weight = serializers.IntegerField(required=False, default=1, help_text=f"1-{reviews.WEIGHT_MAX}, default 1.")
    active = serializers.BooleanField(required=False, default=True)
    position = serializers.IntegerField(required=False, help_text="From 0; default: last.")


class CriterionUpdateIn(serializers.Serializer):
    name = serializers.CharField(max_length=reviews.NAME_MAX, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=reviews.DESCRIPTION_MAX)
    weight = serializers.IntegerField(required=False, help_text=f"1-{reviews.WEIGHT_MAX}; counts for new reviews.")
    active = serializers.BooleanField(required=False)
    position = serializers.IntegerField(required=False, help_text="Move it to this place (from 0); the rest shift.")


class ReviewCriterionDeleteOut(serializers.Serializer):
    deleted = serializers.BooleanField(help_text="No review had scored it: it is gone.")
    archived = serializers.BooleanField(help_text="Reviews had scored it: archived, kept for them.")


class ReviewStaffRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ReviewChannelRef(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    name = serializers.CharField()


class ReviewEnquiryRef(serializers.Serializer):
    id = serializers.IntegerField()
    channel = ReviewChannelRef()
    via = serializers.CharField(help_text='"weblink" for a web link, else the channel\'s kind.')
    customer = serializers.CharField(help_text="The customer's name, else the visitor's.")
    created_at = serializers.DateTimeField()
    topic = serializers.CharField(allow_blank=True)


class ReviewScoreOut(serializers.Serializer):
    criterion = serializers.IntegerField()
    name = serializers.CharField()
    weight = serializers.IntegerField(help_text="The criterion's weight when this score was given.")
    score = serializers.IntegerField(min_value=1, max_value=5)
    archived = serializers.BooleanField()


class ReviewOut(serializers.Serializer):
    id = serializers.IntegerField()
    enquiry = ReviewEnquiryRef()
    agent = ReviewStaffRef(help_text="The reviewed agent: the enquiry's owner when the review was written.")
    reviewer = ReviewStaffRef()
    scores = ReviewScoreOut(many=True)
    total = serializers.FloatField(help_text="The weighted mean of the scores (1.00-5.00).")
    comment = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    editable = serializers.BooleanField(help_text="The caller wrote it (and may PATCH it).")
    deletable = serializers.BooleanField(help_text="The caller is an admin (and may DELETE it).")


class ReviewIn(serializers.Serializer):
    enquiry = serializers.IntegerField(help_text="A resolved or closed enquiry with an owner.")
    scores = JSONObjectField(max_chars=4000, help_text='{"<criterion id>": 1-5, ...}: every active criterion.')
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", trim_whitespace=False, max_length=reviews.COMMENT_MAX
    )


class ReviewUpdateIn(serializers.Serializer):
    scores = JSONObjectField(
        required=False, max_chars=4000, help_text="The whole new set: every criterion active now, 1-5 each."
    )
    comment = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, max_length=reviews.COMMENT_MAX
    )


ReviewPageOut = page_of(ReviewOut, "ReviewPageOut", by="next_cursor", cursor=serializers.IntegerField)


class ReviewCriterionAverage(serializers.Serializer):
    criterion = serializers.IntegerField()
    count = serializers.IntegerField()
    average = serializers.FloatField()


class ReviewSummaryRow(serializers.Serializer):
    agent = ReviewStaffRef()
    reviews = serializers.IntegerField()
    average = serializers.FloatField(help_text="The average total of the agent's reviews.")
    criteria = ReviewCriterionAverage(many=True, help_text="Per criterion scored in the range, the rubric's order.")


class ReviewSummaryOut(serializers.Serializer):
    # Declared fields leave the class namespace; "from" is a keyword, so set via the dict.
    criteria = ReviewCriterionOut(many=True, help_text="The rubric, and archived criteria scored in the range.")
    rows = ReviewSummaryRow(many=True, help_text="Best average first.")


ReviewSummaryOut._declared_fields["from"] = serializers.DateTimeField(allow_null=True)
ReviewSummaryOut._declared_fields["to"] = serializers.DateTimeField(allow_null=True, help_text="Excluded.")


class ReviewSampleRowOut(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    channel = ReviewChannelRef()
    via = serializers.CharField()
    customer = serializers.CharField()
    created_at = serializers.DateTimeField()
    topic = serializers.CharField(allow_blank=True)
    first_message = serializers.CharField(allow_blank=True)


class ReviewSampleOut(serializers.Serializer):
    results = ReviewSampleRowOut(many=True, help_text="Newest first.")


ReviewSampleOut._declared_fields["from"] = serializers.DateTimeField()
ReviewSampleOut._declared_fields["to"] = serializers.DateTimeField(help_text="Excluded.")


def _range_parameters() -> list[OpenApiParameter]:
    return [
        OpenApiParameter("from", str, required=False, description="A date (the business's time zone) or an ISO time."),
        OpenApiParameter("to", str, required=False, description="A date (included) or an ISO time (excluded)."),
    ]


# ---------------------------------------------------------------- the rubric


class ReviewCriteriaView(APIView):
    """The review rubric in its order; admins add criteria."""

    permission_classes: list[type[BasePermission]] = [IsAdminOrReadOnlyStaff]

    @extend_schema(
        parameters=[OpenApiParameter("archived", bool, required=False, description="Also list the archived criteria.")],
        responses=results_of(ReviewCriterionOut, "ReviewCriterionList"),
        operation_id="review_criteria_list",
    )
    def get(self, request: Request) -> Response:
        archived = str(request.query_params.get("archived", "")).lower() in ("1", "true", "yes")
        return Response({"results": [reviews.criterion_data(c) for c in reviews.criteria_list(archived=archived)]})

    @extend_schema(request=CriterionIn, responses={201: ReviewCriterionOut}, operation_id="review_criterion_create")
    def post(self, request: Request) -> Response:
        data = CriterionIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        item = reviews.criterion_create(
            actor=staff_of(request),
            name=values["name"],
            description=values["description"],
            weight=values["weight"],
            active=values["active"],
            position=values.get("position", reviews.UNSET),
        )
        return Response(reviews.criterion_data(item), status=status.HTTP_201_CREATED)


class ReviewCriterionDetailView(APIView):
    """Change a criterion (PATCH); take it out of the rubric (DELETE: archived if used)."""

    permission_classes: list[type[BasePermission]] = [IsAdminOrReadOnlyStaff]

    @extend_schema(request=CriterionUpdateIn, responses=ReviewCriterionOut, operation_id="review_criterion_update")
    def patch(self, request: Request, criterion_id: int) -> Response:
        data = CriterionUpdateIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        item = reviews.criterion_update(
            actor=staff_of(request),
            criterion_id=criterion_id,
            **{key: values.get(key, reviews.UNSET) for key in ("name", "description", "weight", "active", "position")},
        )
        item = ReviewCriterion.objects.get(pk=item.pk)  # its position after the rubric's renumbering
        return Response(reviews.criterion_data(item))

    @extend_schema(request=None, responses={200: ReviewCriterionDeleteOut}, operation_id="review_criterion_delete")
    def delete(self, request: Request, criterion_id: int) -> Response:
        return Response(reviews.criterion_delete(actor=staff_of(request), criterion_id=criterion_id))


# ---------------------------------------------------------------- reviews


class ReviewsView(APIView):
    """Reviews, newest first (admins: all; agents: of themselves); admins write one."""

    permission_classes: list[type[BasePermission]] = [IsAdminOrReadOnlyStaff]

    @extend_schema(
        parameters=[
            OpenApiParameter("agent", int, required=False, description="The reviewed agent (agents: themselves)."),
            OpenApiParameter("enquiry", int, required=False),
            OpenApiParameter("reviewer", int, required=False),
            *_range_parameters(),
            OpenApiParameter("cursor", int, required=False, description="next_cursor of the previous page."),
            OpenApiParameter("limit", int, required=False, description=f"1-{reviews.LIST_MAX}, default 50."),
        ],
        responses=ReviewPageOut,
        operation_id="reviews_list",
    )
    def get(self, request: Request) -> Response:
        staff = staff_of(request)
        rows, next_cursor = reviews.review_page(reviews.review_query_parse(staff, request.query_params))
        return Response({"results": [reviews.review_data(r, viewer=staff) for r in rows], "next_cursor": next_cursor})

    @extend_schema(request=ReviewIn, responses={201: ReviewOut}, operation_id="review_create")
    def post(self, request: Request) -> Response:
        data = ReviewIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        staff = staff_of(request)
        review = reviews.review_create(
            actor=staff, enquiry_id=values["enquiry"], scores=values["scores"], comment=values["comment"]
        )
        return Response(
            reviews.review_data(reviews.access_review(staff, review.pk), viewer=staff), status=status.HTTP_201_CREATED
        )


class ReviewDetailView(APIView):
    """One review (agents: of themselves, else 404); its author changes it; admins delete it."""

    permission_classes: list[type[BasePermission]] = [IsAdminOrReadOnlyStaff]

    @extend_schema(responses=ReviewOut, operation_id="review_retrieve")
    def get(self, request: Request, review_id: int) -> Response:
        staff = staff_of(request)
        return Response(reviews.review_data(reviews.access_review(staff, review_id), viewer=staff))

    @extend_schema(request=ReviewUpdateIn, responses=ReviewOut, operation_id="review_update")
    def patch(self, request: Request, review_id: int) -> Response:
        data = ReviewUpdateIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        staff = staff_of(request)
        reviews.review_update(
            actor=staff,
            review_id=review_id,
            scores=values.get("scores", reviews.UNSET),
            comment=values.get("comment", reviews.UNSET),
        )
        return Response(reviews.review_data(reviews.access_review(staff, review_id), viewer=staff))

    @extend_schema(request=None, responses={204: None}, operation_id="review_delete")
    def delete(self, request: Request, review_id: int) -> Response:
        reviews.review_delete(actor=staff_of(request), review_id=review_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReviewSummaryView(APIView):
    """Per agent: reviews, average total and average per criterion, over the conversations
    started in the range (admins: every agent, or ``agent``; agents: themselves)."""

    permission_classes: list[type[BasePermission]] = [IsAdminOrReadOnlyStaff]

    @extend_schema(
        parameters=[OpenApiParameter("agent", int, required=False), *_range_parameters()],
        responses=ReviewSummaryOut,
        operation_id="reviews_summary",
    )
    def get(self, request: Request) -> Response:
        return Response(reviews.review_summary(staff_of(request), request.query_params))


class ReviewSampleView(APIView):
    """Admins: up to ``count`` random finished, unreviewed conversations of an agent."""

    permission_classes: list[type[BasePermission]] = [IsAdmin]

    @extend_schema(
        parameters=[
            OpenApiParameter("agent", int, required=True),
            OpenApiParameter("count", int, required=False, description=f"1-{reviews.SAMPLE_MAX}, default 5."),
            OpenApiParameter(
                "from", str, required=False, description="Default: 6 days before today, business time zone."
            ),
            OpenApiParameter("to", str, required=False, description="Default: today (included)."),
        ],
        responses=ReviewSampleOut,
        operation_id="reviews_sample",
    )
    def get(self, request: Request) -> Response:
        rows, since, until = reviews.review_sample(actor=staff_of(request), params=request.query_params)
        data: dict[str, Any] = {
            "from": since.isoformat(),
            "to": until.isoformat(),
            "results": [reviews.sample_row(e) for e in rows],
        }
        return Response(data)


urlpatterns: list[URLPattern] = [
    path("review-criteria", ReviewCriteriaView.as_view()),
    path("review-criteria/<int:criterion_id>", ReviewCriterionDetailView.as_view()),
    path("reviews", ReviewsView.as_view()),
    path("reviews/summary", ReviewSummaryView.as_view()),
    path("reviews/sample", ReviewSampleView.as_view()),
    path("reviews/<int:review_id>", ReviewDetailView.as_view()),
]
