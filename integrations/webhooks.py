"""Outgoing webhooks (issue 17): signed JSON deliveries of enquiry and message events to the
URLs admins register.

- Observers (``enquiries.hooks``, ``rooms.hooks``, registered in IntegrationsConfig.ready)
  run inside the writing transaction and add the events some hook wants to the outbox:
  one INSERT per event batch, never an HTTP call. Which types some active hook wants is
  kept in the shared cache (``wanted_types``); when the cache does not know, the active
  hooks are read once to fill it.
- ``webhooks_sweep`` (the ticker every CC_WEBHOOKS_SWEEP_SECONDS, Celery beat
  "webhooks-sweep") fans the outbox out, one ``WebhookDelivery`` per event and hook
  wanting it (unique: a hook never gets an event twice from the outbox), and queues the
  deliveries that are due.
- ``webhook_delivery_attempt`` makes one try: it claims the delivery with a lease, checks
  the URL with the link previews' SSRF guard again (and connects to the address it
  checked: a DNS answer that changed since registration cannot reach an internal
  address), POSTs the body signed with the hook's secret, and logs the try. A 2xx is
  delivered; anything else (an error, a timeout, a redirect, another status) is tried again
  after CC_WEBHOOKS_RETRY_BASE_SECONDS x 2^(try - 1) (capped at
  CC_WEBHOOKS_RETRY_MAX_SECONDS), at most CC_WEBHOOKS_MAX_ATTEMPTS tries. A hook whose tries
  failed CC_WEBHOOKS_DISABLE_AFTER times in a row is disabled, and its pending deliveries
  fail; an admin enables it again and redelivers what they want.

Each request: ``Content-Type: application/json``, the body ``{"id", "type", "created_at",
"data"}``, and headers ``X-CC-Event-Id``, ``X-CC-Event-Type``, ``X-CC-Timestamp`` (Unix
seconds of this try) and ``X-CC-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>"
with the hook's secret>``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import time
import uuid
from collections.abc import Sequence
from typing import Any

import httpx
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from contactcenter.org import background, clock
from contactcenter.org.errors import Conflict, InvalidInput, NotFound
from contactcenter.org.models import Staff
from enquiries.models import EnquiryEvent
from integrations.models import Webhook, WebhookAttempt, WebhookDelivery, WebhookOutbox, webhook_secret_new
from rooms.models import Message
from rooms.previews import PreviewRefused, ssrf_pinned_request

logger = logging.getLogger(__name__)

USER_AGENT = "ContactCenter-Webhooks/1.0"
SIGNATURE_HEADER = "X-CC-Signature"
TIMESTAMP_HEADER = "X-CC-Timestamp"
EVENT_ID_HEADER = "X-CC-Event-Id"
EVENT_TYPE_HEADER = "X-CC-Event-Type"
NAME_MAX = 120
URL_MAX = 2000
TEST_EVENT = "webhook.test"

# The events a hook may subscribe to, with what an admin reads.
EVENT_TYPES: dict[str, Any] = {
    "enquiry.opened": _("Enquiry opened"),
    "enquiry.picked_up": _("Enquiry picked up"),
    "enquiry.resolved": _("Enquiry resolved"),
    "enquiry.closed": _("Enquiry closed"),
    "enquiry.missed": _("Enquiry missed"),
    "enquiry.rated": _("Rating given"),
    "enquiry.note_left": _("Note left"),
    "message.created": _("Message created (in enquiry rooms)"),
}
_FROM_ENQUIRY_EVENT = {
    EnquiryEvent.Type.OPENED: "enquiry.opened",
    EnquiryEvent.Type.PICKED_UP: "enquiry.picked_up",
    EnquiryEvent.Type.RESOLVED: "enquiry.resolved",
    EnquiryEvent.Type.CLOSED: "enquiry.closed",
    EnquiryEvent.Type.MISSED: "enquiry.missed",
    EnquiryEvent.Type.RATED: "enquiry.rated",
    EnquiryEvent.Type.NOTE_LEFT: "enquiry.note_left",
}
_WANTED_KEY = "cc:webhooks:wanted-types"
_WANTED_TTL = 300
# With a shared (Redis) cache each process also keeps the answer this long, so that a
# posted batch does not make a cache round trip inside its transaction (bench/RESULTS.md,
# round 5): a hook created, changed or removed through another process counts from at
# most this much later; through this one, at once (``wanted_types_refresh``).
WANTED_LOCAL_SECONDS = 1.0
_wanted_local: tuple[float, set[str]] | None = None  # (monotonic expiry, types)


# ---------------------------------------------------------------- what some hook wants


def _shared_cache() -> bool:
    return str(settings.CACHES["default"].get("BACKEND", "")).endswith("RedisCache")


def _wanted_remember(types: set[str]) -> None:
    global _wanted_local  # noqa: PLW0603 - the process's copy of a shared value
    _wanted_local = (time.monotonic() + WANTED_LOCAL_SECONDS, types) if _shared_cache() else None


def wanted_types() -> set[str] | None:
    """The event types some active hook wants, as the shared cache knows them (None: it
    does not know, after a restart of the cache or while it is down); at most
    WANTED_LOCAL_SECONDS old."""
    local = _wanted_local
    if local is not None and time.monotonic() < local[0] and _shared_cache():
        return local[1]
    try:
        value = cache.get(_WANTED_KEY)
    except Exception:  # The FailOpen cache already logs; keep the event.
        return None
    if value is None:
        return None
    types = set(value)
    _wanted_remember(types)
    return types


def wanted_types_refresh() -> set[str]:
    """Read the active hooks' event types from the database into the shared cache."""
    types: set[str] = set()
    for events in Webhook.objects.filter(is_active=True).values_list("events", flat=True):
        types.update(e for e in events if isinstance(e, str))
    try:
        cache.set(_WANTED_KEY, sorted(types), timeout=_WANTED_TTL)
    except Exception:
        logger.warning("could not store the webhooks' event types in the cache", exc_info=True)
    _wanted_remember(types)
    return types


