"""Outgoing webhooks: events reach a local receiver signed, retried with back-off, logged,
never twice per hook, and never to internal addresses."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import socket
import time
from typing import Any

import pytest

from contactcenter.org import background
from enquiries import services as enquiry_services
from integrations import webhooks
from integrations.models import Webhook, WebhookAttempt, WebhookDelivery, WebhookOutbox
from rooms import spaces
from rooms.services import message_post
from tests.integrations.conftest import Receiver


def deliver_all() -> list[str]:
    """Fan the outbox out and make one try of each due delivery, as the sweep's tasks would."""
    webhooks.webhook_events_fan_out()
    return [webhooks.webhook_delivery_attempt(delivery_id=i) for i in webhooks.webhook_deliveries_queue_due()]


def verify(secret: str, headers: dict[str, str], body: bytes, *, now: float, window: int = 300) -> bool:
    """What a receiver does (README "Verifying signatures")."""
    timestamp = headers["x-cc-timestamp"]
    if abs(now - int(timestamp)) > window:
        return False
    expected = "v1=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["x-cc-signature"])


def test_an_opened_enquiry_reaches_the_receiver_signed(make_hook, receiver: Receiver, open_enquiry, clock) -> None:
    hook = make_hook(events=["enquiry.opened"])
    enquiry = open_enquiry(message="Where is my parcel?")
    assert WebhookOutbox.objects.filter(type="enquiry.opened").count() == 1

    assert deliver_all() == ["delivered"]

    (request,) = receiver.received
    assert request.path == "/hook"
    assert verify(hook.secret, request.headers, request.body, now=clock.now.timestamp())
    assert not verify("whsec_other", request.headers, request.body, now=clock.now.timestamp())
    # Outside the replay window, a receiver refuses the same signed request.
    assert not verify(hook.secret, request.headers, request.body, now=clock.now.timestamp() + 301)
    body = request.json()
    assert body["type"] == "enquiry.opened"
    assert body["id"] == request.headers["x-cc-event-id"]
    assert request.headers["x-cc-event-type"] == "enquiry.opened"
    assert request.headers["content-type"] == "application/json"
    assert body["data"]["enquiry"]["id"] == enquiry.pk
    assert body["data"]["enquiry"]["status"] == "open"
    assert dt.datetime.fromisoformat(body["created_at"]) == clock.now
    delivery = WebhookDelivery.objects.get(webhook=hook)
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    assert WebhookOutbox.objects.count() == 0


def test_lifecycle_events_and_messages_in_order_without_duplicates(
    make_hook, receiver: Receiver, handled, make_staff, clock
) -> None:
    enquiry, owner = handled  # opened and picked up before the hook existed: not sent
    hook = make_hook(events=["enquiry.resolved", "enquiry.closed", "message.created", "enquiry.rated"])
    # Kept while the cache did not know what hooks want (none existed): not this test's.
    WebhookOutbox.objects.all().delete()
    message_post(room_id=enquiry.room.pk, text="Here is your answer", staff=owner)
    # A staff-only space's message never leaves the product.
    space = spaces.space_create(actor=owner, name="Backroom", members=[])
    message_post(room_id=space.pk, text="internal only", staff=owner)
    enquiry_services.enquiry_resolve(actor=owner, enquiry_id=enquiry.pk)
    enquiry_services.enquiry_rate(visitor=enquiry.visitor, enquiry_id=enquiry.pk, score=5)
    deliver_all()
    # System messages of the room (resolved, rating...) come too; the customer's and staff's:
    received = [r.json() for r in receiver.received]
    spoken = [b for b in received if b["type"] != "message.created" or b["data"]["message"]["author"] != "system"]
    assert [b["type"] for b in spoken] == ["message.created", "enquiry.resolved", "enquiry.rated"], spoken
    message = spoken[0]["data"]["message"]
    assert (message["text"], message["author"], message["enquiry_id"]) == ("Here is your answer", "staff", enquiry.pk)
    assert all(b["data"]["message"]["enquiry_id"] == enquiry.pk for b in received if b["type"] == "message.created")
    assert spoken[2]["data"]["details"] == {"score": 5}
    ids = [b["id"] for b in received]
    assert len(set(ids)) == len(ids)
    # In the order they happened.
    assert [b["created_at"] for b in received] == sorted(b["created_at"] for b in received)
    # A second run of the sweep and of every try sends nothing again.
    assert deliver_all() == []
    for delivery in WebhookDelivery.objects.all():
        assert webhooks.webhook_delivery_attempt(delivery_id=delivery.pk) == "skip"
    assert len(receiver.received) == len(ids)
    assert WebhookDelivery.objects.filter(webhook=hook).count() == len(ids)


