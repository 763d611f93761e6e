"""Background work of the history app (Celery in production; the embedded ticker runs the
same functions). Tasks take ids, tolerate rows that have gone and are safe to run twice."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import connection, connections

from history import exports

logger = logging.getLogger(__name__)


@shared_task(name="history.tasks.export_run", ignore_result=True)
def export_run(export_id: int) -> str:
    """Write one export (a run that finds it no longer pending does nothing), at a lower
    CPU priority (``CC_EXPORT_NICE``): it is not in a hurry, the chat is."""
    return _niced(settings.CC_EXPORT_NICE, exports.export_run, export_id=export_id)


def _niced(niceness: int, func: Callable[..., str], **kwargs: Any) -> str:
    """``func(**kwargs)`` in a thread of its own whose niceness is raised by ``niceness``
    (Linux sets it per thread: the worker's other tasks, or the web process of the
    embedded mode, keep theirs; an unprivileged process could not lower it back). Inline
    when ``niceness`` is 0 or inside a transaction (its rows would be invisible to the
    thread's own database connection). The embedded ticker's threads are already the
    export's own: niced in place."""
    if niceness <= 0 or connection.in_atomic_block:
        return func(**kwargs)
    if settings.CC_TIMERS == "ticker":
        # The embedded ticker already runs each task on a thread of its own that ends with
        # it (contactcenter.org.background.run_task): lower that thread's priority.
        _nice(niceness)
        return func(**kwargs)
    outcome: dict[str, Any] = {}

    def body() -> None:
        try:
            _nice(niceness)
            outcome["value"] = func(**kwargs)
        except BaseException as exc:  # re-raised in the caller's thread
            outcome["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=body, name="export-niced", daemon=True)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return str(outcome["value"])


@shared_task(name="history.tasks.exports_sweep", ignore_result=True)
def exports_sweep() -> dict[str, int]:
    """Lost tasks, stuck runs and expired files; one log line when it did something."""
    done = exports.exports_sweep()
    if any(done.values()):
        logger.info("export sweep: %s", ", ".join(f"{what} {n}" for what, n in done.items() if n))
    return done


def _nice(niceness: int) -> None:
    try:
        os.nice(niceness)
    except OSError:  # not permitted here: run at the same priority
        pass
