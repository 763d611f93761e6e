"""Staff and visitor sockets through the real ASGI application (SPEC sections 7 and 8),
driven by WebsocketCommunicator. Services run through database_sync_to_async, so their
events go out on commit through the configured channel layer, as in production."""

from __future__ import annotations

from collections.abc import Callable

from channels.db import database_sync_to_async

from channels_adapters.models import Channel
from contactcenter.org import services as org_services
from contactcenter.org.models import Staff
from enquiries import services as enquiry_services
from enquiries.auth import visitor_token_for
from enquiries.models import Enquiry, Visitor
from rooms import services as room_services
from tests.integration.sockets import (
    TIMEOUT,
    aticket_for,
    browser_login,
    connect_ok,
    cookie_socket,
    events_before_pong,
    receive_until,
    refused,
    run,
    staff_socket,
    ticket_for,
    visitor_socket,
)


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
            await refused(staff_socket(ticket))

    run(body)


def test_cookie_socket_wrong_origin_is_refused(agent: Staff) -> None:
    session_key = browser_login(agent)

    async def body() -> None:
        for origin in ((b"origin", b"https://evil.example.com"), None):
            await refused(cookie_socket(session_key, origin=origin), code=None, what=f"origin {origin!r}")
        # The same cookie from an allowed origin is fine.
        comm = cookie_socket(session_key)
        await connect_ok(comm)
        await comm.disconnect()

    run(body)


def test_visitor_socket_receives_agent_messages(agent: Staff, open_enquiry: Callable[..., Enquiry]) -> None:
    enquiry = open_enquiry()
    visitor = enquiry.visitor
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
            await refused(visitor_socket(token))

    run(body)


def test_visitor_socket_only_sees_its_own_conversation(
    agent: Staff, widget: Channel, make_visitor: Callable[..., Visitor], picked_up: Callable[..., Enquiry]
) -> None:
    mine = make_visitor(widget)
    theirs = picked_up(agent)

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
        await refused(staff_socket(spare))

    run(body)


def test_picked_up_enquiry_joins_owner_to_room(agent: Staff, open_enquiry: Callable[..., Enquiry]) -> None:
    """After picking up, the owner's open socket follows the room's messages."""
    token = org_services.token_issue(staff=agent)
    enquiry = open_enquiry()
    visitor = enquiry.visitor

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
