"""Report statements on two cores: lanes of statements run at once on two PostgreSQL
connections that read one snapshot.

A report whose work splits (the conversation tags' groups | the untagged and the total; the
first half of an hourly range | the second half and the total) gives each part to a lane.
The first lane runs on the request's connection in a REPEATABLE READ transaction that
exports its snapshot (``pg_export_snapshot``); each other lane runs on a worker thread's
connection in a transaction that imports it (``SET TRANSACTION SNAPSHOT``), so every part
sees the same rows, as if one statement had read them all (what ``pg_dump --jobs`` does).
PostgreSQL cannot split one ordered-set aggregate (the percentiles) over its own parallel
workers; this splits the report instead (bench/RESULTS-analytics.md, session 12).

The lanes run one after the other on the request's connection instead when workers are
off (``CC_ANALYTICS_REPORT_WORKERS = 0``), on SQLite, or inside a transaction already
open (a snapshot cannot be exported from it: the tests' transactions, for example). The
worker threads (``CC_ANALYTICS_REPORT_WORKERS`` per process) close their connection after
each lane: none stays open between reports.
"""

from __future__ import annotations

import re
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from typing import Any

from django.conf import settings
from django.db import connection, transaction

Statement = tuple[str, list[Any]]
# Each statement's rows, as dicts by column name.
Rows = list[dict[str, Any]]

_SNAPSHOT_ID = re.compile(r"^[0-9A-F]+-[0-9A-F]+-[0-9]+$")

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _workers() -> ThreadPoolExecutor:
    global _pool  # noqa: PLW0603 - one pool per process, made on first use
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(
                max_workers=settings.CC_ANALYTICS_REPORT_WORKERS, thread_name_prefix="report-lane"
            )
        return _pool


def _session(cursor: Any) -> None:
    # The percentiles sort each row's values: in memory, not on disk. No JIT: the
    # planner's cost of a report passes jit_above_cost, and compiling its expressions
    # (~100 ms for the conversation tags' statement) costs more than it saves on ~100k rows.
    cursor.execute("SET LOCAL work_mem = '64MB'")
    cursor.execute("SET LOCAL jit = off")


def _fetch(cursor: Any, statement: Statement) -> Rows:
    sql, params = statement
    cursor.execute(sql, params)
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def _lane_in_snapshot(snapshot: str, lane: list[Statement]) -> list[Rows]:
    """A worker thread: the lane's statements in the request's snapshot, then the thread's
    connection closed."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            _session(cursor)
            return [_fetch(cursor, s) for s in lane]
    finally:
        connection.close()


def lanes_run(lanes: list[list[Statement]]) -> list[list[Rows]]:
    """Each lane's statements' rows, in order. The lanes run at once in one snapshot when
    they can (see the module's docstring), else one after the other in one transaction."""
    lanes = [lane for lane in lanes if lane]
    at_once = (
        len(lanes) > 1
        and settings.CC_ANALYTICS_REPORT_WORKERS > 0
        and connection.vendor == "postgresql"
        and not connection.in_atomic_block
    )
    if not at_once:
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                _session(cursor)
            return [[_fetch(cursor, s) for s in lane] for lane in lanes]
    futures: list[Future[list[Rows]]] = []
    with transaction.atomic(), connection.cursor() as cursor:
        try:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            _session(cursor)
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = str(cursor.fetchone()[0])
            if not _SNAPSHOT_ID.match(snapshot):  # it is put in the SQL as a literal
                raise RuntimeError(f"unexpected snapshot id {snapshot!r}")
            futures = [_workers().submit(_lane_in_snapshot, snapshot, lane) for lane in lanes[1:]]
            first = [_fetch(cursor, s) for s in lanes[0]]
        finally:
            # The snapshot lives as long as this transaction: the workers must have taken it.
            futures_wait(futures)
    return [first, *(f.result() for f in futures)]
