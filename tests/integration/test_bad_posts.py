"""One bad post never affects another (issue 10): a NUL byte or a lone surrogate in one
visitor's socket ``message.post`` is refused to that client alone, before the group
commit, and every other post of the same burst goes in on its first try. Frames that are
not JSON at all (binary, broken, nested past the parser's limit) get an error frame and
the socket goes on."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

import pytest

from contactcenter.org.models import Staff, Tag
from enquiries.auth import visitor_token_for
from enquiries.models import Enquiry, Visitor
from rooms.models import Message
from rooms.services import PostRequest, messages_post
from tests.conftest import require_postgres
from tests.integration.sockets import (
    connect_ok,
    receive_until,
    run,
    until,
    visitor_socket,
)

CHATS = 12
BAD_TEXTS = ["nul \x00 inside", "lone \ud800 surrogate", "low \udfff too"]


@pytest.fixture
def chats(
    ws: None, make_staff: Callable[..., Staff], support: Tag, picked_up: Callable[..., Enquiry]
) -> list[tuple[Visitor, Enquiry]]:
    agent = make_staff(tags=[support], name="Alice Agent", max_concurrent=CHATS)
    return [(enquiry.visitor, enquiry) for enquiry in (picked_up(agent) for _ in range(CHATS))]


def test_a_bad_post_in_a_batch_is_refused_alone(chats: list[tuple[Visitor, Enquiry]]) -> None:
    """messages_post itself: good and bad requests mixed in one batch on PostgreSQL."""
    require_postgres()
    requests = []
    for i, (visitor, enquiry) in enumerate(chats):
        requests.append(PostRequest(enquiry.room.pk, f"good {i}", f"g{i}", visitor=visitor))
        if i < len(BAD_TEXTS):
            requests.append(PostRequest(enquiry.room.pk, BAD_TEXTS[i], f"b{i}", visitor=visitor))
    visitor, enquiry = chats[-1]
    requests.append(PostRequest(enquiry.room.pk, "bad client id", "id\x00", visitor=visitor))
    requests.append(PostRequest(enquiry.room.pk, "bad client id", "id\udc00", visitor=visitor))
    results = messages_post(requests)
    for request, result in zip(requests, results, strict=True):
        if request.text.startswith("good"):
            assert isinstance(result, tuple) and result[1], (request, result)
        else:
            assert getattr(result, "status_code", None) == 400, (request, result)
            field = "text" if request.text in BAD_TEXTS else "client_id"
            assert list(result.fields) == [field]  # type: ignore[union-attr]
    assert Message.objects.filter(client_id__startswith="g").count() == CHATS
    assert not Message.objects.filter(client_id__startswith="b").exists()


def test_a_burst_with_one_bad_post_answers_every_other_sender_first_time(
    chats: list[tuple[Visitor, Enquiry]], batches: tuple[list[int], threading.Event]
) -> None:
    """Over real sockets: the writer is held on a first post while every visitor posts (one
    of them a NUL, one a lone surrogate), so that all of them queue up behind it and go in
    as one batch. Every good post is acked on its first try; the bad ones get a 400 error
    frame of their own."""
    require_postgres()
    sizes, release = batches

    async def body() -> None:
        comms = [visitor_socket(visitor_token_for(v.pk)) for v, _e in chats]
        for comm in comms:
            await connect_ok(comm)
        room0 = chats[0][1].room.pk
        await comms[0].send_json_to({"type": "message.post", "room": room0, "text": "first", "client_id": "g-first"})
        await until(lambda: bool(sizes), "the writer to hold the first post")
        bad = {1: BAD_TEXTS[0], 2: BAD_TEXTS[1]}
        for i, (comm, (_v, enquiry)) in enumerate(zip(comms, chats, strict=True)):
            room = enquiry.room.pk
            if i in bad:
                await comm.send_json_to({"type": "message.post", "room": room, "text": bad[i], "client_id": f"b{i}"})
            await comm.send_json_to({"type": "message.post", "room": room, "text": f"good {i}", "client_id": f"g{i}"})
        # The bad posts were refused before the writer (the service's checks come first),
        # or are queued behind the held batch with the good ones: either way, release it.
        release.set()
        for i in bad:
            error = await receive_until(comms[i], "error")
            assert error["data"]["status"] == 400 and error["data"]["client_id"] == f"b{i}", error
            assert error["data"]["fields"] == {"text": [error["data"]["detail"]]}
        for i, comm in enumerate(comms):
            ack = await receive_until(comm, "message.ack")
            if i == 0:
                assert ack["data"]["client_id"] == "g-first"
                ack = await receive_until(comm, "message.ack")
            assert ack["data"]["client_id"] == f"g{i}"
        for comm in comms:
            await comm.disconnect()

    run(body)
    assert sum(sizes) == CHATS + 1 + 2  # every post reached the writer once: no retries
    assert max(sizes) > 2  # and the bad ones shared a batch with good ones
    assert Message.objects.filter(client_id__startswith="g").count() == CHATS + 1
    assert not Message.objects.filter(client_id__startswith="b").exists()


def test_frames_that_are_not_json_get_an_error_and_the_socket_goes_on(chats: list[tuple[Visitor, Enquiry]]) -> None:
    visitor, enquiry = chats[0]

    async def body() -> None:
        comm = visitor_socket(visitor_token_for(visitor.pk))
        await connect_ok(comm)
        for frame in ['{"type": "ping", "x": ' + "[" * 100_000 + "]" * 100_000 + "}", "{not json", "\ud800"]:
            await comm.send_to(text_data=frame)
            error = await receive_until(comm, "error")
            assert error["data"]["status"] == 400 and "JSON" in error["data"]["detail"]
        await comm.send_to(bytes_data=b'{"type": "ping"}')
        error = await receive_until(comm, "error")
        assert error["data"]["status"] == 400
        post = {"type": "message.post", "room": enquiry.room.pk, "text": "still here", "client_id": "after"}
        await comm.send_json_to(post)
        assert (await receive_until(comm, "message.ack"))["data"]["client_id"] == "after"
        await comm.disconnect()

    run(body)


def test_a_frame_is_read_as_the_standard_library_reads_it() -> None:
    """Frames are parsed by orjson, and what it refuses by the standard library: the same
    values either way (a post with an unpaired surrogate is still a post, answered as one)."""
    from contactcenter.gateway.consumers import _id, _json_loads
    from contactcenter.org.errors import InvalidInput

    frame = '{"type": "message.post", "room": 7, "text": "h\\u00e9 \\ud83d\\ude00", "client_id": "a"}'
    assert _json_loads(frame) == json.loads(frame)
    for frame in ['{"text": "\\ud800"}', '{"x": NaN}']:
        assert repr(_json_loads(frame)) == repr(json.loads(frame))
    with pytest.raises(InvalidInput):  # past 64 bits orjson gives a float: no id
        _id(_json_loads('{"room": 123456789012345678901234567890}'), "room")
    for frame in ["{not json", "[" * 100_000 + "]" * 100_000]:
        with pytest.raises((ValueError, RecursionError)):
            _json_loads(frame)
