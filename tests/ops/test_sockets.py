"""Sockets in the metrics (connected, by kind; the socket writer's batches) and the request id
of each socket frame, through the real ASGI application."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async

from contactcenter.org import background, metrics, request_ids
from contactcenter.org import services as org_services
from contactcenter.org.models import Staff
from enquiries.auth import visitor_token_for
from enquiries.models import Enquiry
from rooms import services as room_services
from tests.integration.conftest import agent, picked_up, ws  # noqa: F401 - fixtures
from tests.integration.sockets import aticket_for, connect_ok, run, staff_socket, visitor_socket


def _connected(kind: str) -> float:
    return metrics.sockets_connected.labels(kind)._value.get()  # noqa: SLF001 - this process's own gauge


def test_sockets_connected_by_kind_and_writer_batches(
    agent: Staff,  # noqa: F811 - fixture
    picked_up: Callable[..., Enquiry],  # noqa: F811 - fixture
) -> None:
    enquiry = picked_up(agent)
    token = org_services.token_issue(staff=agent)
    staff_before, visitor_before = _connected("staff"), _connected("visitor")
    batches_before = metrics.socket_writer_batch._sum.get()  # noqa: SLF001

    async def body() -> None:
        staff = staff_socket(await aticket_for(token))
        await connect_ok(staff)
        visitor = visitor_socket(await database_sync_to_async(visitor_token_for)(enquiry.visitor_id))
        await connect_ok(visitor)
        assert _connected("staff") == staff_before + 1
        assert _connected("visitor") == visitor_before + 1
        await staff.send_json_to({"type": "message.post", "room": enquiry.room.pk, "text": "hi", "client_id": "c1"})
        while (await staff.receive_json_from(timeout=5))["type"] != "message.ack":
            pass
        await staff.disconnect()
        await visitor.disconnect()

    run(body)
    assert _connected("staff") == staff_before
    assert _connected("visitor") == visitor_before
    assert metrics.socket_writer_batch._sum.get() == batches_before + 1  # noqa: SLF001
    assert metrics.socket_writer_queue._value.get() == 0  # noqa: SLF001


def test_a_refused_socket_is_not_counted(ws: None) -> None:  # noqa: F811 - fixture
    before = _connected("visitor")

    async def body() -> None:
        comm = visitor_socket("not-a-token")
        connected, _code = await comm.connect(timeout=5)
        assert not connected
        assert _connected("visitor") == before

    run(body)
    assert _connected("visitor") == before


def test_each_frame_has_its_own_request_id_in_the_services_it_calls(
    agent: Staff,  # noqa: F811 - fixture
    picked_up: Callable[..., Enquiry],  # noqa: F811 - fixture
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    enquiry = picked_up(agent)
    token = org_services.token_issue(staff=agent)
    seen: list[str] = []
    real = room_services.room_mark_read

    def recording(**kwargs: Any) -> Any:
        seen.append(request_ids.current())
        return real(**kwargs)

    monkeypatch.setattr(room_services, "room_mark_read", recording)

    async def body() -> None:
        staff = staff_socket(await aticket_for(token))
        await connect_ok(staff)
        for _ in range(2):
            await staff.send_json_to({"type": "read", "room": enquiry.room.pk, "message": 0})
        # A ping after them: its answer comes once both reads were handled.
        await staff.send_json_to({"type": "ping"})
        while (await staff.receive_json_from(timeout=5))["type"] != "pong":
            pass
        await staff.disconnect()

    run(body)
    assert len(seen) == 2
    assert all(request_ids.sane(rid) and rid != request_ids.NO_REQUEST for rid in seen), seen
    assert seen[0] != seen[1]


def test_a_posts_tasks_carry_its_frames_request_id(
    agent: Staff,  # noqa: F811 - fixture
    picked_up: Callable[..., Enquiry],  # noqa: F811 - fixture
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
) -> None:
    """A message posted over a socket with a link: its preview task is queued, once the
    socket writer commits, under the frame's request id (and not the writer thread's)."""
    enquiry = picked_up(agent)
    token = org_services.token_issue(staff=agent)
    queued: list[tuple[str, str]] = []
    seen_by_service: list[str] = []
    real_mark_read = room_services.room_mark_read

    def recording_run_task(task: Any, *args: Any, **kwargs: Any) -> None:
        queued.append((task.name, request_ids.current()))

    def recording_mark_read(**kwargs: Any) -> Any:
        seen_by_service.append(request_ids.current())
        return real_mark_read(**kwargs)

    monkeypatch.setattr(background, "run_task", recording_run_task)
    monkeypatch.setattr(room_services, "room_mark_read", recording_mark_read)
    settings.CC_LINK_PREVIEW_ENABLED = True

    async def body() -> None:
        staff = staff_socket(await aticket_for(token))
        await connect_ok(staff)
        # A read frame first: the id its service sees is the frame's, different from the post's.
        await staff.send_json_to({"type": "read", "room": enquiry.room.pk, "message": 0})
        text = "see https://example.invalid/page"
        await staff.send_json_to({"type": "message.post", "room": enquiry.room.pk, "text": text, "client_id": "p1"})
        while (await staff.receive_json_from(timeout=5))["type"] != "message.ack":
            pass
        await staff.disconnect()

    run(body)
    previews = [rid for name, rid in queued if name == "rooms.tasks.message_link_preview"]
    assert len(previews) == 1, queued
    assert request_ids.sane(previews[0]) and previews[0] != request_ids.NO_REQUEST
    assert seen_by_service and seen_by_service[0] != previews[0]
