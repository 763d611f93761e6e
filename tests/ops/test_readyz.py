"""/healthz (no dependencies) and /readyz (each dependency, with its latency; 503 when one
fails), README "Health and metrics"."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client

import contactcenter
from contactcenter.org import heartbeat
from tests.ops.conftest import wait_for

CHECKS = {"database", "redis", "channel_layer", "migrations", "timers"}
REDIS_PORT = 18311  # this worktree's own ports (18300-18399)
CLOSED_PORT = 18399


def _readyz() -> tuple[int, dict[str, Any]]:
    response = Client().get("/readyz")
    assert response["Cache-Control"] == "no-store"
    return response.status_code, response.json()


def test_healthz_needs_nothing(settings: Any) -> None:
    # No database access at all (this test has no db fixture: any query would fail it).
    response = Client().get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_ready_when_every_part_works(db: Any, timers_on: Any) -> None:
    status, body = _readyz()
    assert status == 200, body
    assert body["status"] == "ready"
    assert body["version"] == contactcenter.__version__
    assert set(body["checks"]) == CHECKS
    for name, check in body["checks"].items():
        assert check["state"] in ("ok", "skipped"), (name, check)
        assert isinstance(check["latency_ms"], float | int)
    # The embedded default has no Redis: not a failure.
    expected_redis = "ok" if timers_on.REDIS_URL else "skipped"
    assert body["checks"]["redis"]["state"] == expected_redis
    assert body["checks"]["database"]["state"] == "ok"
    assert body["checks"]["channel_layer"]["state"] == "ok"
    assert body["checks"]["migrations"]["state"] == "ok"
    assert body["checks"]["timers"]["state"] == "ok"


def test_embedded_default_without_redis_is_ready(db: Any, timers_on: Any) -> None:
    timers_on.REDIS_URL = ""
    status, body = _readyz()
    assert status == 200, body
    assert body["checks"]["redis"] == {"state": "skipped", "latency_ms": 0.0, "detail": "no REDIS_URL"}


def test_timers_off_are_skipped(db: Any, settings: Any) -> None:
    settings.CC_TIMERS = "off"
    status, body = _readyz()
    assert status == 200, body
    assert body["checks"]["timers"]["state"] == "skipped"


def test_no_sweep_yet_is_not_ready(db: Any, settings: Any) -> None:
    settings.CC_TIMERS = "celery"
    status, body = _readyz()
    assert status == 503
    assert body["status"] == "not ready"
    assert body["checks"]["timers"] == {
        "state": "failed",
        "latency_ms": body["checks"]["timers"]["latency_ms"],
        "detail": "no timer sweep recorded",
    }


def test_stale_sweep_is_not_ready(db: Any, timers_on: Any) -> None:
    timers_on.CC_READY_SWEEP_MAX_AGE_SECONDS = 10
    from django.core.cache import cache

    cache.set(heartbeat.KEY, time.time() - 60)
    status, body = _readyz()
    assert status == 503
    assert body["checks"]["timers"]["state"] == "failed"
    assert "ago" in body["checks"]["timers"]["detail"]
    # The real sweep runs again: ready.
    heartbeat.forget()
    from enquiries.services import timers_sweep

    timers_sweep()
    status, body = _readyz()
    assert status == 200, body


def test_pending_migration_is_not_ready(db: Any, timers_on: Any) -> None:
    recorder = MigrationRecorder(connection)
    last = recorder.migration_qs.filter(app="enquiries").order_by("-id").first()
    assert last is not None
    last.delete()  # as if this release's newest migration had not run yet (rolled back after)
    status, body = _readyz()
    assert status == 503
    assert body["checks"]["migrations"]["state"] == "failed"
    assert body["checks"]["migrations"]["detail"] == "1 migration(s) not applied"


@pytest.fixture
def database_unreachable(transactional_db: Any) -> Iterator[None]:
    """The default connection points where no database is, for one request."""
    if connection.vendor != "postgresql":
        # The SQLite test database lives in memory and its connection never closes.
        pytest.skip("PostgreSQL only: a closed port stands for the database being down")
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict["PORT"] = CLOSED_PORT
    connection.settings_dict["HOST"] = "127.0.0.1"
    yield
    connection.close()
    connection.settings_dict.clear()
    connection.settings_dict.update(saved)


def test_database_down_is_not_ready(database_unreachable: None, timers_on: Any) -> None:
    status, body = _readyz()
    assert status == 503
    assert body["checks"]["database"]["state"] == "failed"
    assert body["checks"]["database"]["detail"] == "OperationalError"
    assert body["checks"]["migrations"]["state"] == "failed"


def test_redis_closed_port_is_not_ready(db: Any, timers_on: Any) -> None:
    timers_on.REDIS_URL = f"redis://127.0.0.1:{CLOSED_PORT}/0"
    status, body = _readyz()
    assert status == 503
    assert body["checks"]["redis"]["state"] == "failed"
    assert body["checks"]["redis"]["detail"] == "ConnectionError"


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def own_redis(tmp_path: Any) -> Iterator[subprocess.Popen[bytes]]:
    """A redis-server of this test's own, on this worktree's port (stopped by its pid)."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    assert not _port_open(REDIS_PORT), f"port {REDIS_PORT} is taken"
    proc = subprocess.Popen(  # noqa: S603 - fixed argv
        ["redis-server", "--port", str(REDIS_PORT), "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    wait_for(lambda: _port_open(REDIS_PORT), what="redis-server to listen")
    yield proc
    if proc.poll() is None:
        proc.terminate()
        proc.wait(timeout=10)


def test_redis_going_down_makes_it_not_ready(db: Any, timers_on: Any, own_redis: subprocess.Popen[bytes]) -> None:
    timers_on.REDIS_URL = f"redis://127.0.0.1:{REDIS_PORT}/0"
    status, body = _readyz()
    assert status == 200, body
    assert body["checks"]["redis"]["state"] == "ok"
    own_redis.terminate()
    own_redis.wait(timeout=10)
    status, body = _readyz()
    assert status == 503
    assert body["checks"]["redis"]["state"] == "failed"


def test_the_channel_layer_probe_leaves_no_subscription(db: Any, timers_on: Any) -> None:
    """On Redis, each probe's channel is let go: no subscription piles up per probe in a
    process's long-lived event loop (daphne's)."""
    if not timers_on.REDIS_URL:
        pytest.skip("the in-memory layer has no subscriptions")
    import redis
    from asgiref.sync import async_to_sync

    from contactcenter.ops import readiness

    client = redis.Redis.from_url(timers_on.REDIS_URL)

    async def probes() -> list[Any]:
        for _ in range(3):
            await readiness.channel_layer()
        channels: list[Any] = client.pubsub_channels("*readyz.*")  # type: ignore[assignment]
        return channels  # while this loop's layer lives

    assert async_to_sync(probes)() == []
