"""API of the outgoing webhooks (admins only): the hooks (CRUD), their secret (read, rotate),
a test event, the delivery log and redelivery."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from contactcenter.org.api_errors import results_of
from contactcenter.org.errors import InvalidInput, NotFound
from contactcenter.org.permissions import IsAdmin, staff_of
from integrations import webhooks
from integrations.models import Webhook, WebhookDelivery

MAX_LIMIT = 100
DEFAULT_LIMIT = 50

# ---------------------------------------------------------------- serializers


class WebhookOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    url = serializers.CharField()
    events = serializers.ListField(child=serializers.CharField())
    is_active = serializers.BooleanField()
    failures_in_row = serializers.IntegerField(help_text="Tries that failed in a row (0 after a success).")
    disabled_reason = serializers.CharField(help_text="Why it was disabled automatically, if it was.")
    secret_hint = serializers.CharField(help_text="The secret's first characters (GET .../secret shows it).")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class WebhookCreatedOut(WebhookOut):
    secret = serializers.CharField(help_text="The signing secret (also at GET /webhooks/{id}/secret, admins only).")


class WebhookIn(serializers.Serializer):
    name = serializers.CharField(max_length=webhooks.NAME_MAX, required=False, allow_blank=True, default="")
    url = serializers.CharField(max_length=webhooks.URL_MAX)
    events = serializers.ListField(child=serializers.CharField(max_length=40), max_length=50)
    is_active = serializers.BooleanField(required=False, default=True)


class WebhookUpdateIn(serializers.Serializer):
    name = serializers.CharField(max_length=webhooks.NAME_MAX, required=False, allow_blank=True)
    url = serializers.CharField(max_length=webhooks.URL_MAX, required=False)
    events = serializers.ListField(child=serializers.CharField(max_length=40), max_length=50, required=False)
    is_active = serializers.BooleanField(required=False)


class SecretOut(serializers.Serializer):
    secret = serializers.CharField()


class EventTypeOut(serializers.Serializer):
    type = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]


class AttemptOut(serializers.Serializer):
    number = serializers.IntegerField()
    status_code = serializers.IntegerField(allow_null=True)
    duration_ms = serializers.IntegerField()
    error = serializers.CharField()
    next_try_at = serializers.DateTimeField(allow_null=True, help_text="When the next try was due after this one.")
    created_at = serializers.DateTimeField()


class DeliveryOut(serializers.Serializer):
    id = serializers.IntegerField()
    event_id = serializers.UUIDField()
    event_type = serializers.CharField()
    state = serializers.ChoiceField(choices=WebhookDelivery.State.choices)
    attempts = serializers.IntegerField()
    next_try_at = serializers.DateTimeField(allow_null=True)
    last_status_code = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField()
    delivered_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    body = serializers.CharField(help_text="The JSON body as sent.")
    attempt_log = AttemptOut(many=True)


class DeliveryListOut(serializers.Serializer):
    results = DeliveryOut(many=True)
    next_before = serializers.IntegerField(allow_null=True, help_text="Pass as ?before= for the next page; null: last.")


def _hook_data(hook: Webhook) -> dict[str, Any]:
    return {
        "id": hook.pk,
        "name": hook.name,
        "url": hook.url,
        "events": hook.events,
        "is_active": hook.is_active,
        "failures_in_row": hook.failures_in_row,
        "disabled_reason": hook.disabled_reason,
        "secret_hint": hook.secret[:10] + "…",
        "created_at": hook.created_at,
        "updated_at": hook.updated_at,
    }


def _delivery_data(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": delivery.pk,
        "event_id": delivery.event_id,
        "event_type": delivery.event_type,
        "state": delivery.state,
        "attempts": delivery.attempts,
        "next_try_at": delivery.next_try_at,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "delivered_at": delivery.delivered_at,
        "created_at": delivery.created_at,
        "body": delivery.body,
        "attempt_log": [
            {
                "number": a.number,
                "status_code": a.status_code,
                "duration_ms": a.duration_ms,
                "error": a.error,
                "next_try_at": a.next_try_at,
                "created_at": a.created_at,
            }
            for a in sorted(delivery.attempt_log.all(), key=lambda a: a.pk)
        ],
    }


def _hook(webhook_id: int) -> Webhook:
    hook = Webhook.objects.filter(pk=webhook_id).first()
    if hook is None:
        raise NotFound(_("Webhook not found."))
    return hook


def _int_param(request: Request, name: str, default: int | None, low: int, high: int) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise InvalidInput.field(
            name,
            _("%(name)s must be a number from %(low)s to %(high)s.")
            % {
                "name": name,
                "low": low,
                "high": high,
            },
        )
    return int(raw)


# ---------------------------------------------------------------- views


class WebhookEventTypesView(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(responses=results_of(EventTypeOut, "WebhookEventTypeList"), operation_id="webhook_event_types")
    def get(self, request: Request) -> Response:
        return Response({"results": [{"type": k, "label": str(v)} for k, v in webhooks.EVENT_TYPES.items()]})


class WebhooksView(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(responses=results_of(WebhookOut, "WebhookList"), operation_id="webhook_list")
    def get(self, request: Request) -> Response:
        return Response({"results": [_hook_data(h) for h in Webhook.objects.order_by("id")]})

    @extend_schema(request=WebhookIn, responses={201: WebhookCreatedOut}, operation_id="webhook_create")
    def post(self, request: Request) -> Response:
        data = WebhookIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        hook = webhooks.webhook_create(
            actor=staff_of(request),
            name=values["name"],
            url=values["url"],
            events=values["events"],
            is_active=values["is_active"],
        )
        return Response({**_hook_data(hook), "secret": hook.secret}, status=status.HTTP_201_CREATED)


class WebhookDetailView(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(responses=WebhookOut, operation_id="webhook_retrieve")
    def get(self, request: Request, webhook_id: int) -> Response:
        return Response(_hook_data(_hook(webhook_id)))

    @extend_schema(request=WebhookUpdateIn, responses=WebhookOut, operation_id="webhook_update")
    def patch(self, request: Request, webhook_id: int) -> Response:
        data = WebhookUpdateIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        hook = webhooks.webhook_update(
            actor=staff_of(request),
            webhook_id=webhook_id,
            **{k: values[k] for k in ("name", "url", "events", "is_active") if k in values},
        )
        return Response(_hook_data(hook))

    @extend_schema(request=None, responses={204: None}, operation_id="webhook_delete")
    def delete(self, request: Request, webhook_id: int) -> Response:
        webhooks.webhook_delete(actor=staff_of(request), webhook_id=webhook_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookSecretView(APIView):
    """The signing secret (GET), or a new one (POST)."""

    permission_classes = [IsAdmin]

    @extend_schema(responses=SecretOut, operation_id="webhook_secret")
    def get(self, request: Request, webhook_id: int) -> Response:
        return Response({"secret": _hook(webhook_id).secret})

    @extend_schema(request=None, responses=SecretOut, operation_id="webhook_secret_rotate")
    def post(self, request: Request, webhook_id: int) -> Response:
        hook = webhooks.webhook_secret_rotate(actor=staff_of(request), webhook_id=webhook_id)
        return Response({"secret": hook.secret})


class WebhookTestView(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(request=None, responses=DeliveryOut, operation_id="webhook_test")
    def post(self, request: Request, webhook_id: int) -> Response:
        delivery = webhooks.webhook_test_send(actor=staff_of(request), webhook_id=webhook_id)
        return Response(_delivery_data(delivery))


class WebhookDeliveriesView(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        parameters=[
            OpenApiParameter("before", int, required=False, description="next_before of the previous page."),
            OpenApiParameter("limit", int, required=False, description=f"1-{MAX_LIMIT}, default {DEFAULT_LIMIT}."),
        ],
        responses=DeliveryListOut,
        operation_id="webhook_delivery_list",
    )
    def get(self, request: Request, webhook_id: int) -> Response:
        _hook(webhook_id)
        before = _int_param(request, "before", None, 1, 2**62)
        limit = _int_param(request, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        assert limit is not None
        rows = WebhookDelivery.objects.filter(webhook_id=webhook_id).prefetch_related("attempt_log").order_by("-id")
        if before is not None:
            rows = rows.filter(pk__lt=before)
        page = list(rows[: limit + 1])
        more = len(page) > limit
        page = page[:limit]
        return Response(
            {"results": [_delivery_data(d) for d in page], "next_before": page[-1].pk if more and page else None}
        )


class WebhookRedeliverView(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(request=None, responses=DeliveryOut, operation_id="webhook_redeliver")
    def post(self, request: Request, webhook_id: int, delivery_id: int) -> Response:
        delivery = webhooks.webhook_redeliver(actor=staff_of(request), webhook_id=webhook_id, delivery_id=delivery_id)
        delivery = WebhookDelivery.objects.prefetch_related("attempt_log").get(pk=delivery.pk)
        return Response(_delivery_data(delivery))