def _refresh_on_commit() -> None:
    transaction.on_commit(wanted_types_refresh)


def _wanted(type_: str) -> bool:
    """Whether some active hook wants ``type_``. When the cache does not know, one small
    SELECT of the active hooks answers and fills it (at most once per _WANTED_TTL while the
    cache works), so that a product without hooks writes nothing per posted batch."""
    known = wanted_types()
    if known is None:
        known = wanted_types_refresh()
    return type_ in known


# ---------------------------------------------------------------- observers (the writing path)


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def enquiry_event_observed(event: EnquiryEvent) -> None:
    """``enquiries.hooks`` observer: an enquiry event some hook wants goes to the outbox
    (one INSERT, inside the writing transaction; ``event.enquiry`` is already loaded)."""
    type_ = _FROM_ENQUIRY_EVENT.get(event.type)  # type: ignore[call-overload]
    if type_ is None or not _wanted(type_):
        return
    enquiry = event.enquiry
    data = {
        "enquiry": {
            "id": enquiry.pk,
            "status": enquiry.status,
            "kind": enquiry.kind,
            "channel_id": enquiry.channel_id,
            "destination_id": enquiry.destination_id,
            "visitor_id": enquiry.visitor_id,
            "owner_id": enquiry.owner_id,
            "missed_reason": enquiry.missed_reason,
            "created_at": _iso(enquiry.created_at),
        },
        "actor_id": event.actor_id,
        "by_visitor": event.by_visitor,
        "details": event.data or {},
    }
    WebhookOutbox.objects.create(type=type_, occurred_at=event.created_at, data=data)


def _author(message: Message) -> str:
    if message.author_visitor_id is not None:
        return "visitor"
    if message.author_staff_id is not None:
        return "staff"
    return "system"


