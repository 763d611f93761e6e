"""Messages and uploads per visitor and per staff member over REST (issue 10): past the
limit a 429 with Retry-After and a clear detail, and nothing stored. The socket path is in
tests/integration/test_socket_rate_limits.py; the counters themselves at the end."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from asgiref.sync import async_to_sync
from django.core.cache import caches
from django.core.files.uploadedfile import SimpleUploadedFile

from contactcenter.org import ratelimit
from contactcenter.org.errors import RateLimited
from enquiries import services as enquiry_services
from rooms.models import Message
from tests.api.conftest import error, ok
from tests.conftest import api_client_for, require_redis

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _limits(settings: Any, clock: Any, tmp_path: Path) -> Iterator[Any]:
    """Small limits, a frozen clock (so a window never ends in the middle of a test), the
    tests' in-process cache emptied."""
    settings.CC_VISITOR_MESSAGE_RATE = "5/10s"
    settings.CC_STAFF_MESSAGE_RATE = "6/10s"
    settings.CC_VISITOR_UPLOAD_RATE = "2/min"
    settings.CC_STAFF_UPLOAD_RATE = "3/min"
    settings.MEDIA_ROOT = tmp_path / "media"
    local = caches["default"]  # the in-process cache; never clear() a Redis others share
    assert local.__class__.__name__ == "LocMemCache"
    local.clear()
    yield clock
    local.clear()


@pytest.fixture
def handled(open_enquiry: Any, make_staff: Any, support: Any) -> Any:
    agent = make_staff(tags=[support], name="Alice Agent")
    enquiry = open_enquiry(message="Hello")
    enquiry_services.enquiry_pick_up(actor=agent, enquiry_id=enquiry.pk)
    enquiry.refresh_from_db()
    enquiry.agent = agent
    return enquiry


def _post(client: Any, room_id: int, text: str) -> Any:
    return client.post(f"/api/v1/rooms/{room_id}/messages", {"text": text}, format="json")


def _upload(client: Any, room_id: int, n: int) -> Any:
    file = SimpleUploadedFile(f"doc{n}.pdf", PDF, content_type="application/pdf")
    return client.post(f"/api/v1/rooms/{room_id}/files", {"file": file}, format="multipart")


def _stored_files(settings: Any) -> int:
    root = Path(settings.MEDIA_ROOT)
    return sum(1 for p in root.rglob("*") if p.is_file()) if root.exists() else 0


def test_visitor_messages_are_limited(handled: Any, _limits: Any) -> None:
    visitor = api_client_for(handled.visitor)
    room = handled.room.pk
    for n in range(5):
        ok(_post(visitor, room, f"message {n}"), 201)
    before = Message.objects.count()
    r = _post(visitor, room, "one too many")
    body = error(r, 429)
    assert body["code"] == "rate_limited"
    assert body["detail"] == "You are sending messages too fast. Wait 10 seconds and try again."
    assert r["Retry-After"] == "10" and body["retry_after"] == 10
    assert Message.objects.count() == before
    # The agent has a limit of its own.
    ok(_post(api_client_for(handled.agent), room, "Agent here"), 201)
    # The next window.
    _limits.advance(10)
    ok(_post(visitor, room, "later"), 201)


def test_staff_messages_are_limited_per_account(handled: Any) -> None:
    """Two clients (tokens) of one staff member share one limit... the same account."""
    room = handled.room.pk
    for n in range(6):
        ok(_post(api_client_for(handled.agent), room, f"reply {n}"), 201)
    before = Message.objects.count()
    error(_post(api_client_for(handled.agent), room, "too fast"), 429)
    assert Message.objects.count() == before


def test_edits_and_forwards_count_as_messages(handled: Any, open_enquiry: Any) -> None:
    agent = api_client_for(handled.agent)
    room = handled.room.pk
    first = ok(_post(agent, room, "first"), 201)
    for n in range(4):
        ok(agent.patch(f"/api/v1/messages/{first['id']}", {"text": f"edit {n}"}, format="json"))
    ok(agent.post(f"/api/v1/messages/{first['id']}/forward", {"room": room}, format="json"), 201)
    before = Message.objects.count()
    error(agent.post(f"/api/v1/messages/{first['id']}/forward", {"room": room}, format="json"), 429)
    error(agent.patch(f"/api/v1/messages/{first['id']}", {"text": "edit again"}, format="json"), 429)
    assert Message.objects.count() == before
    assert Message.objects.get(pk=first["id"]).text == "edit 3"


