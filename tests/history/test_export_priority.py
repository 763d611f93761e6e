"""Exports yield to the chat: the task runs the export in a thread of its own at a lower
CPU priority (CC_EXPORT_NICE) and the export pauses after every chunk (CC_EXPORT_PAUSE_MS)."""

from __future__ import annotations

import os
import threading
from typing import Any

import pytest

from history import exports, tasks
from tests.history.history_fixtures import World, world_fixture  # noqa: F401


def _niceness() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_the_task_runs_the_export_niced_in_a_thread_of_its_own(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.CC_EXPORT_NICE = 5
    before = _niceness()
    seen: dict[str, Any] = {}

    def fake_run(*, export_id: int) -> str:
        seen.update(export_id=export_id, niceness=_niceness(), thread=threading.get_ident())
        return "done"

    monkeypatch.setattr(exports, "export_run", fake_run)
    assert tasks.export_run(7) == "done"
    assert seen["export_id"] == 7 and seen["thread"] != threading.get_ident()
    assert seen["niceness"] == min(before + 5, 19)
    # The caller's own priority is unchanged (the worker's next task, the web process).
    assert _niceness() == before


def test_a_failing_export_raises_in_the_caller(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.CC_EXPORT_NICE = 1

    def boom(*, export_id: int) -> str:
        raise RuntimeError("disk full")

    monkeypatch.setattr(exports, "export_run", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        tasks.export_run(1)


@pytest.mark.django_db
def test_inline_inside_a_transaction_or_without_niceness(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[int] = []

    def fake_run(*, export_id: int) -> str:
        threads.append(threading.get_ident())
        return "skipped"

    monkeypatch.setattr(exports, "export_run", fake_run)
    settings.CC_EXPORT_NICE = 5
    assert tasks.export_run(1) == "skipped"  # the test's transaction: its rows stay visible
    settings.CC_EXPORT_NICE = 0
    assert tasks.export_run(1) == "skipped"
    assert threads == [threading.get_ident()] * 2


@pytest.mark.django_db
def test_the_export_pauses_after_every_chunk(world: World, settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exports, "CHUNK_ROWS", 2)
    pauses: list[float] = []
    monkeypatch.setattr(exports.time, "sleep", pauses.append)
    settings.CC_EXPORT_PAUSE_MS = 0
    first = exports.export_request(actor=world.admin, kind="enquiries", format="csv", filters={})
    assert exports.export_run(export_id=first.pk) == "done"
    assert pauses == []
    settings.CC_EXPORT_PAUSE_MS = 25
    second = exports.export_request(actor=world.admin, kind="enquiries", format="csv", filters={})
    assert exports.export_run(export_id=second.pk) == "done"
    second.refresh_from_db()
    assert second.rows == 4
    assert pauses == [0.025] * (second.rows // 2)


def test_the_embedded_ticker_thread_is_niced_in_place(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # CC_TIMERS="ticker" runs each task on a thread of its own (background.run_task).
    settings.CC_TIMERS = "ticker"
    settings.CC_EXPORT_NICE = 3
    seen: dict[str, Any] = {}

    def fake_run(*, export_id: int) -> str:
        seen.update(niceness=_niceness(), thread=threading.get_ident())
        return "done"

    monkeypatch.setattr(exports, "export_run", fake_run)
    before = _niceness()
    timer = threading.Thread(target=lambda: seen.update(result=tasks.export_run(3), caller=threading.get_ident()))
    timer.start()
    timer.join()
    assert seen["result"] == "done" and seen["thread"] == seen["caller"]
    assert seen["niceness"] == min(before + 3, 19)
    assert _niceness() == before