def messages_posted(messages: Sequence[Message]) -> None:
    """``rooms.hooks`` observer: the batch's messages in enquiry rooms go to the outbox in
    one INSERT (staff-only rooms, direct chats and spaces, never leave the product)."""
    if not _wanted("message.created"):
        return
    rows = []
    for message in messages:
        enquiry_id = message.room.enquiry_id
        if enquiry_id is None:
            continue
        file = message.data.get("file") if isinstance(message.data, dict) else None
        data = {
            "message": {
                "id": message.pk,
                "room_id": message.room_id,
                "enquiry_id": enquiry_id,
                "kind": message.kind,
                "text": message.text,
                "author": _author(message),
                "author_staff_id": message.author_staff_id,
                "author_visitor_id": message.author_visitor_id,
                "file_name": file.get("name") if isinstance(file, dict) else None,
                "created_at": _iso(message.created_at),
            }
        }
        rows.append(WebhookOutbox(type="message.created", occurred_at=message.created_at, data=data))
    if rows:
        WebhookOutbox.objects.bulk_create(rows)


# ---------------------------------------------------------------- admin services


def _url_check(url: Any) -> str:
    if not isinstance(url, str) or not url.strip():
        raise InvalidInput.field("url", gettext("Enter the URL that receives the events."))
    url = url.strip()
    if len(url) > URL_MAX:
        raise InvalidInput.field("url", gettext("The URL is too long (at most %(n)s characters).") % {"n": URL_MAX})
    if not url.lower().startswith(("http://", "https://")):
        raise InvalidInput.field("url", gettext("The URL must start with https:// or http://."))
    try:
        ssrf_pinned_request(url, allow_private=settings.CC_WEBHOOKS_ALLOW_PRIVATE)
    except PreviewRefused as exc:
        raise InvalidInput.field(
            "url",
            gettext("This URL cannot receive webhooks (%(why)s): use a public address on port 80 or 443.")
            % {"why": exc},
        ) from exc
    return url


def _events_check(events: Any) -> list[str]:
    if not isinstance(events, list) or not events or not all(isinstance(e, str) for e in events):
        raise InvalidInput.field("events", gettext("Choose at least one event."))
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if unknown:
        raise InvalidInput.field("events", gettext("Unknown events: %(names)s.") % {"names": ", ".join(unknown)})
    return [e for e in EVENT_TYPES if e in events]


def _name_check(name: Any) -> str:
    if not isinstance(name, str) or len(name) > NAME_MAX:
        raise InvalidInput.field(
            "name", gettext("The name must be text of at most %(n)s characters.") % {"n": NAME_MAX}
        )
    return name.strip()


