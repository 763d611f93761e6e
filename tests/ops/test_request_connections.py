"""An HTTP request's database connection is closed as the request ends (contactcenter/asgi.py):
Django runs each request's sync code in a thread of its own, so nothing would use it again, and
left to the garbage collector such connections piled up to PostgreSQL's max_connections."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.testing import HttpCommunicator
from django.db.backends.signals import connection_created

from tests.conftest import require_postgres


@pytest.mark.django_db(transaction=True)
def test_an_http_request_closes_the_connection_it_opened() -> None:
    require_postgres()
    from contactcenter.asgi import application

    opened: list[Any] = []

    def record(sender: Any, connection: Any, **kwargs: Any) -> None:
        opened.append(connection)

    async def login() -> dict[str, Any]:
        communicator = HttpCommunicator(
            application,
            "GET",
            "/api/v1/tags",
            headers=[(b"authorization", b"Token " + b"0" * 40), (b"host", b"testserver")],
        )
        return dict(await communicator.get_response(timeout=30))

    connection_created.connect(record)
    try:
        response = async_to_sync(login)()
    finally:
        connection_created.disconnect(record)
    assert 400 <= response["status"] < 500, response
    assert opened, "the token was looked up in the database"
    assert all(conn.connection is None for conn in opened)
