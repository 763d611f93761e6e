"""A visitor's socket speaks the visitor's language (README "Languages"): the widget's
(?lang= of the socket URL), else the one the visitor started in. Synced system messages and
refusals (also those of the socket writer's thread) are worded in it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator

from contactcenter.asgi import application
from contactcenter.org.models import Staff
from enquiries import services as enquiry_services
from enquiries.auth import visitor_token_for
from enquiries.models import Enquiry, Visitor
from tests.integration.sockets import connect_ok, run

pytestmark = pytest.mark.usefixtures("ws")


async def _answer(comm: WebsocketCommunicator, wanted: str) -> dict[str, Any]:
    while True:
        event = await comm.receive_json_from(timeout=5)
        if event["type"] in (wanted, "error"):
            return dict(event)


@pytest.mark.parametrize(
    ("query", "kept", "joined", "refusal"),
    [
        ("&lang=ja", "", "Alice が会話に参加しました。", "この会話は終了しました。新しい会話を始めてください。"),
        ("", "th", "Alice เข้าร่วมการสนทนาแล้ว", "การสนทนานี้ปิดแล้ว โปรดเริ่มการสนทนาใหม่"),
        ("", "", "Alice joined the conversation.", "This conversation is closed. Start a new one to write again."),
    ],
)
def test_the_visitor_socket_speaks_the_visitors_language(
    make_staff: Callable[..., Staff],
    support: Any,
    picked_up: Callable[..., Enquiry],
    query: str,
    kept: str,
    joined: str,
    refusal: str,
) -> None:
    agent = make_staff(tags=[support], name="Alice")
    enquiry = picked_up(agent)
    Visitor.objects.filter(pk=enquiry.visitor_id).update(chat_language=kept)
    room = enquiry.room.pk
    token = visitor_token_for(enquiry.visitor_id)

    async def body() -> None:
        comm = WebsocketCommunicator(application, f"/ws/visitor/?visitor_token={token}{query}")
        await connect_ok(comm)
        await comm.send_json_to({"type": "sync", "room": room, "after": 0})
        synced = await _answer(comm, "sync.messages")
        texts = [m["text"] for m in synced["data"]["messages"]]
        assert joined in texts, texts
        await comm.disconnect()

    run(body)
    enquiry_services.enquiry_resolve(actor=agent, enquiry_id=enquiry.pk)
    enquiry_services.enquiry_close(actor=agent, enquiry_id=enquiry.pk)

    async def closed() -> None:
        comm = WebsocketCommunicator(application, f"/ws/visitor/?visitor_token={token}{query}")
        await connect_ok(comm)
        await comm.send_json_to({"type": "message.post", "room": room, "text": "hello?", "client_id": "x1"})
        answer = await _answer(comm, "message.ack")
        assert answer["type"] == "error" and answer["data"]["detail"] == refusal, answer
        await comm.disconnect()

    run(closed)
