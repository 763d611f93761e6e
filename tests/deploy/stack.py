"""A production stack of real processes for the deployment tests: HAProxy with
deploy/haproxy.cfg in front of daphne processes, Celery workers and beat (on whatever
DATABASE_URL the environment gives: PostgreSQL, or PgBouncer in test_pgbouncer.py); and a
socket client that behaves as static/js/socket.js (reconnect, ``sync`` from the last id it
holds, posts sent again until acknowledged).

Every process runs in a process group of its own (tests/process_groups.py) and is stopped by
the ``processes`` fixture of tests/integration/test_real_timers.py."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from contactcenter.org import services as org_services
from contactcenter.org.models import Staff, Tag
from tests.conftest import IN_CI
from tests.integration.test_real_timers import (
    BIN,
    Processes,
    free_port,
    private_celery_queue,
    production_env,
    suite_redis_url,
)
from tests.process_groups import ROOT, reap_group, signal_group

DEPLOY = ROOT / "deploy"
MAX_WAIT = 8.0  # CC_ENQUIRY_MAX_WAIT_SECONDS: long enough to pick the chats up first


def stack_env(settings: Any, tmp_path: Path, **extra: str) -> dict[str, str]:
    """Production mode on the test database and the suite's Redis, keeping apart from
    other runs by channel prefix and Celery queue; timers as deployed (Celery with beat,
    and the web ticker under its advisory lock). ``extra`` adds to it or replaces."""
    return production_env(
        suite_redis_url(settings.REDIS_URL),
        **{
            "CC_CHANNEL_PREFIX": f"scaleout-{os.getpid()}",
            "CC_CELERY_QUEUE": private_celery_queue(),
            "CC_TIMERS": "celery",
            "CC_WEB_TICKER": "1",
            "CC_ENQUIRY_MAX_WAIT_SECONDS": str(MAX_WAIT),
            "CC_TRUSTED_PROXIES": "127.0.0.1",
            "CC_MEDIA_ROOT": str(tmp_path / "media"),
            "CC_WIDGET_RATE": "100000/min",
            "CC_WIDGET_MAX_ENQUIRIES_PER_HOUR": "100000",
            "CC_LOGIN_RATE": "100000/min",
            "CC_LOG_LEVEL": "INFO",  # the workers' " ready." line is what the stack waits for
            **extra,
        },
    )


def staff_tokens(make_staff: Callable[..., Staff], tag: Tag, agents: int, **fields: Any) -> tuple[list[str], str]:
    """API tokens of ``agents`` agents serving ``tag`` ("Agent 0", "Agent 1"...; ``fields``
    for make_staff) and of an admin: (agent tokens, admin token)."""
    tokens = [
        org_services.token_issue(staff=make_staff(tags=[tag], name=f"Agent {n}", **fields)) for n in range(agents)
    ]
    admin = make_staff(role=Staff.Role.ADMIN, name="Ada Admin")
    return tokens, org_services.token_issue(staff=admin)


def widget_channel_key(http: httpx.Client, admin_token: str, tag: Tag) -> str:
    """A widget channel to ``tag``, made through the API: its key."""
    response = http.post(
        "/api/v1/channels",
        headers={"Authorization": f"Token {admin_token}"},
        json={"kind": "widget", "name": "Site", "destination_tag": tag.pk},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["key"])


def widget_enquiry(http: httpx.Client, key: str, name: str) -> dict[str, Any]:
    """A visitor named ``name`` opens an enquiry by the widget API: the answer (id, room,
    visitor_token...)."""
    response = http.post(
        "/api/v1/widget/enquiries", json={"channel_key": key, "message": "Hello?", "visitor": {"first_name": name}}
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def picked_up_widget_enquiry(
    http: httpx.Client, key: str, agent_auth: dict[str, str], name: str = "Vera"
) -> tuple[int, int, str]:
    """A visitor opens an enquiry by the widget API and the agent of ``agent_auth`` picks it
    up: (enquiry id, room id, visitor token)."""
    opened = widget_enquiry(http, key, name)
    picked = http.post(f"/api/v1/enquiries/{opened['id']}/pick-up", headers=agent_auth)
    assert picked.status_code == 200, picked.text
    return int(opened["id"]), int(opened["room"]), str(opened["visitor_token"])


def require_binary(name: str) -> str:
    """The path of Debian's ``name`` (haproxy, pgbouncer); skip without it, except in CI
    (.ci/run installs them)."""
    found = shutil.which(name) or next(
        (str(p) for p in (Path("/usr/sbin") / name, Path("/sbin") / name) if p.exists()), None
    )
    if found is None:
        if IN_CI:
            pytest.fail(f"CI=true but {name} is not installed (.ci/run installs it)")
        pytest.skip(f"needs {name} (apt-get install {name})")
    return found


RETRY_503_FOR = 20.0  # seconds


class Retrying(httpx.HTTPTransport):
    """As a client should: a 503 (a backing service briefly unavailable, nothing changed;
    e.g. PostgreSQL out of connections on a shared machine) is tried again, for a while."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        deadline = time.monotonic() + RETRY_503_FOR
        while True:
            response = super().handle_request(request)
            if response.status_code != 503 or time.monotonic() > deadline:
                return response
            response.close()
            time.sleep(0.2)  # a retry's back-off, not a wait for something to happen