def test_an_event_is_delivered_once_per_hook_even_if_fanned_out_twice(make_hook, receiver, open_enquiry) -> None:
    first, second = make_hook(events=["enquiry.opened"]), make_hook(events=["enquiry.opened"])
    open_enquiry()
    row = WebhookOutbox.objects.get()
    webhooks.webhook_events_fan_out()
    # The same event again in the outbox (a crash between the insert and the delete).
    WebhookOutbox.objects.create(event_id=row.event_id, type=row.type, occurred_at=row.occurred_at, data=row.data)
    webhooks.webhook_events_fan_out()
    assert WebhookDelivery.objects.filter(webhook=first).count() == 1
    assert WebhookDelivery.objects.filter(webhook=second).count() == 1
    assert {d.event_id for d in WebhookDelivery.objects.all()} == {row.event_id}
    deliver_all()
    assert len(receiver.received) == 2


def test_events_nobody_wants_are_not_kept(make_hook, receiver, open_enquiry) -> None:
    make_hook(events=["message.created"])
    open_enquiry()
    assert not WebhookOutbox.objects.filter(type="enquiry.opened").exists()
    assert WebhookOutbox.objects.filter(type="message.created").exists()  # the first message
    Webhook.objects.update(is_active=False)
    webhooks.wanted_types_refresh()
    WebhookOutbox.objects.all().delete()
    open_enquiry()
    assert WebhookOutbox.objects.count() == 0


def test_a_500_is_retried_with_exponential_back_off(make_hook, receiver: Receiver, open_enquiry, clock) -> None:
    make_hook(events=["enquiry.opened"])
    receiver.statuses = [500, 502]
    open_enquiry()
    assert deliver_all() == ["retry"]
    delivery = WebhookDelivery.objects.get()
    assert delivery.next_try_at == clock.now + dt.timedelta(seconds=10)
    assert (delivery.state, delivery.last_status_code, delivery.last_error) == ("pending", 500, "HTTP 500")
    # Not due yet: neither the sweep nor a stray task tries.
    clock.advance(9)
    assert webhooks.webhook_deliveries_queue_due() == []
    assert webhooks.webhook_delivery_attempt(delivery_id=delivery.pk) == "skip"
    clock.advance(1)
    assert deliver_all() == ["retry"]
    delivery.refresh_from_db()
    assert delivery.next_try_at == clock.now + dt.timedelta(seconds=20)
    clock.advance(20)
    assert deliver_all() == ["delivered"]
    log = list(WebhookAttempt.objects.filter(delivery=delivery).order_by("number"))
    assert [(a.number, a.status_code) for a in log] == [(1, 500), (2, 502), (3, 200)]
    assert log[0].next_try_at is not None and log[2].next_try_at is None
    assert len({r.headers["x-cc-event-id"] for r in receiver.received}) == 1
    assert len({r.body for r in receiver.received}) == 1  # the same body on every try


def test_back_off_schedule_is_capped(settings) -> None:
    settings.CC_WEBHOOKS_RETRY_BASE_SECONDS = 10
    settings.CC_WEBHOOKS_RETRY_MAX_SECONDS = 60
    assert [webhooks.retry_delay(n) for n in range(1, 7)] == [10, 20, 40, 60, 60, 60]


def test_the_last_try_fails_for_good_and_many_failures_disable_the_hook(
    make_hook, receiver: Receiver, open_enquiry, clock, settings
) -> None:
    settings.CC_WEBHOOKS_MAX_ATTEMPTS = 2
    settings.CC_WEBHOOKS_DISABLE_AFTER = 3
    hook = make_hook(events=["enquiry.opened"])
    receiver.default = 503
    open_enquiry()
    open_enquiry()
    assert deliver_all() == ["retry", "retry"]
    clock.advance(10)
    outcomes = deliver_all()
    assert outcomes[0] == "failed"
    hook.refresh_from_db()
    assert not hook.is_active
    assert "3 failed tries in a row" in hook.disabled_reason
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {"failed"}
    # Disabled: nothing more is tried.
    open_enquiry()
    clock.advance(3600)
    assert deliver_all() == []
    # Enabled again: the count starts over.
    hook = webhooks.webhook_update(actor=hook.created_by, webhook_id=hook.pk, is_active=True)
    assert (hook.failures_in_row, hook.disabled_reason) == (0, "")


