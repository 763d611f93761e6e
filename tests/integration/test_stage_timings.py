"""Per-stage timings of socket posts (contactcenter/gateway/stage_timings.py): off by default;
when on, one "socket stages" line per interval with each stage's figures."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from contactcenter.gateway import stage_timings
from contactcenter.gateway.stage_timings import StageTimings


def test_off_by_default() -> None:
    assert not stage_timings.timings.on


def test_one_line_per_interval_with_each_stage(caplog: pytest.LogCaptureFixture) -> None:
    timings = StageTimings(interval=3600)
    timings.batch([0.001, 0.004], 0.010)
    timings.batch([0.002], 0.020)
    timings.delivered(0.0005)
    timings.writer_idle(1800)
    timings.count("refused")
    timings.count("held")
    timings._gc_callback("start", {"generation": 2})
    timings._gc_callback("stop", {"generation": 2})
    assert not caplog.records  # not yet: the interval has not passed
    timings.since -= 3600
    with caplog.at_level(logging.WARNING, logger=stage_timings.__name__):
        timings.batch([0.003], 0.005)
    (record,) = caplog.records
    report = json.loads(record.getMessage().removeprefix("socket stages "))
    assert report["batches"] == 3 and report["posts"] == 4
    assert report["refused"] == 1 and report["held"] == 1
    assert report["queue_wait_ms"] == {"n": 4, "p50": 2.0, "p99": 4.0, "max": 4.0}
    assert report["post_ms"]["max"] == 20.0 and report["deliver_lag_ms"]["n"] == 1
    assert report["gc_pause_ms"]["2"]["n"] == 1
    assert report["writer_idle_share"] == 0.5  # half an hour of an hour
    assert timings.posts == 0  # the next interval starts empty


def test_the_loop_lag_ticker_measures_the_loop() -> None:
    timings = StageTimings(interval=3600)

    async def body() -> None:
        timings.start_on_loop()
        timings.start_on_loop()  # once
        while len(timings.loop_lag) < 3:
            await asyncio.sleep(0.01)

    try:
        asyncio.run(body())
    finally:
        import gc

        gc.callbacks.remove(timings._gc_callback)
    assert all(lag >= 0 for lag in timings.loop_lag)


def test_the_web_process_collects_young_objects_less_often() -> None:
    """contactcenter/asgi.py sets CC_GC_GEN0_THRESHOLD (fewer young passes, no older ones
    within seconds under load: the latency tail)."""
    import gc

    from django.conf import settings

    import contactcenter.asgi  # noqa: F401 - sets the threshold on import

    assert settings.CC_GC_GEN0_THRESHOLD == 20000
    assert gc.get_threshold()[0] == settings.CC_GC_GEN0_THRESHOLD
