"""daphne, with a lean input queue per connection: ``python -m contactcenter.daphne_lean
<daphne's arguments>`` runs daphne's own command line, except that the queue daphne makes
for each connection's application instance is a ``ChannelQueue`` (contactcenter/org/inbox.py)
instead of an ``asyncio.Queue`` (four deques, about 3 kB, held by every idle socket for its
life). The websocket consumers then use that queue as their only inbox, the channel layer's
messages included (``EventForwardMixin._serve``): no second queue and no task per socket
besides daphne's own (bench/RESULTS.md, "Round 6"). Its websocket protocol also lets go of
the upgrade request (raw bytes, parsed headers and query) once the socket is open, and
Twisted's TCP connections send a frame at once when nothing is buffered before it
(``_write_through``); autobahn unmasks received frames and frames sent messages the lean way
(``_XorMasker``, ``LeanWebSocketProtocol.sendMessage``).

daphne only calls ``put_nowait`` on that queue, tests its truth, and hands its ``get`` to the
application as ``receive``, all of which ``ChannelQueue`` does as ``asyncio.Queue``. Started by
``contactcenter/asgi_server.py`` unless ``CC_DAPHNE_LEAN=0`` (then daphne's own script).
daphne is pinned in pyproject.toml: on an upgrade, check that ``daphne.server`` still makes
the queue with ``asyncio.Queue()`` and uses nothing but the above (tests/integration/test_asgi_server.py).
"""

from __future__ import annotations

import asyncio
import struct
import types
from typing import Any

from contactcenter.org.inbox import ChannelQueue


class _AsyncioWithLeanQueue(types.ModuleType):
    """``asyncio`` as daphne.server sees it: the same module but for ``Queue``."""

    Queue = ChannelQueue

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)


class _XorMasker:
    """autobahn's frame masker (``create_xor_masker``: ``pointer``, ``reset``, ``process``)
    as one XOR of two integers. autobahn's own (its C extension through cffi) builds a cffi
    object, a gc'd native masker and an import per received frame: ~2% of the event loop
    under chat load (bench/RESULTS.md, session 15), for frames of a few hundred bytes.
    ``process`` may be given a frame's payload in pieces: the mask goes on where it stopped."""

    __slots__ = ("_mask", "_ptr")

    def __init__(self, mask: bytes, length: int | None = None) -> None:
        if len(mask) != 4:
            raise ValueError("a websocket frame's mask is 4 bytes")
        self._mask = bytes(mask)
        self._ptr = 0

    def pointer(self) -> int:
        return self._ptr

    def reset(self) -> None:
        self._ptr = 0

    def process(self, data: bytes | bytearray | memoryview) -> bytes:
        n = len(data)
        if not n:
            return b""
        shift = self._ptr & 3
        mask = self._mask[shift:] + self._mask[:shift]
        key = (mask * (n // 4 + 1))[:n]
        self._ptr += n
        return (int.from_bytes(data, "little") ^ int.from_bytes(key, "little")).to_bytes(n, "little")


def _lean_masker() -> None:
    """autobahn's protocol module masks and unmasks with ``_XorMasker``."""
    from autobahn.websocket import protocol

    protocol.create_xor_masker = _XorMasker


def _lean_protocol() -> type:
    from autobahn.websocket.protocol import WebSocketProtocol as AutobahnProtocol
    from daphne.ws_protocol import WebSocketProtocol

    state_open = AutobahnProtocol.STATE_OPEN

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

        def sendMessage(  # noqa: N802 - autobahn's name
            self,
            payload: bytes,
            isBinary: bool = False,  # noqa: N803
            fragmentSize: int | None = None,  # noqa: N803
            sync: bool = False,
            doNotCompress: bool = False,  # noqa: N803
        ) -> None:
            """autobahn's ``sendMessage`` for what daphne sends (one unmasked, uncompressed,
            unfragmented frame written at once): the frame's header packed and written with
            its payload, the same bytes and the same traffic counts as autobahn's
            ``sendMessage`` -> ``sendFrame`` -> ``sendData`` (~4% of the event loop under chat
            load: argument checks, a call per layer, a debug line's arguments). Anything else
            (compression negotiated, fragmenting, frames queued for a later write, a socket
            not open, autobahn's own frame logging or timings) goes autobahn's way."""
            n = len(payload)
            if (
                self.state != state_open
                or type(payload) is not bytes
                or fragmentSize is not None
                or sync
                or self._perMessageCompress is not None
                or self.autoFragmentSize
                or self.send_queue
                or self.maskServerFrames
                or self.trackedTimings
                or self.logFrames
                or self.logOctets
                or 0 < self.maxMessagePayloadSize < n
            ):
                super().sendMessage(payload, isBinary, fragmentSize, sync, doNotCompress)
                return
            first = 0x82 if isBinary else 0x81
            if n <= 125:
                header = bytes((first, n))
            elif n <= 0xFFFF:
                header = struct.pack("!BBH", first, 126, n)
            else:
                header = struct.pack("!BBQ", first, 127, n)
            stats = self.trafficStats
            stats.outgoingWebSocketMessages += 1
            stats.outgoingOctetsAppLevel += n
            stats.outgoingOctetsWebSocketLevel += n
            stats.outgoingWebSocketFrames += 1
            stats.outgoingOctetsWireLevel += len(header) + n
            self.transport.write(header + payload)

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
    connections send at once when nothing waits before (``_write_through``); autobahn's masker
    ``_XorMasker``."""
    from daphne import server, ws_protocol
    from twisted.internet import tcp

    _autobahn_plain_debug_arguments()
    _lean_masker()
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
