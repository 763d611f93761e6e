"""End to end per platform: signed webhook in, the agent picks up and replies through the
dashboard's API, the local platform server receives the right send call."""

from __future__ import annotations

from typing import Any

import pytest

from channels_adapters import tasks
from channels_adapters.models import OutboundMessage
from enquiries.models import Enquiry

from .conftest import fixture_body, post_webhook, process_pending

pytestmark = pytest.mark.django_db

SEND = {
    "messenger": ("/graph/PAGE1/messages", "Bearer PAGE-TOKEN-123", lambda b: b["message"]["text"]),
    "whatsapp": ("/graph/106540352242922/messages", "Bearer WA-TOKEN-456", lambda b: b["text"]["body"]),
    "line": ("/line/v2/bot/message/push", "Bearer LINE-TOKEN-789", lambda b: b["messages"][0]["text"]),
    "wechat": ("/wechat/cgi-bin/message/custom/send", None, lambda b: b["text"]["content"]),
}
TO = {
    "messenger": lambda b: b["recipient"]["id"],
    "whatsapp": lambda b: b["to"],
    "line": lambda b: b["to"],
    "wechat": lambda b: b["touser"],
}


@pytest.mark.parametrize("kind", ["messenger", "whatsapp", "line", "wechat"])
def test_end_to_end(kind: str, platform_channel: Any, agent: Any, api: Any, platform_api: Any) -> None:
    channel = platform_channel(kind)
    assert post_webhook(channel, fixture_body(kind)).status_code == 200
    process_pending()
    client = api(agent)
    panel = client.get("/api/v1/enquiries", {"status": "open"}).json()
    rows = panel["results"] if isinstance(panel, dict) else panel
    enquiry = Enquiry.objects.get(channel=channel)
    assert [r["id"] for r in rows] == [enquiry.pk]
    assert client.post(f"/api/v1/enquiries/{enquiry.pk}/pick-up").status_code == 200
    room = enquiry.room.pk
    response = client.post(
        f"/api/v1/rooms/{room}/messages", {"text": "How can I help?", "client_id": "c1"}, format="json"
    )
    assert response.status_code == 201, response.content
    # The worker runs the queued sends: the welcome message, then the agent's reply.
    for outbound in OutboundMessage.objects.filter(channel=channel).order_by("id"):
        assert tasks.outbound_send(outbound.pk) == "sent"
    path, auth, text_of = SEND[kind]
    calls = platform_api.calls("POST", path)
    bodies = [c.json() for c in calls]
    assert [text_of(b) for b in bodies] == ["Thanks for writing! An agent will be with you shortly.", "How can I help?"]
    assert {TO[kind](b) for b in bodies} == {enquiry.visitor.channel_identity}
    if auth:
        assert all(c.headers["authorization"] == auth for c in calls)
    else:
        assert all(c.query["access_token"] == ["WX-ACCESS-1"] for c in calls)
    history = client.get(f"/api/v1/rooms/{room}/messages").json()
    messages = history["results"] if isinstance(history, dict) and "results" in history else history
    if isinstance(messages, dict):
        messages = messages.get("messages", [])
    mine = [m for m in messages if m["text"] == "How can I help?"]
    assert mine and mine[0]["data"]["delivery"]["state"] == "sent"
