"""Staff and visitor sockets through the real ASGI application (SPEC sections 7 and 8),
driven by WebsocketCommunicator. Services run through database_sync_to_async, so their
events go out on commit through the configured channel layer, as in production.

pytest-asyncio is not a dependency: each test body is a coroutine run by async_to_sync."""

from __future__ import annotations

import asyncio
import copy
import os
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from channels_adapters.models import Channel
from contactcenter import services as org_services
from contactcenter.asgi import application
from contactcenter.consumers import socket_db_connections_close
from contactcenter.models import Staff, Tag
from enquiries import services as enquiry_services
from enquiries.auth import visitor_token_for
from enquiries.models import Visitor
from rooms import services as room_services
from tests.conftest import PASSWORD

TIMEOUT = 5
GOOD_ORIGIN = (b"origin", b"http://127.0.0.1:8000")


def run(coro_fn: Callable[[], Awaitable[None]]) -> None:
    async_to_sync(coro_fn)()


def staff_socket(ticket: str, *, origin: tuple[bytes, bytes] | None = None) -> WebsocketCommunicator:
    """An API client's staff socket: a one-time ticket (ticket_for), no Origin needed."""
    headers = [origin] if origin else []
    return WebsocketCommunicator(application, f"/ws/staff/?ticket={ticket}", headers=headers)


def ticket_for(token: str) -> str:
    """A one-time socket ticket, as POST /api/v1/auth/socket-ticket gives an API client."""
    staff = org_services.token_authenticate(token)
    assert staff is not None, "token is not live"
    return org_services.socket_ticket_issue(staff=staff)


async def aticket_for(token: str) -> str:
    return await database_sync_to_async(ticket_for)(token)


def cookie_socket(session_key: str, *, origin: tuple[bytes, bytes] | None = GOOD_ORIGIN) -> WebsocketCommunicator:
    """The dashboard's staff socket: the session cookie, from an allowed Origin."""
    headers = [(b"cookie", f"sessionid={session_key}".encode())]
    if origin:
        headers.append(origin)
    return WebsocketCommunicator(application, "/ws/staff/", headers=headers)


def visitor_socket(token: str) -> WebsocketCommunicator:
    return WebsocketCommunicator(application, f"/ws/visitor/?visitor_token={token}")


