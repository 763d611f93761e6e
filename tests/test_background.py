"""contactcenter/org/background.py: the one switch for background work and the one ticker."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from contactcenter.org import background

pytestmark = pytest.mark.django_db


class FakeTask:
    name = "tests.fake"

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.queued: list[tuple[Any, ...]] = []
        self.ran = threading.Event()

    def apply_async(self, args: tuple[Any, ...], **kwargs: Any) -> None:
        if self.fail:
            raise ConnectionError("broker down")
        self.queued.append((args, kwargs))

    def __call__(self, *args: Any) -> None:
        self.queued.append(args)
        self.ran.set()


def test_celery_queues_on_commit(settings: Any, django_capture_on_commit_callbacks: Any) -> None:
    settings.CC_TIMERS = "celery"
    task = FakeTask()
    with django_capture_on_commit_callbacks(execute=True):
        background.run_after_commit(task, 7, countdown=3.0)
        assert task.queued == []  # not before commit
    assert task.queued == [((7,), {"countdown": 3.0})]


def test_celery_enqueue_failure_is_logged_not_raised(
    settings: Any, django_capture_on_commit_callbacks: Any, caplog: Any
) -> None:
    settings.CC_TIMERS = "celery"
    with django_capture_on_commit_callbacks(execute=True):
        background.run_after_commit(FakeTask(fail=True), 7)
    assert [r.getMessage() for r in caplog.records if r.name == "contactcenter.org.background"] == [
        "could not queue tests.fake"
    ]


def test_ticker_runs_in_a_thread(settings: Any, django_capture_on_commit_callbacks: Any) -> None:
    settings.CC_TIMERS = "ticker"
    task = FakeTask()
    with django_capture_on_commit_callbacks(execute=True):
        background.run_after_commit(task, 7)
    assert task.ran.wait(5)
    assert task.queued == [(7,)]


def test_thread_false_is_celery_only(settings: Any, django_capture_on_commit_callbacks: Any) -> None:
    task = FakeTask()
    for mode in ("ticker", "off"):
        settings.CC_TIMERS = mode
        with django_capture_on_commit_callbacks(execute=True):
            background.run_after_commit(task, 1, thread=False)
    assert task.queued == [] and ("tests.fake", (1,), 0.0) not in background.scheduled


def test_off_only_records(settings: Any, django_capture_on_commit_callbacks: Any) -> None:
    settings.CC_TIMERS = "off"
    task = FakeTask()
    background.scheduled.clear()
    with django_capture_on_commit_callbacks(execute=True):
        background.run_after_commit(task, 7)
    assert task.queued == [] and background.scheduled == [("tests.fake", (7,), 0.0)]
    background.scheduled.clear()


def test_apps_register_their_sweeps() -> None:
    """The ticker knows no app: the apps register their sweeps at startup."""
    assert background.sweeps["enquiries.services.timers_sweep"].web
    assert {path: s.every for path, s in background.sweeps.items()} == {
        "enquiries.services.timers_sweep": None,
        "contactcenter.org.realtime.relay_drain": None,
        "channels_adapters.outbound.outbound_resume_due": 30.0,
        "channels_adapters.inbound.inbound_process_pending": 30.0,
        "analytics.voc.voc_sweep": 10.0,
        "history.exports.exports_sweep": 10.0,
        "history.retention.retention_sweep": 3600.0,
        "history.search_index.search_stale_sweep": 5.0,
        "notifications.services.notifications_sweep": 3600.0,
        "ai.services.ai_calls_sweep": 3600.0,
        "integrations.webhooks.webhooks_sweep": 2.0,
        "integrations.webhooks.webhooks_log_trim": 3600.0,
        "robot.services.robot_sweep": 5.0,
    }


def test_a_failing_sweep_does_not_stop_the_others(settings: Any, monkeypatch: Any) -> None:
    settings.CC_TICKER_INTERVAL_SECONDS = 1
    ran: list[str] = []

    class Stop(BaseException):
        pass

    def boom() -> None:
        ran.append("boom")
        raise RuntimeError("bug")

    class FakeTime:
        def monotonic(self) -> float:
            return 0.0

        def sleep(self, seconds: float) -> None:
            raise Stop

    monkeypatch.setattr(background, "sweeps", {})
    monkeypatch.setattr(background, "time", FakeTime())
    monkeypatch.setattr("enquiries.services.timers_sweep", boom)
    monkeypatch.setattr("channels_adapters.outbound.outbound_resume_due", lambda: ran.append("outbound"))
    background.register_sweep("enquiries.services.timers_sweep", web=True)
    background.register_sweep("channels_adapters.outbound.outbound_resume_due", every=30.0)
    with pytest.raises(Stop):
        background._run()
    assert ran == ["boom", "outbound"]