def test_a_success_resets_the_failure_count(make_hook, receiver, open_enquiry, clock) -> None:
    hook = make_hook(events=["enquiry.opened"])
    receiver.statuses = [500]
    open_enquiry()
    deliver_all()
    assert Webhook.objects.get(pk=hook.pk).failures_in_row == 1
    clock.advance(10)
    deliver_all()
    assert Webhook.objects.get(pk=hook.pk).failures_in_row == 0


def test_a_timeout_and_a_refused_connection_are_retried(make_hook, receiver, open_enquiry, settings) -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        dead_url = f"http://127.0.0.1:{free.getsockname()[1]}/hook"
    make_hook(events=["enquiry.opened"], url=dead_url)
    open_enquiry()
    assert deliver_all() == ["retry"]
    delivery = WebhookDelivery.objects.get()
    assert delivery.last_status_code is None
    assert "ConnectError" in delivery.last_error


def test_a_redirect_is_not_followed(make_hook, receiver: Receiver, open_enquiry) -> None:
    make_hook(events=["enquiry.opened"])
    receiver.statuses = [302]
    open_enquiry()
    assert deliver_all() == ["retry"]
    assert WebhookDelivery.objects.get().last_error == "HTTP 302"


# ---------------------------------------------------------------- SSRF


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://10.0.0.5/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://[::ffff:192.168.1.1]/hook",
        "http://0.0.0.0/hook",
        "https://8.8.8.8:8443/hook",
        "ftp://8.8.8.8/hook",
        "http://user:pw@8.8.8.8/hook",
    ],
)
def test_internal_addresses_are_refused_at_registration(api, admin, settings, url) -> None:
    settings.CC_WEBHOOKS_ALLOW_PRIVATE = False
    r = api(admin).post("/api/v1/webhooks", {"url": url, "events": ["enquiry.opened"]}, format="json")
    assert r.status_code == 400, r.content
    assert "url" in r.json()
    assert not Webhook.objects.exists()


def _resolve_to(monkeypatch, address: str) -> None:
    real = socket.getaddrinfo

    def fake(host: Any, port: Any, *args: Any, **kw: Any) -> Any:
        if host == "hooks.example.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        return real(host, port, *args, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", fake)


def test_dns_rebinding_is_refused_at_delivery(api, admin, settings, monkeypatch, open_enquiry, receiver) -> None:
    settings.CC_WEBHOOKS_ALLOW_PRIVATE = False
    _resolve_to(monkeypatch, "93.184.216.34")  # public when registered
    r = api(admin).post(
        "/api/v1/webhooks", {"url": "http://hooks.example.test/in", "events": ["enquiry.opened"]}, format="json"
    )
    assert r.status_code == 201, r.content
    webhooks.wanted_types_refresh()
    open_enquiry()
    _resolve_to(monkeypatch, "127.0.0.1")  # then the name points inside
    assert deliver_all() == ["retry"]
    delivery = WebhookDelivery.objects.get()
    assert delivery.last_error.startswith("Refused by the address check")
    assert delivery.last_status_code is None
    assert receiver.received == []


def test_a_private_url_registered_in_tests_is_refused_once_the_setting_is_off(
    make_hook, receiver, open_enquiry, settings
) -> None:
    make_hook(events=["enquiry.opened"])
    open_enquiry()
    settings.CC_WEBHOOKS_ALLOW_PRIVATE = False
    assert deliver_all() == ["retry"]
    assert receiver.received == []


# ---------------------------------------------------------------- the API