async def receive_until(comm: WebsocketCommunicator, type_: str, timeout: float = TIMEOUT) -> dict[str, Any]:
    """Read events until one of ``type_`` arrives (others are skipped); fail after ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    seen: list[str] = []
    while True:
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise AssertionError(f"no {type_} within {timeout}s; got {seen}")
        try:
            event = await comm.receive_json_from(timeout=remaining)
        except TimeoutError:
            raise AssertionError(f"no {type_} within {timeout}s; got {seen}") from None
        if event.get("type") == type_:
            return event
        seen.append(event.get("type", "?"))


async def events_before_pong(comm: WebsocketCommunicator, timeout: float = TIMEOUT) -> list[dict[str, Any]]:
    """Every event that reaches the socket before the answer to a ping sent now.

    A check that something did *not* happen waits for this positive event instead of
    waiting a fixed time, which a busy machine may need more of: whatever the server had
    sent the socket before the ping has arrived by the time the pong does."""
    await comm.send_json_to({"type": "ping"})
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    events: list[dict[str, Any]] = []
    while True:
        remaining = deadline - loop.time()
        try:
            event = await comm.receive_json_from(timeout=max(remaining, 0.001))
        except TimeoutError:
            raise AssertionError(f"no pong within {timeout}s; got {events}") from None
        if event.get("type") == "pong":
            return events
        events.append(event)


def types_of(events: list[dict[str, Any]]) -> list[str]:
    return [str(event.get("type")) for event in events]


async def connect_ok(comm: WebsocketCommunicator) -> dict[str, Any]:
    connected, code = await comm.connect(timeout=TIMEOUT)
    assert connected, f"refused with code {code}"
    hello = await comm.receive_json_from(timeout=TIMEOUT)
    assert hello["type"] == "hello"
    return hello


@pytest.fixture
def ws(transactional_db: Any, settings: Any) -> Iterator[None]:
    """Sockets need committed data: the services run on other connections and threads.

    On Redis, this run's groups get a prefix of their own, so that another test run on the
    same Redis cannot send into our sockets (Channels rebuilds its layers on the change)."""
    layers = copy.deepcopy(settings.CHANNEL_LAYERS)
    if "redis" in layers["default"]["BACKEND"]:
        layers["default"].setdefault("CONFIG", {})["prefix"] = f"asgi-test-{os.getpid()}"
        settings.CHANNEL_LAYERS = layers
    yield
    # The consumers' own database threads keep connections open: close them, or the test
    # database cannot be dropped at the end of the session.
    socket_db_connections_close()


@pytest.fixture
def agent(ws: None, make_staff: Callable[..., Staff], support: Tag) -> Staff:
    return make_staff(tags=[support], name="Alice Agent")


def test_staff_socket_receives_enquiry_opened(
    agent: Staff, widget: Channel, make_visitor: Callable[..., Visitor]
) -> None:
    token = org_services.token_issue(staff=agent)
    visitor = make_visitor(widget)

    async def body() -> None:
        comm = staff_socket(await aticket_for(token))
        hello = await connect_ok(comm)
        assert hello["data"]["staff_id"] == agent.pk
        enquiry = await database_sync_to_async(enquiry_services.enquiry_open)(
            channel=widget, visitor=visitor, message="Where is my order?"
        )
        event = await receive_until(comm, "enquiry.opened")
        assert event["data"]["enquiry"]["id"] == enquiry.pk
        assert event["data"]["enquiry"]["first_message"] == "Where is my order?"
        await comm.disconnect()

    run(body)


def test_staff_socket_bad_ticket_is_refused(agent: Staff) -> None:
    async def body() -> None:
        for ticket in ("", "not-a-ticket", "0" * 40):
            comm = staff_socket(ticket)
            connected, code = await comm.connect(timeout=TIMEOUT)
            assert not connected
            assert code == 4401
            await comm.disconnect()

    run(body)


def test_cookie_socket_wrong_origin_is_refused(agent: Staff) -> None:
    session_key = browser_login(agent)

    async def body() -> None:
        for origin in ((b"origin", b"https://evil.example.com"), None):
            comm = cookie_socket(session_key, origin=origin)
            connected, _ = await comm.connect(timeout=TIMEOUT)
            assert not connected, f"origin {origin!r} was accepted"
            await comm.disconnect()
        # The same cookie from an allowed origin is fine.
        comm = cookie_socket(session_key)
        await connect_ok(comm)
        await comm.disconnect()

    run(body)


def browser_login(staff: Staff) -> str:
    """Log ``staff`` in as the login page does; returns the session key (the cookie)."""
    from django.test import Client

    client = Client()
    response = client.post(
        "/api/v1/auth/session",
        {"email": staff.email, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content[:300]
    return client.cookies["sessionid"].value


def test_visitor_socket_receives_agent_messages(
    agent: Staff, widget: Channel, make_visitor: Callable[..., Visitor]
) -> None:
    visitor = make_visitor(widget)
    enquiry = enquiry_services.enquiry_open(channel=widget, visitor=visitor, message="Hello?")
    room_id = enquiry.room.pk

    async def body() -> None:
        comm = visitor_socket(visitor_token_for(visitor.pk))
        hello = await connect_ok(comm)
        assert hello["data"]["visitor_id"] == visitor.pk
        await database_sync_to_async(enquiry_services.enquiry_pick_up)(actor=agent, enquiry_id=enquiry.pk)
        await receive_until(comm, "enquiry.picked_up")
        await database_sync_to_async(room_services.message_post)(room_id=room_id, text="Hi, I'm Alice.", staff=agent)
        event = await receive_until(comm, "message.created")
        assert event["data"]["message"]["text"] == "Hi, I'm Alice."
        await comm.disconnect()

    run(body)


def test_visitor_socket_bad_token_is_refused(ws: None, make_visitor: Callable[..., Visitor]) -> None:
    visitor = make_visitor()
    forged = visitor_token_for(visitor.pk)[:-2] + "xx"

    async def body() -> None:
        for token in ("", "garbage", forged):
            comm = visitor_socket(token)
            connected, code = await comm.connect(timeout=TIMEOUT)
            assert not connected
            assert code == 4401
            await comm.disconnect()

    run(body)


def test_visitor_socket_only_sees_its_own_conversation(
    agent: Staff, widget: Channel, make_visitor: Callable[..., Visitor]
) -> None:
    mine, other = make_visitor(widget), make_visitor(widget)
    theirs = enquiry_services.enquiry_open(channel=widget, visitor=other, message="Hello?")
    enquiry_services.enquiry_pick_up(actor=agent, enquiry_id=theirs.pk)

    async def body() -> None:
        comm = visitor_socket(visitor_token_for(mine.pk))
        await connect_ok(comm)
        await database_sync_to_async(room_services.message_post)(room_id=theirs.room.pk, text="Secret", staff=agent)
        assert await events_before_pong(comm) == []
        await comm.disconnect()

    run(body)


def test_new_login_ends_the_old_staff_socket(agent: Staff) -> None:
    token = org_services.token_issue(staff=agent)
    spare = ticket_for(token)

    async def body() -> None:
        comm = staff_socket(await aticket_for(token))
        await connect_ok(comm)
        await database_sync_to_async(org_services.token_issue)(staff=agent)
        event = await receive_until(comm, "session.ended")
        assert event["data"]["reason"] == "signed_in_elsewhere"
        closed = await comm.receive_output(timeout=TIMEOUT)
        assert closed["type"] == "websocket.close"
        assert closed.get("code") == 4001
        # A ticket of the old session no longer opens a socket.
        again = staff_socket(spare)
        connected, code = await again.connect(timeout=TIMEOUT)
        assert not connected and code == 4401
        await again.disconnect()

    run(body)


def test_picked_up_enquiry_joins_owner_to_room(
    agent: Staff, widget: Channel, make_visitor: Callable[..., Visitor]
) -> None:
    """After picking up, the owner's open socket follows the room's messages."""
    token = org_services.token_issue(staff=agent)
    visitor = make_visitor(widget)
    enquiry = enquiry_services.enquiry_open(channel=widget, visitor=visitor, message="Hello?")

    async def body() -> None:
        comm = staff_socket(await aticket_for(token))
        await connect_ok(comm)
        await database_sync_to_async(enquiry_services.enquiry_pick_up)(actor=agent, enquiry_id=enquiry.pk)
        await receive_until(comm, "enquiry.picked_up")
        await database_sync_to_async(room_services.message_post)(
            room_id=enquiry.room.pk, text="Is anyone there?", visitor=visitor
        )
        event = await receive_until(comm, "message.created")
        assert event["data"]["message"]["text"] == "Is anyone there?"
        await comm.disconnect()

    run(body)
