"""daphne, with a lean input queue per connection: ``python -m contactcenter.daphne_lean
<daphne's arguments>`` runs daphne's own command line, except that the queue daphne makes
for each connection's application instance is a ``ChannelQueue`` (contactcenter/org/inbox.py)
instead of an ``asyncio.Queue`` (four deques, about 3 kB, held by every idle socket for its
life). The websocket consumers then use that queue as their only inbox, the channel layer's
messages included (``EventForwardMixin._serve``): no second queue and no task per socket
besides daphne's own (bench/RESULTS.md, "Round 6"). Its websocket protocol also lets go of
the upgrade request (raw bytes, parsed headers and query) once the socket is open, and
Twisted's TCP connections send a frame at once when nothing is buffered before it
(``_write_through``).

daphne only calls ``put_nowait`` on that queue, tests its truth, and hands its ``get`` to the
application as ``receive``, all of which ``ChannelQueue`` does as ``asyncio.Queue``. Started by
``contactcenter/asgi_server.py`` unless ``CC_DAPHNE_LEAN=0`` (then daphne's own script).
daphne is pinned in pyproject.toml: on an upgrade, check that ``daphne.server`` still makes
the queue with ``asyncio.Queue()`` and uses nothing but the above (tests/integration/test_asgi_server.py).
"""

from __future__ import annotations

import asyncio
import types
from typing import Any

from contactcenter.org.inbox import ChannelQueue


class _AsyncioWithLeanQueue(types.ModuleType):
    """``asyncio`` as daphne.server sees it: the same module but for ``Queue``."""

    Queue = ChannelQueue

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)


def _lean_protocol() -> type:
    from daphne.ws_protocol import WebSocketProtocol

    class LeanWebSocketProtocol(WebSocketProtocol):  # type: ignore[misc]
        """daphne's websocket protocol, without the upgrade request autobahn keeps for the
        socket's life once the socket is open: the raw request bytes, its parsed headers
        and query (daphne copied what it needs into the scope in ``onConnect``; it keeps
        ``request.path`` for its access log)."""

        def onOpen(self) -> None:
            super().onOpen()
            self.http_request_data = b""
            # The same dicts as ``self.request.headers`` / ``.params``: emptied, not replaced.
            for kept in (getattr(self, "http_headers", None), getattr(self, "http_request_params", None)):
                if isinstance(kept, dict):
                    kept.clear()

    return LeanWebSocketProtocol


def _as_is(value: Any, *_args: Any, **_kwargs: Any) -> Any:
    return value


def _autobahn_plain_debug_arguments() -> None:
    """autobahn builds the arguments of a debug log call for every frame received and sent
    (``hltype``/``hlval``: the method's qualified name and the peer, coloured by ``click``)
    whether or not debug lines are logged: three ``click.style`` calls and an ``inspect`` per
    frame, about 5% of the event loop's CPU under chat load (bench/RESULTS.md, session 12).
    Its modules get the values as they are instead; a debug line, if ever logged, shows them
    uncoloured."""
    from autobahn.twisted import websocket as twisted_websocket
    from autobahn.websocket import protocol

    for module in (protocol, twisted_websocket):
        for name in ("hltype", "hlval"):
            if hasattr(module, name):
                setattr(module, name, _as_is)


def _write_through(original: Any) -> Any:
    """Twisted's TCP ``write``, sending at once when nothing is buffered before it.

    Twisted buffers every write and registers the socket for writability, then sends from the
    reactor's next iteration and unregisters it: for each frame a daphne socket sends (an ack,
    each forwarded event) two ``epoll_ctl`` calls, a handle and a loop iteration more than the
    send itself, about 5% of the event loop under chat load (bench/RESULTS.md, session 14).
    asyncio's own transports try the send first; so does this. Whatever the kernel does not
    take at once (a full socket buffer, an error) goes the buffered way, behind nothing, so
    the bytes stay in order and Twisted's own ``doWrite`` handles the rest and any error.
    TLS connections (never daphne's here: TLS ends at the proxy) keep Twisted's way."""

    def write(self: Any, data: bytes) -> None:
        if (
            self.TLS
            or self._tempDataBuffer
            or len(self.dataBuffer) != self.offset
            or not self.connected
            or self._writeDisconnected
            or type(data) is not bytes
            or not data
        ):
            original(self, data)
            return
        sent = self.writeSomeData(data)
        if type(sent) is int:
            if sent == len(data):
                return
            if sent > 0:
                data = data[sent:]
        original(self, data)

    write.write_through = True  # type: ignore[attr-defined]
    return write


def install() -> None:
    """Make daphne's server create a ``ChannelQueue`` per connection, and its websocket
    factory a protocol that lets the upgrade request go once open (idempotent); autobahn's
    per-frame debug arguments plain (``_autobahn_plain_debug_arguments``); Twisted's TCP
    connections send at once when nothing waits before (``_write_through``)."""
    from daphne import server, ws_protocol
    from twisted.internet import tcp

    _autobahn_plain_debug_arguments()
    if not getattr(tcp.Connection.write, "write_through", False):
        tcp.Connection.write = _write_through(tcp.Connection.write)  # type: ignore[method-assign]
    if not isinstance(server.asyncio, _AsyncioWithLeanQueue):
        server.asyncio = _AsyncioWithLeanQueue("asyncio")  # type: ignore[assignment]
    if ws_protocol.WebSocketFactory.protocol is ws_protocol.WebSocketProtocol:
        ws_protocol.WebSocketFactory.protocol = _lean_protocol()


def main() -> None:
    install()
    from daphne.cli import CommandLineInterface

    CommandLineInterface.entrypoint()


if __name__ == "__main__":
    main()
