"""Logs (README "Logs"): one line per request and per task, JSON in production and text in
the embedded default, with a request id that follows the work into its tasks; no message
text at INFO; a sweep that did nothing logs nothing."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from celery import signals
from django.db import connection
from django.test import Client

from channels_adapters.tasks import inbound_process
from contactcenter.org import background, request_ids
from contactcenter.org.logs import JsonFormatter, TextFormatter, logging_config
from contactcenter.org.models import Staff, Tag
from enquiries import services as enquiry_services
from enquiries.models import Enquiry
from enquiries.tasks import sweep_timers
from tests.integration.test_real_timers import celery_worker, processes  # noqa: F401 - fixtures
from tests.ops.conftest import wait_for

ROOT = Path(__file__).resolve().parents[2]


class Lines:
    """What one logger wrote through a formatter, line by line."""

    def __init__(self, logger: str, formatter: logging.Formatter) -> None:
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(formatter)
        self.handler.addFilter(request_ids.RequestIdFilter())
        self.logger = logging.getLogger(logger)

    def __enter__(self) -> Lines:
        self.level = self.logger.level
        self.logger.addHandler(self.handler)
        self.logger.setLevel(logging.DEBUG)
        return self

    def __exit__(self, *exc: object) -> None:
        self.logger.removeHandler(self.handler)
        self.logger.setLevel(self.level)

    def lines(self) -> list[str]:
        return [line for line in self.stream.getvalue().splitlines() if line]

    def json(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines()]


@pytest.fixture
def request_log() -> Iterator[Lines]:
    with Lines("contactcenter.request", JsonFormatter()) as lines:
        yield lines


def test_json_line_per_request_with_the_callers_request_id(
    request_log: Lines, handled: tuple[Enquiry, Staff], api: Any
) -> None:
    enquiry, owner = handled
    response = api(owner).get(f"/api/v1/enquiries/{enquiry.pk}?secret=zzz", HTTP_X_REQUEST_ID="lb-7f3a.42")
    assert response.status_code == 200
    assert response["X-Request-ID"] == "lb-7f3a.42"
    (line,) = request_log.json()
    assert line["request_id"] == "lb-7f3a.42"
    assert line["level"] == "INFO" and line["logger"] == "contactcenter.request"
    assert line["route"] == "api/v1/enquiries/<int:enquiry_id>"
    assert line["enquiry_id"] == enquiry.pk
    assert line["method"] == "GET" and line["status"] == 200
    assert isinstance(line["duration_ms"], float)
    assert line["client"] == "127.0.0.1"
    assert "zzz" not in json.dumps(line)  # no query string
    assert line["ts"].endswith("+00:00")


@pytest.mark.parametrize("given", ["", "has space", "x" * 200, 'quote"', "line\nbreak", "-starts-with-dash"])
def test_an_insane_request_id_is_replaced(db: Any, request_log: Lines, given: str) -> None:
    response = Client().get("/api/v1/me", HTTP_X_REQUEST_ID=given)
    made = response["X-Request-ID"]
    assert made != given and request_ids.sane(made) == made and len(made) == 32
    assert request_log.json()[-1]["request_id"] == made


def test_probes_that_succeed_are_not_logged_at_info(db: Any, request_log: Lines, settings: Any) -> None:
    settings.CC_TIMERS = "off"
    Client().get("/healthz")
    Client().get("/readyz")
    Client().get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert all(line["level"] == "DEBUG" for line in request_log.json())


def test_text_format_carries_the_request_id() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("you",), None)
    record.request_id = "rid-1"
    record.fields = {"status": 200}
    assert TextFormatter().format(record).endswith("INFO x [rid-1] hello you status=200")


def _settings_in(env: dict[str, str]) -> str:
    code = (
        "from django.conf import settings; "
        "print(settings.CC_LOG_FORMAT, settings.LOGGING['handlers']['console']['formatter'])"
    )
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CC_LOG_FORMAT")}
    result = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env={**base, "DJANGO_SETTINGS_MODULE": "contactcenter.settings", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


def test_log_format_by_mode() -> None:
    prod = {"DATABASE_URL": "postgres://u@127.0.0.1:1/x", "REDIS_URL": "redis://127.0.0.1:1/0"}
    assert _settings_in({}) == "text text"
    assert _settings_in(prod) == "json json"
    assert _settings_in({**prod, "CC_LOG_FORMAT": "text"}) == "text text"
    assert _settings_in({"CC_LOG_FORMAT": "json"}) == "json json"
    assert logging_config("json", "INFO")["handlers"]["console"]["filters"] == ["request_id"]


# --- tasks ----------------------------------------------------------------------------------


@pytest.fixture
def task_log() -> Iterator[Lines]:
    with Lines("contactcenter.task", JsonFormatter()) as lines:
        yield lines


def test_task_runs_under_the_request_id_of_its_headers(db: Any, task_log: Lines) -> None:
    inbound_process.apply(args=[[]], headers={"cc_request_id": "from-the-webhook-1"})
    (line,) = task_log.json()
    assert line["request_id"] == "from-the-webhook-1"
    assert line["task"] == "channels_adapters.tasks.inbound_process"
    assert line["state"] == "SUCCESS" and isinstance(line["duration_ms"], float)
    assert request_ids.current() == request_ids.NO_REQUEST  # reset after the task


def test_publishing_puts_the_current_request_id_in_the_headers() -> None:
    headers: dict[str, Any] = {}
    token = request_ids.bind("frame-77")
    try:
        signals.before_task_publish.send(sender="some.task", headers=headers, body=None, exchange="", routing_key="")
    finally:
        request_ids.reset(token)
    assert headers["cc_request_id"] == "frame-77"
    untouched: dict[str, Any] = {}
    signals.before_task_publish.send(sender="some.task", headers=untouched, body=None, exchange="", routing_key="")
    assert untouched == {}  # nothing being handled: no id to carry


def test_embedded_background_thread_keeps_the_request_id(settings: Any) -> None:
    settings.CC_TIMERS = "ticker"
    seen: list[str] = []

    class Task:
        name = "test.task"

        def __call__(self, *args: Any) -> None:
            seen.append(request_ids.current())

    token = request_ids.bind("req-thread-5")
    try:
        background.run_task(Task())
    finally:
        request_ids.reset(token)
    wait_for(lambda: seen, what="the background thread")
    assert seen == ["req-thread-5"]


def test_request_id_reaches_a_real_worker(request: pytest.FixtureRequest) -> None:
    """PostgreSQL + Redis: a Celery worker of this test's own, logging JSON as deployed."""
    if connection.vendor != "postgresql":
        pytest.skip("needs a real Celery worker (PostgreSQL and Redis)")
    worker = request.getfixturevalue("celery_worker")
    procs = request.getfixturevalue("processes")
    token = request_ids.bind("socket-frame-abc123")
    try:
        sent = inbound_process.apply_async(args=[[]])
    finally:
        request_ids.reset(token)

    def logged() -> dict[str, Any] | None:
        for text in procs.log(worker).splitlines():
            if text.startswith("{") and sent.id in text:
                line = json.loads(text)
                if line.get("logger") == "contactcenter.task":
                    return line  # type: ignore[no-any-return]
        return None

    line = wait_for(logged, timeout=20, what="the worker's line for the task")
    assert line["request_id"] == "socket-frame-abc123"
    assert line["task_id"] == sent.id and line["state"] == "SUCCESS"


