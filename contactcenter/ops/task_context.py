"""Celery and the request id (README "Logs").

- Publishing a task puts the current request id in its headers (``cc_request_id``).
- Running one binds that id (or a new one) for the task's duration, and writes one line
  when it ends: task, id, state, duration. The periodic sweeps write none when they
  succeed (contactcenter.celery.QUIET_TASKS): a sweep that did something says so itself.
- Failures count in ``cc_celery_task_failures_total``.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from celery import signals

from contactcenter.celery import QUIET_TASKS
from contactcenter.org import metrics, request_ids

logger = logging.getLogger("contactcenter.task")

HEADER = "cc_request_id"

# task id -> (token to reset the request id, start time): tasks of one worker process run
# one at a time per thread; the id keys them anyway.
_running: dict[str, tuple[Any, float]] = {}


def _publishing(headers: dict[str, Any] | None = None, **_: Any) -> None:
    if headers is not None and HEADER not in headers:
        current = request_ids.current()
        if current != request_ids.NO_REQUEST:
            headers[HEADER] = current


def _incoming_id(task: Any) -> str | None:
    request = getattr(task, "request", None)
    value = getattr(request, HEADER, None)
    if value is None:
        headers = getattr(request, "headers", None) or {}
        value = headers.get(HEADER) if isinstance(headers, dict) else None
    return request_ids.sane(value if isinstance(value, str) else None)


def _started(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    if task_id is None:
        return
    incoming = _incoming_id(task)
    if incoming is None and request_ids.current() != request_ids.NO_REQUEST:
        incoming = request_ids.current()  # run eagerly, inside the request that queued it
    _running[task_id] = (request_ids.bind(incoming), time.perf_counter())


def _ended(task_id: str | None = None, task: Any = None, state: str | None = None, **_: Any) -> None:
    if task_id is None or task_id not in _running:
        return
    token, started = _running.pop(task_id)
    name = getattr(task, "name", "?")
    state = state or "UNKNOWN"
    metrics.tasks_run.labels(name, state).inc()
    try:
        if not (state == "SUCCESS" and name in QUIET_TASKS):
            level = logging.INFO if state in ("SUCCESS", "RETRY") else logging.WARNING
            fields = {
                "task": name,
                "task_id": task_id,
                "state": state,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            }
            logger.log(level, "task %s %s", name, state, extra={"fields": fields})
    finally:
        request_ids.reset(token)


def _failed(sender: Any = None, **_: Any) -> None:
    metrics.task_failures.labels(getattr(sender, "name", "?")).inc()


def install() -> None:
    signals.before_task_publish.connect(_publishing, weak=False, dispatch_uid="cc-request-id-publish")
    signals.task_prerun.connect(_started, weak=False, dispatch_uid="cc-request-id-prerun")
    signals.task_postrun.connect(_ended, weak=False, dispatch_uid="cc-request-id-postrun")
    signals.task_failure.connect(_failed, weak=False, dispatch_uid="cc-task-failure")
