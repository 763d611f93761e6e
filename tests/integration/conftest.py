"""Fixtures of the integration tests (socket helpers: tests/integration/sockets.py)."""

from __future__ import annotations

import copy
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from contactcenter.gateway import socket_writer
from contactcenter.gateway.consumers import socket_db_connections_close
from contactcenter.org.models import Staff, Tag
from enquiries import services as enquiry_services
from enquiries.models import Enquiry
from tests.conftest import require_postgres


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
def race_setup(transactional_db: Any) -> None:
    """Real races: threads with connections of their own see committed data, on PostgreSQL."""
    require_postgres()


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


@pytest.fixture
def picked_up(open_enquiry: Callable[..., Enquiry]) -> Callable[..., Enquiry]:
    """``picked_up(agent)``: an enquiry of a new visitor on the widget, picked up by ``agent``
    (keywords go to ``open_enquiry``)."""

    def make(agent: Staff, **kw: Any) -> Enquiry:
        enquiry = open_enquiry(**kw)
        return enquiry_services.enquiry_pick_up(actor=agent, enquiry_id=enquiry.pk)

    return make
