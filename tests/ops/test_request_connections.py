"""HTTP requests and their database connections (contactcenter/asgi.py). With no thread kept
(CC_HTTP_THREADS_KEPT=0, the test settings), a request's connection is closed as it ends:
Django runs each request's sync code in a thread of its own, so nothing would use it again,
and left to the garbage collector such connections piled up to PostgreSQL's max_connections.
With threads kept, the next requests run in one of them and use its connection again; those
beyond the kept number close theirs."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.testing import HttpCommunicator
from django.db.backends.signals import connection_created

from tests.conftest import require_postgres

REQUESTS = 5


@pytest.fixture
def opened() -> Iterator[list[tuple[Any, threading.Thread]]]:
    """(connection, thread) of each database connection opened meanwhile."""
    seen: list[tuple[Any, threading.Thread]] = []

    def record(sender: Any, connection: Any, **kwargs: Any) -> None:
        seen.append((connection, threading.current_thread()))

    connection_created.connect(record)
    yield seen
    connection_created.disconnect(record)


async def _ask(application: Any) -> dict[str, Any]:
    communicator = HttpCommunicator(
        application,
        "GET",
        "/api/v1/tags",
        headers=[(b"authorization", b"Token " + b"0" * 40), (b"host", b"testserver")],
    )
    response = dict(await communicator.get_response(timeout=30))
    await communicator.wait(timeout=30)  # the handler ends after the response is sent
    return response


def _wait_until(condition: Any, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@pytest.mark.django_db(transaction=True)
def test_http_requests_close_the_connections_they_opened(opened: list[tuple[Any, threading.Thread]]) -> None:
    require_postgres()
    from contactcenter.asgi import application

    responses = [async_to_sync(_ask)(application) for _ in range(REQUESTS)]
    assert all(400 <= r["status"] < 500 for r in responses), responses
    assert opened, "the requests looked their token up in the database"
    still_open = [(conn, thread) for conn, thread in opened if conn.connection is not None]
    assert still_open == [], still_open


@pytest.mark.django_db(transaction=True)
def test_kept_threads_use_their_connection_again(settings: Any, opened: list[tuple[Any, threading.Thread]]) -> None:
    require_postgres()
    from contactcenter.asgi import RequestConnectionsClosingHandler

    settings.CC_HTTP_THREADS_KEPT = 1
    handler = RequestConnectionsClosingHandler()
    try:
        responses = [async_to_sync(_ask)(handler) for _ in range(REQUESTS)]
        assert all(400 <= r["status"] < 500 for r in responses), responses
        # One thread ran them all, on the one connection it opened for the first.
        assert len(opened) == 1, opened
        conn, thread = opened[0]
        assert thread.name.startswith("http-request"), thread
        assert conn.connection is not None
    finally:
        assert handler.threads is not None
        handler.threads.close()
    assert conn.connection is None


@pytest.mark.django_db(transaction=True)
def test_threads_beyond_those_kept_close_their_connection(
    settings: Any, opened: list[tuple[Any, threading.Thread]]
) -> None:
    require_postgres()
    from contactcenter.asgi import RequestConnectionsClosingHandler

    settings.CC_HTTP_THREADS_KEPT = 1
    handler = RequestConnectionsClosingHandler()

    async def together() -> list[dict[str, Any]]:
        return list(await asyncio.gather(_ask(handler), _ask(handler)))

    try:
        responses = async_to_sync(together)()
        assert all(400 <= r["status"] < 500 for r in responses), responses
        # Two at once: two threads, two connections; one thread kept with its connection.
        assert len({thread for _conn, thread in opened}) == 2, opened
        assert handler.threads is not None and len(handler.threads.idle) == 1
        assert _wait_until(lambda: sum(conn.connection is None for conn, _thread in opened) == 1), opened
    finally:
        assert handler.threads is not None
        handler.threads.close()
    assert all(conn.connection is None for conn, _thread in opened)


@pytest.mark.django_db(transaction=True)
def test_warm_up_starts_the_kept_threads_with_their_connections(
    settings: Any, opened: list[tuple[Any, threading.Thread]]
) -> None:
    """At start (contactcenter/asgi.py) the kept threads are started and each opens its
    connection (contactcenter/warmup.py): the first requests then open none."""
    require_postgres()
    from contactcenter import warmup
    from contactcenter.asgi import RequestConnectionsClosingHandler

    settings.CC_HTTP_THREADS_KEPT = 2
    handler = RequestConnectionsClosingHandler()
    assert handler.threads is not None
    try:
        handler.threads.warm_up(warmup.thread_warm_up)
        assert _wait_until(lambda: len(opened) == 2), opened
        assert all(thread.name.startswith("http-request") for _conn, thread in opened), opened
        responses = [async_to_sync(_ask)(handler) for _ in range(REQUESTS)]
        assert all(400 <= r["status"] < 500 for r in responses), responses
        assert len(opened) == 2, opened  # the requests used the warmed connections
    finally:
        handler.threads.close()
    assert all(conn.connection is None for conn, _thread in opened)
