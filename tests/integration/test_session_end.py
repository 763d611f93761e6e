"""Access ends when the session ends (issue 10): each way a staff session ends (logout,
idle expiry, deactivation, a password change, a login elsewhere) closes that staff
member's sockets at once, cookie and ticket sockets alike, kills its tokens, and nothing
reaches a closed socket afterwards. Also: one-time socket tickets, and one event per
socket for an admin who is also in the tag. Real sockets through the ASGI application."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from channels_adapters.models import Channel
from contactcenter.asgi import application
from contactcenter.org import services as org_services
from contactcenter.org.models import Staff, Tag
from enquiries import services as enquiry_services
from enquiries.auth import visitor_token_for
from enquiries.models import Visitor
from tests.integration.sockets import (
    TIMEOUT,
    browser_login,
    browser_session,
    connect_ok,
    cookie_socket,
    disconnect_all,
    receive_until,
    refused,
    run,
    staff_socket,
    visitor_socket,
)


@pytest.fixture
def witness(ws: None, make_staff: Callable[..., Staff], support: Tag) -> Staff:
    """Another agent of the tag, whose socket shows that an alert did go out."""
    return make_staff(tags=[support], name="Walt Witness")


def token_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def new_ticket(token: str) -> str:
    response = token_client(token).post("/api/v1/auth/socket-ticket")
    assert response.status_code == 200, response.content[:300]
    return response.json()["ticket"]


def logout_with(client: APIClient | Client) -> Callable[[], Awaitable[None]]:
    """An ending: log out through the API with ``client`` (a token's or a browser's)."""

    async def logout() -> None:
        response = await database_sync_to_async(client.post)("/api/v1/auth/logout")
        assert response.status_code == 204

    return logout


async def closed_with(comm: WebsocketCommunicator, reason: str) -> list[dict[str, Any]]:
    """Read until the server closes the socket: the last event must be session.ended with
    ``reason``, the close code 4001. Returns every event received before the close."""
    got: list[dict[str, Any]] = []
    while True:
        output = await comm.receive_output(timeout=TIMEOUT)
        if output["type"] == "websocket.close":
            assert output.get("code") == 4001, output
            break
        got.append(json.loads(output["text"]))
    assert got and got[-1]["type"] == "session.ended", [e["type"] for e in got]
    assert got[-1]["data"]["reason"] == reason
    return got


async def nothing_after_close(
    comm: WebsocketCommunicator, witness_comm: WebsocketCommunicator, widget: Channel, visitor: Visitor
) -> None:
    """An enquiry opens after the end: the witness gets its alert (so it has gone out),
    the closed socket gets nothing."""
    await database_sync_to_async(enquiry_services.enquiry_open)(channel=widget, visitor=visitor, message="Secret")
    while (await receive_until(witness_comm, "enquiry.opened"))["data"]["enquiry"]["first_message"] != "Secret":
        pass
    assert await comm.receive_nothing(timeout=0.05)


async def ended_for_good(
    comm: WebsocketCommunicator,
    witness_comm: WebsocketCommunicator,
    end: Callable[[], Awaitable[None]],
    reason: str,
    again: Callable[[], WebsocketCommunicator],
    seen_by: tuple[Channel, Visitor],
    code: int | None = 4401,
) -> None:
    """Both sockets connect, then ``end`` ends the session of ``comm``: it is closed with
    ``reason`` and gets nothing more (the witness gets an enquiry of ``seen_by``, a channel
    and a visitor), and a new socket of the ended session (``again()``) is refused with
    ``code``."""
    await connect_ok(comm)
    await connect_ok(witness_comm)
    await end()
    await closed_with(comm, reason)
    await nothing_after_close(comm, witness_comm, *seen_by)
    await refused(again(), code)
    await disconnect_all(comm, witness_comm)


def session_end_case(
    ending: Callable[[Staff], Awaitable[None]], reason: str
) -> Callable[[Staff, Staff, Channel, Callable[..., Visitor]], None]:
    def case(agent: Staff, witness: Staff, widget: Channel, make_visitor: Callable[..., Visitor]) -> None:
        token = org_services.token_issue(staff=agent)
        session_key = browser_login(witness)
        tickets = [new_ticket(token) for _ in range(2)]
        visitor = make_visitor(widget)

        async def body() -> None:
            # The token and the tickets of the ended session are dead.
            await ended_for_good(
                staff_socket(tickets[0]),
                cookie_socket(session_key),
                lambda: ending(agent),
                reason,
                lambda: staff_socket(tickets[1]),
                (widget, visitor),
            )

        run(body)
        response = token_client(token).get("/api/v1/me")
        assert response.status_code == 401, response.content[:300]
        agent.refresh_from_db()
        assert agent.availability == Staff.Availability.OFFLINE
        assert agent.session_expires_at is None

    return case


def test_logout_closes_sockets_and_kills_tokens(
    agent: Staff, witness: Staff, widget: Channel, make_visitor: Callable[..., Visitor]
) -> None:
    # Logout through the API, with the session's own token.
    token = org_services.token_issue(staff=agent)
    session_key = browser_login(witness)
    ticket = new_ticket(token)
    spare = new_ticket(token)
    visitor = make_visitor(widget)

    async def body() -> None:
        await ended_for_good(
            staff_socket(ticket),
            cookie_socket(session_key),
            logout_with(token_client(token)),
            "logged_out",
            lambda: staff_socket(spare),
            (widget, visitor),
        )

    run(body)
    assert token_client(token).get("/api/v1/me").status_code == 401
    agent.refresh_from_db()
    assert agent.availability == Staff.Availability.OFFLINE


def test_browser_logout_closes_the_cookie_socket(
    agent: Staff, witness: Staff, widget: Channel, make_visitor: Callable[..., Visitor]
) -> None:
    browser = browser_session(agent)
    session_key = browser.cookies["sessionid"].value
    witness_token = org_services.token_issue(staff=witness)
    witness_ticket = new_ticket(witness_token)
    visitor = make_visitor(widget)

    async def body() -> None:
        # The old cookie no longer opens a socket.
        await ended_for_good(
            cookie_socket(session_key),
            staff_socket(witness_ticket),
            logout_with(browser),
            "logged_out",
            lambda: cookie_socket(session_key),
            (widget, visitor),
            code=None,
        )

    run(body)
    agent.refresh_from_db()
    assert agent.availability == Staff.Availability.OFFLINE


def test_deactivation_closes_sockets_and_kills_tokens(
    agent: Staff, witness: Staff, admin: Staff, widget: Channel, make_visitor: Callable[..., Visitor]
) -> None:
    async def deactivate(staff: Staff) -> None:
        await database_sync_to_async(org_services.staff_update)(actor=admin, staff=staff, changes={"is_active": False})

    session_end_case(deactivate, "deactivated")(agent, witness, widget, make_visitor)


def test_password_change_closes_sockets_and_kills_tokens(
    agent: Staff, witness: Staff, admin: Staff, widget: Channel, make_visitor: Callable[..., Visitor]
) -> None:
    async def change_password(staff: Staff) -> None:
        await database_sync_to_async(org_services.staff_update)(
            actor=admin, staff=staff, changes={"password": "a-new-secret-981"}
        )

    session_end_case(change_password, "password_changed")(agent, witness, widget, make_visitor)


def touch(staff_id: int) -> None:
    """A request of ``staff_id`` now (renews its session, as the middleware does)."""
    org_services.staff_session_touch(staff=Staff.objects.get(pk=staff_id))


def test_idle_expiry_by_the_sweep_closes_sockets_and_kills_tokens(
    agent: Staff, witness: Staff, widget: Channel, make_visitor: Callable[..., Visitor], clock: Any
) -> None:
    async def idle(staff: Staff) -> None:
        clock.advance(settings.CC_IDLE_TIMEOUT_SECONDS - 100)
        await database_sync_to_async(touch)(witness.pk)  # the witness was active meanwhile
        clock.advance(101)
        swept = await database_sync_to_async(enquiry_services.timers_sweep)()
        assert swept["sessions_expired"] == 1

    session_end_case(idle, "idle")(agent, witness, widget, make_visitor)


def test_idle_socket_ends_itself_before_the_sweep(
    agent: Staff, witness: Staff, widget: Channel, make_visitor: Callable[..., Visitor], clock: Any
) -> None:
    """The sweep has not come by (Celery down): the first event after the idle time is not
    forwarded; the socket ends the session itself and closes."""

    async def idle(staff: Staff) -> None:
        clock.advance(settings.CC_IDLE_TIMEOUT_SECONDS - 100)
        await database_sync_to_async(touch)(witness.pk)
        clock.advance(101)
        await database_sync_to_async(enquiry_services.enquiry_open)(
            channel=widget, visitor=early, message="After the idle time"
        )

    early = make_visitor(widget)
    session_end_case(idle, "idle")(agent, witness, widget, make_visitor)


def test_socket_activity_renews_the_session(agent: Staff, clock: Any) -> None:
    """A post or typing on the socket counts as activity (pings do not)."""
    token = org_services.token_issue(staff=agent)
    ticket = new_ticket(token)

    async def body() -> None:
        comm = staff_socket(ticket)
        await connect_ok(comm)
        clock.advance(settings.CC_IDLE_TIMEOUT_SECONDS - 100)
        await comm.send_json_to({"type": "ping"})
        await receive_until(comm, "pong")
        assert await database_sync_to_async(expires_of)(agent.pk) == before
        await comm.send_json_to({"type": "typing", "room": 999999})
        await receive_until(comm, "error")  # no such room; typing still shows activity
        renewed = await database_sync_to_async(expires_of)(agent.pk)
        assert renewed == clock.now + dt.timedelta(seconds=settings.CC_IDLE_TIMEOUT_SECONDS)
        await comm.disconnect()

    before = expires_of(agent.pk)
    run(body)


def expires_of(staff_id: int) -> Any:
    return Staff.objects.get(pk=staff_id).session_expires_at


# ---------------------------------------------------------------------------- socket tickets


def test_ticket_opens_one_socket_once_without_origin(agent: Staff) -> None:
    token = org_services.token_issue(staff=agent)
    ticket = new_ticket(token)

    async def body() -> None:
        comm = staff_socket(ticket)  # no Origin header: an API client
        hello = await connect_ok(comm)
        assert hello["data"]["staff_id"] == agent.pk
        await refused(staff_socket(ticket))
        await comm.disconnect()

    run(body)


def test_ticket_expires_after_30_seconds(agent: Staff, clock: Any) -> None:
    token = org_services.token_issue(staff=agent)
    fresh, stale = new_ticket(token), new_ticket(token)

    async def body() -> None:
        clock.advance(29)
        comm = staff_socket(fresh)
        await connect_ok(comm)
        clock.advance(2)
        await refused(staff_socket(stale))
        await comm.disconnect()

    run(body)


def test_ticket_refused_for_a_deactivated_staff(agent: Staff, admin: Staff) -> None:
    token = org_services.token_issue(staff=agent)
    ticket = new_ticket(token)
    org_services.staff_update(actor=admin, staff=agent, changes={"is_active": False})

    async def body() -> None:
        await refused(staff_socket(ticket))

    run(body)
    assert token_client(token).post("/api/v1/auth/socket-ticket").status_code == 401


def test_token_in_the_url_is_refused(agent: Staff, witness: Staff) -> None:
    """?token= is refused even with a live token, an allowed Origin, or a good cookie."""
    token = org_services.token_issue(staff=agent)
    session_key = browser_login(witness)

    async def body() -> None:
        for comm in (
            WebsocketCommunicator(
                application, f"/ws/staff/?token={token}", headers=[(b"origin", b"http://127.0.0.1:8000")]
            ),
            WebsocketCommunicator(
                application,
                f"/ws/staff/?token={token}",
                headers=[(b"origin", b"http://127.0.0.1:8000"), (b"cookie", f"sessionid={session_key}".encode())],
            ),
        ):
            await refused(comm, code=None)

    run(body)


def test_ticket_endpoint_takes_token_auth_only(agent: Staff) -> None:
    browser = browser_session(agent)
    assert browser.post("/api/v1/auth/socket-ticket").status_code in (401, 403)
    assert APIClient().post("/api/v1/auth/socket-ticket").status_code == 401


# ---------------------------------------------------------------------------- one event per socket


def test_admin_in_the_tag_gets_each_enquiry_event_once(
    ws: None,
    make_staff: Callable[..., Staff],
    support: Tag,
    widget: Channel,
    make_visitor: Callable[..., Visitor],
    clock: Any,
) -> None:
    boss = make_staff(role=Staff.Role.ADMIN, tags=[support], name="Boss Admin")
    token = org_services.token_issue(staff=boss)
    ticket = new_ticket(token)
    visitor = make_visitor(widget)

    async def body() -> None:
        comm = staff_socket(ticket)
        await connect_ok(comm)
        enquiry = await database_sync_to_async(enquiry_services.enquiry_open)(
            channel=widget, visitor=visitor, message="Hello?"
        )
        got = await events_until(comm, "enquiry.opened")
        assert got[-1]["data"]["enquiry"]["id"] == enquiry.pk
        assert got[-1]["data"]["enquiry"]["offered"] is True  # the copy it can pick up
        clock.advance(settings.CC_ENQUIRY_MAX_WAIT_SECONDS)
        await database_sync_to_async(enquiry_services.timers_sweep)()
        got = await events_until(comm, "enquiry.missed")
        assert [e["type"] for e in got].count("enquiry.opened") == 0, got  # no second copy
        # A later event marks the end: no second enquiry.missed came before it.
        await database_sync_to_async(org_services.staff_set_availability)(
            actor=boss, staff=boss, availability=Staff.Availability.BUSY
        )
        got = await events_until(comm, "staff.availability")
        assert [e["type"] for e in got] == ["staff.availability"], got
        await comm.disconnect()

    run(body)


async def events_until(comm: WebsocketCommunicator, type_: str) -> list[dict[str, Any]]:
    """Every event up to and including the first of ``type_``."""
    got: list[dict[str, Any]] = []
    while not got or got[-1]["type"] != type_:
        got.append(await comm.receive_json_from(timeout=TIMEOUT))
    return got


# ---------------------------------------------------------------------------- visitor tokens


def test_revoking_closes_the_visitor_socket(
    agent: Staff, admin: Staff, widget: Channel, make_visitor: Callable[..., Visitor]
) -> None:
    visitor = make_visitor(widget)
    token = visitor_token_for(visitor.pk, visitor.token_epoch)

    async def body() -> None:
        comm = visitor_socket(token)
        await connect_ok(comm)
        await database_sync_to_async(enquiry_services.visitor_tokens_revoke)(actor=admin, visitor_id=visitor.pk)
        event = await comm.receive_json_from(timeout=TIMEOUT)
        assert event == {"type": "session.ended", "data": {"reason": "revoked"}}
        closed = await comm.receive_output(timeout=TIMEOUT)
        assert closed["type"] == "websocket.close" and closed.get("code") == 4401
        await refused(visitor_socket(token))
        await comm.disconnect()

    run(body)


def test_expired_visitor_token_is_refused_and_an_old_one_renewed(
    agent: Staff, widget: Channel, make_visitor: Callable[..., Visitor], clock: Any
) -> None:
    visitor = make_visitor(widget)
    token = visitor_token_for(visitor.pk)
    life = settings.CC_VISITOR_TOKEN_MAX_AGE_SECONDS

    async def body() -> None:
        clock.advance(life * 0.5)
        comm = visitor_socket(token)
        await connect_ok(comm)
        renewed = await comm.receive_json_from(timeout=TIMEOUT)
        assert renewed["type"] == "visitor.token_renewed"
        fresh = renewed["data"]["token"]
        clock.advance(life * 0.5)
        await refused(visitor_socket(token))
        good = visitor_socket(fresh)
        await connect_ok(good)
        await disconnect_all(comm, good)

    run(body)