def webhook_create(*, actor: Staff, url: Any, events: Any, name: Any = "", is_active: bool = True) -> Webhook:
    """Register a hook (admins; the API checks the role). The secret is made here."""
    clean_name, clean_url, clean_events = _name_check(name), _url_check(url), _events_check(events)
    now = clock.now()
    with transaction.atomic():
        hook = Webhook.objects.create(
            name=clean_name,
            url=clean_url,
            events=clean_events,
            is_active=bool(is_active),
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        _refresh_on_commit()
    logger.info("webhook %s registered by staff %s", hook.pk, actor.pk)
    return hook


UNSET: Any = object()


def webhook_update(
    *, actor: Staff, webhook_id: int, url: Any = UNSET, events: Any = UNSET, name: Any = UNSET, is_active: Any = UNSET
) -> Webhook:
    """Change a hook. Enabling it again clears its failure count."""
    changes: dict[str, Any] = {}
    if name is not UNSET:
        changes["name"] = _name_check(name)
    if url is not UNSET:
        changes["url"] = _url_check(url)
    if events is not UNSET:
        changes["events"] = _events_check(events)
    with transaction.atomic():
        hook = Webhook.objects.select_for_update().filter(pk=webhook_id).first()
        if hook is None:
            raise NotFound(gettext("Webhook not found."))
        if is_active is not UNSET:
            changes["is_active"] = bool(is_active)
            if is_active and not hook.is_active:
                changes["failures_in_row"] = 0
                changes["disabled_reason"] = ""
        for field, value in changes.items():
            setattr(hook, field, value)
        hook.updated_at = clock.now()
        hook.save(update_fields=[*changes, "updated_at"])
        _refresh_on_commit()
    return hook


def webhook_delete(*, actor: Staff, webhook_id: int) -> None:
    with transaction.atomic():
        deleted, _rows = Webhook.objects.filter(pk=webhook_id).delete()
        if not deleted:
            raise NotFound(gettext("Webhook not found."))
        _refresh_on_commit()
    logger.info("webhook %s deleted by staff %s", webhook_id, actor.pk)


def webhook_secret_rotate(*, actor: Staff, webhook_id: int) -> Webhook:
    """A new secret; requests are signed with it from the next try on."""
    with transaction.atomic():
        hook = Webhook.objects.select_for_update().filter(pk=webhook_id).first()
        if hook is None:
            raise NotFound(gettext("Webhook not found."))
        hook.secret = webhook_secret_new()
        hook.updated_at = clock.now()
        hook.save(update_fields=["secret", "updated_at"])
    logger.info("webhook %s: secret rotated by staff %s", webhook_id, actor.pk)
    return hook


def _body(event_id: uuid.UUID, type_: str, occurred_at: dt.datetime, data: dict[str, Any]) -> str:
    payload = {"id": str(event_id), "type": type_, "created_at": occurred_at.isoformat(), "data": data}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def webhook_test_send(*, actor: Staff, webhook_id: int) -> WebhookDelivery:
    """Send a ``webhook.test`` event to the hook now (in this request, one try; retried
    like any delivery if it fails) and return the delivery with its log."""
    hook = Webhook.objects.filter(pk=webhook_id).first()
    if hook is None:
        raise NotFound(gettext("Webhook not found."))
    now = clock.now()
    event_id = uuid.uuid4()
    data = {"webhook_id": hook.pk, "sent_by": actor.pk, "text": "This is a test event from the contact center."}
    delivery = WebhookDelivery.objects.create(
        webhook=hook,
        event_id=event_id,
        event_type=TEST_EVENT,
        body=_body(event_id, TEST_EVENT, now, data),
        next_try_at=now,
        created_at=now,
    )
    webhook_delivery_attempt(delivery_id=delivery.pk, force=True)
    delivery.refresh_from_db()
    return delivery


def webhook_redeliver(*, actor: Staff, webhook_id: int, delivery_id: int) -> WebhookDelivery:
    """Send a delivered or failed delivery again (the same event id and body: receivers
    dedupe on the id), with a fresh count of tries. A pending one is left as it is."""
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().filter(pk=delivery_id, webhook_id=webhook_id).first()
        if delivery is None:
            raise NotFound(gettext("Delivery not found."))
        if not Webhook.objects.filter(pk=webhook_id, is_active=True).exists():
            raise Conflict(gettext("This webhook is disabled: enable it first."), code="webhook_disabled")
        if delivery.state == WebhookDelivery.State.PENDING:
            return delivery
        delivery.state = WebhookDelivery.State.PENDING
        delivery.attempts = 0
        delivery.claimed_until = None
        delivery.next_try_at = clock.now()
        delivery.queued_until = delivery.next_try_at + dt.timedelta(seconds=_lease_seconds())
        delivery.save(update_fields=["state", "attempts", "claimed_until", "next_try_at", "queued_until"])
        background.run_after_commit(_task(), delivery.pk)
    logger.info("webhook %s: delivery %s queued again by staff %s", webhook_id, delivery_id, actor.pk)
    return delivery


def _task() -> Any:
    from integrations import tasks  # tasks imports this module

    return tasks.webhook_deliver


# ---------------------------------------------------------------- delivery


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value: "v1=" + hex HMAC-SHA256 of "<timestamp>.<body>"."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def retry_delay(attempts: int) -> float:
    """Seconds before try ``attempts + 1``: base, 2 x base, 4 x base... capped."""
    return float(
        min(settings.CC_WEBHOOKS_RETRY_MAX_SECONDS, settings.CC_WEBHOOKS_RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1))
    )


def _unclaimed(now: dt.datetime) -> Q:
    return Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)


def _lease_seconds() -> float:
    return max(60.0, 4 * settings.CC_WEBHOOKS_TIMEOUT_SECONDS)


