"""Per-stage timings of socket posts, for finding a latency tail (bench/chat_load.py).

Off unless ``CC_SOCKET_STAGE_LOG_SECONDS`` > 0; then, every that many seconds, one WARNING
line ``socket stages {json}`` per process with, for the posts of that interval:

- ``queue_wait_ms``: a post queued for the socket writer -> its batch taken (p50/p99/max);
- ``post_ms``: a batch's ``messages_post`` (statements and commit) in the writer thread;
- ``deliver_lag_ms``: a batch committed -> its events and answers started on the event loop;
- ``loop_lag_ms``: how late a 5 ms timer of the event loop fires (a starved or paused loop);
- ``gc_pause_ms``: the cyclic garbage collector's passes, by generation (count, max, total),
  wall time from its start to its end callback: that includes waits for the GIL (the
  callbacks are Python code, another thread may run in between), so a long one is not
  necessarily a long collection; ``gc_cpu_ms``: the same passes in the collecting
  thread's CPU time (the collection's own work: the GIL is held throughout), and
  ``gc_collected``: the objects they freed (cyclic garbage), by generation;
- ``writer_idle_share``: the share of the interval the writer thread waited for work;
- ``batches``, ``posts``, ``refused`` (slow_down at admission), ``held`` (behind a busy).

Costs a few list appends per post when on, nothing when off.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import threading
import time
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)

LOOP_TICK = 0.005


def _summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)
    last = len(ordered) - 1
    return {
        "n": len(ordered),
        "p50": round(ordered[last // 2] * 1000, 2),
        "p99": round(ordered[min(last, round(0.99 * last))] * 1000, 2),
        "max": round(ordered[last] * 1000, 2),
    }


class StageTimings:
    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._lock = threading.Lock()
        self._gc_started: float | None = None
        self._gc_cpu_started = 0.0
        self._loop_started = False
        self._reset(time.monotonic())

    @property
    def on(self) -> bool:
        return self.interval > 0

    def _reset(self, now: float) -> None:
        self.since = now
        self.queue_wait: list[float] = []
        self.post: list[float] = []
        self.deliver_lag: list[float] = []
        self.loop_lag: list[float] = []
        self.gc: dict[int, list[float]] = {0: [], 1: [], 2: []}
        self.gc_cpu: dict[int, list[float]] = {0: [], 1: [], 2: []}
        self.gc_collected: dict[int, int] = {0: 0, 1: 0, 2: 0}
        self.idle = 0.0
        self.batches = 0
        self.posts = 0
        self.refused = 0
        self.held = 0

    # ------------------------------------------------------------------ recorders
    def batch(self, waits: list[float], post_seconds: float) -> None:
        with self._lock:
            self.queue_wait.extend(waits)
            self.post.append(post_seconds)
            self.batches += 1
            self.posts += len(waits)
        self._maybe_log()

    def writer_idle(self, seconds: float) -> None:
        with self._lock:
            self.idle += seconds

    def delivered(self, lag: float) -> None:
        with self._lock:
            self.deliver_lag.append(lag)

    def count(self, name: str) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + 1)

    def start_on_loop(self) -> None:
        """From the event loop, once: the loop-lag ticker and the GC callback."""
        if self._loop_started or not self.on:
            return
        self._loop_started = True
        gc.callbacks.append(self._gc_callback)
        asyncio.ensure_future(self._tick())

    async def _tick(self) -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(LOOP_TICK)
            late = time.monotonic() - before - LOOP_TICK
            with self._lock:
                self.loop_lag.append(max(0.0, late))
            self._maybe_log()

    def _gc_callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
            self._gc_cpu_started = time.thread_time()
        elif self._gc_started is not None:
            cpu = time.thread_time() - self._gc_cpu_started
            took = time.perf_counter() - self._gc_started
            self._gc_started = None
            generation = info.get("generation", 0)
            with self._lock:
                self.gc.setdefault(generation, []).append(took)
                self.gc_cpu.setdefault(generation, []).append(cpu)
                self.gc_collected[generation] = self.gc_collected.get(generation, 0) + info.get("collected", 0)

    def _maybe_log(self) -> None:
        now = time.monotonic()
        if now - self.since < self.interval:
            return
        with self._lock:
            if now - self.since < self.interval:
                return
            span = now - self.since
            report = {
                "at": round(time.time(), 3),
                "seconds": round(span, 3),
                "batches": self.batches,
                "posts": self.posts,
                "refused": self.refused,
                "held": self.held,
                "writer_idle_share": round(self.idle / span, 3),
                "queue_wait_ms": _summary(self.queue_wait),
                "post_ms": _summary(self.post),
                "deliver_lag_ms": _summary(self.deliver_lag),
                "loop_lag_ms": _summary(self.loop_lag),
                "gc_pause_ms": {
                    str(gen): {"n": len(v), "max": round(max(v) * 1000, 2), "total": round(sum(v) * 1000, 2)}
                    for gen, v in self.gc.items()
                    if v
                },
                "gc_cpu_ms": {
                    str(gen): {"n": len(v), "max": round(max(v) * 1000, 2), "total": round(sum(v) * 1000, 2)}
                    for gen, v in self.gc_cpu.items()
                    if v
                },
                "gc_collected": {str(gen): n for gen, n in self.gc_collected.items() if self.gc[gen]},
            }
            self._reset(now)
        logger.warning("socket stages %s", json.dumps(report))


timings = StageTimings(float(getattr(settings, "CC_SOCKET_STAGE_LOG_SECONDS", 0) or 0))
