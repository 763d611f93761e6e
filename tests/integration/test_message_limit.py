"""CC_MESSAGE_MAX_CHARS is the one limit on a message's length: REST and sockets accept and
refuse the same texts, whatever the setting (issue 11: REST had 10000 hard-coded)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from contactcenter.org.models import Staff, Tag
from enquiries.auth import visitor_token_for
from enquiries.models import Enquiry, Visitor
from rooms.models import Message
from tests.conftest import api_client_for
from tests.integration.sockets import (
    connect_ok,
    run,
    visitor_socket,
)


def _socket_post(visitor: Visitor, room_id: int, text: str, client_id: str) -> dict[str, Any]:
    answer: dict[str, Any] = {}

    async def body() -> None:
        comm = visitor_socket(visitor_token_for(visitor.pk))
        await connect_ok(comm)
        await comm.send_json_to({"type": "message.post", "room": room_id, "text": text, "client_id": client_id})
        while True:
            frame = await comm.receive_json_from(timeout=10)
            if frame["type"] in ("message.ack", "error"):
                answer.update(frame)
                break
        await comm.disconnect()

    run(body)
    return answer


@pytest.mark.parametrize("limit", [50, 12_000])
def test_rest_and_socket_follow_the_setting_alike(
    ws: None,
    settings: Any,
    picked_up: Callable[..., Enquiry],
    make_staff: Callable[..., Staff],
    support: Tag,
    limit: int,
) -> None:
    settings.CC_MESSAGE_MAX_CHARS = limit
    enquiry = picked_up(make_staff(tags=[support]))
    visitor = enquiry.visitor
    room_id = enquiry.room.pk
    client = api_client_for(visitor)
    for length, accepted in ((limit, True), (limit + 1, False)):
        text = "x" * length
        rest = client.post(
            f"/api/v1/rooms/{room_id}/messages", {"text": text, "client_id": f"r{length}"}, format="json"
        )
        socket = _socket_post(visitor, room_id, text, f"s{length}")
        if accepted:
            assert rest.status_code == 201, rest.json()
            assert socket["type"] == "message.ack", socket
        else:
            assert rest.status_code == 400 and "text" in rest.json(), rest.json()
            assert socket["type"] == "error" and socket["data"]["status"] == 400, socket
            assert rest.json()["detail"] == socket["data"]["detail"]
    stored = sorted(Message.objects.filter(room_id=room_id).exclude(client_id="").values_list("client_id", flat=True))
    assert stored == sorted([f"r{limit}", f"s{limit}"])
