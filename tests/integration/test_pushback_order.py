"""Pushback under overload (contactcenter/gateway/consumers.py ``_hold``, socket_writer.py
``admit``): a socket's posts keep the order written however long the posts it sent before
reading a slow_down take to arrive, and a refused post costs nothing but its refusal."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from contactcenter.gateway import consumers, socket_writer
from contactcenter.org import ratelimit
from contactcenter.org.errors import Busy
from contactcenter.org.models import Staff, Tag
from enquiries.auth import visitor_token_for
from enquiries.models import Enquiry
from rooms.models import Message
from tests.integration.sockets import connect_ok, receive_until, run, until, visitor_socket


class FakeTime:
    """``consumers.time`` with a monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


class Socket(consumers.ClientProtocolMixin):
    """The hold's state and rules of one socket, without a connection."""

    def post(self, client_id: str) -> bool:
        """True if the post would go on to the writer, False if refused (slow_down)."""
        try:
            self._hold_check(client_id)
        except socket_writer.SlowDown:
            return False
        return True


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    fake = FakeTime()
    monkeypatch.setattr(consumers, "time", fake)
    return fake


def test_posts_sent_before_the_slow_down_was_read_stay_held_past_the_grace(clock: FakeTime) -> None:
    """A loaded server reads a socket's frames seconds late: the posts the client wrote
    before it read the slow_down of p0 arrive long after p0's retry time plus HOLD_GRACE.
    None of them may go in before p0 comes again."""
    sock = Socket()
    sock._pushed_back("p0", socket_writer.SlowDown(100))
    for k in range(1, 40):  # one every 0.5 s: 20 s of backlog, 4x the grace
        clock.now += 0.5
        assert not sock.post(f"p{k}"), f"p{k} overtook p0"
    assert sock.post("p0")  # the client's resend, earliest first: the hold ends
    assert sock.post("p1")


def test_the_retry_time_of_held_posts_is_the_first_refusals(clock: FakeTime) -> None:
    sock = Socket()
    sock._pushed_back("p0", socket_writer.SlowDown(2000))
    clock.now += 0.5
    with pytest.raises(socket_writer.SlowDown) as refused:
        sock._hold_check("p1")
    assert refused.value.retry_after_ms == 1500  # not extended by the posts arriving meanwhile
    clock.now += 3
    with pytest.raises(socket_writer.SlowDown) as refused:
        sock._hold_check("p2")
    assert refused.value.retry_after_ms == socket_writer.RETRY_AFTER_MIN_MS


def test_any_refused_post_sent_again_ends_the_hold(clock: FakeTime) -> None:
    """A client that gave p0 up resends the next refused one: it has read the refusals,
    so what follows is in its order; it is not held for ever."""
    sock = Socket()
    sock._pushed_back("p0", socket_writer.SlowDown(100))
    assert not sock.post("p1")
    assert not sock.post("p2")
    clock.now += 0.2
    assert sock.post("p1")
    assert sock.post("p2")
    assert sock.post("p3")


def test_a_new_hold_does_not_remember_the_last_ones_refusals(clock: FakeTime) -> None:
    """p0 resent and refused again by the writer: p1, refused under the first hold and
    still on its way, must not end the second one (it would overtake p0)."""
    sock = Socket()
    sock._pushed_back("p0", socket_writer.SlowDown(100))
    assert not sock.post("p1")
    assert sock.post("p0")
    sock._pushed_back("p0", socket_writer.SlowDown(100))  # the writer is still full
    assert not sock.post("p1")
    assert sock.post("p0")


def test_the_hold_lapses_once_nothing_arrives_for_the_grace(clock: FakeTime) -> None:
    sock = Socket()
    sock._pushed_back("p0", socket_writer.SlowDown(1000))
    clock.now += 1 + consumers.HOLD_GRACE - 0.01
    assert not sock.post("p1")  # still arriving: held on
    clock.now += consumers.HOLD_GRACE + 0.01
    assert sock.post("p2")


def test_refused_again_and_again_waits_twice_as_long(clock: FakeTime) -> None:
    sock = Socket()
    waits = []
    for _ in range(4):
        exc = socket_writer.SlowDown(100)
        sock._pushed_back("p0", exc)
        waits.append(exc.retry_after_ms)
        assert sock.post("p0")
    assert waits == [100, 200, 400, 800]


@pytest.fixture
def visitor_room(ws: None, make_staff: Callable[..., Staff], support: Tag, picked_up: Callable[..., Enquiry]) -> Any:
    agent = make_staff(tags=[support], name="Alice Agent")
    enquiry = picked_up(agent)
    return enquiry.visitor, enquiry.room.pk