# --- what INFO does not say ---------------------------------------------------------------

PHRASE = "Zebra quartz private words 4711"


def test_no_message_text_at_info(
    db: Any,
    caplog: pytest.LogCaptureFixture,
    make_staff: Callable[..., Staff],
    support: Tag,
    open_enquiry: Callable[..., Enquiry],
    api: Any,
    clock: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    agent = make_staff(tags=[support])
    with caplog.at_level(logging.INFO), django_capture_on_commit_callbacks(execute=True):
        enquiry = open_enquiry(message=f"{PHRASE} https://example.invalid/{PHRASE.replace(' ', '-')}")
        enquiry_services.enquiry_pick_up(actor=agent, enquiry_id=enquiry.pk)
        enquiry.refresh_from_db()
        room = enquiry.room.pk
        assert api(agent).post(f"/api/v1/rooms/{room}/messages", {"text": PHRASE}, format="json").status_code == 201
        visitor = api(enquiry.visitor)
        assert visitor.post(f"/api/v1/rooms/{room}/messages", {"text": PHRASE}, format="json").status_code == 201
        assert api(agent).post(f"/api/v1/rooms/{room}/messages", {}, format="json").status_code == 400
    records = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert any(r.name == "contactcenter.request" for r in records)
    for record in records:
        text = record.getMessage() + json.dumps(getattr(record, "fields", {}), default=str)
        assert "Zebra" not in text and "4711" not in text, (record.name, text)


def test_sweeps_that_did_nothing_log_nothing(db: Any, caplog: pytest.LogCaptureFixture, task_log: Lines) -> None:
    with caplog.at_level(logging.INFO):
        for sweep in list(background.sweeps.values()):
            sweep.func()
        sweep_timers.apply()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO] == []
    assert task_log.lines() == []
    # Another task does write its line.
    inbound_process.apply(args=[[]])
    assert len(task_log.lines()) == 1
