"""Directory availability over the visitor socket (issue 13): a visitor socket joins its
channel's group, so a change of someone in that channel's directory arrives live; a
visitor of another channel, whose directory does not show that person, gets nothing."""

from __future__ import annotations

from collections.abc import Callable

from channels.db import database_sync_to_async

from channels_adapters.models import Channel
from contactcenter.org import services as org_services
from contactcenter.org.models import Staff, Tag
from enquiries.auth import visitor_token_for
from enquiries.models import Visitor
from tests.integration.sockets import connect_ok, events_before_pong, receive_until, run, visitor_socket


def test_directory_change_reaches_only_that_channel_s_visitors(
    agent: Staff,
    support: Tag,
    make_staff: Callable[..., Staff],
    make_channel: Callable[..., Channel],
    make_visitor: Callable[..., Visitor],
) -> None:
    other = make_staff(tags=[support], name="Olga Other")
    mine = make_channel(tag=support, show_staff_directory=True, directory_staff=[agent.pk])
    theirs = make_channel(tag=support, show_staff_directory=True, directory_staff=[other.pk])
    here, there = make_visitor(mine), make_visitor(theirs)

    async def body() -> None:
        near = visitor_socket(visitor_token_for(here.pk))
        far = visitor_socket(visitor_token_for(there.pk))
        await connect_ok(near)
        await connect_ok(far)
        await database_sync_to_async(org_services.staff_set_availability)(
            actor=agent, staff=agent, availability=Staff.Availability.AWAY
        )
        event = await receive_until(near, "staff.availability")
        assert event == {"type": "staff.availability", "data": {"staff_id": agent.pk, "availability": "away"}}
        assert await events_before_pong(far) == []
        await near.disconnect()
        await far.disconnect()

    run(body)