def test_a_full_writer_refuses_before_the_rate_limit_and_the_principal(
    visitor_room: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under overload most posts are refused: each must cost its refusal only, not the
    rate limit's cache round trip (nor a hit on the person's counter) nor a visitor load."""
    visitor, room = visitor_room
    checks: list[Any] = []
    real_check = ratelimit.amessage_rate_check

    async def counting(*args: Any) -> None:
        checks.append(args)
        await real_check(*args)

    monkeypatch.setattr(ratelimit, "amessage_rate_check", counting)
    monkeypatch.setattr(socket_writer.writer, "max_queued", 0)
    refused_before = socket_writer.writer.refused

    async def body() -> None:
        comm = visitor_socket(visitor_token_for(visitor.pk))
        await connect_ok(comm)
        await comm.send_json_to({"type": "message.post", "room": room, "text": "hi", "client_id": "r0"})
        slow = await receive_until(comm, "slow_down")
        assert slow["data"]["client_id"] == "r0" and slow["data"]["retry_after_ms"] >= 50
        await comm.disconnect()

    run(body)
    assert checks == []
    assert socket_writer.writer.refused == refused_before + 1
    assert not Message.objects.filter(client_id="r0").exists()


def test_over_a_socket_the_backlog_is_refused_until_the_refused_post_comes_again(
    visitor_room: Any, batches: tuple[list[int], threading.Event], monkeypatch: pytest.MonkeyPatch
) -> None:
    """End to end with a real writer: the first post waits in the writer, the second is
    refused (queue full), the third (sent before the slow_down was read) is refused, and
    after the resend both go in, in the order written."""
    sizes, release = batches
    visitor, room = visitor_room
    monkeypatch.setattr(socket_writer.writer, "max_queued", 1)

    async def body() -> None:
        comm = visitor_socket(visitor_token_for(visitor.pk))
        await connect_ok(comm)
        await comm.send_json_to({"type": "message.post", "room": room, "text": "a", "client_id": "b0"})
        await until(lambda: bool(sizes), "the writer to hold the first post")
        await comm.send_json_to({"type": "message.post", "room": room, "text": "b", "client_id": "b1"})
        await until(lambda: socket_writer.writer.queued() == 1, "the second post to wait")
        await comm.send_json_to({"type": "message.post", "room": room, "text": "c", "client_id": "b2"})
        assert (await receive_until(comm, "slow_down"))["data"]["client_id"] == "b2"
        await comm.send_json_to({"type": "message.post", "room": room, "text": "d", "client_id": "b3"})
        assert (await receive_until(comm, "slow_down"))["data"]["client_id"] == "b3"
        release.set()
        assert [(await receive_until(comm, "message.ack", 30))["data"]["client_id"] for _ in range(2)] == ["b0", "b1"]
        monkeypatch.setattr(socket_writer.writer, "max_queued", 100)  # room again for both
        for client_id, text in (("b2", "c"), ("b3", "d")):
            await comm.send_json_to({"type": "message.post", "room": room, "text": text, "client_id": client_id})
        assert [(await receive_until(comm, "message.ack", 30))["data"]["client_id"] for _ in range(2)] == ["b2", "b3"]
        await comm.disconnect()

    try:
        run(body)
    finally:
        release.set()
    ids = [Message.objects.get(client_id=f"b{k}").pk for k in range(4)]
    assert ids == sorted(ids)


def test_a_busy_post_holds_the_sockets_later_posts_like_a_slow_down(
    visitor_room: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A post answered 503 ``busy`` (it waited too long on a row lock): the socket's posts
    queued behind it in the writer are refused (slow_down), so are the ones arriving later,
    until the client sends the busy one again; resent in order, all go in in that order."""
    visitor, room = visitor_room
    release = threading.Event()
    calls: list[list[str]] = []
    real = socket_writer.messages_post

    def first_busy(requests: Any) -> Any:
        calls.append([r.client_id for r in requests])
        if len(calls) == 1:
            assert release.wait(timeout=60), "the test never released the first batch"
            return [Busy(retry_after=1) for _ in requests]
        return real(requests)

    monkeypatch.setattr(socket_writer, "messages_post", first_busy)

    def post(client_id: str) -> dict[str, Any]:
        return {"type": "message.post", "room": room, "text": client_id, "client_id": client_id}

    async def body() -> None:
        comm = visitor_socket(visitor_token_for(visitor.pk))
        await connect_ok(comm)
        await comm.send_json_to(post("k0"))
        await until(lambda: bool(calls), "the writer to take the first post")
        for client_id in ("k1", "k2"):  # sent before the client could know: queued behind k0
            await comm.send_json_to(post(client_id))
        await until(lambda: socket_writer.writer.queued() == 2, "the later posts to wait")
        release.set()
        error = await receive_until(comm, "error")
        assert error["data"]["code"] == "busy" and error["data"]["client_id"] == "k0", error
        for client_id in ("k1", "k2"):
            assert (await receive_until(comm, "slow_down"))["data"]["client_id"] == client_id
        await comm.send_json_to(post("k3"))  # still before the resend: held by the socket
        assert (await receive_until(comm, "slow_down"))["data"]["client_id"] == "k3"
        # The client: the busy one alone, then once acked the others in the order written.
        await comm.send_json_to(post("k0"))
        assert (await receive_until(comm, "message.ack", 30))["data"]["client_id"] == "k0"
        for client_id in ("k1", "k2", "k3"):
            await comm.send_json_to(post(client_id))
        acks = [(await receive_until(comm, "message.ack", 30))["data"]["client_id"] for _ in range(3)]
        assert acks == ["k1", "k2", "k3"]
        await comm.disconnect()

    try:
        run(body)
    finally:
        release.set()
    ids = [Message.objects.get(client_id=f"k{k}").pk for k in range(4)]
    assert ids == sorted(ids)
    assert calls[1] == ["k0"]  # nothing of the socket's went in before the busy post's resend