class AsyncRetrying(httpx.AsyncHTTPTransport):
    """``Retrying`` for ``httpx.AsyncClient``."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        deadline = time.monotonic() + RETRY_503_FOR
        while True:
            response = await super().handle_async_request(request)
            if response.status_code != 503 or time.monotonic() > deadline:
                return response
            await response.aclose()
            await asyncio.sleep(0.2)


async def wait_for(predicate: Callable[[], bool], *, timeout: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)


class Stack:
    """The processes of one deployment, on ports of their own."""

    def __init__(self, processes: Processes, tmp_path: Path, env: dict[str, str]) -> None:
        self.processes = processes
        self.tmp_path = tmp_path
        self.env = env
        self.web: list[tuple[int, subprocess.Popen[bytes]]] = []
        self.workers: list[subprocess.Popen[bytes]] = []
        self.lb_port = 0
        self.own: list[subprocess.Popen[bytes]] = []  # every process started here

    def start(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        proc = self.processes.start(name, args, env)
        self.own.append(proc)
        return proc

    # ------------------------------------------------------------------ processes

    def start_daphne(self, count: int, env: dict[str, str] | None = None) -> None:
        """``count`` daphne processes, with the stack's environment or ``env``."""
        started = []
        for _ in range(count):
            port = free_port()
            # As deployed: the server CC_ASGI_SERVER names (daphne unless the environment says).
            args = [str(BIN / "python"), "-m", "contactcenter.asgi_server", "--host", "127.0.0.1", "--port", str(port)]
            started.append((port, self.start("daphne", args, env or self.env)))
        for port, proc in started:  # started side by side, then waited for

            def serves(port: int = port) -> bool:
                return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200

            self.processes.wait_ready(
                proc, serves, what="daphne to serve", timeout=60, interval=0.1, not_yet=(httpx.TransportError,)
            )
        self.web += started

    def start_celery(self, workers: int) -> None:
        """``workers`` Celery workers (one process each) and one beat, as deployed."""
        procs = []
        for n in range(workers):
            args = [str(BIN / "celery"), "-A", "contactcenter", "worker", "--concurrency=1", "-l", "INFO"]
            args += ["-n", f"w{n}-{os.getpid()}@%h", "--without-gossip", "--without-mingle"]
            procs.append(self.start("worker", args, self.env))
        beat = [str(BIN / "celery"), "-A", "contactcenter", "beat", "-l", "INFO"]
        beat += ["--schedule", str(self.tmp_path / "beat-schedule")]
        self.beat = self.start("beat", beat, self.env)
        for proc in procs:

            def ready(proc: subprocess.Popen[bytes] = proc) -> bool:
                return " ready." in self.processes.log(proc)

            self.processes.wait_ready(proc, ready, what="a Celery worker", timeout=60, interval=0.1)
        self.workers += procs

    def start_haproxy(self) -> None:
        """HAProxy with deploy/haproxy.cfg, its addresses from the environment."""
        binary = require_binary("haproxy")
        assert len(self.web) == 2, "deploy/haproxy.cfg lists two servers"
        self.lb_port = free_port()
        env = dict(os.environ)
        env.update(
            LB_BIND=f"127.0.0.1:{self.lb_port}",
            LB_WEB1=f"127.0.0.1:{self.web[0][0]}",
            LB_WEB2=f"127.0.0.1:{self.web[1][0]}",
            LB_HEALTH_HOST="localhost",
            LB_MAXCONN="1000",  # within a test runner's open-files limit
        )
        config = str(DEPLOY / "haproxy.cfg")
        check = subprocess.run(  # noqa: S603 - fixed argv
            [binary, "-c", "-f", config], env=env, capture_output=True, text=True, timeout=30, check=False
        )
        assert check.returncode == 0, check.stdout + check.stderr
        # -db: in the foreground, not daemonized (so that its process group is ours to stop).
        proc = self.start("haproxy", [binary, "-db", "-f", config], env)
        self.processes.wait_ready(
            proc,
            lambda: (
                httpx.get(f"{self.base}/lb-health", timeout=1).status_code == 200
                and httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200
            ),
            what="haproxy to forward",
            timeout=20,
            interval=0.1,
            not_yet=(httpx.TransportError,),
        )

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.lb_port}"

    @property
    def ws_base(self) -> str:
        return f"ws://127.0.0.1:{self.lb_port}"

    def kill_web(self, pid: int) -> None:
        """SIGKILL the daphne process ``pid`` (a crash: no clean shutdown)."""
        proc = next(p for _, p in self.web if p.pid == pid)
        self.processes.kill(proc, signal.SIGKILL)
        self.web = [(port, p) for port, p in self.web if p is not proc]

    def close(self) -> None:
        """Stop every process, then delete what is left of this stack's Celery queue in
        Redis (beat keeps queuing sweeps until it stops; the keys are ours alone)."""
        for proc in self.own:  # all told first, then waited for: they stop side by side
            signal_group(proc, signal.SIGTERM)
        for proc in self.own:
            reap_group(proc)
        queue = self.env["CC_CELERY_QUEUE"]
        client = redis.Redis.from_url(self.env["REDIS_URL"])
        try:
            leftovers = list(client.scan_iter(match=f"*{queue}*"))
            if leftovers:
                client.delete(*leftovers)
        finally:
            client.close()

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}" for _, path in self.processes.procs
        )


