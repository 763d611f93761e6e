"""One inbox per socket (``EventForwardMixin._serve``, ``contactcenter/daphne_lean.py``): under
daphne as deployed, a socket's client frames and its channel layer messages share daphne's
queue, with no task per socket besides daphne's own; elsewhere one task feeds the inbox.
The other socket tests run the second way (WebsocketCommunicator); these the first."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings

from contactcenter.asgi import application
from contactcenter.daphne_lean import install
from contactcenter.org.events import visitor_group
from contactcenter.org.inbox import ChannelQueue
from enquiries.auth import visitor_token_for
from enquiries.models import Visitor
from tests.integration.sockets import TIMEOUT

pytestmark = pytest.mark.skipif(
    "PubSub" not in settings.CHANNEL_LAYERS["default"]["BACKEND"], reason="the inbox needs the pub/sub layer"
)


class LeanSocket:
    """The application driven as daphne_lean drives it: ``receive`` is a ChannelQueue's get."""

    def __init__(self, token: str) -> None:
        self.inbox = ChannelQueue()
        self.out: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        scope = {
            "type": "websocket",
            "path": "/ws/visitor/",
            "raw_path": b"/ws/visitor/",
            "root_path": "",
            "headers": [(b"user-agent", b"Widget/1.0")],
            "query_string": f"visitor_token={token}".encode(),
            "client": ["127.0.0.1", 50000],
            "server": ["127.0.0.1", 8000],
            "subprotocols": [],
            "asgi": {"version": "3.0"},
        }
        self.headers = scope["headers"]
        self.task = asyncio.ensure_future(application(scope, self.inbox.get, self.out.put))

    async def sent(self) -> dict[str, Any]:
        return await asyncio.wait_for(self.out.get(), TIMEOUT)

    async def open(self) -> dict[str, Any]:
        self.inbox.put_nowait({"type": "websocket.connect"})
        accept = await self.sent()
        assert accept["type"] == "websocket.accept", accept
        hello = json.loads((await self.sent())["text"])
        assert hello["type"] == "hello"
        return hello

    async def close(self) -> None:
        self.inbox.put_nowait({"type": "websocket.disconnect", "code": 1000})
        await asyncio.wait_for(self.task, TIMEOUT)


def run(fn: Callable[[], Any]) -> None:
    async_to_sync(fn)()


def test_a_socket_served_from_daphnes_queue_needs_no_task_of_its_own(
    ws: None, make_visitor: Callable[..., Visitor]
) -> None:
    first, second = make_visitor(), make_visitor()

    async def body() -> None:
        warm = LeanSocket(visitor_token_for(first.pk))  # the layer's own receiving task starts here
        await warm.open()
        before = asyncio.all_tasks()
        sock = LeanSocket(visitor_token_for(second.pk))
        await sock.open()
        assert asyncio.all_tasks() - before == {sock.task}  # no dispatch or pump task
        assert sock.headers == []  # a visitor socket keeps no request headers once open
        layer = get_channel_layer()
        await layer.group_send(visitor_group(second.pk), {"type": "event.forward", "event": {"type": "t.one"}})
        # A client frame and layer messages, in the order they arrive, one at a time.
        sock.inbox.put_nowait({"type": "websocket.receive", "text": json.dumps({"type": "ping"})})
        await layer.group_send(visitor_group(second.pk), {"type": "event.forward", "event": {"type": "t.two"}})
        got = [json.loads((await sock.sent())["text"])["type"] for _ in range(3)]
        assert got.index("t.one") < got.index("t.two") and "pong" in got
        loop_layer = layer._get_layer()
        channel = next(name for name, queue in loop_layer.channels.items() if queue is sock.inbox)
        await sock.close()
        assert channel not in loop_layer.channels  # unsubscribed and forgotten
        assert not any(channel in members for members in loop_layer.groups.values())
        await warm.close()

    run(body)


def test_the_lean_daphne_gives_each_connection_a_channel_queue() -> None:
    """daphne_lean's one assumption about daphne (pinned): the per-connection queue is made
    with ``asyncio.Queue()`` in daphne.server, and handed to the app as ``receive``."""
    install()
    from daphne.server import Server
    from daphne.ws_protocol import WebSocketFactory, WebSocketProtocol

    assert WebSocketFactory.protocol is not WebSocketProtocol
    assert issubclass(WebSocketFactory.protocol, WebSocketProtocol)

    got: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        got["receive"] = receive

    async def body() -> None:
        server = Server.__new__(Server)
        server.application = app
        protocol = object()
        server.connections = {protocol: {}}
        queue = Server.create_application(server, protocol, {"type": "websocket"})
        await server.connections[protocol]["application_instance"]
        assert isinstance(queue, ChannelQueue)
        assert got["receive"] == queue.get
        assert queue  # daphne tests its truth: true while empty, as asyncio.Queue's
        assert asyncio.Queue is not ChannelQueue  # only daphne.server's view of asyncio changed

    asyncio.run(body())


def test_only_the_visitor_path_itself_skips_the_url_router(ws: None, make_visitor: Callable[..., Visitor]) -> None:
    from channels.testing import WebsocketCommunicator

    token = visitor_token_for(make_visitor().pk)

    async def body() -> None:
        comm = WebsocketCommunicator(application, f"/ws/visitor/more/?visitor_token={token}")
        with pytest.raises(ValueError, match="No route found"):
            await comm.connect(timeout=TIMEOUT)
        comm = WebsocketCommunicator(application, f"/ws/visitor/?visitor_token={token}")
        connected, _ = await comm.connect(timeout=TIMEOUT)
        assert connected
        await comm.disconnect()

    run(body)


def test_the_lean_daphne_leaves_autobahns_per_frame_debug_arguments_plain() -> None:
    """autobahn's websocket modules (pinned with daphne) build the arguments of a debug log
    call for every frame with ``hltype``/``hlval`` (click-coloured names): after ``install``
    those names are the values as they are; autobahn's own helpers are untouched."""
    install()
    import autobahn.util
    from autobahn.twisted import websocket as twisted_websocket
    from autobahn.websocket import protocol

    for module in (protocol, twisted_websocket):
        assert module.hltype(len) is len
        assert module.hlval(7, color="green") == 7
    assert autobahn.util.hlval(7) != 7 or not autobahn.util._HAS_CLICK
