"""The socket writer (contactcenter/gateway/socket_writer.py): posts from many sockets are committed
together, each socket gets its own answer, and a failure reaches only its sender."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from django.db import connection, transaction

from contactcenter.asgi import application
from contactcenter.gateway import consumers, socket_writer
from contactcenter.org import realtime
from contactcenter.org.events import room_group
from contactcenter.org.models import Staff, Tag
from enquiries.auth import visitor_token_for
from enquiries.models import Enquiry, Visitor
from rooms.models import Message
from rooms.selectors import message_data
from rooms.services import PostRequest, messages_post
from tests.conftest import require_postgres
from tests.integration.sockets import (
    connect_ok,
    created,
    disconnect_all,
    receive_until,
    run,
    sockets,
    until,
    visitor_socket,
)

CHATS = 6


@pytest.fixture
def agent(ws: None, make_staff: Callable[..., Staff], support: Tag) -> Staff:
    return make_staff(tags=[support], name="Alice Agent", max_concurrent=CHATS + 1)


@pytest.fixture
def chats(agent: Staff, picked_up: Callable[..., Enquiry]) -> list[tuple[Visitor, Enquiry]]:
    return [(enquiry.visitor, enquiry) for enquiry in (picked_up(agent) for _ in range(CHATS))]


def test_posts_queued_behind_a_commit_are_committed_together(
    agent: Staff, chats: list[tuple[Visitor, Enquiry]], batches: tuple[list[int], threading.Event]
) -> None:
    sizes, release = batches

    async def body() -> None:
        staff_comm, first_comm = await sockets(agent, chats[0][0])
        others = [visitor_socket(visitor_token_for(v.pk)) for v, _e in chats[1:]]
        for comm in others:
            await connect_ok(comm)
        comms = [first_comm, *others]
        await first_comm.send_json_to(
            {"type": "message.post", "room": chats[0][1].room.pk, "text": "first", "client_id": "c0"}
        )
        await until(lambda: bool(sizes), "the writer to hold the first post")
        for i, (comm, (_v, enquiry)) in enumerate(zip(comms, chats, strict=True)):
            if i:
                await comm.send_json_to(
                    {"type": "message.post", "room": enquiry.room.pk, "text": f"m{i}", "client_id": f"c{i}"}
                )
        # A refused post in the same batch answers its own socket only.
        await comms[1].send_json_to(
            {"type": "message.post", "room": chats[2][1].room.pk, "text": "not mine", "client_id": "bad"}
        )
        # Released once the five other sockets' posts wait behind it (not after a fixed
        # time, which a busy machine may need more of), the refused post among them: a
        # socket queues its next post without waiting for the answer to the previous one.
        await until(lambda: socket_writer.writer.queued() == CHATS, "the other posts to queue up")
        release.set()
        acks = [await receive_until(comm, "message.ack") for comm in comms]
        error = await receive_until(comms[1], "error")
        assert error["data"]["status"] == 403 and error["data"]["client_id"] == "bad"
        assert [a["data"]["client_id"] for a in acks] == [f"c{i}" for i in range(CHATS)]
        wanted = {ack["data"]["message"]["id"] for ack in acks}
        seen: set[int] = set()
        while not wanted <= seen:  # every message reaches the agent
            seen.add((await receive_until(staff_comm, "message.created"))["data"]["message"]["id"])
        for comm in [staff_comm, *comms]:
            await comm.disconnect()

    run(body)
    # The five other sockets' posts (and the refused one) queued up behind the first and
    # went in one batch.
    assert sizes == [1, CHATS]
    assert Message.objects.filter(client_id__startswith="c", kind="text").count() == CHATS
    assert not Message.objects.filter(client_id="bad").exists()


def test_a_socket_gone_while_its_post_waits_leaves_the_post_stored_and_the_others_answered(
    agent: Staff, chats: list[tuple[Visitor, Enquiry]], batches: tuple[list[int], threading.Event]
) -> None:
    """A socket that closes while its post waits for the writer: the post is committed all
    the same (the client gets it back on resync by its client_id), its answer is dropped
    without an error, and the other sockets' posts of the batch are answered; the socket
    that posted gets the ack, not its own ``message.created``."""
    sizes, release = batches

    async def body() -> None:
        staff_comm, gone = await sockets(agent, chats[0][0])
        stays = visitor_socket(visitor_token_for(chats[1][0].pk))
        await connect_ok(stays)
        await gone.send_json_to({"type": "message.post", "room": chats[0][1].room.pk, "text": "a", "client_id": "g"})
        await until(lambda: bool(sizes), "the writer to hold the first post")
        await stays.send_json_to({"type": "message.post", "room": chats[1][1].room.pk, "text": "b", "client_id": "s"})
        await until(lambda: socket_writer.writer.queued() == 1, "the second post to queue up")
        await gone.disconnect()  # raises if its consumer failed
        release.set()
        ack = await receive_until(stays, "message.ack")
        assert ack["data"]["client_id"] == "s"
        got = {(await receive_until(staff_comm, "message.created"))["data"]["message"]["client_id"] for _ in range(2)}
        assert got == {"g", "s"}
        await stays.send_json_to({"type": "ping"})
        frames = []
        while (frame := await stays.receive_json_from(timeout=5))["type"] != "pong":
            frames.append(frame["type"])
        assert "message.created" not in frames  # its own post came back as the ack only
        await stays.disconnect()
        await staff_comm.disconnect()

    run(body)
    assert sizes == [1, 1]
    assert Message.objects.filter(client_id__in=["g", "s"]).count() == 2


def test_a_post_refused_by_the_writer_is_answered_in_the_sockets_language(
    agent: Staff, chats: list[tuple[Visitor, Enquiry]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The answer to a post is sent after its batch, outside the frame that posted it; a
    refusal worded then (a lost race: 409) is still in the socket's language (?lang=)."""

    class Deadlock(Exception):
        pgcode = "40P01"

    def deadlocked(requests: Any) -> Any:
        raise Deadlock("deadlock detected")

    monkeypatch.setattr(socket_writer, "messages_post", deadlocked)
    visitor, enquiry = chats[0]

    async def body() -> None:
        comm = WebsocketCommunicator(application, f"/ws/visitor/?visitor_token={visitor_token_for(visitor.pk)}&lang=ja")
        await connect_ok(comm)
        await comm.send_json_to({"type": "message.post", "room": enquiry.room.pk, "text": "x", "client_id": "j"})
        error = await receive_until(comm, "error")
        assert error["data"]["status"] == 409 and error["data"]["client_id"] == "j"
        assert (
            error["data"]["detail"] == "同時に他の人が変更したため、何も変更されませんでした。もう一度お試しください。"
        )
        await comm.disconnect()

    run(body)


