"""deploy/haproxy.cfg's health checks, on real processes: a daphne that cannot serve (its
database unreachable: /readyz fails) is taken out of the balancer while a ready one takes
every request; with none ready (a shared outage), requests still reach the processes that
serve HTTP rather than getting HAProxy's own 503.

Runs under CI=true (.ci/run installs haproxy); elsewhere it skips only without haproxy,
PostgreSQL or Redis."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.conftest import require_postgres, require_redis
from tests.deploy.stack import Stack, require_binary, stack_env
from tests.integration.test_real_timers import (  # noqa: F401 - fixtures
    Processes,
    processes,
    wait_until,
)

BROKEN_DATABASE = "postgres://postgres@127.0.0.1:1/nowhere"  # nothing listens: refused at once


def test_a_backend_that_is_not_ready_is_out_and_none_ready_still_serves(
    transactional_db: Any,
    processes: Processes,  # noqa: F811 - fixture
    settings: Any,
    tmp_path: Path,
) -> None:
    require_postgres()
    require_redis()
    require_binary("haproxy")
    env = stack_env(settings, tmp_path)  # the web ticker sweeps: the ready process's timers check passes
    stack = Stack(processes, tmp_path, env)
    stack.start_daphne(1)
    broken = {k: v for k, v in env.items() if k != "CC_WEB_TICKER"}
    stack.start_daphne(1, {**broken, "DATABASE_URL": BROKEN_DATABASE})
    (ready_port, ready), (broken_port, _) = stack.web
    try:
        assert httpx.get(f"http://127.0.0.1:{broken_port}/readyz", timeout=10).status_code == 503
        wait_until(
            lambda: httpx.get(f"http://127.0.0.1:{ready_port}/readyz", timeout=10).status_code == 200,
            timeout=30,
            what="the ready process's /readyz",
            interval=0.2,
        )
        stack.start_haproxy()
        with httpx.Client(base_url=stack.base, timeout=10) as http:
            # Once HAProxy has checked both, every request goes to the ready one.
            wait_until(
                lambda: all(http.get("/readyz").status_code == 200 for _ in range(10)),
                timeout=20,
                what="ten requests in a row to reach the ready process",
                interval=0.1,
            )
            assert all(http.get("/readyz").status_code == 200 for _ in range(20))

            # The ready one gone, only the unready one serves HTTP: requests reach it (its
            # own 503 with the checks, not HAProxy's page).
            stack.kill_web(ready.pid)

            def reaches_the_unready_one() -> bool:
                response = http.get("/readyz")  # HAProxy's own 503 (no server) is an HTML page
                if response.status_code != 503 or response.headers.get("content-type") != "application/json":
                    return False
                return bool(response.json()["checks"]["database"]["state"] == "failed")

            wait_until(reaches_the_unready_one, timeout=20, what="the unready process to be reached", interval=0.1)
            assert http.get("/healthz").status_code == 200
    except BaseException:
        print(stack.logs())
        raise
    finally:
        stack.close()
