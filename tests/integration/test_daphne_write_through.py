"""Twisted's TCP connections under ``contactcenter.daphne_lean`` send at once when nothing is
buffered before (``_write_through``), and otherwise keep Twisted's buffered way, in order.
A real socket pair and Twisted's own ``tcp.Connection``; the reactor is a recorder of the
write registrations (no reactor runs: ``doWrite`` is called as the reactor would)."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from twisted.internet import protocol, tcp

from contactcenter.daphne_lean import install


class _Reactor:
    def __init__(self) -> None:
        self.writers: set[Any] = set()

    def addWriter(self, writer: Any) -> None:  # noqa: N802 - Twisted's interface
        self.writers.add(writer)

    def removeWriter(self, writer: Any) -> None:  # noqa: N802
        self.writers.discard(writer)

    def addReader(self, reader: Any) -> None:  # noqa: N802
        pass

    def removeReader(self, reader: Any) -> None:  # noqa: N802
        pass


@pytest.fixture
def pair() -> Any:
    install()
    ours, peer = socket.socketpair()
    ours.setblocking(False)
    reactor = _Reactor()
    conn = tcp.Connection(ours, protocol.Protocol(), reactor)  # type: ignore[arg-type]  # duck-typed stand-ins
    conn.connected = 1
    yield conn, peer, reactor
    ours.close()
    peer.close()


def _drain(conn: Any, peer: socket.socket, reactor: _Reactor) -> bytes:
    """Read everything, letting the connection write when it is registered for it."""
    peer.setblocking(False)
    got = bytearray()
    while True:
        try:
            got += peer.recv(1 << 20)
        except BlockingIOError:
            if conn not in reactor.writers:
                return bytes(got)
            conn.doWrite()


def test_a_write_with_nothing_buffered_is_sent_at_once(pair: Any) -> None:
    conn, peer, reactor = pair
    conn.write(b"hello")
    assert reactor.writers == set()  # no registration, no later loop iteration
    peer.settimeout(5)
    assert peer.recv(100) == b"hello"


def test_what_the_kernel_does_not_take_is_buffered_and_later_writes_queue_behind_it(pair: Any) -> None:
    conn, peer, reactor = pair
    big = b"x" * 20_000_000  # more than any socket buffer takes at once
    conn.write(big)
    assert conn in reactor.writers and len(conn.dataBuffer) - conn.offset + conn._tempDataLen < len(big)
    conn.write(b"END")  # must not overtake the rest of big
    assert _drain(conn, peer, reactor) == big + b"END"
    assert reactor.writers == set()
    conn.write(b"again")  # all sent: the next write goes straight out again
    assert reactor.writers == set()
    peer.settimeout(5)
    assert peer.recv(100) == b"again"


def test_a_closed_peer_goes_the_buffered_way_and_twisted_reports_the_loss(pair: Any) -> None:
    conn, peer, reactor = pair
    peer.close()
    for _ in range(3):  # the first send(s) may still succeed; then the error
        conn.write(b"x" * 100_000)
    assert conn in reactor.writers
    assert conn.doWrite() is not None  # Twisted's own doWrite returns the connection's loss


def test_a_lost_connection_writes_nothing(pair: Any) -> None:
    conn, peer, reactor = pair
    conn.connected = 0
    conn.write(b"late")
    assert reactor.writers == set() and conn._tempDataLen == 0
    with pytest.raises(TypeError):
        conn.write("text")  # Twisted's own refusal of str, unchanged
