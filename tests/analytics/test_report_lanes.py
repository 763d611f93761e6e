"""Reports on two connections in one snapshot (analytics.report_lanes): the conversation-tag
and hourly reports' lanes run at once on PostgreSQL outside a transaction, give what one
connection gives, and leave no connection open in the worker thread."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.db import connection

from analytics import report_lanes
from tests.analytics.scenario import Day
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        assert not os.environ.get("CI"), "CI runs these on PostgreSQL"
        pytest.skip("two connections in one snapshot: PostgreSQL only")


def summary(day: Day, **params: Any) -> dict[str, Any]:
    r = api_client_for(day.admin).get("/api/v1/analytics/summary", {"from": "2026-03-03", "to": "2026-03-06", **params})
    assert r.status_code == 200, r.content
    return r.json()


def test_lanes_at_once_equal_one_connection(day: Day, settings: Any, monkeypatch: Any) -> None:
    ran: list[str] = []
    real = report_lanes._lane_in_snapshot

    def spy(snapshot: str, lane: list[Any]) -> Any:
        ran.append(snapshot)
        return real(snapshot, lane)

    monkeypatch.setattr(report_lanes, "_lane_in_snapshot", spy)
    results = {}
    for workers in (1, 0):
        settings.CC_ANALYTICS_REPORT_WORKERS = workers
        results[workers] = [summary(day, group_by=g) for g in ("conversation_tag", "hour")]
    assert len(ran) == 2  # one worker lane per report, with workers on only
    assert results[1] == results[0]
    by_tag = {r["key"]: r["opened"] for r in results[1][0]["rows"]}
    assert by_tag == {day.billing.pk: 2, day.refund.pk: 1, None: 5}
    assert results[1][0]["total"]["opened"] == 7 and results[1][1]["total"]["opened"] == 7
    # The worker thread closed its connection.
    assert report_lanes._workers().submit(lambda: connection.connection is None).result() is True


def test_a_failing_lane_fails_the_report_and_ends_the_snapshot(day: Day, settings: Any, monkeypatch: Any) -> None:
    settings.CC_ANALYTICS_REPORT_WORKERS = 1

    def broken(snapshot: str, lane: list[Any]) -> Any:
        raise RuntimeError("lane failed")

    monkeypatch.setattr(report_lanes, "_lane_in_snapshot", broken)
    with pytest.raises(RuntimeError, match="lane failed"):
        report_lanes.lanes_run([[("SELECT 1 AS one", [])], [("SELECT 2 AS two", [])]])
    assert not connection.in_atomic_block
    monkeypatch.undo()
    assert report_lanes.lanes_run([[("SELECT 1 AS one", [])], [("SELECT 2 AS two", [])]]) == [
        [[{"one": 1}]],
        [[{"two": 2}]],
    ]
