"""API: customers (list and search, profile, interaction record, possible duplicates,
merge and undo) and customer tags. Staff only: agents see the customers they have served,
admins all (history.customers)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contactcenter.org.api_errors import Pagination, page_of
from contactcenter.org.errors import InvalidInput
from contactcenter.org.permissions import IsAdminOrReadOnlyStaff, staff_of
from customers import services
from customers.models import CustomerTag
from history import customers as selectors

# ---------------------------------------------------------------- output


class CustomerTagOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    color = serializers.CharField(help_text="#rrggbb, or empty.")


class CustomerFieldDoc(serializers.Serializer):
    name = serializers.CharField()
    value = serializers.CharField(allow_blank=True)


class CustomerRowOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(help_text="The name, else the email, the phone or 'Customer <id>'.")
    email = serializers.CharField(allow_blank=True)
    phone = serializers.CharField(allow_blank=True)
    tags = CustomerTagOut(many=True)
    channels = serializers.ListField(child=serializers.CharField(), help_text="Channel kinds they wrote through.")
    enquiry_count = serializers.IntegerField()
    last_seen_at = serializers.DateTimeField(allow_null=True, help_text="When one of their enquiries last opened.")
    created_at = serializers.DateTimeField()


CustomerPageOut = page_of(CustomerRowOut, "CustomerPageOut")


class CustomerChannelDoc(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    name = serializers.CharField()


class CustomerIdentityDoc(serializers.Serializer):
    visitor = serializers.IntegerField()
    channel = CustomerChannelDoc(allow_null=True)
    channel_identity = serializers.CharField(
        allow_blank=True, help_text="The platform id (wa_id, LINE userId, email...)."
    )
    name = serializers.CharField()
    email = serializers.CharField(allow_blank=True)
    phone = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()


class CustomerMergeOut(serializers.Serializer):
    id = serializers.IntegerField()
    other = serializers.IntegerField(help_text="The customer merged into this one.")
    other_name = serializers.CharField()
    actor = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    undo_until = serializers.DateTimeField()


class CustomerOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(allow_blank=True)
    display_name = serializers.CharField()
    email = serializers.CharField(allow_blank=True)
    phone = serializers.CharField(allow_blank=True)
    custom_fields = CustomerFieldDoc(many=True)
    notes = serializers.CharField(allow_blank=True)
    tags = CustomerTagOut(many=True)
    identities = CustomerIdentityDoc(many=True, help_text="One per visitor: the channels and platform ids behind them.")
    enquiry_count = serializers.IntegerField()
    merges = CustomerMergeOut(many=True, help_text="Merges into this customer that can still be undone.")
    last_seen_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class CustomerOwnerDoc(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField()


class CustomerEnquiryOut(serializers.Serializer):
    id = serializers.IntegerField()
    channel = CustomerChannelDoc()
    via = serializers.CharField(help_text="What the customer came through (e.g. weblink), else the channel's kind.")
    status = serializers.CharField()
    topic = serializers.CharField(allow_blank=True)
    first_message = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True, help_text="Resolved or closed.")
    owner = CustomerOwnerDoc(allow_null=True)
    rating = serializers.IntegerField(allow_null=True, help_text="1-5; null when none or hidden from agents.")
    room = serializers.IntegerField(allow_null=True)
    transcript = serializers.BooleanField(help_text="The caller may open its room and transcript.")


CustomerEnquiryPageOut = page_of(CustomerEnquiryOut, "CustomerEnquiryPageOut")


class CustomerDuplicateOut(CustomerRowOut):
    reasons = serializers.ListField(
        child=serializers.ChoiceField(choices=["email", "phone", "name"]),
        help_text="Why they look alike: the same email, phone number or full name.",
    )


class CustomerDuplicatesOut(serializers.Serializer):
    results = CustomerDuplicateOut(many=True)


class CustomerMergeResultOut(serializers.Serializer):
    merge = CustomerMergeOut()
    customer = CustomerOut()


# ---------------------------------------------------------------- input


class CustomerFieldIn(serializers.Serializer):
    name = serializers.CharField(max_length=services.CUSTOM_FIELD_NAME_MAX)
    value = serializers.CharField(max_length=services.CUSTOM_FIELD_VALUE_MAX, allow_blank=True)


class CustomerUpdateIn(serializers.Serializer):
    name = serializers.CharField(max_length=services.NAME_MAX, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(max_length=services.PHONE_MAX, required=False, allow_blank=True)
    notes = serializers.CharField(
        max_length=services.NOTES_MAX, required=False, allow_blank=True, trim_whitespace=False
    )
    custom_fields = serializers.ListField(
        child=CustomerFieldIn(),
        required=False,
        max_length=services.CUSTOM_FIELDS_MAX,
        help_text="The whole list (replaces the one kept).",
    )
    tags = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        max_length=100,
        help_text="Customer tag ids: the whole list (replaces the one kept).",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError(
                {"name": [_("Give at least one of name, email, phone, notes, custom_fields, tags.")]}
            )
        return attrs


class CustomerMergeIn(serializers.Serializer):
    other = serializers.IntegerField(min_value=1, help_text="The customer to merge into this one.")


class CustomerTagIn(serializers.Serializer):
    name = serializers.CharField(max_length=services.TAG_NAME_MAX)
    color = serializers.CharField(max_length=7, required=False, allow_blank=True, help_text="#rrggbb")


class CustomerTagUpdateIn(serializers.Serializer):
    name = serializers.CharField(max_length=services.TAG_NAME_MAX, required=False)
    color = serializers.CharField(max_length=7, required=False, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError({"name": [_("Give a name and/or a colour.")]})
        return attrs


# ---------------------------------------------------------------- views


def _tag_filter(raw: str | None) -> int | None:
    if raw in (None, ""):
        return None
    try:
        number = int(str(raw))
    except ValueError:
        raise InvalidInput.field("tag", _("Use a customer tag id.")) from None
    if number < 1 or number > 2**62:
        raise InvalidInput.field("tag", _("Use a customer tag id."))
    return number


class CustomerListView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, required=False, description="Name, email, phone or platform id."),
            OpenApiParameter("tag", int, required=False, description="A customer tag id."),
            OpenApiParameter("page", int, required=False),
            OpenApiParameter("page_size", int, required=False),
        ],
        responses={200: CustomerPageOut},
        operation_id="customer_list",
    )
    def get(self, request: Request) -> Response:
        """Customers the caller may see (agents: those they served), most recently seen first."""
        staff = staff_of(request)
        params = request.query_params
        q = params.get("q", "")
        if len(q) > selectors.Q_MAX:
            raise InvalidInput.field("q", _("At most %(n)d characters.") % {"n": selectors.Q_MAX})
        query = selectors.customer_list(staff, q=q, tag=_tag_filter(params.get("tag")))
        paginator = Pagination()
        page = list(paginator.paginate_queryset(query, request, view=self) or [])
        return paginator.get_paginated_response(selectors.customers_rows(page))


class CustomerDetailView(APIView):
    @extend_schema(responses={200: CustomerOut}, operation_id="customer_retrieve")
    def get(self, request: Request, customer_id: int) -> Response:
        staff = staff_of(request)
        return Response(selectors.customer_data(staff, selectors.access_customer(staff, customer_id)))

    @extend_schema(request=CustomerUpdateIn, responses={200: CustomerOut}, operation_id="customer_update")
    def patch(self, request: Request, customer_id: int) -> Response:
        """Edit the profile: any of name, email, phone, notes, custom_fields, tags."""
        staff = staff_of(request)
        selectors.access_customer(staff, customer_id)
        data = CustomerUpdateIn(data=request.data)
        data.is_valid(raise_exception=True)
        customer = services.customer_update(actor=staff, customer_id=customer_id, changes=dict(data.validated_data))
        return Response(selectors.customer_data(staff, customer))


class CustomerEnquiriesView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("page", int, required=False), OpenApiParameter("page_size", int, required=False)],
        responses={200: CustomerEnquiryPageOut},
        operation_id="customer_enquiries",
    )
    def get(self, request: Request, customer_id: int) -> Response:
        """The interaction record: every enquiry on every channel, newest first."""
        staff = staff_of(request)
        customer = selectors.access_customer(staff, customer_id)
        paginator = Pagination()
        query = selectors.customer_enquiries(staff, customer)
        page = list(paginator.paginate_queryset(query, request, view=self) or [])
        return paginator.get_paginated_response(selectors.customer_enquiry_rows(staff, page))


class CustomerDuplicatesView(APIView):
    @extend_schema(responses={200: CustomerDuplicatesOut}, operation_id="customer_duplicates")
    def get(self, request: Request, customer_id: int) -> Response:
        """Customers who look like the same person without proof, with the reasons."""
        staff = staff_of(request)
        customer = selectors.access_customer(staff, customer_id)
        return Response({"results": selectors.customer_duplicates(staff, customer)})


class CustomerMergeView(APIView):
    @extend_schema(request=CustomerMergeIn, responses={200: CustomerMergeResultOut}, operation_id="customer_merge")
    def post(self, request: Request, customer_id: int) -> Response:
        """Merge ``other`` into this customer (admins, and agents who see both); undoable for
        30 days."""
        staff = staff_of(request)
        data = CustomerMergeIn(data=request.data)
        data.is_valid(raise_exception=True)
        merge = selectors.customer_merge(actor=staff, customer_id=customer_id, other_id=data.validated_data["other"])
        customer = selectors.access_customer(staff, customer_id)
        merges = {m["id"]: m for m in selectors.customer_data(staff, customer)["merges"]}
        return Response({"merge": merges[merge.pk], "customer": selectors.customer_data(staff, customer)})


class CustomerMergeUndoView(APIView):
    @extend_schema(request=None, responses={200: CustomerOut}, operation_id="customer_merge_undo")
    def post(self, request: Request, customer_id: int, merge_id: int) -> Response:
        """Undo a merge into this customer within 30 days (admins, and the agent who merged);
        409 after, or when undone already."""
        staff = staff_of(request)
        selectors.customer_merge_undo(actor=staff, customer_id=customer_id, merge_id=merge_id)
        return Response(selectors.customer_data(staff, selectors.access_customer(staff, customer_id)))


def _tag_data(tag: CustomerTag) -> dict[str, Any]:
    return {"id": tag.pk, "name": tag.name, "color": tag.color}


class CustomerTagsView(APIView):
    permission_classes = [IsAdminOrReadOnlyStaff]
    pagination_class = None

    @extend_schema(responses={200: CustomerTagOut(many=True)}, operation_id="customer_tag_list")
    def get(self, request: Request) -> Response:
        return Response([_tag_data(t) for t in CustomerTag.objects.order_by("name")])

    @extend_schema(request=CustomerTagIn, responses={201: CustomerTagOut}, operation_id="customer_tag_create")
    def post(self, request: Request) -> Response:
        """Admins define customer tags."""
        data = CustomerTagIn(data=request.data)
        data.is_valid(raise_exception=True)
        tag = services.customer_tag_create(actor=staff_of(request), **data.validated_data)
        return Response(_tag_data(tag), status=status.HTTP_201_CREATED)


class CustomerTagDetailView(APIView):
    permission_classes = [IsAdminOrReadOnlyStaff]

    @extend_schema(request=CustomerTagUpdateIn, responses={200: CustomerTagOut}, operation_id="customer_tag_update")
    def patch(self, request: Request, tag_id: int) -> Response:
        data = CustomerTagUpdateIn(data=request.data)
        data.is_valid(raise_exception=True)
        tag = services.customer_tag_update(actor=staff_of(request), tag_id=tag_id, **data.validated_data)
        return Response(_tag_data(tag))

    @extend_schema(request=None, responses={204: None}, operation_id="customer_tag_delete")
    def delete(self, request: Request, tag_id: int) -> Response:
        """Admins delete a customer tag; it goes from every customer."""
        services.customer_tag_delete(actor=staff_of(request), tag_id=tag_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