def test_visitor_uploads_are_limited_and_nothing_is_stored(handled: Any, settings: Any, _limits: Any) -> None:
    visitor = api_client_for(handled.visitor)
    room = handled.room.pk
    for n in range(2):
        ok(_upload(visitor, room, n), 201)
    before, files = Message.objects.count(), _stored_files(settings)
    r = _upload(visitor, room, 3)
    body = error(r, 429)
    assert body["detail"] == "You are sending files too fast. Wait 60 seconds and try again."
    assert r["Retry-After"] == "60"
    assert (Message.objects.count(), _stored_files(settings)) == (before, files)
    # Text messages are counted apart.
    ok(_post(visitor, room, "still typing"), 201)
    _limits.advance(60)
    ok(_upload(visitor, room, 4), 201)


def test_staff_uploads_are_limited(handled: Any) -> None:
    agent = api_client_for(handled.agent)
    for n in range(3):
        ok(_upload(agent, handled.room.pk, n), 201)
    error(_upload(agent, handled.room.pk, 9), 429)


def test_defaults_leave_room_for_a_fast_human() -> None:
    from contactcenter import settings as defaults

    visitor = ratelimit.parse_rate(defaults.CC_VISITOR_MESSAGE_RATE)
    assert visitor is not None and visitor.limit / visitor.period >= 1  # a message a second, sustained
    assert ratelimit.parse_rate(defaults.CC_VISITOR_UPLOAD_RATE) == ratelimit.Rate(10, 60)


# ------------------------------------------------------------------ the counters


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("20/10s", ratelimit.Rate(20, 10)),
        ("10/min", ratelimit.Rate(10, 60)),
        ("600/minute", ratelimit.Rate(600, 60)),
        ("5/h", ratelimit.Rate(5, 3600)),
        ("3 / 2 minutes", ratelimit.Rate(3, 120)),
        ("", None),
    ],
)
def test_parse_rate(text: str, rate: Any) -> None:
    assert ratelimit.parse_rate(text) == rate


@pytest.mark.parametrize("text", ["20", "20/", "x/min", "5/0s", "5/fortnight"])
def test_parse_rate_refuses_nonsense(text: str) -> None:
    with pytest.raises(ValueError, match="rate"):
        ratelimit.parse_rate(text)


def _redis_cache(settings: Any) -> Any:
    """The limits counted in Redis (production's cache), under a key prefix of this test's own."""
    require_redis()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": f"cc-limits-test-{id(settings)}",
        }
    }
    from django.core.cache import cache

    return cache


def test_redis_counter_is_shared_and_one_round_trip(settings: Any, make_visitor: Any) -> None:
    """With the Redis cache (production), the sync (REST) and async (socket) paths count
    in the same place, and each hit is one pipeline."""
    redis_cache = _redis_cache(settings)
    visitor = make_visitor()
    settings.CC_VISITOR_MESSAGE_RATE = "3/10s"
    ratelimit.message_rate_check(visitor)

    async def socket_posts() -> None:
        await ratelimit.amessage_rate_check("visitor", visitor.pk)
        await ratelimit.amessage_rate_check("visitor", visitor.pk)
        with pytest.raises(RateLimited):
            await ratelimit.amessage_rate_check("visitor", visitor.pk)
        await asyncio.sleep(0)

    async_to_sync(socket_posts)()
    with pytest.raises(RateLimited) as refused:
        ratelimit.message_rate_check(visitor)
    assert 1 <= refused.value.retry_after <= 10
    key, _ttl, _left = ratelimit._window(f"msg:visitor:{visitor.pk}", ratelimit.Rate(3, 10))
    assert redis_cache.get(key) == 5  # Django's own cache reads the same counter
    redis_cache.delete(key)