def _post(hook: Webhook, delivery: WebhookDelivery) -> tuple[int | None, str, int]:
    """(status code, error, duration in ms) of one POST of the delivery's body."""
    body = delivery.body.encode()
    timestamp = str(int(clock.now().timestamp()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_ID_HEADER: str(delivery.event_id),
        EVENT_TYPE_HEADER: delivery.event_type,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(hook.secret, timestamp, body),
    }
    try:
        # Checked again at each try: the name may resolve elsewhere now (DNS rebinding).
        pinned = ssrf_pinned_request(hook.url, allow_private=settings.CC_WEBHOOKS_ALLOW_PRIVATE)
    except PreviewRefused as exc:
        return None, f"Refused by the address check: {exc}", 0
    started = time.monotonic()
    try:
        # trust_env=False: no proxy from the environment may carry the request elsewhere.
        with httpx.Client(
            timeout=settings.CC_WEBHOOKS_TIMEOUT_SECONDS, follow_redirects=False, trust_env=False
        ) as client:
            started = time.monotonic()  # the request's time, not the client's set-up
            response = client.post(
                pinned.url, content=body, headers={**headers, **pinned.headers}, extensions=pinned.extensions
            )
    except httpx.TimeoutException:
        return None, "Timed out", int((time.monotonic() - started) * 1000)
    except httpx.HTTPError as exc:
        return None, f"{exc.__class__.__name__}: {exc}"[:500], int((time.monotonic() - started) * 1000)
    duration = int((time.monotonic() - started) * 1000)
    if 200 <= response.status_code < 300:
        return response.status_code, "", duration
    return response.status_code, f"HTTP {response.status_code}", duration


def webhook_delivery_attempt(*, delivery_id: int, force: bool = False) -> str:
    """One try of a delivery: "delivered", "retry", "failed" or "skip" (gone, not pending,
    not due unless ``force``, its hook disabled, or another try holds it). Safe to run
    twice and at once: the try claims the delivery with a compare-and-set on ``attempts``
    and a lease. Called outside any transaction (the HTTP call holds no lock)."""
    delivery = WebhookDelivery.objects.select_related("webhook").filter(pk=delivery_id).first()
    if delivery is None or delivery.state != WebhookDelivery.State.PENDING or not delivery.webhook.is_active:
        return "skip"
    now = clock.now()
    if not force and delivery.next_try_at is not None and delivery.next_try_at > now:
        return "skip"
    claimed = WebhookDelivery.objects.filter(
        _unclaimed(now), pk=delivery.pk, attempts=delivery.attempts, state=WebhookDelivery.State.PENDING
    ).update(attempts=F("attempts") + 1, claimed_until=now + dt.timedelta(seconds=_lease_seconds()), queued_until=None)
    if not claimed:
        return "skip"
    number = delivery.attempts + 1
    status_code, error, duration = _post(delivery.webhook, delivery)
    return _record(delivery.pk, delivery.webhook_id, number, status_code, error, duration)


def _record(delivery_id: int, webhook_id: int, number: int, status_code: int | None, error: str, duration: int) -> str:
    now = clock.now()
    ok = not error
    with transaction.atomic():
        # Lock order: the hook, then its delivery.
        hook = Webhook.objects.select_for_update().filter(pk=webhook_id).first()
        delivery = (
            WebhookDelivery.objects.select_for_update().filter(pk=delivery_id, attempts=number).first()
            if hook is not None
            else None
        )
        if hook is None or delivery is None:
            return "skip"  # Deleted meanwhile, or another try claimed it after our lease ran out.
        delivery.claimed_until = None
        delivery.last_status_code = status_code
        delivery.last_error = error[:500]
        if ok:
            outcome = "delivered"
            delivery.state = WebhookDelivery.State.DELIVERED
            delivery.delivered_at = now
            delivery.next_try_at = None
        elif number >= settings.CC_WEBHOOKS_MAX_ATTEMPTS:
            outcome = "failed"
            delivery.state = WebhookDelivery.State.FAILED
            delivery.next_try_at = None
        else:
            outcome = "retry"
            delivery.next_try_at = now + dt.timedelta(seconds=retry_delay(number))
        delivery.save(
            update_fields=["claimed_until", "last_status_code", "last_error", "state", "delivered_at", "next_try_at"]
        )
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=number,
            status_code=status_code,
            duration_ms=duration,
            error=error[:500],
            next_try_at=delivery.next_try_at,
            created_at=now,
        )
        if ok:
            if hook.failures_in_row:
                hook.failures_in_row = 0
                hook.save(update_fields=["failures_in_row"])
        else:
            hook.failures_in_row += 1
            fields = ["failures_in_row"]
            if hook.is_active and hook.failures_in_row >= settings.CC_WEBHOOKS_DISABLE_AFTER:
                hook.is_active = False
                hook.disabled_reason = (
                    f"Disabled automatically after {hook.failures_in_row} failed tries in a row (last: {error})"
                )[:300]
                fields += ["is_active", "disabled_reason"]
                WebhookDelivery.objects.filter(webhook=hook, state=WebhookDelivery.State.PENDING).update(
                    state=WebhookDelivery.State.FAILED, next_try_at=None, claimed_until=None
                )
                _refresh_on_commit()
                logger.warning("webhook %s disabled after %s failed tries in a row", hook.pk, hook.failures_in_row)
            hook.save(update_fields=fields)
    if not ok:
        logger.info("webhook %s delivery %s try %s failed: %s", webhook_id, delivery_id, number, error)
    return outcome


