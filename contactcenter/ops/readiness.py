"""The checks behind ``/readyz`` (README "Health and metrics"): each says ok, failed or
skipped (not configured here), with its latency. Ready when none failed.

- database: ``SELECT 1`` on the default connection.
- redis: ``PING`` (skipped without REDIS_URL: the embedded default has no Redis).
- channel_layer: a message sent to a fresh channel of the layer comes back.
- migrations: none of this release's migrations is unapplied (a release started before
  ``migrate`` ran is not ready). Once all are applied the answer is kept for a minute.
- timers: the timer sweep ran within CC_READY_SWEEP_MAX_AGE_SECONDS (recorded by every
  process that sweeps: contactcenter.org.heartbeat); skipped with CC_TIMERS=off.

A failure names the error's class only: the messages can hold host names and users.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import redis
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from contactcenter.org import heartbeat

OK, FAILED, SKIPPED = "ok", "failed", "skipped"


@dataclass
class Result:
    state: str
    latency_ms: float = 0.0
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"state": self.state, "latency_ms": round(self.latency_ms, 1)}
        if self.detail:
            data["detail"] = self.detail
        return data


class Skip(Exception):
    pass


class NotReady(Exception):
    pass


def database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


_redis_client: redis.Redis | None = None


def redis_ping() -> None:
    global _redis_client
    if not settings.REDIS_URL:
        raise Skip("no REDIS_URL")
    if _redis_client is None:
        timeout = settings.CC_READY_TIMEOUT_SECONDS
        _redis_client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=timeout, socket_timeout=timeout)
    _redis_client.ping()


_migrations_ok_at = 0.0
MIGRATIONS_KEPT_SECONDS = 60.0


def migrations() -> None:
    global _migrations_ok_at
    if time.monotonic() - _migrations_ok_at < MIGRATIONS_KEPT_SECONDS and _migrations_ok_at:
        return
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        raise NotReady(f"{len(pending)} migration(s) not applied")
    _migrations_ok_at = time.monotonic()


def migrations_forget() -> None:
    """Tests: check the migrations again on the next call."""
    global _migrations_ok_at
    _migrations_ok_at = 0.0


def timers() -> None:
    if settings.CC_TIMERS == "off":
        raise Skip("CC_TIMERS=off")
    last = heartbeat.last_sweep()
    if last is None:
        raise NotReady("no timer sweep recorded")
    age = time.time() - last
    if age > settings.CC_READY_SWEEP_MAX_AGE_SECONDS:
        raise NotReady(f"last timer sweep {age:.0f} s ago")


async def channel_layer() -> None:
    layer = get_channel_layer()
    if layer is None:
        raise NotReady("no channel layer configured")
    channel = await layer.new_channel("readyz.")
    try:
        await layer.send(channel, {"type": "readyz.ping"})
        message = await layer.receive(channel)
    finally:
        await _channel_release(layer, channel)
    if message.get("type") != "readyz.ping":
        raise NotReady("unexpected message")


async def _channel_release(layer: Any, channel: str) -> None:
    """Let go of the probe's channel (else Redis keeps a subscription per probe). Channels'
    layers drop a channel when a receive on it is cancelled, which is how a consumer's
    channel ends; do the same."""
    pending = asyncio.ensure_future(layer.receive(channel))
    await asyncio.sleep(0)  # let it start waiting
    pending.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await pending


async def _run(check: Callable[[], Awaitable[None]]) -> Result:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(check(), timeout=settings.CC_READY_TIMEOUT_SECONDS)
    except Skip as skip:
        return Result(SKIPPED, detail=str(skip))
    except NotReady as problem:
        return Result(FAILED, (time.perf_counter() - started) * 1000, str(problem))
    except TimeoutError:
        return Result(FAILED, (time.perf_counter() - started) * 1000, "timed out")
    except Exception as exc:
        return Result(FAILED, (time.perf_counter() - started) * 1000, type(exc).__name__)
    return Result(OK, (time.perf_counter() - started) * 1000)


def _in_thread(func: Callable[[], None]) -> Callable[[], Awaitable[None]]:
    # One thread for the database checks (Django's connections are per thread); Redis in
    # another, so that a hanging Redis does not delay them.
    return sync_to_async(func, thread_sensitive=func is not redis_ping)


async def run_checks() -> dict[str, Result]:
    names = ("database", "redis", "channel_layer", "migrations", "timers")
    checks: list[Callable[[], Awaitable[None]]] = [
        _in_thread(database),
        _in_thread(redis_ping),
        channel_layer,
        _in_thread(migrations),
        _in_thread(timers),
    ]
    results = await asyncio.gather(*(_run(check) for check in checks))
    return dict(zip(names, results, strict=True))
