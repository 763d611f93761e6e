"""``clock.timestamp()`` is ``clock.now()`` in epoch seconds, frozen, advanced or running."""

from __future__ import annotations

import datetime as dt
import time

from contactcenter.org import clock


def test_timestamp_follows_the_clock_frozen_advanced_and_running() -> None:
    try:
        at = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)
        clock.freeze(at)
        assert clock.timestamp() == at.timestamp()
        clock.advance(90)
        assert clock.timestamp() == at.timestamp() + 90 == clock.now().timestamp()
        clock.freeze(None)  # running again, then moved 90 s ahead of the real time
        clock.advance(90)
        before = time.time()
        stamp = clock.timestamp()
        assert before + 90 <= stamp <= time.time() + 90
        assert abs(stamp - clock.now().timestamp()) < 5
    finally:
        clock.reset()
    before = time.time()
    assert before <= clock.timestamp() <= time.time()