def test_unreachable_counter_lets_posts_through(settings: Any, make_visitor: Any) -> None:
    """Redis down: limits degrade, posting does not fail."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    settings.CC_VISITOR_MESSAGE_RATE = "1/10s"
    visitor = make_visitor()
    for _ in range(3):
        ratelimit.message_rate_check(visitor)

    async def socket_posts() -> None:
        for _ in range(3):
            await ratelimit.amessage_rate_check("visitor", visitor.pk)

    async_to_sync(socket_posts)()


def test_far_below_the_limit_a_socket_hit_is_counted_without_waiting(settings: Any, make_visitor: Any) -> None:
    """With the Redis cache, once Redis has answered a counter and it is below half its
    limit, a socket's hit is sent within DEFER_SECONDS instead of waited for; closer to the
    limit every hit is waited for again, so the limit stays exact (one process)."""
    redis_cache = _redis_cache(settings)
    visitor = make_visitor()
    settings.CC_VISITOR_MESSAGE_RATE = "20/10s"
    key, _ttl, _left = ratelimit._window(f"msg:visitor:{visitor.pk}", ratelimit.Rate(20, 10))

    async def socket_posts() -> None:
        await ratelimit.amessage_rate_check("visitor", visitor.pk)  # no answer yet: waited for
        assert await asyncio.to_thread(redis_cache.get, key) == 1
        await ratelimit.amessage_rate_check("visitor", visitor.pk)  # far below: not waited for
        assert await asyncio.to_thread(redis_cache.get, key) == 1
        deadline = asyncio.get_running_loop().time() + 5
        while await asyncio.to_thread(redis_cache.get, key) != 2:  # sent within DEFER_SECONDS
            assert asyncio.get_running_loop().time() < deadline, "the deferred hit was never counted"
            await asyncio.sleep(0.01)
        for _ in range(18):  # 20 in all: the last ones waited for, each exact
            await ratelimit.amessage_rate_check("visitor", visitor.pk)
        with pytest.raises(RateLimited):
            await ratelimit.amessage_rate_check("visitor", visitor.pk)
        while ratelimit._flushing:
            await asyncio.sleep(0.01)

    async_to_sync(socket_posts)()
    assert redis_cache.get(key) == 21  # every hit counted, the refused one too
    redis_cache.delete(key)


def test_a_counter_gets_its_lifetime_from_the_hit_that_makes_it(settings: Any, make_visitor: Any) -> None:
    """The first hit of a counter sets its lifetime (EXPIRE); later hits send INCRBY alone,
    except one that finds the counter gone (its count is its own): that one sets it again."""
    import redis

    redis_cache = _redis_cache(settings)
    raw = redis.Redis.from_url(settings.REDIS_URL)
    visitor = make_visitor()
    settings.CC_VISITOR_MESSAGE_RATE = "20/3600s"
    key, ttl, _left = ratelimit._window(f"msg:visitor:{visitor.pk}", ratelimit.Rate(20, 3600))
    full_key = redis_cache.make_key(key)

    def lifetime() -> int:
        return int(cast(Any, raw.ttl(full_key)))  # -2: no such key, -1: no lifetime

    async def socket_posts() -> None:
        await ratelimit.amessage_rate_check("visitor", visitor.pk)  # the first: waited for
        assert 0 < await asyncio.to_thread(lifetime) <= ttl
        await asyncio.to_thread(raw.delete, full_key)  # gone (evicted, flushed)
        await ratelimit.amessage_rate_check("visitor", visitor.pk)  # far below: deferred
        deadline = asyncio.get_running_loop().time() + 5
        while await asyncio.to_thread(lifetime) <= 0:  # made again, and its lifetime set
            assert asyncio.get_running_loop().time() < deadline, "the counter made anew has no lifetime"
            await asyncio.sleep(0.01)
        while ratelimit._flushing:
            await asyncio.sleep(0.01)

    async_to_sync(socket_posts)()
    assert redis_cache.get(key) == 1
    assert 0 < lifetime() <= ttl
    redis_cache.delete(key)


def test_counters_follow_a_change_of_the_cache(settings: Any, make_visitor: Any) -> None:
    """The Redis server and key prefix of a counter are remembered per counter key, and
    forgotten when CACHES change: the next hit counts under the new prefix."""
    first = _redis_cache(settings)
    visitor = make_visitor()
    settings.CC_VISITOR_MESSAGE_RATE = "5/86400s"  # one window for the whole test
    key, _ttl, _left = ratelimit._window(f"msg:visitor:{visitor.pk}", ratelimit.Rate(5, 86400))

    async def socket_post() -> None:
        await ratelimit.amessage_rate_check("visitor", visitor.pk)

    async_to_sync(socket_post)()
    assert first.get(key) == 1
    settings.CACHES = {**settings.CACHES, "default": {**settings.CACHES["default"], "KEY_PREFIX": "cc-limits-moved"}}
    from django.core.cache import cache as moved

    async_to_sync(socket_post)()
    assert moved.get(key) == 1  # counted under the new prefix, from its first hit
    moved.delete(key)
    settings.CACHES = {
        **settings.CACHES,
        "default": {**settings.CACHES["default"], "KEY_PREFIX": f"cc-limits-test-{id(settings)}"},
    }
    from django.core.cache import cache as back

    assert back.get(key) == 1
    back.delete(key)
