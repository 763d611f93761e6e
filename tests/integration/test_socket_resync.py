"""Sockets that may have missed events are closed with 4503 so that clients reconnect and
sync (issue 10, "Faults"; contactcenter/org/channel_layers.py, consumers.realtime_resync), and
events whose publish failed make their groups resync once publishing works again
(contactcenter/org/realtime.py). The whole outage through daphne and a Redis of the test's own
is tests/integration/test_redis_outage.py."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import OperationalError

from contactcenter.org import realtime
from contactcenter.org import services as org_services
from contactcenter.org.channel_layers import CLOSE_RESYNC, RESYNC
from contactcenter.org.events import staff_group
from contactcenter.org.models import Staff
from tests.integration.sockets import (
    TIMEOUT,
    aticket_for,
    connect_ok,
    run,
    staff_socket,
)


async def _closed_with(comm: Any) -> int | None:
    output = await comm.receive_output(timeout=TIMEOUT)
    assert output["type"] == "websocket.close", output
    return output.get("code")


def test_a_resync_notice_closes_the_socket_with_4503(agent: Staff) -> None:
    token = org_services.token_issue(staff=agent)

    async def body() -> None:
        comm = staff_socket(await aticket_for(token))
        await connect_ok(comm)
        await get_channel_layer().group_send(staff_group(agent.pk), {"type": RESYNC})
        assert await _closed_with(comm) == CLOSE_RESYNC
        await comm.disconnect()

    run(body)


def test_a_socket_that_joined_after_the_missed_event_stays_open(agent: Staff) -> None:
    token = org_services.token_issue(staff=agent)

    async def body() -> None:
        comm = staff_socket(await aticket_for(token))
        await connect_ok(comm)
        layer = get_channel_layer()
        # Missed before this socket joined: it synced on connecting, nothing to do.
        await layer.group_send(staff_group(agent.pk), {"type": RESYNC, "missed_at": time.time() - 60})
        await comm.send_json_to({"type": "ping"})
        assert (await comm.receive_json_from(timeout=TIMEOUT))["type"] == "pong"
        # Missed while it was connected: closed.
        await layer.group_send(staff_group(agent.pk), {"type": RESYNC, "missed_at": time.time()})
        assert await _closed_with(comm) == CLOSE_RESYNC
        await comm.disconnect()

    run(body)


class _RedisDownLayer(InMemoryChannelLayer):
    async def new_channel(self, prefix: str = "specific.") -> str:
        raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def test_a_socket_connecting_while_the_layer_cannot_subscribe_is_refused_without_a_crash(
    agent: Staff, settings: Any
) -> None:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": f"{__name__}._RedisDownLayer"}}
    token = org_services.token_issue(staff=agent)

    async def body() -> None:
        comm = staff_socket(await aticket_for(token))
        connected, code = await comm.connect(timeout=TIMEOUT)
        assert not connected
        assert code == CLOSE_RESYNC

    run(body)


def test_a_database_outage_answers_a_client_message_with_503_and_refuses_new_sockets(
    agent: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = org_services.token_issue(staff=agent)

    async def down(*args: Any) -> Any:
        raise OperationalError("server closed the connection unexpectedly")

    async def body() -> None:
        comm = staff_socket(await aticket_for(token))
        await connect_ok(comm)
        monkeypatch.setattr("contactcenter.gateway.consumers._sync_room", down)
        await comm.send_json_to({"type": "sync", "rooms": {"1": 0}})
        error = await comm.receive_json_from(timeout=TIMEOUT)
        assert error["type"] == "error" and error["data"]["status"] == 503, error  # the client retries 5xx
        await comm.disconnect()

        monkeypatch.setattr("contactcenter.gateway.consumers._staff_from_scope", down)
        refused = staff_socket(await aticket_for(token))
        connected, code = await refused.connect(timeout=TIMEOUT)
        assert not connected and code == CLOSE_RESYNC

    run(body)


# ------------------------------------------------------------------ failed publishes


class FakeLayer:
    """A layer whose group_send fails while ``down``; records what it sent."""

    def __init__(self, down: bool = False) -> None:
        self.down = down
        self.sent: list[tuple[str, dict[str, Any]]] = []

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        if self.down:
            raise redis.exceptions.ConnectionError("Connection refused.")
        self.sent.append((group, message))


@pytest.fixture
def no_missed() -> Iterator[None]:
    realtime._missed.clear()
    realtime._publish_log.down = False
    yield
    realtime._missed.clear()
    realtime._publish_log.down = False


def test_groups_whose_publish_failed_are_told_to_resync_before_the_next_send(
    no_missed: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="contactcenter.org.outages")
    layer = FakeLayer(down=True)
    event = {"type": "event.forward", "event": {"type": "message.created", "data": {}}}
    before = time.time()
    for _ in range(3):  # logged once, not once per failure
        asyncio.run(realtime._group_send_all(layer, ["room.1", "visitor.2"], event, background_retry=False))
    assert set(realtime._missed) == {"room.1", "visitor.2"}
    assert [r.levelno for r in caplog.records].count(logging.WARNING) == 1

    layer.down = False
    asyncio.run(realtime._group_send_all(layer, ["room.3"], event, background_retry=False))
    resyncs = [(g, m) for g, m in layer.sent if m["type"] == RESYNC]
    assert sorted(g for g, _ in resyncs) == ["room.1", "visitor.2"]
    assert all(m["missed_at"] >= before for _, m in resyncs)
    assert layer.sent[-1] == ("room.3", event)  # after the resyncs
    assert realtime._missed == {}
    assert any("is back" in r.getMessage() for r in caplog.records)


def test_on_a_server_loop_the_resync_is_sent_in_the_background_once_publishing_works(no_missed: None) -> None:
    layer = FakeLayer(down=True)
    event = {"type": "event.forward", "event": {"type": "typing", "data": {}}}

    async def body() -> None:
        await realtime._group_send_all(layer, ["room.7"], event)
        assert "room.7" in realtime._missed
        layer.down = False  # Redis is back; nothing else is sent meanwhile
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while not any(m["type"] == RESYNC for _, m in layer.sent):
            assert loop.time() < deadline, "no background resync"
            await asyncio.sleep(0.05)
        assert layer.sent == [("room.7", {"type": RESYNC, "missed_at": layer.sent[0][1]["missed_at"]})]

    asyncio.run(body())