class Peer:
    """One socket client as static/js/socket.js: after any close it reconnects (a new URL
    each time: staff tickets work once), syncs every room it follows from the last message id
    it holds, and sends again the posts not yet acknowledged (the server dedupes on
    ``client_id``). Records every delivery, per connection, to find duplicates."""

    def __init__(self, name: str, url: Callable[[], Awaitable[str]], rooms: list[int]) -> None:
        self.name = name
        self.url = url
        self.rooms = set(rooms)
        self.seen: dict[int, set[int]] = {room: set() for room in rooms}
        # Its own posts, known from their acks (the server sends no message.created back to
        # the socket that posted): delivered, but never the room's last id (below).
        self.own: dict[int, set[int]] = {room: set() for room in rooms}
        self.live_duplicates: list[int] = []  # a message.created twice on one connection
        self.connects = 0
        self.closes: list[int | None] = []
        self.pending: dict[str, dict[str, Any]] = {}  # client_id -> post, until acknowledged
        self.acked: dict[str, int] = {}  # client_id -> message id
        self.errors: list[dict[str, Any]] = []
        self.conn: ClientConnection | None = None

    def last(self, room: int) -> int:
        return max(self.seen[room], default=0)

    def has(self, room: int) -> set[int]:
        """Every message of ``room`` this peer has: delivered to it, or its own (acked)."""
        return self.seen[room] | self.own[room]

    def _take(self, message: dict[str, Any]) -> None:
        room = message.get("room")
        if room in self.seen:
            self.seen[room].add(int(message["id"]))

    async def post(self, room: int, text: str, client_id: str) -> None:
        frame = {"type": "message.post", "room": room, "text": text, "client_id": client_id}
        self.pending[client_id] = frame
        conn = self.conn
        if conn is not None:
            with contextlib.suppress(ConnectionClosed):
                await conn.send(json.dumps(frame))  # else sent again after the reconnect

    async def run(self) -> None:
        while True:
            try:
                url = await self.url()
                conn = await asyncio.wait_for(connect(url, open_timeout=5), 6)
            except (OSError, InvalidHandshake, TimeoutError):
                await asyncio.sleep(0.1)  # the balancer is moving the socket elsewhere: retry
                continue
            live: set[int] = set()
            try:
                hello = json.loads(await conn.recv())
                assert hello["type"] == "hello", hello
                self.connects += 1
                self.conn = conn
                await conn.send(json.dumps({"type": "sync", "rooms": {str(r): self.last(r) for r in self.rooms}}))
                for frame in list(self.pending.values()):
                    await conn.send(json.dumps(frame))
                async for raw in conn:
                    await self._handle(conn, json.loads(raw), live)
                self.closes.append(conn.close_code)
            except ConnectionClosed as exc:
                self.closes.append(exc.rcvd.code if exc.rcvd else None)
            finally:
                self.conn = None

    async def _handle(self, conn: ClientConnection, event: dict[str, Any], live: set[int]) -> None:
        kind, data = event.get("type"), event.get("data") or {}
        if kind == "message.created":
            message = data["message"]
            if message["id"] in live:
                self.live_duplicates.append(message["id"])
            live.add(message["id"])
            self._take(message)
        elif kind == "sync.messages":
            for message in data["messages"]:
                self._take(message)
            if data["has_more"]:
                room = data["room"]
                await conn.send(json.dumps({"type": "sync", "rooms": {str(room): self.last(room)}}))
        elif kind == "message.ack":
            self.acked[data["client_id"]] = int(data["message"]["id"])
            room = data["message"].get("room")
            if room in self.own:
                self.own[room].add(int(data["message"]["id"]))
            self.pending.pop(data["client_id"], None)
            # Not taken as the last id of the room (static/js/socket.js does): an ack may
            # overtake the live event of a message of the other side committed just before
            # it, and a sync after a drop would then start past that message.
        elif kind == "error":
            if data.get("status") == 503 and data.get("client_id") in self.pending:
                return  # busy: stays pending, sent again on the next connection
            self.errors.append(data)


async def run_peers(peers: list[Peer], body: Callable[[], Awaitable[None]]) -> None:
    """Run ``peers`` while ``body`` runs; stop them after it."""
    tasks = [asyncio.ensure_future(p.run()) for p in peers]
    try:
        await body()
    finally:
        for task in tasks:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*tasks, return_exceptions=True)
        for peer in peers:
            if peer.conn is not None:
                with contextlib.suppress(Exception):
                    await peer.conn.close()
