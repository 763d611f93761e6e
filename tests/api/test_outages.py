"""PostgreSQL or Redis briefly unreachable (issue 10, "Faults"): 503 with Retry-After and a
JSON detail, never 500 (contactcenter/org/outages.py); the Redis cache fails open, fast and
logging once (contactcenter/org/cache.py). The real Redis outage, through daphne, is
tests/integration/test_redis_outage.py."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from django.db import InterfaceError, OperationalError
from django.test import Client
from kombu.exceptions import OperationalError as KombuOperationalError

from channels_adapters.models import Channel
from contactcenter.org import cache as cache_module
from contactcenter.org.cache import FailOpenRedisCacheClient
from contactcenter.org.models import Staff
from tests.api.conftest import counts, error
from tests.conftest import PASSWORD
from tests.integration.test_real_timers import free_port

OUTAGES = [
    OperationalError("could not connect to server: Connection refused"),
    InterfaceError("connection already closed"),
    redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused."),
    redis.exceptions.TimeoutError("Timeout reading from socket"),
    KombuOperationalError("Error 111 connecting to 127.0.0.1:6379."),
]


def _unavailable(response: Any) -> dict[str, Any]:
    body = error(response, 503)
    assert int(response["Retry-After"]) >= 1
    assert body["code"] == "unavailable"
    return body


@pytest.mark.parametrize("exc", OUTAGES, ids=lambda e: type(e).__module__.split(".")[0] + "." + type(e).__name__)
def test_an_outage_in_a_drf_view_answers_503_with_retry_after(
    exc: Exception, monkeypatch: pytest.MonkeyPatch, widget: Channel
) -> None:
    def down(channel: Channel) -> dict[str, Any]:
        raise exc

    monkeypatch.setattr("channels_adapters.widget_views.widget_config", down)
    response = Client().get(f"/api/v1/widget/channels/{widget.key}")
    _unavailable(response)


def test_a_database_outage_while_starting_a_chat_answers_503_and_stores_nothing(
    monkeypatch: pytest.MonkeyPatch, widget: Channel
) -> None:
    def down(**kwargs: Any) -> Any:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("enquiries.services.widget_enquiry_open", down)
    before = counts()
    response = Client().post(
        "/api/v1/widget/enquiries",
        {"channel_key": widget.key, "message": "Hello?", "visitor": {"first_name": "Vera"}},
        content_type="application/json",
    )
    _unavailable(response)
    assert counts() == before


def test_an_outage_in_a_page_answers_503_not_500(monkeypatch: pytest.MonkeyPatch, widget: Channel) -> None:
    def down(**lookup: Any) -> Channel:
        raise OperationalError("the database system is starting up")

    monkeypatch.setattr("channels_adapters.widget_views._channel", down)
    response = Client().get(f"/widget/{widget.key}/")
    assert response.status_code == 503
    assert int(response["Retry-After"]) >= 1
    assert response["Content-Type"].startswith("text/html")


def test_an_outage_in_a_middleware_answers_503_not_500(
    monkeypatch: pytest.MonkeyPatch, make_staff: Callable[..., Staff]
) -> None:
    staff = make_staff()
    client = Client(raise_request_exception=False)
    assert client.login(email=staff.email, password=PASSWORD)

    def down(*args: Any) -> bool:
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr("contactcenter.org.auth.session_is_current", down)
    _unavailable(client.get("/api/v1/me"))
    page = client.get("/")
    assert page.status_code == 503 and int(page["Retry-After"]) >= 1


def test_other_errors_stay_500(monkeypatch: pytest.MonkeyPatch, widget: Channel) -> None:
    def bug(channel: Channel) -> dict[str, Any]:
        raise RuntimeError("a bug, not an outage")

    monkeypatch.setattr("channels_adapters.widget_views.widget_config", bug)
    response = Client(raise_request_exception=False).get(f"/api/v1/widget/channels/{widget.key}")
    assert response.status_code == 500
    assert "Retry-After" not in response


# ------------------------------------------------------------------ cache fails open


@pytest.fixture
def dead_redis_cache(settings: Any) -> Iterator[None]:
    """The default cache is the Redis cache, pointed at a port where nothing listens."""
    settings.CACHES = {
        "default": {
            "BACKEND": "contactcenter.org.cache.FailOpenRedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    FailOpenRedisCacheClient._down_until = 0.0
    cache_module._log.down = False  # a fresh outage
    yield
    FailOpenRedisCacheClient._down_until = 0.0
    cache_module._log.down = False


def test_redis_cache_fails_open_fast_and_logs_once(dead_redis_cache: None, caplog: pytest.LogCaptureFixture) -> None:
    from django.core.cache import cache

    caplog.set_level(logging.INFO, logger="contactcenter.org.outages")
    started = time.monotonic()
    assert cache.get("k", "fallback") == "fallback"
    assert cache.add("k", 1) is False
    cache.set("k", 1)
    assert cache.incr("k") == 1  # a counter that cannot be read counts this request
    assert cache.get_many(["a", "b"]) == {}
    assert cache.delete("k") is False
    assert time.monotonic() - started < 2
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "Redis cache" in warnings[0].getMessage()


def test_throttled_public_endpoints_work_while_the_redis_cache_is_down(
    dead_redis_cache: None, settings: Any, widget: Channel, make_staff: Callable[..., Staff]
) -> None:
    staff = make_staff()
    client = Client()
    login = client.post(
        "/api/v1/auth/token", {"email": staff.email, "password": PASSWORD}, content_type="application/json"
    )
    assert login.status_code == 200, login.content
    assert client.get(f"/api/v1/widget/channels/{widget.key}").status_code == 200
    opened = client.post(
        "/api/v1/widget/enquiries",
        {"channel_key": widget.key, "message": "Hello?", "visitor": {"first_name": "Vera"}},
        content_type="application/json",
    )
    assert opened.status_code == 201, opened.content
