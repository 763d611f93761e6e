"""PgBouncer in transaction pooling mode (README "Deploy", deploy/pgbouncer.ini, CC_PGBOUNCER):
the settings it needs, and the main flows through a real PgBouncer with a small pool, so that
every process's transactions share a few server connections: chat over sockets and REST
(HAProxy in front of two daphne), a deadline missed exactly once by Celery, an export
(which would use a server-side cursor), and no session setting left on a pooled server
connection.

Runs under CI=true (.ci/run installs pgbouncer and haproxy); elsewhere it skips only without
them, PostgreSQL or Redis."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg2
import pytest
from django.db import connection

from contactcenter.org.models import Staff, Tag
from enquiries.models import Enquiry, EnquiryEvent
from tests.conftest import require_postgres, require_redis
from tests.deploy.stack import (
    DEPLOY,
    AsyncRetrying,
    Peer,
    Retrying,
    Stack,
    require_binary,
    run_peers,
    stack_env,
    staff_tokens,
    wait_for,
    widget_channel_key,
    widget_enquiry,
)
from tests.deploy.test_settings import environment, run
from tests.integration.test_real_timers import (  # noqa: F401 - fixtures
    POLL,
    Processes,
    free_port,
    processes,
    wait_until,
)

POOL = 3  # server connections for every process of the test together
KEY = secrets.token_urlsafe(50)

# ------------------------------------------------------------------------------ settings

SHOW = (
    "import json, contactcenter.settings as s; d = s.DATABASES['default']; print(json.dumps({"
    "'cursors': d.get('DISABLE_SERVER_SIDE_CURSORS', False), 'health': d.get('CONN_HEALTH_CHECKS', False),"
    "'web_ticker': s.CC_WEB_TICKER}))"
)
PRODUCTION = {"DATABASE_URL": "postgres://cc@127.0.0.1:1/ccprod", "REDIS_URL": "redis://127.0.0.1:1/0"}


def _settings(tmp_path: Path, **extra: str) -> Any:
    result = run([sys.executable, "-c", SHOW], environment(tmp_path, CC_SECRET_KEY=KEY, **extra))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_pgbouncer_mode_turns_off_what_needs_a_session(tmp_path: Path) -> None:
    assert _settings(tmp_path, **PRODUCTION) == {"cursors": False, "health": False, "web_ticker": True}
    assert _settings(tmp_path, **PRODUCTION, CC_PGBOUNCER="1") == {"cursors": True, "health": True, "web_ticker": False}


def test_pgbouncer_mode_refuses_the_web_ticker(tmp_path: Path) -> None:
    env = environment(tmp_path, CC_SECRET_KEY=KEY, **PRODUCTION, CC_PGBOUNCER="1", CC_WEB_TICKER="1")
    result = run([sys.executable, "-c", "import contactcenter.settings"], env)
    assert result.returncode != 0
    assert "CC_WEB_TICKER=1 needs a session-level advisory lock" in result.stderr


# ------------------------------------------------------------------------------ PgBouncer


def configured(text: str, databases: dict[str, str], **settings: str) -> str:
    """deploy/pgbouncer.ini with its [databases] replaced by ``databases`` and each of
    ``settings`` of [pgbouncer] set (replaced where the file has it, else added)."""
    out: list[str] = []
    section = ""
    left = dict(settings)
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            if section == "pgbouncer":
                out += [f"{k} = {v}" for k, v in left.items()]
                left = {}
            section = stripped.strip("[]")
            out.append(line)
            if section == "databases":
                out += [f"{name} = {value}" for name, value in databases.items()]
            continue
        key = stripped.split("=", 1)[0].strip() if "=" in stripped and not stripped.startswith(";") else ""
        if section == "databases" and key:
            continue
        if section == "pgbouncer" and key in settings:
            if key in left:
                out.append(f"{key} = {left.pop(key)}")
            continue
        out.append(line)
    out += [f"{k} = {v}" for k, v in left.items()]
    return "\n".join(out) + "\n"


class Bouncer:
    """PgBouncer with deploy/pgbouncer.ini, included by a file of the test's own that points
    it at the test database on a port of its own, with a pool of POOL server connections.
    As root (PgBouncer refuses to run as root) it runs as ``nobody`` (``-u``), its files in
    a directory that user can read."""

    def __init__(self, procs: Processes, folder: Path) -> None:
        binary = require_binary("pgbouncer")
        s = connection.settings_dict
        self.port = free_port()
        self.user = s["USER"] or "postgres"
        self.name = str(s["NAME"])
        server = f"host={s['HOST'] or '127.0.0.1'} port={s['PORT'] or 5432} dbname={self.name} user={self.user}"
        if s.get("PASSWORD"):
            server += f" password={s['PASSWORD']}"
        (folder / "userlist.txt").write_text(f'"{self.user}" ""\n')
        ini = folder / "pgbouncer.ini"
        ini.write_text(
            configured(
                (DEPLOY / "pgbouncer.ini").read_text(),
                {self.name: server},
                listen_port=str(self.port),
                auth_type="trust",  # the test's clients are on loopback; deployments use SCRAM
                auth_file=str(folder / "userlist.txt"),
                default_pool_size=str(POOL),
                reserve_pool_size="0",
                max_db_connections=str(POOL),
                logfile="",  # to stderr: the process's log file
                pidfile="",
            )
        )
        for path in (folder, folder / "userlist.txt", ini):
            path.chmod(0o755 if path.is_dir() else 0o644)
        args = [binary, str(ini)]
        if os.geteuid() == 0:
            args[1:1] = ["-u", "nobody"]
        self.proc = procs.start("pgbouncer", args, dict(os.environ))
        procs.wait_ready(
            self.proc,
            lambda: self.query("SELECT 1") == [(1,)],
            what="pgbouncer to accept connections",
            timeout=20,
            interval=POLL,
            not_yet=(psycopg2.OperationalError,),
        )

    @property
    def url(self) -> str:
        return f"postgres://{self.user}@127.0.0.1:{self.port}/{self.name}"

    def settings_of_every_server_connection(self) -> list[tuple[str, str]]:
        """lock_timeout and statement_timeout as seen by POOL clients in open transactions
        at once: each holds a server connection of its own, so all of them are seen."""
        conns = [self.connect() for _ in range(POOL)]
        try:
            seen = []
            for conn in conns:  # psycopg2 opens a transaction with the first statement
                with conn.cursor() as cursor:
                    cursor.execute(
                        "SELECT pg_backend_pid(), current_setting('lock_timeout'), current_setting('statement_timeout')"
                    )
                    seen.append(cursor.fetchone())
            assert len({pid for pid, _, _ in seen}) == POOL, seen
            return sorted((lock, statement) for _, lock, statement in seen)
        finally:
            for conn in conns:
                conn.close()

    def connect(self) -> Any:
        return psycopg2.connect(host="127.0.0.1", port=self.port, user=self.user, dbname=self.name, connect_timeout=2)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """``sql`` on a new client connection through PgBouncer, in autocommit."""
        conn = self.connect()
        try:
            conn.autocommit = True
            with conn.cursor() as cursor:
                cursor.execute(sql)
                return list(cursor.fetchall())
        finally:
            conn.close()


@pytest.fixture
def bouncer_folder() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="cc-pgbouncer-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_main_flows_through_pgbouncer_in_transaction_mode(
    bouncer_folder: Path,
    transactional_db: Any,
    processes: Processes,  # noqa: F811 - fixture
    settings: Any,
    make_staff: Callable[..., Staff],
    support: Tag,
    tmp_path: Path,
) -> None:
    require_postgres()
    require_redis()
    require_binary("haproxy")
    bouncer = Bouncer(processes, bouncer_folder)
    (agent_token,), admin_token = staff_tokens(make_staff, support, 1)

    env = stack_env(settings, tmp_path, CC_PGBOUNCER="1")
    env["DATABASE_URL"] = bouncer.url
    del env["CC_WEB_TICKER"]  # PgBouncer mode: Celery alone enforces deadlines
    stack = Stack(processes, tmp_path, env)
    stack.start_daphne(2)
    stack.start_celery(workers=2)
    stack.start_haproxy()
    started = time.monotonic()

    http = httpx.Client(base_url=stack.base, timeout=10, transport=Retrying())
    as_admin, as_agent = {"Authorization": f"Token {admin_token}"}, {"Authorization": f"Token {agent_token}"}
    try:
        key = widget_channel_key(http, admin_token, support)

        def open_enquiry(name: str) -> dict[str, Any]:
            return widget_enquiry(http, key, name)

        chat = open_enquiry("Chatty")
        assert http.post(f"/api/v1/enquiries/{chat['id']}/pick-up", headers=as_agent).status_code == 200
        waiting = open_enquiry("Waiting")
        room = chat["room"]

        async def body() -> None:
            async with httpx.AsyncClient(base_url=stack.base, timeout=10, transport=AsyncRetrying()) as ahttp:

                async def staff_url() -> str:
                    got = await ahttp.post("/api/v1/auth/socket-ticket", headers=as_agent)
                    if got.status_code != 200:
                        raise OSError(f"no ticket: {got.status_code}")
                    return f"{stack.ws_base}/ws/staff/?ticket={got.json()['ticket']}"

                async def visitor_url() -> str:
                    return f"{stack.ws_base}/ws/visitor/?visitor_token={chat['visitor_token']}"

                peers = [Peer("agent", staff_url, [room]), Peer("visitor", visitor_url, [room])]

                async def scenario() -> None:
                    await wait_for(lambda: all(p.connects == 1 for p in peers), timeout=30, what="both sockets")
                    for i in range(20):
                        await peers[i % 2].post(room, f"pgb {i}", f"pgb-{i}")
                    rest = await ahttp.post(
                        f"/api/v1/rooms/{room}/messages", headers=as_agent, json={"text": "by REST", "client_id": "r1"}
                    )
                    assert rest.status_code == 201, rest.text
                    await wait_for(lambda: all(not p.pending for p in peers), timeout=30, what="every post acked")
                    ids = {mid for p in peers for mid in p.acked.values()} | {rest.json()["id"]}
                    await wait_for(
                        lambda: all(ids <= p.has(room) for p in peers), timeout=30, what="every message at both"
                    )
                    for peer in peers:
                        assert peer.errors == [] and peer.live_duplicates == [], peer.name

                await run_peers(peers, scenario)

        asyncio.run(asyncio.wait_for(body(), 90))

        # The waiting enquiry: missed once, by Celery (beat + two workers).
        wait_until(
            lambda: Enquiry.objects.get(pk=waiting["id"]).status == Enquiry.Status.MISSED,
            timeout=40,
            what="the waiting enquiry to be missed",
            interval=0.1,
        )
        # An export: Celery writes it with .iterator() (no server-side cursor through PgBouncer).
        asked = http.post(
            "/api/v1/exports", headers=as_admin, json={"kind": "messages", "format": "csv", "filters": {}}
        )
        assert asked.status_code == 202, asked.text
        export_id = asked.json()["id"]
        done = wait_until(
            lambda: (
                (e := http.get(f"/api/v1/exports/{export_id}", headers=as_admin).json())["status"] in ("done", "failed")
                and e
            ),
            timeout=60,
            what="the export",
            interval=0.2,
        )
        assert done["status"] == "done", done
        download = http.get(f"/api/v1/exports/{export_id}/download", headers=as_admin)
        assert download.status_code == 200
        text = download.content.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
        assert done["rows"] == len(rows) - 1 >= 1, (done, rows[:3])
        assert any("Hello?" in row for row in rows), rows[:3]  # the missed enquiry's first message

    except BaseException:
        print(stack.logs())
        raise
    finally:
        http.close()
        stack.close()
    assert EnquiryEvent.objects.filter(enquiry_id=waiting["id"], type=EnquiryEvent.Type.MISSED).count() == 1
    assert Enquiry.objects.get(pk=chat["id"]).status == Enquiry.Status.HANDLING

    # No session state left on the pooled server connections (the socket writer's timeouts
    # are set per transaction): POOL transactions at once hold every server connection of
    # the pool, and each shows the server's defaults.
    assert bouncer.settings_of_every_server_connection() == [("0", "0")] * POOL
    assert time.monotonic() - started < 150
