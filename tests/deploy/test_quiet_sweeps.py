"""Celery's own INFO lines about the periodic sweeps are dropped, through Celery's real
loggers (tests/integration/test_worker_logs.py checks a real worker and beat)."""

from __future__ import annotations

import logging

import pytest
from celery import beat
from celery.app import trace
from celery.worker import strategy

import contactcenter.celery  # noqa: F401 - installs the filter, as worker and beat do


def _lines(caplog: pytest.LogCaptureFixture, task: str) -> list[str]:
    caplog.clear()
    context = {"id": "abc", "name": task, "args": "()", "kwargs": "{}", "eta": None}
    beat.logger.info("Scheduler: Sending due task %s (%s)", "entry", task)
    strategy.logger.info(trace.LOG_RECEIVED, context, extra={"data": context})
    trace.info(trace.LOG_SUCCESS, {**context, "return_value": "0", "runtime": 0.01})
    trace.logger.error(trace.LOG_FAILURE, {**context, "description": "raised unexpected", "exc": "boom"})
    return [r.getMessage() for r in caplog.records]


@pytest.mark.parametrize(
    "task",
    ["enquiries.tasks.sweep_timers", "channels_adapters.tasks.inbound_sweep", "channels_adapters.tasks.outbound_sweep"],
)
def test_sweeps_lines_dropped_but_their_errors_kept(caplog: pytest.LogCaptureFixture, task: str) -> None:
    with caplog.at_level(logging.INFO):
        assert _lines(caplog, task) == [f"Task {task}[abc] raised unexpected: boom"]


def test_other_tasks_keep_their_lines(caplog: pytest.LogCaptureFixture) -> None:
    task = "channels_adapters.tasks.outbound_send"
    with caplog.at_level(logging.INFO):
        assert _lines(caplog, task) == [
            f"Scheduler: Sending due task entry ({task})",
            f"Task {task}[abc] received",
            f"Task {task}[abc] succeeded in 0.01s: 0",
            f"Task {task}[abc] raised unexpected: boom",
        ]
