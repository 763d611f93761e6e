"""Fixtures of the operations tests (README "Health and metrics", "Logs")."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from contactcenter.ops import readiness
from contactcenter.org import heartbeat


@pytest.fixture(autouse=True)
def _fresh_checks() -> Iterator[None]:
    """Each test sees the migrations and the sweep as they are now, and a fresh Redis client."""
    readiness.migrations_forget()
    readiness._redis_client = None  # noqa: SLF001 - the test's own REDIS_URL
    heartbeat.forget()
    yield
    readiness.migrations_forget()
    readiness._redis_client = None
    heartbeat.forget()


@pytest.fixture
def timers_on(settings: Any) -> Any:
    """Timers as the embedded default runs them, with a sweep just done."""
    settings.CC_TIMERS = "ticker"
    heartbeat.sweep_done()
    return settings


def scrape(client: Client | None = None, **extra: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """GET /metrics from loopback: {(sample name, sorted labels): value}."""
    response = (client or Client()).get("/metrics", REMOTE_ADDR="127.0.0.1", **extra)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def wait_for(predicate: Any, *, timeout: float = 10.0, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)