def test_admin_registers_sees_the_secret_tests_and_reads_the_log(api, admin, receiver: Receiver, clock) -> None:
    client = api(admin)
    r = client.post(
        "/api/v1/webhooks",
        {"name": "CRM", "url": receiver.url, "events": ["message.created", "enquiry.opened"]},
        format="json",
    )
    assert r.status_code == 201, r.content
    created = r.json()
    secret = created["secret"]
    assert secret.startswith("whsec_") and len(secret) > 40
    assert created["events"] == ["enquiry.opened", "message.created"]  # in the catalogue's order
    hook_id = created["id"]
    listed = client.get("/api/v1/webhooks").json()["results"]
    assert [h["id"] for h in listed] == [hook_id]
    assert "secret" not in listed[0] and listed[0]["secret_hint"] == secret[:10] + "…"
    assert client.get(f"/api/v1/webhooks/{hook_id}/secret").json() == {"secret": secret}

    r = client.post(f"/api/v1/webhooks/{hook_id}/test")
    assert r.status_code == 200, r.content
    assert (r.json()["state"], r.json()["event_type"], r.json()["attempt_log"][0]["status_code"]) == (
        "delivered",
        "webhook.test",
        200,
    )
    assert verify(secret, receiver.received[0].headers, receiver.received[0].body, now=clock.now.timestamp())

    rotated = client.post(f"/api/v1/webhooks/{hook_id}/secret").json()["secret"]
    assert rotated != secret
    receiver.statuses = [500]
    r = client.post(f"/api/v1/webhooks/{hook_id}/test")
    assert r.json()["state"] == "pending" and r.json()["last_status_code"] == 500
    assert verify(rotated, receiver.received[1].headers, receiver.received[1].body, now=clock.now.timestamp())

    log = client.get(f"/api/v1/webhooks/{hook_id}/deliveries").json()
    assert [d["state"] for d in log["results"]] == ["pending", "delivered"]
    assert log["next_before"] is None
    page = client.get(f"/api/v1/webhooks/{hook_id}/deliveries?limit=1").json()
    assert len(page["results"]) == 1 and page["next_before"] == page["results"][0]["id"]
    older = client.get(f"/api/v1/webhooks/{hook_id}/deliveries?limit=1&before={page['next_before']}").json()
    assert older["results"][0]["state"] == "delivered"

    delivered_id = older["results"][0]["id"]
    r = client.post(f"/api/v1/webhooks/{hook_id}/deliveries/{delivered_id}/redeliver")
    assert r.status_code == 200 and r.json()["state"] == "pending" and r.json()["attempts"] == 0
    assert webhooks.webhook_delivery_attempt(delivery_id=delivered_id) == "delivered"
    assert receiver.received[2].headers["x-cc-event-id"] == receiver.received[0].headers["x-cc-event-id"]

    r = client.patch(f"/api/v1/webhooks/{hook_id}", {"events": ["enquiry.closed"], "name": "CRM 2"}, format="json")
    assert r.status_code == 200 and r.json()["events"] == ["enquiry.closed"] and r.json()["name"] == "CRM 2"
    assert client.delete(f"/api/v1/webhooks/{hook_id}").status_code == 204
    assert not Webhook.objects.exists() and not WebhookDelivery.objects.exists()
    assert client.get(f"/api/v1/webhooks/{hook_id}").status_code == 404


def test_agents_and_strangers_cannot_see_or_change_webhooks(api, make_staff, make_hook) -> None:
    hook = make_hook()
    agent = make_staff()
    for client in (api(agent), api(None)):
        assert client.get("/api/v1/webhooks").status_code in (401, 403)
        assert client.get(f"/api/v1/webhooks/{hook.pk}/secret").status_code in (401, 403)
        assert client.post(f"/api/v1/webhooks/{hook.pk}/test").status_code in (401, 403)
        assert client.delete(f"/api/v1/webhooks/{hook.pk}").status_code in (401, 403)
        r = client.post("/api/v1/webhooks", {"url": "https://8.8.8.8/", "events": ["enquiry.opened"]}, format="json")
        assert r.status_code in (401, 403)
    assert Webhook.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"events": ["enquiry.opened"]}, "url"),
        ({"url": "", "events": ["enquiry.opened"]}, "url"),
        ({"url": "not a url", "events": ["enquiry.opened"]}, "url"),
        ({"url": "RECEIVER"}, "events"),
        ({"url": "RECEIVER", "events": []}, "events"),
        ({"url": "RECEIVER", "events": ["enquiry.exploded"]}, "events"),
        ({"url": "RECEIVER", "events": "enquiry.opened"}, "events"),
        ({"url": "RECEIVER", "events": [1]}, "events"),
        ({"url": "RECEIVER", "events": ["enquiry.opened"], "name": "x" * 121}, "name"),
        ({"url": "RECEIVER", "events": ["enquiry.opened"], "is_active": "maybe"}, "is_active"),
    ],
)
def test_bad_input_is_refused_with_the_field_and_nothing_stored(api, admin, receiver, body, field) -> None:
    body = {k: (receiver.url if v == "RECEIVER" else v) for k, v in body.items()}
    r = api(admin).post("/api/v1/webhooks", body, format="json")
    assert r.status_code == 400, r.content
    assert field in r.json(), r.json()
    assert not Webhook.objects.exists()


def test_bad_paging_and_unknown_ids(api, admin, make_hook) -> None:
    hook = make_hook()
    client = api(admin)
    assert client.get(f"/api/v1/webhooks/{hook.pk}/deliveries?limit=0").status_code == 400
    assert client.get(f"/api/v1/webhooks/{hook.pk}/deliveries?before=x").status_code == 400
    assert client.get("/api/v1/webhooks/999999/deliveries").status_code == 404
    assert client.post(f"/api/v1/webhooks/{hook.pk}/deliveries/999999/redeliver").status_code == 404
    assert client.patch("/api/v1/webhooks/999999", {"name": "x"}, format="json").status_code == 404
    r = client.patch(f"/api/v1/webhooks/{hook.pk}", {"url": "http://10.1.1.1/"}, format="json")
    assert r.status_code == 200 or "url" in r.json()  # allowed only because tests lift the guard