# ---------------------------------------------------------------- the sweep


def webhook_events_fan_out(now: dt.datetime | None = None, *, batch: int = 500) -> int:
    """Turn the outbox's events into deliveries for the active hooks that want them (in
    event order) and empty it. Returns how many deliveries were made. Safe from several
    processes at once (rows taken with SKIP LOCKED; a delivery is unique per hook and event)."""
    now = now or clock.now()
    made = 0
    with transaction.atomic():
        rows = list(WebhookOutbox.objects.select_for_update(skip_locked=True).order_by("id")[:batch])
        if not rows:
            return 0
        hooks = list(Webhook.objects.filter(is_active=True).only("id", "events"))
        deliveries = []
        for row in rows:
            wanting = [h for h in hooks if row.type in h.events]
            if not wanting:
                continue
            body = _body(row.event_id, row.type, row.occurred_at, row.data)
            deliveries += [
                WebhookDelivery(
                    webhook=h,
                    event_id=row.event_id,
                    event_type=row.type,
                    body=body,
                    next_try_at=now,
                    created_at=now,
                )
                for h in wanting
            ]
        WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
        made = len(deliveries)
        WebhookOutbox.objects.filter(pk__in=[r.pk for r in rows]).delete()
    return made


def _not_queued(now: dt.datetime) -> Q:
    return Q(queued_until__isnull=True) | Q(queued_until__lte=now)


def webhook_deliveries_queue_due(now: dt.datetime | None = None, *, limit: int = 200) -> list[int]:
    """Queue a try (the Celery task, or a thread of the embedded ticker) for each due
    delivery no try holds and none is queued for (a compare-and-set on ``queued_until``:
    one sweep wins each; a task lost for good is queued again after the lease time). A
    task run twice is harmless all the same: the try's claim settles it."""
    now = now or clock.now()
    candidates = list(
        WebhookDelivery.objects.filter(
            _unclaimed(now),
            _not_queued(now),
            state=WebhookDelivery.State.PENDING,
            next_try_at__lte=now,
            webhook__is_active=True,
        )
        .order_by("next_try_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    task = _task()
    queued = []
    until = now + dt.timedelta(seconds=_lease_seconds())
    for delivery_id in candidates:
        if WebhookDelivery.objects.filter(_not_queued(now), pk=delivery_id).update(queued_until=until):
            background.run_task(task, delivery_id)
            queued.append(delivery_id)
    return queued


def webhooks_sweep() -> int:
    """The periodic work: refresh the wanted types, fan the outbox out, queue due tries."""
    wanted_types_refresh()
    made = webhook_events_fan_out()
    webhook_deliveries_queue_due()
    return made


def webhooks_log_trim(now: dt.datetime | None = None) -> int:
    """Forget finished deliveries older than CC_WEBHOOKS_KEEP_DAYS (hourly)."""
    now = now or clock.now()
    cutoff = now - dt.timedelta(days=settings.CC_WEBHOOKS_KEEP_DAYS)
    deleted, _rows = (
        WebhookDelivery.objects.filter(created_at__lt=cutoff).exclude(state=WebhookDelivery.State.PENDING).delete()
    )
    return deleted
