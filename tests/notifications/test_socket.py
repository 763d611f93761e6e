"""Notifications live over the staff socket, through the real ASGI application: a mention
arrives as notification.created on the mentioned member's sockets (both tabs), nobody
else's; marking it read in one tab reaches the other as notification.read."""

from __future__ import annotations

from collections.abc import Callable

from channels.db import database_sync_to_async

from contactcenter.org import services as org_services
from contactcenter.org.models import Staff
from notifications.services import notifications_mark
from rooms import spaces
from rooms.services import message_post
from tests.integration.conftest import ws  # noqa: F401 - the fixture: committed data, a layer of our own
from tests.integration.sockets import aticket_for, connect_ok, events_before_pong, receive_until, run, staff_socket


def test_mention_arrives_live_and_read_syncs_tabs(ws: None, make_staff: Callable[..., Staff]) -> None:  # noqa: F811
    ann = make_staff(name="Ann Agent")
    bob = make_staff(name="Bob Builder", email="bob@example.com")
    cat = make_staff(name="Cat Carter")
    room = spaces.space_create(actor=ann, name="Ops", members=[bob.pk, cat.pk])
    bob_token = org_services.token_issue(staff=bob)
    cat_token = org_services.token_issue(staff=cat)

    async def body() -> None:
        tab1 = staff_socket(await aticket_for(bob_token))
        tab2 = staff_socket(await aticket_for(bob_token))
        cat_socket = staff_socket(await aticket_for(cat_token))
        for comm in (tab1, tab2, cat_socket):
            await connect_ok(comm)
        message, _ = await database_sync_to_async(message_post)(room_id=room.pk, text="@bob see this", staff=ann)
        for comm in (tab1, tab2):
            event = await receive_until(comm, "notification.created")
            data = event["data"]
            assert data["unread"] == 1
            assert data["notification"]["kind"] == "mention" and data["notification"]["room"] == room.pk
            assert data["notification"]["data"]["excerpt"] == "@bob see this"
            assert data["notification"]["data"]["message"] == message.pk
        # Cat saw the message, but no notification.
        assert "notification.created" not in [e["type"] for e in await events_before_pong(cat_socket)]

        notification_id = data["notification"]["id"]
        await database_sync_to_async(notifications_mark)(actor=bob, ids=[notification_id])
        for comm in (tab1, tab2):
            event = await receive_until(comm, "notification.read")
            assert event["data"] == {"ids": [notification_id], "all": False, "read": True, "unread": 0}
        for comm in (tab1, tab2, cat_socket):
            await comm.disconnect()

    run(body)
