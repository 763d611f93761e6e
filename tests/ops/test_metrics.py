"""/metrics: Prometheus text format, who may read it, and the figures after real actions
(README "Health and metrics")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from contactcenter.org.models import Staff, Tag
from enquiries import services as enquiry_services
from enquiries.models import Enquiry
from rooms.services import PostRequest, messages_post
from tests.ops.conftest import scrape, value

TOKEN = "metrics-token-0123456789abcdef"


# --- access -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("peer", "forwarded", "status"),
    [
        ("127.0.0.1", None, 200),
        ("::1", None, 200),
        ("10.1.2.3", None, 200),
        ("192.168.0.7", None, 200),
        ("172.16.5.5", None, 200),
        ("8.8.8.8", None, 403),
        ("2001:4860::8888", None, 403),
        # No proxy declared: a client's own X-Forwarded-For counts for nothing.
        ("8.8.8.8", "127.0.0.1", 403),
        ("8.8.8.8", "10.0.0.1", 403),
    ],
)
def test_without_token_only_private_addresses(
    db: Any, peer: str, forwarded: str | None, status: int, settings: Any
) -> None:
    settings.CC_TRUSTED_PROXIES = []
    settings.CC_PROXY_COUNT = 0
    extra: dict[str, Any] = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    response = Client().get("/metrics", REMOTE_ADDR=peer, **extra)
    assert response.status_code == status, response.content
    if status == 403:
        assert response.json()["detail"]


@pytest.mark.parametrize(
    ("forwarded", "status"),
    [
        # The proxy appended the public client after what the client claimed: refused.
        ("127.0.0.1, 8.8.8.8", 403),
        ("10.9.9.9, 8.8.4.4", 403),
        # A private client behind the declared proxy: served.
        ("192.168.1.20", 200),
    ],
)
def test_behind_a_declared_proxy_the_real_client_counts(db: Any, settings: Any, forwarded: str, status: int) -> None:
    settings.CC_TRUSTED_PROXIES = ["10.0.0.2"]
    response = Client().get("/metrics", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    assert response.status_code == status


@pytest.mark.parametrize(
    ("header", "status"),
    [
        (None, 401),
        ("Bearer wrong-token", 401),
        (f"Token {TOKEN}", 401),
        (f"Bearer {TOKEN}x", 401),
        (f"Bearer {TOKEN}", 200),
        (f"bearer {TOKEN}", 200),
    ],
)
def test_with_a_token_it_is_required_from_everyone(db: Any, settings: Any, header: str | None, status: int) -> None:
    settings.CC_METRICS_TOKEN = TOKEN
    extra: dict[str, Any] = {"HTTP_AUTHORIZATION": header} if header else {}
    for peer in ("127.0.0.1", "8.8.8.8"):
        response = Client().get("/metrics", REMOTE_ADDR=peer, **extra)
        assert response.status_code == status, (peer, response.content)
        if status == 401:
            assert response["WWW-Authenticate"].startswith("Bearer")


# --- figures --------------------------------------------------------------------------------


def test_open_enquiries_by_destination_and_oldest_wait(
    db: Any, clock: Any, open_enquiry: Callable[..., Enquiry], make_staff: Callable[..., Staff], support: Tag
) -> None:
    make_staff(tags=[support])
    before = scrape()
    assert value(before, "cc_enquiries_open", destination=support.name) == 0
    open_enquiry()
    clock.advance(12)
    open_enquiry()
    # The clock of the tests is not the wall clock: the wait is measured on the wall clock.
    samples = scrape()
    assert value(samples, "cc_enquiries_open", destination=support.name) == 2
    assert value(samples, "cc_enquiry_oldest_open_wait_seconds") >= 0
    assert value(samples, "cc_dependency_up", dependency="database") == 1
    assert value(samples, "cc_build_info", version=__import__("contactcenter").__version__) == 1


def test_missed_last_hour_by_reason_and_deadline_lag(
    db: Any,
    clock: Any,
    settings: Any,
    open_enquiry: Callable[..., Enquiry],
    make_staff: Callable[..., Staff],
    support: Tag,
) -> None:
    make_staff(tags=[support])
    enquiry = open_enquiry()
    assert enquiry.deadline_at is not None
    before = scrape()
    lag_count = value(before, "cc_deadline_lag_seconds_count", deadline="deadline_at")
    # The sweep runs 1.5 s after the deadline: it misses the enquiry with that lag.
    clock.set(enquiry.deadline_at + dt.timedelta(seconds=1.5))
    assert enquiry_services.timers_sweep()["missed"] == 1
    samples = scrape()
    assert value(samples, "cc_enquiries_open", destination=support.name) == 0
    assert value(samples, "cc_deadline_lag_seconds_count", deadline="deadline_at") == lag_count + 1
    assert value(samples, "cc_deadline_lag_seconds_bucket", deadline="deadline_at", le="1.0") == value(
        before, "cc_deadline_lag_seconds_bucket", deadline="deadline_at", le="1.0"
    )
    assert value(samples, "cc_deadline_lag_seconds_bucket", deadline="deadline_at", le="2.0") == (
        value(before, "cc_deadline_lag_seconds_bucket", deadline="deadline_at", le="2.0") + 1
    )


def test_missed_in_the_last_hour_counts_by_reason(
    db: Any, open_enquiry: Callable[..., Enquiry], make_staff: Callable[..., Staff], support: Tag
) -> None:
    # Nobody on duty for Support: the enquiry is missed at once, "nobody_available".
    enquiry = open_enquiry()
    enquiry.refresh_from_db()
    assert enquiry.status == Enquiry.Status.MISSED
    samples = scrape()
    assert value(samples, "cc_enquiries_missed_last_hour", reason=enquiry.missed_reason) == 1
    for reason in Enquiry.MissedReason.values:
        assert ("cc_enquiries_missed_last_hour", (("reason", reason),)) in samples


def test_a_message_posted_increments_the_counter(
    db: Any,
    handled: tuple[Enquiry, Staff],
    django_capture_on_commit_callbacks: Any,
) -> None:
    enquiry, owner = handled
    before = value(scrape(), "cc_messages_posted_total", sender="staff")
    with django_capture_on_commit_callbacks(execute=True):
        messages_post([PostRequest(room_id=enquiry.room.pk, text="hello there", staff=owner)])
    assert value(scrape(), "cc_messages_posted_total", sender="staff") == before + 1


def test_request_latency_by_route_not_path(db: Any, handled: tuple[Enquiry, Staff], api: Any) -> None:
    enquiry, owner = handled
    before = scrape()
    route = "api/v1/enquiries/<int:enquiry_id>"
    count = value(before, "cc_http_request_duration_seconds_count", route=route, method="GET")
    assert api(owner).get(f"/api/v1/enquiries/{enquiry.pk}").status_code == 200
    assert api(owner).get("/api/v1/enquiries/999999").status_code == 404
    samples = scrape()
    assert value(samples, "cc_http_request_duration_seconds_count", route=route, method="GET") == count + 2
    assert value(samples, "cc_http_requests_total", route=route, method="GET", status="404") >= 1
    assert not any(f"/{enquiry.pk}" in str(labels) for (_name, labels) in samples)
    Client().get("/no/such/page/12345")
    assert value(scrape(), "cc_http_requests_total", route="<unmatched>", method="GET", status="404") >= 1


def test_webhook_deliveries_received_and_refused(db: Any, make_channel: Callable[..., Any], support: Tag) -> None:
    channel = make_channel(
        kind="line", tag=support, credentials={"channel_secret": "s" * 32, "channel_access_token": "t"}
    )
    before = scrape()
    refused = value(before, "cc_webhook_requests_total", platform="line", outcome="refused")
    response = Client().post(
        f"/webhooks/line/{channel.pk}/", data=b"{}", content_type="application/json", HTTP_X_LINE_SIGNATURE="bad"
    )
    assert response.status_code == 403
    unknown = Client().post("/webhooks/nosuch/1/", data=b"{}", content_type="application/json")
    assert unknown.status_code == 404
    samples = scrape()
    assert value(samples, "cc_webhook_requests_total", platform="line", outcome="refused") == refused + 1
    assert value(samples, "cc_webhook_requests_total", platform="unknown", outcome="refused") >= 1


def test_celery_queue_length_from_redis(db: Any, settings: Any) -> None:
    if not settings.REDIS_URL:
        samples = scrape()
        assert not any(name == "cc_celery_queue_length" for (name, _labels) in samples)  # no samples
        assert ("cc_dependency_up", (("dependency", "redis"),)) not in samples
        return
    import redis

    queue = f"cc-health-test-queue-{__import__('os').getpid()}"
    settings.CC_CELERY_QUEUE = queue
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        client.rpush(queue, b"{}", b"{}")
        client.rpush(queue + "\x06\x169", b"{}")
        samples = scrape()
        assert value(samples, "cc_celery_queue_length", queue=queue) == 3
        assert value(samples, "cc_dependency_up", dependency="redis") == 1
    finally:
        client.delete(queue, queue + "\x06\x169")
