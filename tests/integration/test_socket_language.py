"""A staff socket's refusals are worded in the staff member's language (README "Languages"):
their own choice, else the browser's Accept-Language of the handshake, as over REST."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from django.core.cache import caches

from contactcenter.asgi import application
from contactcenter.org import services as org_services
from contactcenter.org.models import Staff
from enquiries.models import Enquiry
from tests.integration.sockets import aticket_for, connect_ok, run

pytestmark = pytest.mark.usefixtures("ws")


@pytest.fixture(autouse=True)
def _limits(settings: Any, clock: Any) -> Iterator[Any]:
    settings.CC_STAFF_MESSAGE_RATE = "1/10s"
    local = caches["default"]
    assert local.__class__.__name__ == "LocMemCache"  # never clear() a shared Redis
    local.clear()
    yield clock
    local.clear()


async def _refusal(comm: WebsocketCommunicator, room_id: int) -> dict[str, Any]:
    for text in ("one", "two"):
        await comm.send_json_to({"type": "message.post", "room": room_id, "text": text, "client_id": text})
        while True:
            event = await comm.receive_json_from(timeout=5)
            if event["type"] in ("message.ack", "error"):
                break
    assert event["type"] == "error", event
    return dict(event["data"])


@pytest.mark.parametrize(
    ("language", "accept", "expected"),
    [
        ("zh-hans", "en-US", "你发送消息太快了。请等待 10 秒后重试。"),
        ("", "zh-TW,zh;q=0.8", "你傳送訊息太快了。請等候 10 秒後再試。"),
        ("", "", "You are sending messages too fast. Wait 10 seconds and try again."),
    ],
)
def test_socket_refusals_follow_the_staff_members_language(
    agent: Staff, picked_up: Callable[..., Enquiry], language: str, accept: str, expected: str
) -> None:
    org_services.staff_set_preferences(actor=agent, staff=agent, language=language)
    room_id = picked_up(agent).room.pk
    token = org_services.token_issue(staff=agent)

    async def body() -> None:
        headers = [(b"accept-language", accept.encode())] if accept else []
        comm = WebsocketCommunicator(application, f"/ws/staff/?ticket={await aticket_for(token)}", headers=headers)
        await connect_ok(comm)
        data = await _refusal(comm, room_id)
        assert data["status"] == 429 and data["detail"] == expected
        await comm.disconnect()

    run(body)
