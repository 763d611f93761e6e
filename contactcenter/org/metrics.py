"""The process's own Prometheus metrics (README "Health and metrics"), counted where things
happen; the figures read from the database at scrape time live in contactcenter.ops.

Several processes (daphne replicas, Celery's pool, beat) each count their own: with
``PROMETHEUS_MULTIPROC_DIR`` set (a directory every process of the host, or of the
deployment on a shared volume, can write) prometheus_client keeps the values in files there
and /metrics adds them up. The files are named after ``<host>-<pid>``, so that processes of
several containers sharing the volume (each has its own pid 1) never write one file. The
live gauges (sockets connected, the writer's queue) of processes of this host that have
gone are deleted when a process starts and at each scrape (``dead_live_gauges_remove``);
counters and histograms of gone processes stay, so that totals never go down (a drop would
read as a reset to Prometheus). Empty the directory when the whole deployment starts
(scripts/run.sh does; README "Health and metrics").

Labels are bounded: routes (URL patterns, not paths), socket kinds, platform kinds, task
names, missed reasons.
"""

from __future__ import annotations

import contextlib
import glob
import logging
import os
import re
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics, values

logger = logging.getLogger(__name__)

MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def process_identifier() -> str:
    """``<host>-<pid>``: distinct across the containers sharing one metrics directory. No
    underscore (prometheus_client splits file names on it)."""
    host = re.sub(r"[^A-Za-z0-9.-]", "-", socket.gethostname())[:60] or "host"
    return f"{host}-{os.getpid()}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def dead_live_gauges_remove(path: str = MULTIPROC_DIR) -> int:
    """Delete the live-gauge files of this host's processes that are gone (what
    prometheus_client's ``mark_process_dead`` does, for every such process); returns how many."""
    if not path or not os.path.isdir(path):
        return 0
    host = process_identifier().rsplit("-", 1)[0]
    removed = 0
    for name in glob.glob(os.path.join(path, "gauge_live*.db")):
        stem = os.path.basename(name)[:-3]
        ident = stem.rsplit("_", 1)[-1]
        owner, _, pid = ident.rpartition("-")
        if owner != host or not pid.isdigit() or _pid_alive(int(pid)):
            continue
        with contextlib.suppress(FileNotFoundError):
            os.remove(name)
            removed += 1
    return removed


if MULTIPROC_DIR:
    # Before any metric exists: every value below is then kept in this process's files.
    os.makedirs(MULTIPROC_DIR, exist_ok=True)
    values.ValueClass = values.MultiProcessValue(process_identifier)
    try:
        dead_live_gauges_remove(MULTIPROC_DIR)
    except OSError:
        logger.warning("could not clean the metrics directory %s", MULTIPROC_DIR, exc_info=True)


# No "_created" series: nothing here reads them, and they double the output.
disable_created_metrics()

# --- HTTP -------------------------------------------------------------------------------
http_request_duration = Histogram(
    "cc_http_request_duration_seconds",
    "Time to answer an HTTP request, by route (the URL pattern) and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
http_requests = Counter(
    "cc_http_requests", "HTTP requests answered, by route, method and status code.", ["route", "method", "status"]
)
webhook_events = Counter(
    "cc_webhook_requests",
    "Platform webhook deliveries (POST), by platform and outcome (received, refused).",
    ["platform", "outcome"],
)

# --- Realtime ---------------------------------------------------------------------------
sockets_connected = Gauge(
    "cc_sockets_connected", "Open websockets, by kind (staff, visitor).", ["kind"], multiprocess_mode="livesum"
)
messages_posted = Counter("cc_messages_posted", "Messages posted (committed), by sender.", ["sender"])
socket_writer_queue = Gauge(
    "cc_socket_writer_queue_depth",
    "Posts waiting for the socket writer (as its last batch was taken).",
    multiprocess_mode="livesum",
)
socket_writer_batch = Histogram(
    "cc_socket_writer_batch_size",
    "Messages committed together by the socket writer.",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
)

# --- Timers and tasks -------------------------------------------------------------------
deadline_lag = Histogram(
    "cc_deadline_lag_seconds",
    "From a deadline being due to its sweep acting on it, by deadline.",
    ["deadline"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0),
)
tasks_run = Counter("cc_celery_tasks", "Background tasks run, by task and state.", ["task", "state"])
task_failures = Counter("cc_celery_task_failures", "Background tasks that raised, by task.", ["task"])
outbound_failures = Counter(
    "cc_outbound_failures", "Replies to platform customers that failed for good, by platform.", ["platform"]
)


# --- Calls from the rest of the code (one line each where it happens) --------------------


def socket_writer_batch_taken(size: int, still_queued: int) -> None:
    socket_writer_batch.observe(size)
    socket_writer_queue.set(still_queued)


def deadline_fired(deadline: str, due: Any, fired: Any) -> None:
    """A sweep acted on a deadline ``due`` at ``fired`` (aware datetimes)."""
    deadline_lag.labels(deadline).observe(max(0.0, (fired - due).total_seconds()))


def outbound_failed(platform: str) -> None:
    outbound_failures.labels(platform).inc()


async def socket_served(kind: str, app: Callable[..., Awaitable[Any]], scope: Any, receive: Any, send: Any) -> Any:
    """Run the websocket ASGI ``app``, counting the socket in ``cc_sockets_connected`` from
    its accept to its end."""
    gauge = sockets_connected.labels(kind)
    accepted = False

    async def counting_send(message: dict[str, Any]) -> None:
        nonlocal accepted
        if message.get("type") == "websocket.accept" and not accepted:
            accepted = True
            gauge.inc()
        await send(message)

    try:
        return await app(scope, receive, counting_send)
    finally:
        if accepted:
            gauge.dec()