def test_the_event_catalogue(api, admin) -> None:
    results = api(admin).get("/api/v1/webhooks/event-types").json()["results"]
    assert [r["type"] for r in results] == list(webhooks.EVENT_TYPES)
    assert all(r["label"] for r in results)


def test_the_sweep_queues_tasks_and_trims_the_log(make_hook, receiver, open_enquiry, clock, settings) -> None:
    make_hook(events=["enquiry.opened"])
    open_enquiry()
    background.scheduled.clear()
    assert webhooks.webhooks_sweep() == 1
    assert [name for name, _args, _cd in background.scheduled] == ["integrations.tasks.webhook_deliver"]
    (delivery_id,) = background.scheduled[0][1]
    from integrations import tasks

    assert tasks.webhook_deliver(delivery_id) == "delivered"
    clock.advance(settings.CC_WEBHOOKS_KEEP_DAYS * 86400 + 1)
    assert webhooks.webhooks_log_trim() == 2  # the delivery and its attempt
    assert not WebhookDelivery.objects.exists()


def test_body_is_compact_sorted_json(make_hook, receiver, open_enquiry) -> None:
    make_hook(events=["enquiry.opened"])
    open_enquiry()
    deliver_all()
    body = receiver.received[0].body
    assert body == json.dumps(json.loads(body), ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def test_a_due_delivery_is_queued_once_until_its_task_is_presumed_lost(
    make_hook, receiver, open_enquiry, clock
) -> None:
    make_hook(events=["enquiry.opened"])
    open_enquiry()
    webhooks.webhook_events_fan_out()
    (delivery_id,) = webhooks.webhook_deliveries_queue_due()
    # Workers busy or down: later sweeps do not pile up tasks for it.
    clock.advance(2)
    assert webhooks.webhook_deliveries_queue_due() == []
    clock.advance(60)
    assert webhooks.webhook_deliveries_queue_due() == [delivery_id]  # the task was lost: again
    assert webhooks.webhook_delivery_attempt(delivery_id=delivery_id) == "delivered"
    assert len(receiver.received) == 1


def test_with_a_shared_cache_a_posted_batch_reads_the_wanted_types_at_most_once_a_second(settings, monkeypatch) -> None:
    """The types some hook wants come from the shared cache, kept by each process for
    WANTED_LOCAL_SECONDS: a posted batch makes no cache round trip in its transaction, and a
    change made through another process (the cache's value replaced) counts soon after."""
    from tests.conftest import require_redis

    require_redis()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": f"cc-wanted-test-{id(settings)}",
        }
    }
    from django.core.cache import cache as redis_cache

    reads: list[str] = []

    class Counting:
        def get(self, key: str, *args: Any, **kwargs: Any) -> Any:
            reads.append(key)
            return redis_cache.get(key, *args, **kwargs)

        def set(self, *args: Any, **kwargs: Any) -> Any:
            return redis_cache.set(*args, **kwargs)

    monkeypatch.setattr(webhooks, "cache", Counting())
    redis_cache.set(webhooks._WANTED_KEY, ["enquiry.opened"], timeout=60)
    webhooks._wanted_local = None
    try:
        assert not webhooks._wanted("message.created")
        for _ in range(20):
            assert not webhooks._wanted("message.created")
        assert len(reads) == 1  # one read, then the process's copy
        redis_cache.set(webhooks._WANTED_KEY, ["message.created"], timeout=60)  # another process's change
        deadline = time.monotonic() + webhooks.WANTED_LOCAL_SECONDS + 5
        while not webhooks._wanted("message.created"):
            assert time.monotonic() < deadline, "the change was never seen"
            time.sleep(0.02)
    finally:
        redis_cache.delete(webhooks._WANTED_KEY)
        webhooks._wanted_local = None


def test_without_a_shared_cache_nothing_is_kept_in_the_process(make_hook) -> None:
    """The in-process cache (embedded, tests) is read each time: no copy to go stale."""
    make_hook(events=["message.created"])
    try:
        assert webhooks._wanted_local is None
        assert webhooks._wanted("message.created")
    finally:
        webhooks.cache.delete(webhooks._WANTED_KEY)  # the next tests' batches want nothing
