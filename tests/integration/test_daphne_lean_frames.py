"""autobahn under ``contactcenter.daphne_lean``: received frames unmasked by ``_XorMasker`` and
messages framed by ``LeanWebSocketProtocol.sendMessage`` give the same bytes as autobahn's own
(the masker against the RFC 6455 definition, the framing against autobahn's ``sendMessage`` on
the same kind of connection), and whatever the lean framing does not cover goes autobahn's way."""

from __future__ import annotations

import random
from typing import Any

import pytest
from autobahn.twisted.websocket import WebSocketServerProtocol
from autobahn.websocket.protocol import WebSocketProtocol as AutobahnProtocol
from twisted.internet.testing import StringTransport

from contactcenter.daphne_lean import _XorMasker, install


def _masked(data: bytes, mask: bytes, start: int = 0) -> bytes:
    """RFC 6455 5.3: octet i XOR mask octet (i mod 4)."""
    return bytes(b ^ mask[(start + i) % 4] for i, b in enumerate(data))


@pytest.mark.parametrize("size", [1, 3, 4, 5, 125, 126, 1000, 65536, 200_001])
def test_the_masker_unmasks_as_the_rfc_says_whole_and_in_pieces(size: int) -> None:
    rng = random.Random(size)
    mask = bytes(rng.randrange(256) for _ in range(4))
    data = bytes(rng.randrange(256) for _ in range(size))
    whole = _XorMasker(mask, size)
    assert whole.process(data) == _masked(data, mask)
    assert whole.pointer() == size

    pieced = _XorMasker(mask)
    cuts = sorted(rng.sample(range(1, size), min(size - 1, 7))) if size > 1 else []
    parts, start = [], 0
    for cut in [*cuts, size]:
        parts.append(pieced.process(data[start:cut]))
        assert pieced.pointer() == cut
        start = cut
    assert b"".join(parts) == _masked(data, mask)
    assert pieced.process(b"") == b""  # an empty piece: nothing, the pointer stays
    assert pieced.pointer() == size
    pieced.reset()
    assert pieced.pointer() == 0
    assert pieced.process(memoryview(data)[:4]) == _masked(data[:4], mask)  # bytes-like input


def test_the_masker_refuses_a_mask_that_is_not_four_bytes() -> None:
    with pytest.raises(ValueError, match="4 bytes"):
        _XorMasker(b"abc")


def test_autobahn_masks_with_the_lean_masker() -> None:
    install()
    from autobahn.websocket import protocol

    assert protocol.create_xor_masker is _XorMasker


def _open_connection() -> tuple[Any, StringTransport]:
    """A daphne websocket connection (the lean protocol) in autobahn's open state, writing
    to a transport that records the bytes."""
    install()
    from daphne import ws_protocol

    factory = ws_protocol.WebSocketFactory(None)
    proto = factory.protocol()
    proto.factory = factory
    transport = StringTransport()
    proto.transport = transport
    proto._connectionMade()
    proto.state = AutobahnProtocol.STATE_OPEN
    proto._perMessageCompress = None
    return proto, transport


@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 65535, 65536, 70_000])
@pytest.mark.parametrize("binary", [False, True])
def test_a_message_is_framed_as_autobahn_frames_it(size: int, binary: bool) -> None:
    payload = bytes(random.Random(size).randrange(256) for _ in range(size))
    lean, lean_wire = _open_connection()
    lean.sendMessage(payload, binary)
    theirs, their_wire = _open_connection()
    WebSocketServerProtocol.sendMessage(theirs, payload, binary)
    assert lean_wire.value() == their_wire.value()
    assert vars(lean.trafficStats) == vars(theirs.trafficStats)


def test_what_the_lean_framing_does_not_cover_goes_autobahns_way(monkeypatch: Any) -> None:
    calls: list[tuple[Any, ...]] = []

    def autobahns(self: Any, *args: Any) -> None:
        calls.append(args)

    monkeypatch.setattr(WebSocketServerProtocol, "sendMessage", autobahns)
    proto, wire = _open_connection()
    proto.sendMessage(b"x" * 10, False, 4)  # fragmented
    proto.autoFragmentSize = 4
    proto.sendMessage(b"y" * 10)
    proto.autoFragmentSize = 0
    proto._perMessageCompress = object()  # permessage-deflate negotiated
    proto.sendMessage(b"z")
    proto._perMessageCompress = None
    proto.send_queue.append((b"earlier", True))  # bytes queued before: behind them
    proto.sendMessage(b"w")
    proto.send_queue.clear()
    proto.state = AutobahnProtocol.STATE_CLOSING  # not open: autobahn refuses it
    proto.sendMessage(b"v")
    assert [args[0] for args in calls] == [b"x" * 10, b"y" * 10, b"z", b"w", b"v"]
    assert wire.value() == b""
