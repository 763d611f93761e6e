"""Helpers for the socket tests through the real ASGI application, driven by
WebsocketCommunicator (tests/integration/conftest.py has the ``ws`` fixture they need).

pytest-asyncio is not a dependency: each test body is a coroutine run by async_to_sync."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from contactcenter.asgi import application
from contactcenter.org import services as org_services
from contactcenter.org.models import Staff
from enquiries.auth import visitor_token_for
from enquiries.models import Visitor
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


async def first_matching(
    receive: Callable[[float], Awaitable[dict[str, Any]]],
    matches: Callable[[dict[str, Any]], bool],
    *,
    timeout: float,
    what: str,
) -> dict[str, Any]:
    """Read events with ``receive(seconds left)`` until one ``matches`` (the others are
    skipped); fail after ``timeout``, naming ``what`` and the types skipped."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    seen: list[str] = []
    while True:
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise AssertionError(f"no {what} within {timeout}s; got {seen}")
        try:
            event = await receive(remaining)
        except TimeoutError:
            raise AssertionError(f"no {what} within {timeout}s; got {seen}") from None
        if matches(event):
            return event
        seen.append(event.get("type", "?"))


async def receive_until(comm: WebsocketCommunicator, type_: str, timeout: float = TIMEOUT) -> dict[str, Any]:
    """Read events until one of ``type_`` arrives (others are skipped); fail after ``timeout``."""
    return await first_matching(
        lambda seconds: comm.receive_json_from(timeout=seconds),
        lambda event: event.get("type") == type_,
        timeout=timeout,
        what=type_,
    )


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


async def refused(comm: WebsocketCommunicator, code: int | None = 4401, *, what: str = "the socket") -> None:
    """``comm`` does not connect (closed with ``code``, unless None); then disconnects it."""
    connected, got = await comm.connect(timeout=TIMEOUT)
    assert not connected, f"{what} was accepted"
    if code is not None:
        assert got == code, f"refused with code {got}, not {code}"
    await comm.disconnect()


async def disconnect_all(*comms: WebsocketCommunicator) -> None:
    for comm in comms:
        await comm.disconnect()


def browser_session(staff: Staff) -> Client:
    """A browser that has logged ``staff`` in as the login page does."""
    client = Client()
    response = client.post(
        "/api/v1/auth/session",
        {"email": staff.email, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content[:300]
    return client


def browser_login(staff: Staff) -> str:
    """Log ``staff`` in as the login page does; returns the session key (the cookie)."""
    return browser_session(staff).cookies["sessionid"].value


async def created(comm: WebsocketCommunicator, message_id: int) -> dict[str, Any]:
    """The message.created of ``message_id``; a socket also sees its own messages, in any
    order relative to its acks."""
    while True:
        event = await receive_until(comm, "message.created")
        if event["data"]["message"]["id"] == message_id:
            return dict(event["data"]["message"])


async def sockets(staff: Staff, visitor: Visitor) -> tuple[WebsocketCommunicator, WebsocketCommunicator]:
    token = await database_sync_to_async(org_services.token_issue)(staff=staff)
    staff_comm, visitor_comm = staff_socket(await aticket_for(token)), visitor_socket(visitor_token_for(visitor.pk))
    await connect_ok(staff_comm)
    await connect_ok(visitor_comm)
    return staff_comm, visitor_comm


async def until(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    """Wait for ``condition``, checking often; fail after ``timeout`` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)
