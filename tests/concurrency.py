"""Real races for the PostgreSQL tests: callables run in threads of their own (each with
its own database connection), released together by a barrier."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection

JOIN_TIMEOUT = 60


def race(workers: list[Callable[[], Any]], *, what: str = "a thread") -> list[Any]:
    """Run every worker in its own thread, released at once; return each result (or the
    exception it raised), in the order of ``workers``. ``what`` names a worker in the
    failure when one hangs."""
    barrier = threading.Barrier(len(workers))
    results: list[Any] = [None] * len(workers)

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=JOIN_TIMEOUT)
            results[i] = workers[i]()
        except BaseException as exc:  # reported to the test, whatever it is
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(workers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(JOIN_TIMEOUT)
    assert not any(t.is_alive() for t in threads), f"{what} hung"
    return results
