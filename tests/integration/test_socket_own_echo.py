"""A socket's own post is answered by its ack alone: its ``message.created`` goes to everyone
else in the room, the poster's other sockets included, but not back to the socket that
posted it (contactcenter.gateway.consumers module docstring). The event's JSON travels
encoded once (realtime._message) and reaches every other socket as the same text."""

from __future__ import annotations

from collections.abc import Callable

from contactcenter.org.models import Staff
from enquiries.auth import visitor_token_for
from enquiries.models import Enquiry
from tests.integration.sockets import (
    connect_ok,
    created,
    disconnect_all,
    events_before_pong,
    receive_until,
    run,
    sockets,
    visitor_socket,
)


def test_the_posting_socket_gets_its_ack_and_no_echo_its_other_sockets_get_the_message(
    agent: Staff, picked_up: Callable[..., Enquiry]
) -> None:
    enquiry = picked_up(agent)

    async def body() -> None:
        staff_comm, poster = await sockets(agent, enquiry.visitor)
        other_tab = visitor_socket(visitor_token_for(enquiry.visitor.pk))
        await connect_ok(other_tab)
        await poster.send_json_to({"type": "message.post", "room": enquiry.room.pk, "text": "hi", "client_id": "e1"})
        ack = await receive_until(poster, "message.ack")
        message = ack["data"]["message"]
        assert message["text"] == "hi" and ack["data"]["client_id"] == "e1"
        assert (await created(other_tab, message["id"]))["text"] == "hi"
        assert (await created(staff_comm, message["id"]))["text"] == "hi"
        # Everything the server sent the poster before a pong has arrived with it: no echo.
        echoed = [e for e in await events_before_pong(poster) if e.get("type") == "message.created"]
        assert echoed == []
        # The agent's own post: the same rule on the staff side; the visitor gets it.
        await staff_comm.send_json_to(
            {"type": "message.post", "room": enquiry.room.pk, "text": "yo", "client_id": "s1"}
        )
        reply = (await receive_until(staff_comm, "message.ack"))["data"]["message"]
        assert (await created(poster, reply["id"]))["text"] == "yo"
        echoed = [e for e in await events_before_pong(staff_comm) if e.get("type") == "message.created"]
        assert echoed == []
        await disconnect_all(staff_comm, poster, other_tab)

    run(body)
