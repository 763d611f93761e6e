"""Timeouts fire for real, in both ways of running (SPEC 1 and 3.3): within 1 s of the
deadline, not before it, and exactly once, even when the process that should fire them
was down at the deadline.

- Embedded: a real daphne with the in-process ticker, on its own SQLite file.
- Production: a real Celery worker with embedded beat, on the pytest PostgreSQL database
  and the suite's Redis, with a Celery queue of its own; the deadline task is queued by the
  service on commit.

Every wait is bounded and every subprocess is killed by a finalizer."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import redis
from django.db import connection

from contactcenter.celery import app as celery_app
from contactcenter.org.models import Staff, Tag
from enquiries.models import Enquiry, EnquiryEvent
from tests.conftest import PASSWORD, require_postgres, require_redis
from tests.process_groups import ROOT, reap_group, signal_group, start_in_group

BIN = Path(sys.executable).parent
MAX_WAIT = 2.0  # CC_ENQUIRY_MAX_WAIT_SECONDS for these tests
FIRE_WITHIN = 1.0  # SPEC 3.3: a timeout fires within 1 s of its deadline
POLL = 0.05


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(predicate: Callable[[], Any], *, timeout: float, what: str, interval: float = POLL) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class Processes:
    """Subprocesses of one test, each in its own process group so that a kill reaches its
    children too (Celery's pool and beat)."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.procs: list[tuple[subprocess.Popen[bytes], Path]] = []

    def start(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = self.tmp_path / f"{name}-{len(self.procs)}.log"
        proc = start_in_group(args, env, log)
        self.procs.append((proc, log))
        return proc

    def kill(self, proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
        signal_group(proc, sig)
        reap_group(proc)

    def wait_ready(
        self,
        proc: subprocess.Popen[bytes],
        ready: Callable[[], bool],
        *,
        what: str,
        timeout: float,
        interval: float,
        not_yet: tuple[type[Exception], ...] = (),
    ) -> None:
        """Wait until ``ready()`` (an exception of ``not_yet`` counts as not ready yet); fail
        at once, with its log, if ``proc`` exits meanwhile."""

        def check() -> bool:
            assert proc.poll() is None, self.log(proc)
            try:
                return ready()
            except not_yet:
                return False

        wait_until(check, timeout=timeout, what=what, interval=interval)

    def log(self, proc: subprocess.Popen[bytes]) -> str:
        path = next(p for q, p in self.procs if q is proc)
        return path.read_text(errors="replace")[-4000:]

    def stop_all(self) -> None:
        for proc, _ in self.procs:
            self.kill(proc, signal.SIGTERM)


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    procs = Processes(tmp_path)
    yield procs
    procs.stop_all()


def run_checked(args: list[str], env: dict[str, str], timeout: float = 60) -> str:
    result = subprocess.run(  # noqa: S603 - fixed argv
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


# ---------------------------------------------------------------------------- embedded


def embedded_server_env(tmp: Path, *, max_wait_seconds: float = MAX_WAIT, **extra: str) -> dict[str, str]:
    """The environment of a daphne in the embedded default (SQLite file under ``tmp``, the
    in-memory layer, the ticker), with generous rate limits for tests; ``extra`` adds to it.
    Shared by the real-daphne tests here and the browser tests."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CC_TIMERS")}
    env.update(
        DJANGO_SETTINGS_MODULE="contactcenter.settings",
        CC_SQLITE_PATH=str(tmp / "embedded.sqlite3"),
        CC_MEDIA_ROOT=str(tmp / "media"),
        CC_TIMERS="ticker",
        CC_ENQUIRY_MAX_WAIT_SECONDS=str(max_wait_seconds),
        CC_WIDGET_RATE="100000/min",
        CC_LOGIN_RATE="100000/min",
        CC_VISITOR_MESSAGE_RATE="100000/min",
        CC_STAFF_MESSAGE_RATE="100000/min",
        CC_VISITOR_UPLOAD_RATE="100000/min",
        CC_STAFF_UPLOAD_RATE="100000/min",
        CC_LOGIN_LOCKOUT_FAILURES="1000",
        CC_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


@pytest.fixture
def embedded_env(tmp_path: Path) -> dict[str, str]:
    return embedded_server_env(tmp_path)


ADMIN_STAFF = ("--email", "admin@example.com", "--role", "admin", "--name", "Ada Admin")
AGENT_STAFF = ("--email", "agent@example.com", "--name", "Alice Agent", "--active", "--tag", "Support")


def embedded_setup(env: dict[str, str], *staff: Sequence[str]) -> None:
    """Migrate the embedded database of ``env`` and create each of ``staff`` (create_staff
    arguments; the password is PASSWORD), as an operator would with manage.py."""
    python = sys.executable
    run_checked([python, "manage.py", "migrate", "--noinput", "-v", "0"], env)
    for args in staff:
        run_checked([python, "manage.py", "create_staff", "--password", PASSWORD, *args], env)


def token_headers(http: httpx.Client, email: str) -> dict[str, str]:
    """The Authorization header of a token login of ``email`` (password PASSWORD)."""
    response = http.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Token {response.json()['token']}"}


def support_widget(http: httpx.Client, admin: dict[str, str], **fields: Any) -> dict[str, Any]:
    """A widget channel to the Support tag, made through the API with ``admin``'s headers;
    ``fields`` add to it. Returns the channel's JSON."""
    tags = http.get("/api/v1/tags", headers=admin).json()["results"]
    support = next(t["id"] for t in tags if t["name"] == "Support")
    response = http.post(
        "/api/v1/channels", headers=admin, json={"kind": "widget", "destination_tag": support, **fields}
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


class Server:
    def __init__(self, processes: Processes, env: dict[str, str]) -> None:
        self.processes = processes
        self.env = env
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        args = [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(self.port), "contactcenter.asgi:application"]
        proc = self.proc = self.processes.start("daphne", args, self.env)

        self.processes.wait_ready(
            proc,
            lambda: httpx.get(f"{self.base}/api/v1/tags", timeout=1).status_code in (200, 401, 403),
            what="daphne to serve",
            timeout=30,
            interval=0.1,
            not_yet=(httpx.TransportError,),
        )

    def crash(self) -> None:
        assert self.proc is not None
        self.processes.kill(self.proc, signal.SIGKILL)
        self.proc = None


def _db(path: str) -> sqlite3.Connection:
    return sqlite3.connect(path, timeout=20)


def _status_and_missed_events(path: str, enquiry_id: int) -> tuple[str, int]:
    with contextlib.closing(_db(path)) as db:
        (status,) = db.execute("SELECT status FROM enquiries_enquiry WHERE id = ?", (enquiry_id,)).fetchone()
        (events,) = db.execute(
            "SELECT COUNT(*) FROM enquiries_enquiryevent WHERE enquiry_id = ? AND type = 'missed'", (enquiry_id,)
        ).fetchone()
    return status, events


def _parse(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def test_embedded_ticker_misses_on_time_and_once_across_restarts(
    processes: Processes, embedded_env: dict[str, str]
) -> None:
    env = embedded_env
    embedded_setup(env, ADMIN_STAFF, AGENT_STAFF)
    server = Server(processes, env)
    server.start()
    with httpx.Client(base_url=server.base, timeout=10) as http:
        key = support_widget(http, token_headers(http, "admin@example.com"), name="Site")["key"]

        def open_enquiry(name: str) -> tuple[int, str, float, float]:
            before = time.monotonic()
            response = http.post(
                "/api/v1/widget/enquiries",
                json={"channel_key": key, "message": "Hello?", "visitor": {"first_name": name}},
            )
            after = time.monotonic()
            assert response.status_code == 201, response.text
            body = response.json()
            assert body["status"] == "open", body
            return body["id"], body["visitor_token"], before, after

        def state(enquiry_id: int, visitor_token: str) -> dict[str, Any]:
            response = http.get(
                f"/api/v1/widget/enquiries/{enquiry_id}", headers={"Authorization": f"Visitor {visitor_token}"}
            )
            assert response.status_code == 200, response.text
            return dict(response.json())

        # 1. Fires on time: not before MAX_WAIT, and within FIRE_WITHIN of the deadline.
        first_id, first_token, before, after = open_enquiry("First")
        deadline_at = _parse(state(first_id, first_token)["deadline_at"])
        missed = wait_until(
            lambda: (s := state(first_id, first_token))["status"] == "missed" and s,
            timeout=MAX_WAIT + FIRE_WITHIN + 2,
            what="the first enquiry to be missed",
        )
        seen = time.monotonic()
        assert seen - before >= MAX_WAIT - 0.05, "missed before its deadline"
        assert seen - after <= MAX_WAIT + FIRE_WITHIN + 0.25, "missed late"
        late = (_parse(missed["missed_at"]) - deadline_at).total_seconds()
        assert 0 <= late <= FIRE_WITHIN
        assert missed["missed_reason"] == "timeout"
        assert missed["can_leave_note"] is True

        # 2. The server is down at the deadline: the enquiry is missed once it is back.
        second_id, second_token, _, after = open_enquiry("Second")
        server.crash()
        time.sleep(max(0.0, after + MAX_WAIT + 0.3 - time.monotonic()))
        assert _status_and_missed_events(env["CC_SQLITE_PATH"], second_id) == ("open", 0)
        server.start()
        restarted = time.monotonic()
        wait_until(
            lambda: state(second_id, second_token)["status"] == "missed",
            timeout=FIRE_WITHIN + 2,
            what="the overdue enquiry to be missed after the restart",
        )
        assert time.monotonic() - restarted <= FIRE_WITHIN + 0.5
        time.sleep(0.6)  # a few more ticks: still exactly once
    assert _status_and_missed_events(env["CC_SQLITE_PATH"], second_id) == ("missed", 1)
    assert _status_and_missed_events(env["CC_SQLITE_PATH"], first_id) == ("missed", 1)


# ---------------------------------------------------------------------------- production


def _database_url() -> str:
    s = connection.settings_dict
    auth = quote(s["USER"] or "")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"])
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def production_env(redis_url: str, **extra: str) -> dict[str, str]:
    """The environment of a process in production mode on the pytest PostgreSQL database
    and ``redis_url``; ``extra`` adds to it."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="contactcenter.settings",
        DATABASE_URL=_database_url(),
        REDIS_URL=redis_url,
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def suite_redis_url(base: str) -> str:
    """The Redis the processes started by the tests use: CC_TEST_REDIS_URL if set, else the
    REDIS_URL the suite was given (its database number included: other software on the
    machine may use the others). Runs sharing it keep apart by a Celery queue and a channel
    prefix of their own (``private_celery_queue``, CC_CHANNEL_PREFIX)."""
    return os.environ.get("CC_TEST_REDIS_URL") or base


def private_celery_queue() -> str:
    """A Celery queue name of this test's own, so that other workers on this Redis database
    neither take our tasks nor give us theirs."""
    return f"cc-test-{os.getpid()}-{secrets.token_hex(4)}"


@contextlib.contextmanager
def broker(url: str, queue: str) -> Iterator[None]:
    """Point this process's Celery producer at ``url`` and ``queue`` (tasks queued on commit
    go there); on the way out, delete what is left of the queue (its keys are ours alone)."""
    # The app reads Django settings with the CELERY_ namespace: the keys are namespaced too.
    previous = celery_app.conf.broker_url, celery_app.conf.task_default_queue

    def use(value: str, name: str) -> None:
        celery_app.conf.update(CELERY_BROKER_URL=value, CELERY_TASK_DEFAULT_QUEUE=name)
        celery_app._pool = None
        # Queues, router and producers are built once from the configuration: rebuild them.
        celery_app.__dict__.pop("amqp", None)
        assert celery_app.connection_for_write().as_uri() == value
        assert celery_app.amqp.default_queue.name == name

    use(url, queue)
    try:
        yield
    finally:
        use(*previous)
        client = redis.Redis.from_url(url)
        try:
            leftovers = list(client.scan_iter(match=f"*{queue}*"))
            if leftovers:
                client.delete(*leftovers)
        finally:
            client.close()


@pytest.fixture
def celery_worker(
    transactional_db: Any, processes: Processes, tmp_path: Path, settings: Any
) -> Iterator[subprocess.Popen[bytes]]:
    require_postgres()
    require_redis()
    redis_url = suite_redis_url(settings.REDIS_URL)
    queue = private_celery_queue()
    env = production_env(
        redis_url,
        CC_CELERY_QUEUE=queue,
        CC_TIMERS="celery",
        CC_ENQUIRY_MAX_WAIT_SECONDS=str(MAX_WAIT),
        CC_LOG_LEVEL="INFO",  # as deployed: test_worker_logs reads what the worker logs
    )
    args = [str(BIN / "celery"), "-A", "contactcenter", "worker", "-B", "--concurrency=1", "-l", "INFO"]
    args += ["--without-gossip", "--without-mingle", "--schedule", str(tmp_path / "beat-schedule")]
    worker = processes.start("celery", args, env)

    processes.wait_ready(
        worker, lambda: " ready." in processes.log(worker), what="the Celery worker", timeout=30, interval=0.1
    )
    settings.CC_TIMERS = "celery"
    settings.CC_ENQUIRY_MAX_WAIT_SECONDS = MAX_WAIT
    with broker(redis_url, queue):
        yield worker
    processes.kill(worker, signal.SIGTERM)


def test_celery_misses_on_time_and_once(
    celery_worker: subprocess.Popen[bytes],
    make_staff: Callable[..., Staff],
    support: Tag,
    open_enquiry: Callable[..., Enquiry],
) -> None:
    make_staff(tags=[support])
    enquiry = open_enquiry()
    assert enquiry.status == Enquiry.Status.OPEN
    assert enquiry.deadline_at is not None
    deadline_at = enquiry.deadline_at

    def missed() -> Enquiry | None:
        found = Enquiry.objects.get(pk=enquiry.pk)
        return found if found.status == Enquiry.Status.MISSED else None

    done = wait_until(missed, timeout=MAX_WAIT + FIRE_WITHIN + 3, what="the Celery sweep to miss the enquiry")
    assert done.missed_at is not None
    late = (done.missed_at - deadline_at).total_seconds()
    assert 0 <= late <= FIRE_WITHIN, f"missed {late:.2f}s after the deadline"
    assert done.missed_reason == Enquiry.MissedReason.TIMEOUT
    time.sleep(1.2)  # at least one more beat sweep: still exactly once
    assert EnquiryEvent.objects.filter(enquiry=enquiry, type=EnquiryEvent.Type.MISSED).count() == 1
