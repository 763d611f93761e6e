"""An HTTP request's database connection is closed as the request ends (contactcenter/asgi.py):
Django runs each request's sync code in a thread of its own, so nothing would use it again, and
left to the garbage collector such connections piled up to PostgreSQL's max_connections."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.testing import HttpCommunicator
from django.db.backends.signals import connection_created

from tests.conftest import require_postgres

REQUESTS = 5


@pytest.mark.django_db(transaction=True)
def test_http_requests_close_the_connections_they_opened() -> None:
    require_postgres()
    from contactcenter.asgi import application

    opened: list[Any] = []

    def record(sender: Any, connection: Any, **kwargs: Any) -> None:
        opened.append((connection, threading.current_thread().name))

    async def ask() -> dict[str, Any]:
        communicator = HttpCommunicator(
            application,
            "GET",
            "/api/v1/tags",
            headers=[(b"authorization", b"Token " + b"0" * 40), (b"host", b"testserver")],
        )
        response = dict(await communicator.get_response(timeout=30))
        await communicator.wait(timeout=30)  # the handler ends after the response is sent
        return response

    connection_created.connect(record)
    try:
        responses = [async_to_sync(ask)() for _ in range(REQUESTS)]
    finally:
        connection_created.disconnect(record)
    assert all(400 <= r["status"] < 500 for r in responses), responses
    assert opened, "the requests looked their token up in the database"
    still_open = [(conn, name) for conn, name in opened if conn.connection is not None]
    assert still_open == [], still_open
