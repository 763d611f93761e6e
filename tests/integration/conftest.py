"""Fixtures of the socket tests (helpers: tests/integration/sockets.py)."""

from __future__ import annotations

import copy
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from contactcenter import socket_writer
from contactcenter.consumers import socket_db_connections_close
from contactcenter.models import Staff, Tag


@pytest.fixture
def ws(transactional_db: Any, settings: Any) -> Iterator[None]:
    """Sockets need committed data: the services run on other connections and threads.

    On Redis, this run's groups get a prefix of their own, so that another test run on the
    same Redis cannot send into our sockets (Channels rebuilds its layers on the change)."""
    layers = copy.deepcopy(settings.CHANNEL_LAYERS)
    if "redis" in layers["default"]["BACKEND"]:
        layers["default"].setdefault("CONFIG", {})["prefix"] = f"asgi-test-{os.getpid()}"
        settings.CHANNEL_LAYERS = layers
    yield
    # The consumers' own database threads keep connections open: close them, or the test
    # database cannot be dropped at the end of the session.
    socket_db_connections_close()


@pytest.fixture
def agent(ws: None, make_staff: Callable[..., Staff], support: Tag) -> Staff:
    return make_staff(tags=[support], name="Alice Agent")


@pytest.fixture
def batches(monkeypatch: pytest.MonkeyPatch) -> tuple[list[int], threading.Event]:
    """Batch sizes the writer posted; the first batch waits for the returned event, so that
    everything posted meanwhile queues up behind it."""
    sizes: list[int] = []
    release = threading.Event()
    real = socket_writer.messages_post

    def recording(requests: Any) -> Any:
        sizes.append(len(requests))
        if len(sizes) == 1:
            assert release.wait(timeout=60), "the test never released the first batch"
        return real(requests)

    monkeypatch.setattr(socket_writer, "messages_post", recording)
    return sizes, release
