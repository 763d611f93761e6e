"""The socket writer (contactcenter/socket_writer.py): posts from many sockets are committed
together, each socket gets its own answer, and a failure reaches only its sender."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest

from channels_adapters.models import Channel
from contactcenter import socket_writer
from contactcenter.auth import visitor_token_for
from contactcenter.models import Staff, Tag
from enquiries import services as enquiry_services
from enquiries.models import Enquiry, Visitor
from rooms.models import Message
from tests.integration.test_socket_protocol import created, sockets
from tests.integration.test_websockets import (
    connect_ok,
    receive_until,
    run,
    visitor_socket,
    ws,  # noqa: F401 - fixture
)

CHATS = 6


@pytest.fixture
def agent(ws: None, make_staff: Callable[..., Staff], support: Tag) -> Staff:  # noqa: F811 - the ws fixture
    return make_staff(tags=[support], name="Alice Agent", max_concurrent=CHATS + 1)


@pytest.fixture
def chats(agent: Staff, widget: Channel, make_visitor: Callable[..., Visitor]) -> list[tuple[Visitor, Enquiry]]:
    found = []
    for _ in range(CHATS):
        visitor = make_visitor(widget)
        enquiry = enquiry_services.enquiry_open(channel=widget, visitor=visitor, message="Hello?")
        found.append((visitor, enquiry_services.enquiry_pick_up(actor=agent, enquiry_id=enquiry.pk)))
    return found


async def until(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    """Wait for ``condition``, checking often; fail after ``timeout`` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)


@pytest.fixture
def batches(monkeypatch: pytest.MonkeyPatch) -> tuple[list[int], threading.Event]:
    """Batch sizes the writer posted; the first batch waits for the returned event, so that
    everything posted meanwhile queues up behind it."""
    sizes: list[int] = []
    release = threading.Event()
    real = socket_writer.messages_post

    def recording(requests: Any) -> Any:
        sizes.append(len(requests))
        if len(sizes) == 1:
            assert release.wait(timeout=60), "the test never released the first batch"
        return real(requests)

    monkeypatch.setattr(socket_writer, "messages_post", recording)
    return sizes, release


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
        # time, which a busy machine may need more of). The refused post is not among
        # them: its socket sends it only once its own first post has been answered.
        await until(lambda: socket_writer.writer.queued() == CHATS - 1, "the other posts to queue up")
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
    # The five other sockets' posts queued up behind the first and went in one batch; a
    # socket's own messages are handled one after the other, so its refused post came next.
    assert sizes == [1, CHATS - 1, 1]
    assert Message.objects.filter(client_id__startswith="c", kind="text").count() == CHATS
    assert not Message.objects.filter(client_id="bad").exists()


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
        await staff_comm.disconnect()
        await visitor_comm.disconnect()

    run(body)
    assert Message.objects.filter(client_id="f1").count() == 1


def test_writer_closes_its_connection_on_request() -> None:
    writer = socket_writer.SocketWriter(max_batch=4)
    writer.connections_close()  # never started: nothing to do
    assert writer._thread is None