def test_a_failing_batch_answers_every_sender_and_the_writer_goes_on(
    agent: Staff, chats: list[tuple[Visitor, Enquiry]], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = socket_writer.messages_post
    calls: list[int] = []

    def failing_once(requests: Any) -> Any:
        calls.append(len(requests))
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return real(requests)

    monkeypatch.setattr(socket_writer, "messages_post", failing_once)
    visitor, enquiry = chats[0]

    async def body() -> None:
        staff_comm, visitor_comm = await sockets(agent, visitor)
        post = {"type": "message.post", "room": enquiry.room.pk, "text": "hello", "client_id": "f1"}
        await visitor_comm.send_json_to(post)
        error = await receive_until(visitor_comm, "error")
        assert error["data"]["status"] == 500 and error["data"]["client_id"] == "f1"
        await visitor_comm.send_json_to(post)  # the client's retry
        ack = await receive_until(visitor_comm, "message.ack")
        await created(staff_comm, ack["data"]["message"]["id"])
        await disconnect_all(staff_comm, visitor_comm)

    run(body)
    assert Message.objects.filter(client_id="f1").count() == 1


def test_writer_closes_its_connection_on_request() -> None:
    writer = socket_writer.SocketWriter(max_batch=4)
    writer.connections_close()  # never started: nothing to do
    assert writer._thread is None


def test_warm_up_runs_once_in_each_socket_thread_and_in_the_writer(monkeypatch: pytest.MonkeyPatch) -> None:
    writer = socket_writer.SocketWriter(max_batch=4)
    monkeypatch.setattr(socket_writer, "writer", writer)
    ran: list[str] = []
    done = threading.Condition()

    def warm() -> None:
        with done:
            ran.append(threading.current_thread().name)
            done.notify_all()

    def failing() -> None:
        raise RuntimeError("no database")

    writer.warm_up(failing)  # logged; the writer thread goes on
    consumers.socket_threads_warm_up(warm)
    with done:
        assert done.wait_for(lambda: len(ran) == consumers.DB_THREADS + 1, timeout=15), ran
    assert ran.count("socket-writer") == 1
    pool = [name for name in ran if name.startswith("socket-db")]
    assert len(set(pool)) == len(pool) == consumers.DB_THREADS  # each pool thread once
    assert writer.queued() == 0


def _post(room_id: int, text: str, client_id: str) -> dict[str, Any]:
    return {"type": "message.post", "room": room_id, "text": text, "client_id": client_id}


def test_a_full_queue_pushes_back_at_once_with_slow_down_and_stores_nothing(
    chats: list[tuple[Visitor, Enquiry]], batches: tuple[list[int], threading.Event], monkeypatch: pytest.MonkeyPatch
) -> None:
    sizes, release = batches
    monkeypatch.setattr(socket_writer.writer, "max_queued", 2)

    async def body() -> None:
        comms = [visitor_socket(visitor_token_for(v.pk)) for v, _e in chats[:4]]
        for comm in comms:
            await connect_ok(comm)
        rooms = [enquiry.room.pk for _v, enquiry in chats[:4]]
        await comms[0].send_json_to(_post(rooms[0], "first", "q0"))
        await until(lambda: bool(sizes), "the writer to hold the first post")
        for i in (1, 2):
            await comms[i].send_json_to(_post(rooms[i], f"m{i}", f"q{i}"))
        await until(lambda: socket_writer.writer.queued() == 2, "two posts to wait")
        await comms[3].send_json_to(_post(rooms[3], "one too many", "q3"))
        # Answered while the writer is still held: the refusal does not wait for it.
        slow = await receive_until(comms[3], "slow_down")
        assert slow["data"]["request"] == "message.post" and slow["data"]["client_id"] == "q3", slow
        assert slow["data"]["room"] == rooms[3] and slow["data"]["retry_after_ms"] >= 50
        # Held: a later post of that socket may not overtake the refused one.
        await comms[3].send_json_to(_post(rooms[3], "after", "q4"))
        assert (await receive_until(comms[3], "slow_down"))["data"]["client_id"] == "q4"
        assert not release.is_set()
        release.set()
        acks = [await receive_until(comm, "message.ack") for comm in comms[:3]]
        assert [a["data"]["client_id"] for a in acks] == ["q0", "q1", "q2"]
        # The client's retry, in order from the refused post: both go in.
        await comms[3].send_json_to(_post(rooms[3], "one too many", "q3"))
        await comms[3].send_json_to(_post(rooms[3], "after", "q4"))
        assert (await receive_until(comms[3], "message.ack"))["data"]["client_id"] == "q3"
        assert (await receive_until(comms[3], "message.ack"))["data"]["client_id"] == "q4"
        for comm in comms:
            await comm.disconnect()

    try:
        run(body)
    finally:
        release.set()  # never leave the writer held (its connection must close)
    assert Message.objects.filter(client_id="q3").count() == 1  # the retry only
    q3, q4 = (Message.objects.get(client_id=c) for c in ("q3", "q4"))
    assert q3.pk < q4.pk  # in the order written
    assert sizes[0] == 1 and sizes[1] == 2


def test_a_row_lock_held_elsewhere_fails_that_post_alone_with_503(
    chats: list[tuple[Visitor, Enquiry]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL: another connection holds one enquiry's row lock; the post to its room is
    answered 503 within the writer's lock timeout, posts to other rooms of the same process
    go in (they shared a batch with it, then were retried one by one)."""
    require_postgres()
    writer = socket_writer.SocketWriter(max_batch=64, lock_timeout_ms=300, statement_timeout_ms=2000)
    monkeypatch.setattr(socket_writer, "writer", writer)
    stuck = chats[0][1]
    locked, unlock = threading.Event(), threading.Event()

    def hold_lock() -> None:
        try:
            with transaction.atomic():
                Enquiry.objects.select_for_update().get(pk=stuck.pk)
                locked.set()
                unlock.wait(timeout=60)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()

    async def body() -> None:
        comms = [visitor_socket(visitor_token_for(v.pk)) for v, _e in chats[:3]]
        for comm in comms:
            await connect_ok(comm)
        await until(locked.is_set, "the other connection to hold the lock")
        started = asyncio.get_running_loop().time()
        for i, comm in enumerate(comms):
            await comm.send_json_to(_post(chats[i][1].room.pk, f"t{i}", f"t{i}"))
        acks = [await receive_until(comm, "message.ack") for comm in comms[1:]]
        assert [a["data"]["client_id"] for a in acks] == ["t1", "t2"]
        error = await receive_until(comms[0], "error")
        waited = asyncio.get_running_loop().time() - started
        assert error["data"]["status"] == 503 and error["data"]["code"] == "busy", error
        assert error["data"]["client_id"] == "t0" and error["data"]["retry_after"] >= 1
        assert waited < 4, waited  # two lock timeouts (batch, then alone) and some slack
        for comm in comms:
            await comm.disconnect()

    try:
        run(body)
    finally:
        unlock.set()
        holder.join(timeout=30)
        writer.connections_close()
    assert not Message.objects.filter(room=stuck.room, client_id="t0").exists()
    assert Message.objects.filter(client_id__in=["t1", "t2"]).count() == 2


def test_a_connection_failure_before_the_batch_is_answered_not_left_hanging(
    transactional_db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Setting the timeouts connects to the database; if that fails (an outage), the waiting
    post gets the error (the consumer answers 503) instead of waiting forever."""
    from django.db import OperationalError

    writer = socket_writer.SocketWriter(max_batch=4)

    def down() -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr(writer, "_timeouts_set", down)

    async def body() -> None:
        request = socket_writer.PostRequest(room_id=1, text="hello", client_id="down1", visitor=Visitor(pk=1))
        with pytest.raises(OperationalError):
            await asyncio.wait_for(writer.post(request), timeout=10)

    try:
        run(body)
    finally:
        writer.connections_close()


def test_batches_are_paced_by_the_minimum_interval_and_a_post_after_a_pause_goes_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 6))
        now[0] += seconds

    monkeypatch.setattr(socket_writer.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(socket_writer.time, "sleep", sleep)
    writer = socket_writer.SocketWriter(max_batch=4, min_interval_ms=20)
    writer._pace()  # the first batch: at once
    assert slept == []
    now[0] += 0.005  # the next post 5 ms after the last batch was taken: waits the 15 ms left
    writer._pace()
    assert slept == [0.015]
    now[0] += 0.5  # after a pause: at once
    writer._pace()
    assert slept == [0.015]
    unpaced = socket_writer.SocketWriter(max_batch=4, min_interval_ms=0)
    unpaced._pace()
    unpaced._pace()
    assert slept == [0.015]


def test_the_ack_is_the_message_of_its_room_event_built_once(
    handled: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The writer answers a post with the data its room's ``message.created`` carries (one
    ``message_data`` per message, not one for the event and another for the ack): the same
    as ``message_data`` of the stored message; a post answered with an earlier message
    (a retry: no event) gets it built for the ack."""
    enquiry, _owner = handled
    room = enquiry.room.pk
    requests = [PostRequest(room, f"hello {i}", f"a{i}", visitor=enquiry.visitor) for i in range(2)]
    with realtime.sends_collected() as sends:
        with django_capture_on_commit_callbacks(execute=True):  # the writer's commit
            results = messages_post(requests)
        items: list[Any] = [(r, None, None, "en", "chan.1", 0.0) for r in requests]
        created = socket_writer._skip_posters(sends, items, results)
    answers = [socket_writer._answer(result, created) for result in results]
    room_events = [m["event"]["data"]["message"] for g, m in sends.sends if room_group(room) in g]
    assert len(room_events) == 2 and all(a is e for a, e in zip(answers, room_events, strict=True))
    for answer, result in zip(answers, results, strict=True):
        assert isinstance(result, tuple)
        assert answer == message_data(Message.objects.get(pk=result[0].pk))
    # Every message.created of the batch skips the posting socket.
    assert all(m["except_channel"] == "chan.1" for _g, m in sends.sends if m["kind"] == "message.created")
    with realtime.sends_collected() as sends:
        with django_capture_on_commit_callbacks(execute=True):
            again = messages_post(requests[:1])
        created = socket_writer._skip_posters(sends, items[:1], again)
    assert isinstance(again[0], tuple) and again[0][1] is False and created == {}
    assert socket_writer._answer(again[0], created) == answers[0]
