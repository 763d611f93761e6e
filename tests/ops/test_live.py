"""A real daphne, as deployed: the embedded default (SQLite, in-memory layer, the ticker, no
Redis) and production (PostgreSQL, Redis, the web ticker) both report ready at /readyz,
serve /metrics to loopback, and log each request with its id (text, or JSON lines)."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.db import connection

from tests.integration.test_real_timers import (  # noqa: F401 - fixtures
    BIN,
    Processes,
    private_celery_queue,
    processes,
    production_env,
    suite_redis_url,
    wait_until,
)
from tests.process_groups import ROOT

PORT = 18321  # this worktree's own ports (18300-18399)
BASE = f"http://127.0.0.1:{PORT}"


def _free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def _serve(processes: Processes, env: dict[str, str]) -> subprocess.Popen[bytes]:  # noqa: F811
    assert _free(PORT), f"port {PORT} is taken"
    args = [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(PORT), "contactcenter.asgi:application"]
    proc = processes.start("daphne", args, env)

    def ready() -> bool:
        return httpx.get(f"{BASE}/readyz", timeout=5).status_code == 200

    processes.wait_ready(
        proc, ready, what="/readyz to answer 200", timeout=60, interval=0.2, not_yet=(httpx.HTTPError,)
    )
    return proc


def _check(processes: Processes, proc: subprocess.Popen[bytes], *, redis: bool) -> list[str]:  # noqa: F811
    body = httpx.get(f"{BASE}/readyz", timeout=5).json()
    assert body["status"] == "ready", body
    states = {name: check["state"] for name, check in body["checks"].items()}
    assert states == {
        "database": "ok",
        "redis": "ok" if redis else "skipped",
        "channel_layer": "ok",
        "migrations": "ok",
        "timers": "ok",
    }
    assert httpx.get(f"{BASE}/healthz", timeout=5).json() == {"status": "ok"}
    metrics = httpx.get(f"{BASE}/metrics", timeout=10)
    assert metrics.status_code == 200 and "cc_build_info" in metrics.text
    assert "cc_timers_last_sweep_age_seconds" in metrics.text
    rid = f"live-{secrets.token_hex(4)}"
    answer = httpx.get(f"{BASE}/api/v1/me", headers={"X-Request-ID": rid}, timeout=5)
    assert answer.status_code in (401, 403) and answer.headers["X-Request-ID"] == rid
    lines = wait_until(
        lambda: [line for line in processes.log(proc).splitlines() if rid in line],
        timeout=10,
        what="the request's log line",
    )
    return list(lines)


def test_embedded_default_is_ready(tmp_path: Path, processes: Processes) -> None:  # noqa: F811
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CC_TIMERS", "CC_LOG_FORMAT")}
    env.update(
        DJANGO_SETTINGS_MODULE="contactcenter.settings",
        CC_SQLITE_PATH=str(tmp_path / "db.sqlite3"),
        CC_MEDIA_ROOT=str(tmp_path / "media"),
        PYTHONUNBUFFERED="1",
    )
    migrate = subprocess.run(  # noqa: S603 - fixed argv
        [str(BIN / "python"), "manage.py", "migrate", "--noinput", "-v0"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        timeout=300,
    )
    assert migrate.returncode == 0, migrate.stderr
    proc = _serve(processes, env)
    (line,) = _check(processes, proc, redis=False)
    # Text in the embedded default: "... INFO contactcenter.request [<id>] GET api/v1/me 403 ..."
    assert " INFO contactcenter.request [live-" in line and "GET api/v1/me" in line


def test_production_is_ready(transactional_db: Any, processes: Processes, settings: Any) -> None:  # noqa: F811
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        pytest.skip("production mode needs PostgreSQL and Redis")
    env = production_env(
        suite_redis_url(settings.REDIS_URL),
        CC_SECRET_KEY=secrets.token_urlsafe(50),
        CC_CELERY_QUEUE=private_celery_queue(),
        CC_CHANNEL_PREFIX=f"ops-live-{os.getpid()}",
        CC_LOG_LEVEL="INFO",
    )
    env = {k: v for k, v in env.items() if k not in ("CC_TIMERS", "CC_WEB_TICKER", "CC_LOG_FORMAT")}
    proc = _serve(processes, env)
    lines = _check(processes, proc, redis=True)
    entry = json.loads(lines[0])  # JSON lines in production
    assert entry["logger"] == "contactcenter.request" and entry["route"] == "api/v1/me"
    assert entry["status"] in (401, 403)
