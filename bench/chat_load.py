#!/usr/bin/env python
"""Chat load benchmark (a script, not a test). See bench/RESULTS.md for figures.

Production mode: needs DATABASE_URL (a PostgreSQL server; the bench creates its own
database, --db-name, default cc_bench) and REDIS_URL. It starts --processes web
processes on consecutive ports (or targets running ones with --url), sets up staff and
channels through manage.py, then (for each of --server daphne|uvicorn|both, in turn, on the
same ports and conversations):

- chat: R conversations (a visitor opens an enquiry by REST, an agent picks it up; one
  visitor socket and one agent socket each, spread across the processes; the agent's
  socket on the next process). Visitors post ``message.post`` over their sockets at a paced
  total --rate for --duration seconds; latency is post -> the agent's ``message.created``
  (the send time travels in the text). Prints sustained msg/s, p50/p99, lost, server CPU
  per message. The same load then runs against a plain ``websockets`` + Redis pub/sub echo
  server (bench/echo_server.py) for the ratio.
- --fanout N: N ACTIVE agents connected; each of --fanout-enquiries enquiries opened by
  REST must reach all of them as ``enquiry.opened``: p50/p99 of REST call start -> receipt.
- --idle N: N idle visitor sockets on the first process: RSS delta per socket
  (/proc/<pid>/status), and the same for the echo server.

With --server both, a table of each server's figures beside the echo baseline ends the run.

Example: DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/6 \\
    .venv/bin/python bench/chat_load.py --processes 2 --rates 200,500 --duration 20
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidMessage, InvalidStatus

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))  # run as a script: the repository's modules are not on the path

from tests.process_groups import reap_group, signal_group, start_in_group  # noqa: E402 - after the path

now = time.perf_counter


# ------------------------------------------------------------------------------ processes


# Production settings refuse to start without a strong key: one for this run's processes.
SECRET_KEY = os.environ.get("CC_SECRET_KEY") or secrets.token_urlsafe(50)


def server_env(args: argparse.Namespace, db_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="contactcenter.settings",
        CC_SECRET_KEY=SECRET_KEY,
        DATABASE_URL=db_url,
        REDIS_URL=os.environ["REDIS_URL"],
        CC_CHANNEL_LAYER=args.layer,
        CC_CHANNEL_PREFIX=f"bench-{os.getpid()}",
        CC_TIMERS="off",  # no enquiry may be missed while we measure
        CC_WIDGET_RATE="1000000/min",
        CC_LOGIN_RATE="1000000/min",
        # Counted as in production (one counter hit per post), never reached.
        CC_VISITOR_MESSAGE_RATE="1000000/min",
        CC_STAFF_MESSAGE_RATE="1000000/min",
        CC_LOG_LEVEL="WARNING",
        CC_MEDIA_ROOT=tempfile.mkdtemp(prefix="cc-bench-media-"),
        PYTHONUNBUFFERED="1",
    )
    return env


def with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def recreate_db(base_url: str, name: str) -> str:
    import psycopg2  # the project's driver

    parts = urlsplit(base_url)
    conn = psycopg2.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password or None,
        dbname="postgres",
    )
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    return with_db(base_url, name)


def run(args: list[str], env: dict[str, str], stdin: str | None = None) -> str:
    result = subprocess.run(  # noqa: S603 - fixed argv
        args, cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, timeout=300, check=False
    )
    if result.returncode != 0:
        sys.exit(f"{args} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result.stdout


class Procs:
    def __init__(self) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
        proc = start_in_group(args, env, log)
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        # All are told first, then waited for: they shut down side by side.
        for proc in self.procs:
            signal_group(proc, signal.SIGTERM)
        for proc in self.procs:
            reap_group(proc)


def wait_http(url: str, proc: subprocess.Popen[bytes] | None, log: Path | None, timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            sys.exit(f"server died:\n{log.read_text()[-3000:] if log else ''}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    sys.exit(f"{url} did not come up")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# ------------------------------------------------------------------------------ clients


async def ws_open(url: str, origin: str | None = None, tries: int = 5) -> ClientConnection:
    # A few retries: a busy server's accept backlog (daphne/Twisted: 50) may reset a connect.
    for attempt in range(tries):
        try:
            return await asyncio.wait_for(
                connect(url, origin=origin, compression=None, open_timeout=30, max_queue=None),  # type: ignore[arg-type]
                30,
            )
        except (OSError, InvalidMessage) as exc:
            print(f"connect {url.split('?')[0]} failed ({exc!r}), retrying", file=sys.stderr, flush=True)
            if attempt == tries - 1:
                raise
            await asyncio.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


async def post_retrying(http: httpx.AsyncClient, url: str, **kwargs: Any) -> httpx.Response:
    """POST, trying again on a 503 (the machine's shared PostgreSQL out of connections)."""
    for attempt in range(10):
        response = await http.post(url, **kwargs)
        if response.status_code != 503:
            return response
        await asyncio.sleep(0.5 * (attempt + 1))
    return response


async def staff_socket_url(ws_base: str, http_base: str, token: str) -> str:
    """A staff socket URL for an API client: a one-time ticket (valid 30 s), never the token."""
    async with httpx.AsyncClient(timeout=30) as http:
        got = await post_retrying(
            http, f"{http_base}/api/v1/auth/socket-ticket", headers={"Authorization": f"Token {token}"}
        )
        assert got.status_code == 200, got.text
        return f"{ws_base}/ws/staff/?ticket={got.json()['ticket']}"


@dataclass
class Stats:
    sent: dict[str, float] = field(default_factory=dict)  # client_id -> send time
    got: dict[str, float] = field(default_factory=dict)  # client_id -> receipt latency (s)
    acked: dict[str, float] = field(default_factory=dict)  # client_id -> post -> ack latency (s)
    dupes: int = 0
    errors: int = 0
    acks: int = 0
    pushbacks: int = 0  # slow_down frames (and 503 "busy" errors) received
    resent: int = 0  # posts sent again after a pushback
    out_of_order: int = 0  # a message received before one posted earlier in its room
    last_arrival: float = 0.0

    def receive(self, client_id: str, latency: float) -> None:
        self.last_arrival = now()
        if client_id in self.got:
            self.dupes += 1
        else:
            self.got[client_id] = latency


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


@dataclass
class Conversation:
    index: int
    room: int
    visitor_url: str
    agent_url: str  # for a real server, the ws base: the URL takes a fresh ticket (staff_socket_url)
    origin: str | None
    agent_token: str | None = None
    visitor: ClientConnection | None = None
    agent: ClientConnection | None = None
    # Posts not answered yet, in the order written (client_id -> frame), as the JS client
    # keeps them; after a slow_down they are sent again in order from the refused one.
    pending: dict[str, str] = field(default_factory=dict)
    paused_until: float = 0.0
    resume: asyncio.Task[None] | None = None
    # After a pause only the refused post goes out; the rest follow once it is acked.
    probe: str | None = None
    # Frames go out through one queue and one task per socket: always in the order queued.
    outbox: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    last_seq: int = -1  # the sequence number of the last message its agent received
    # Posts to send (again): refused by a slow_down, or written while paused.
    refused: set[str] = field(default_factory=set)
    busy_tries: dict[str, int] = field(default_factory=dict)  # 503 busy answers per client_id


class Load:
    """Visitors post at a paced total rate; agents timestamp receipts."""

    def __init__(self, convs: list[Conversation], echo: bool, resend: str = "probe") -> None:
        self.convs = convs
        self.echo = echo
        # After a pause: "probe" sends the earliest refused post alone and the rest once it
        # is acked (static/js/socket.js); "pipelined" sends them all at once, in order (the
        # server's hold refuses the later ones if the first is refused again).
        self.resend = resend
        self.stats = Stats()
        self.tasks: list[asyncio.Task[None]] = []

    async def open(self) -> None:
        async def one(c: Conversation) -> None:
            for attempt in range(5):
                url = c.agent_url
                if c.agent_token is not None:
                    assert c.origin is not None
                    url = await staff_socket_url(c.agent_url, c.origin, c.agent_token)
                try:
                    # A ticket works once: a refused connect (the shared PostgreSQL out of
                    # connections, say) takes a fresh one.
                    c.agent = await ws_open(url, c.origin, tries=1 if c.agent_token else 5)
                    break
                except (OSError, InvalidMessage, InvalidStatus):
                    if attempt == 4:
                        raise
                    await asyncio.sleep(1 + attempt)
            c.visitor = await ws_open(c.visitor_url)
            assert c.agent is not None
            if not self.echo:
                for sock in (c.agent, c.visitor):
                    assert json.loads(await asyncio.wait_for(sock.recv(), 30))["type"] == "hello"

        sem = asyncio.Semaphore(20)

        async def limited(c: Conversation) -> None:
            async with sem:
                await one(c)

        await asyncio.gather(*(limited(c) for c in self.convs))
        for c in self.convs:
            self.tasks.append(asyncio.create_task(self.read_agent(c)))
            self.tasks.append(asyncio.create_task(self.read_visitor(c)))
            self.tasks.append(asyncio.create_task(self.send_outbox(c)))

    async def read_agent(self, c: Conversation) -> None:
        assert c.agent is not None
        with contextlib.suppress(Exception):
            async for frame in c.agent:
                t = now()
                event = json.loads(frame)
                kind = event.get("type")
                if kind == "message.created":
                    text = event["data"]["message"]["text"]
                elif kind == "message.post":  # echo baseline: the visitor's frame as is
                    text = event["text"]
                else:
                    continue
                if text.startswith("bench "):
                    _, client_id, sent = text.split(" ")
                    if client_id in self.stats.sent:  # not a straggler of an earlier phase
                        seq = int(client_id.rsplit("-", 1)[1])
                        if seq < c.last_seq:
                            self.stats.out_of_order += 1
                        c.last_seq = max(c.last_seq, seq)
                        self.stats.receive(client_id, t - float(sent))

    async def read_visitor(self, c: Conversation) -> None:
        assert c.visitor is not None
        with contextlib.suppress(Exception):
            async for frame in c.visitor:
                event = json.loads(frame)
                kind = event.get("type")
                data = event.get("data") or {}
                if kind == "message.ack":
                    self.stats.acks += 1
                    client_id = data.get("client_id") or ""
                    sent_at = self.stats.sent.get(client_id)
                    if sent_at is not None and client_id not in self.stats.acked:
                        self.stats.acked[client_id] = now() - sent_at
                    c.pending.pop(client_id, None)
                    c.refused.discard(client_id)
                    if client_id == c.probe:
                        # The server takes posts again: the others follow, in order.
                        c.probe = None
                        if now() >= c.paused_until:
                            self.flush(c)
                elif kind == "slow_down" or (kind == "error" and data.get("code") == "busy"):
                    # Pushback: nothing was stored; send again from this post on, in order,
                    # after the time asked for (the JS client does the same).
                    self.stats.pushbacks += 1
                    if "retry_after_ms" in data:
                        wait = data["retry_after_ms"] / 1000
                    else:  # busy: 1, 2, 4 ... s for the same post, at least retry_after (static/js/socket.js)
                        tries = c.busy_tries.get(data.get("client_id") or "", 0)
                        c.busy_tries[data.get("client_id") or ""] = tries + 1
                        wait = max(2**tries, float(data.get("retry_after", 1)))
                    self.pause(c, data.get("client_id"), float(wait))
                elif kind == "error":
                    self.stats.errors += 1
                    c.pending.pop(data.get("client_id") or "", None)
                    if data.get("client_id") == c.probe:
                        c.probe = None
                        self.flush(c)

    def pause(self, c: Conversation, client_id: str | None, wait: float) -> None:
        c.paused_until = max(c.paused_until, now() + wait)
        if client_id in c.pending:
            c.refused.add(client_id)
        if c.resume is None or c.resume.done():
            c.resume = asyncio.create_task(self.resume(c))

    async def resume(self, c: Conversation) -> None:
        while (delay := c.paused_until - now()) > 0:
            await asyncio.sleep(delay)
        waiting = self.to_send(c)
        if not waiting:
            return
        if self.resend == "pipelined":
            self.flush(c)
            return
        # Probe with the earliest refused post alone; the others follow its ack.
        c.probe = waiting[0]
        c.refused.discard(c.probe)
        self.stats.resent += 1
        c.outbox.put_nowait(c.pending[c.probe])

    @staticmethod
    def to_send(c: Conversation) -> list[str]:
        """The posts to send (again), in the order written (sequence numbers grow)."""
        return sorted((cid for cid in c.refused if cid in c.pending), key=lambda cid: int(cid.rsplit("-", 1)[1]))

    def flush(self, c: Conversation) -> None:
        for cid in self.to_send(c):
            c.refused.discard(cid)
            self.stats.resent += 1
            c.outbox.put_nowait(c.pending[cid])

    def can_send(self, c: Conversation) -> bool:
        return now() >= c.paused_until and c.probe is None and (c.resume is None or c.resume.done())

    async def send_outbox(self, c: Conversation) -> None:
        assert c.visitor is not None
        with contextlib.suppress(Exception):
            while True:
                await c.visitor.send(await c.outbox.get())

    async def phase(self, rate: float, duration: float, tag: str, grace: float = 10) -> dict[str, Any]:
        self.stats = Stats()
        for conv in self.convs:
            conv.pending.clear()
            conv.last_seq = -1
            conv.probe = None
            conv.refused.clear()
            conv.paused_until = 0.0
        total = int(rate * duration)
        wall_start = time.time()
        print(f"phase {tag} start: {rate:g} msg/s", file=sys.stderr, flush=True)  # e.g. to start a profiler
        start = now()
        n_convs = len(self.convs)
        for k in range(total):
            due = start + k / rate
            delay = due - now()
            if delay > 0:
                await asyncio.sleep(delay)
            c = self.convs[k % n_convs]
            client_id = f"{tag}-{k}"
            t = now()
            self.stats.sent[client_id] = t
            message = {"type": "message.post", "room": c.room, "text": f"bench {client_id} {t:.6f}"}
            message["client_id"] = client_id
            frame = json.dumps(message)
            assert c.visitor is not None
            if not self.echo:
                c.pending[client_id] = frame
            if self.can_send(c):  # else it goes out after the pause, in order
                c.outbox.put_nowait(frame)
            elif not self.echo:
                c.refused.add(client_id)
        send_end = now()
        wall_end = time.time()
        # Grace: wait for stragglers, as long as they keep coming (pushed-back posts are
        # still being sent), at most `grace` seconds without progress.
        while len(self.stats.got) < total and now() - max(send_end, self.stats.last_arrival) < grace:
            await asyncio.sleep(0.05)
        last = max(send_end, self.stats.last_arrival)
        latencies = list(self.stats.got.values())
        acked = list(self.stats.acked.values())
        # The p99 of each second of the send window (by send time): a tail spread evenly or
        # a few stalls.
        by_second: dict[int, list[float]] = {}
        for cid, lat in self.stats.got.items():
            by_second.setdefault(int(self.stats.sent[cid] - start), []).append(lat)
        delivered_in_window = sum(1 for cid, lat in self.stats.got.items() if self.stats.sent[cid] + lat <= send_end)
        return {
            "offered_rate": rate,
            "send_rate": round(total / (send_end - start), 1),
            "sent": total,
            "delivered": len(latencies),
            "lost": total - len(latencies),
            "dupes": self.stats.dupes,
            "out_of_order": self.stats.out_of_order,
            "errors": self.stats.errors,
            "acks": self.stats.acks,
            "pushbacks": self.stats.pushbacks,
            "resent": self.stats.resent,
            "sustained_msg_s": round(delivered_in_window / (send_end - start), 1),
            "drained_msg_s": round(len(latencies) / max(0.001, last - start), 1),
            "p50_ms": round(pct(latencies, 50) * 1000, 2),
            "p99_ms": round(pct(latencies, 99) * 1000, 2),
            "max_ms": round(max(latencies, default=float("nan")) * 1000, 2),
            # Post -> its ack on the posting socket (the writer's side: queued, committed,
            # answered) against post -> the agent's message.created (also the fan-out).
            "ack_p50_ms": round(pct(acked, 50) * 1000, 2) if acked else None,
            "ack_p99_ms": round(pct(acked, 99) * 1000, 2) if acked else None,
            "p99_ms_by_second": [round(pct(v, 99) * 1000) for _s, v in sorted(by_second.items())],
            # Wall-clock send window, to match the servers' "socket stages" log lines.
            "wall_start": round(wall_start, 3),
            "wall_end": round(wall_end, 3),
        }

    async def close(self) -> None:
        for t in self.tasks:
            t.cancel()
        for c in self.convs:
            for sock in (c.agent, c.visitor):
                if sock is not None:
                    with contextlib.suppress(Exception):
                        await sock.close()


async def settle(pids: list[int], idle_share: float = 0.05, limit: float = 180) -> None:
    """Wait until the servers are idle (less than ``idle_share`` of a core over a second, at
    most ``limit`` seconds): the work left by earlier steps (10,000 idle sockets closing, the
    conversations' set-up) must not be counted as the first phase's CPU per message."""
    if not pids:
        return
    start = now()
    before = sum(cpu_seconds(p) for p in pids)
    while now() - start < limit:
        await asyncio.sleep(1)
        after = sum(cpu_seconds(p) for p in pids)
        if after - before < idle_share:
            break
        before = after
    print(f"servers idle after {now() - start:.1f} s", file=sys.stderr, flush=True)


async def measure_load(
    convs: list[Conversation],
    rates: list[float],
    duration: float,
    echo: bool,
    pids: list[int],
    overload: list[float] | None = None,
    tag: str = "",
    resend: str = "probe",
    warmup: bool = True,
) -> list[dict[str, Any]]:
    """One phase per rate; then, with ``overload`` (factors), phases at those multiples of
    the highest rate sustained at p99 <= P99_TARGET_MS (tagged ``"overload": factor``).
    ``tag`` prefixes the client_ids (a second server in one run posts to the same rooms).
    ``warmup``: first each conversation posts once, unmeasured (printed as "warmup"): a
    socket's first post is a one-off (the visitor read, the rate limit's first counter) that
    would otherwise fall into the first phase's tail."""
    load = Load(convs, echo, resend)
    await load.open()
    await asyncio.sleep(1)
    if warmup:
        rate = 200.0
        first = await load.phase(rate, len(convs) / rate, f"{tag}{'e' if echo else 'c'}w")
        print("warmup " + json.dumps({k: first[k] for k in ("sent", "delivered", "p50_ms", "p99_ms")}), flush=True)
    await settle(pids)
    results: list[dict[str, Any]] = []

    async def one(rate: float, tag: str, grace: float = 10) -> dict[str, Any]:
        before = sum(cpu_seconds(p) for p in pids) if pids else 0.0
        result = await load.phase(rate, duration, tag, grace)
        if pids:
            used = sum(cpu_seconds(p) for p in pids) - before
            result["server_cpu_ms_per_msg"] = round(used * 1000 / max(1, result["delivered"]), 3)
        print(("echo " if echo else "chat ") + json.dumps(result), flush=True)
        await asyncio.sleep(1)
        return result

    for i, rate in enumerate(rates):
        results.append(await one(rate, f"{tag}{'e' if echo else 'c'}{i}"))
    if overload:
        best = max_sustained(results)
        base = best["sustained_msg_s"] if best else max(r["sustained_msg_s"] for r in results)
        for j, factor in enumerate(overload):
            result = await one(round(base * factor), f"{tag}o{j}", grace=20)
            result["overload"] = factor
            result["share_of_max"] = round(result["sustained_msg_s"] / max(1.0, base), 2)
            results.append(result)
    await load.close()
    return results


P99_TARGET_MS = 50.0


def sustains(result: dict[str, Any]) -> bool:
    """A phase the server kept up with: everything delivered once, in order, nearly all of
    it within the send window, p99 within the target, no pushback needed."""
    return (
        result["lost"] == 0
        and result["dupes"] == 0
        and result.get("out_of_order", 0) == 0
        and result.get("pushbacks", 0) == 0
        and result["sustained_msg_s"] >= 0.97 * result["offered_rate"]
        and result["p99_ms"] <= P99_TARGET_MS
    )


def max_sustained(results: list[dict[str, Any]]) -> dict[str, Any] | None:
    ok = [r for r in results if "overload" not in r and sustains(r)]
    return max(ok, key=lambda r: r["offered_rate"]) if ok else None


def summary(report: dict[str, Any]) -> dict[str, Any]:
    """The issue's figures as ratios to the echo baseline of the same run."""
    out: dict[str, Any] = {}
    chat, echo = report.get("chat"), report.get("echo")
    if chat and echo:
        plain = [r for r in chat if "overload" not in r]
        pairs = list(zip(plain, echo, strict=False))
        ratios = {
            str(int(c["offered_rate"])): round(c["server_cpu_ms_per_msg"] / max(0.001, e["server_cpu_ms_per_msg"]), 2)
            for c, e in pairs
            if "server_cpu_ms_per_msg" in c and "server_cpu_ms_per_msg" in e
        }
        out["cpu_per_msg_ratio_to_echo"] = ratios
        both = [(c, e) for c, e in pairs if sustains(c) and sustains(e)]
        if both:
            out["cpu_ratio_where_both_sustain"] = round(
                sum(c["server_cpu_ms_per_msg"] for c, _ in both) / sum(e["server_cpu_ms_per_msg"] for _, e in both), 2
            )
        mc, me = max_sustained(chat), max_sustained(echo)
        out["max_rate_p99_le_50ms"] = {"server": mc and mc["offered_rate"], "echo": me and me["offered_rate"]}
        if mc and me:
            out["throughput_ratio_to_echo"] = round(mc["offered_rate"] / me["offered_rate"], 2)
        if me is not None and me is echo[-1]:
            out["note"] = "echo sustained the highest rate tried: its maximum is higher (add rates)"
    if chat:
        over = [r for r in chat if "overload" in r]
        if over:
            out["overload"] = [
                {
                    k: r.get(k)
                    for k in ("overload", "offered_rate", "sustained_msg_s", "share_of_max", "lost", "dupes")
                    + ("out_of_order", "pushbacks", "resent", "p99_ms", "drained_msg_s")
                }
                for r in over
            ]
        out["lost_total"] = sum(r["lost"] for r in chat)
        out["dupes_total"] = sum(r["dupes"] for r in chat)
        out["out_of_order_total"] = sum(r.get("out_of_order", 0) for r in chat)
    if "fanout" in report:
        out["enquiry_opened_p99_ms"] = report["fanout"]["p99_ms"]
    if "idle_channels" in report:
        out["idle_kb_per_socket"] = {
            "server": report["idle_channels"]["kb_per_socket"],
            "sockets": report["idle_channels"]["sockets"],
            "echo": report.get("idle_echo", {}).get("kb_per_socket"),
        }
    return out


# ------------------------------------------------------------------------------ setup


def setup_conversations(http_bases: list[str], ws_bases: list[str], data: dict[str, Any], n: int) -> list[Conversation]:
    agents = data["agents"][:n]

    async def go() -> list[Conversation]:
        out: list[Conversation] = []
        sem = asyncio.Semaphore(8)
        async with httpx.AsyncClient(timeout=30) as http:

            async def one(i: int) -> None:
                async with sem:
                    base = http_bases[i % len(http_bases)]
                    opened = await post_retrying(
                        http,
                        f"{base}/api/v1/widget/enquiries",
                        json={"channel_key": data["chat_key"], "message": "Hello", "visitor": {"first_name": f"V{i}"}},
                    )
                    assert opened.status_code == 201, opened.text
                    body = opened.json()
                    _, token = agents[i]
                    picked = await post_retrying(
                        http,
                        f"{base}/api/v1/enquiries/{body['id']}/pick-up",
                        headers={"Authorization": f"Token {token}"},
                    )
                    assert picked.status_code == 200, picked.text
                    vp, ap = i % len(ws_bases), (i + 1) % len(ws_bases)
                    out.append(
                        Conversation(
                            index=i,
                            room=body["room"],
                            visitor_url=f"{ws_bases[vp]}/ws/visitor/?visitor_token={body['visitor_token']}",
                            agent_url=ws_bases[ap],
                            origin=http_bases[ap],
                            agent_token=token,
                        )
                    )

            await asyncio.gather(*(one(i) for i in range(n)))
        return sorted(out, key=lambda c: c.index)

    return asyncio.run(go())


def echo_conversations(url: str, n: int) -> list[Conversation]:
    return [
        Conversation(
            index=i,
            room=i,
            visitor_url=f"{url}/?role=visitor&room={i}",
            agent_url=f"{url}/?role=agent&room={i}",
            origin=None,
        )
        for i in range(n)
    ]


# ------------------------------------------------------------------------------ fan-out, idle


async def measure_fanout(
    http_base: str, ws_bases: list[str], data: dict[str, Any], enquiries: int, warmup: int = 0
) -> dict[str, Any]:
    arrivals: dict[int, list[float]] = {}
    socks = []
    for i, (_, token) in enumerate(data["fan_agents"]):
        base_i = i % len(ws_bases)
        origin = ws_bases[base_i].replace("ws://", "http://")
        sock = await ws_open(await staff_socket_url(ws_bases[base_i], origin, token), origin)
        assert json.loads(await asyncio.wait_for(sock.recv(), 30))["type"] == "hello"
        socks.append(sock)

    async def reader(sock: ClientConnection) -> None:
        with contextlib.suppress(Exception):
            async for frame in sock:
                event = json.loads(frame)
                if event.get("type") == "enquiry.opened":
                    arrivals.setdefault(event["data"]["enquiry"]["id"], []).append(now())

    tasks = [asyncio.create_task(reader(s)) for s in socks]
    latencies: list[float] = []
    answered: list[float] = []  # request start -> its response (the 201)
    firsts: list[float] = []  # request start -> the first agent's enquiry.opened
    lasts: list[tuple[float, int]] = []  # (request start -> the last agent's, the opening's index)
    incomplete = 0
    async with httpx.AsyncClient(timeout=30) as http:
        for i in range(-warmup, enquiries):  # the first ``warmup`` (negative i) are not counted
            t0 = now()
            response = await http.post(
                f"{http_base}/api/v1/widget/enquiries",
                json={"channel_key": data["fan_key"], "message": "Fan-out", "visitor": {"first_name": f"F{i}"}},
            )
            answered.append(now() - t0)
            assert response.status_code == 201, response.text
            enquiry = response.json()["id"]
            deadline = now() + 5
            while len(arrivals.get(enquiry, [])) < len(socks) and now() < deadline:
                await asyncio.sleep(0.005)
            got = arrivals.get(enquiry, [])
            if i < 0:
                await asyncio.sleep(0.2)
                continue
            incomplete += len(socks) - len(got)
            latencies += [t - t0 for t in got]
            if got:
                firsts.append(min(got) - t0)
                lasts.append((max(got) - t0, i))
            await asyncio.sleep(0.2)
    for t in tasks:
        t.cancel()
    for s in socks:
        await s.close()
    return {
        "agents": len(socks),
        "enquiries": enquiries,
        "warmup": warmup,
        "missing_deliveries": incomplete,
        "p50_ms": round(pct(latencies, 50) * 1000, 2),
        "p99_ms": round(pct(latencies, 99) * 1000, 2),
        "max_ms": round(max(latencies, default=float("nan")) * 1000, 2),
        "response_p50_ms": round(pct(answered, 50) * 1000, 2),
        "response_p99_ms": round(pct(answered, 99) * 1000, 2),
        "first_agent_p50_ms": round(pct(firsts, 50) * 1000, 2),
        # The slowest openings (their last agent) by their index: is the tail the first (cold)?
        "slowest_ms_by_index": {i: round(t * 1000, 1) for t, i in sorted(lasts, reverse=True)[:4]},
    }


async def measure_idle(urls: list[str], pid: int, expect_hello: bool) -> dict[str, Any]:
    await asyncio.sleep(1)
    before = rss_kb(pid)
    socks: list[ClientConnection] = []
    batch = 40
    for start in range(0, len(urls), batch):
        opened = await asyncio.gather(*(ws_open(u) for u in urls[start : start + batch]))
        if expect_hello:
            await asyncio.gather(*(asyncio.wait_for(s.recv(), 30) for s in opened))
        socks += opened
    await asyncio.sleep(3)
    after = rss_kb(pid)
    for start in range(0, len(socks), batch):
        await asyncio.gather(*(s.close() for s in socks[start : start + batch]), return_exceptions=True)
    return {
        "sockets": len(socks),
        "rss_before_mb": round(before / 1024, 1),
        "rss_after_mb": round(after / 1024, 1),
        "kb_per_socket": round((after - before) / max(1, len(socks)), 1),
    }


# ------------------------------------------------------------------------------ main


def server_command(server: str, port: int) -> list[str]:
    """The web process as deployed (contactcenter/asgi_server.py), under ``server``."""
    from contactcenter.asgi_server import server_argv  # no Django: the launcher's own module

    return server_argv(server, "127.0.0.1", port, BIN)


def fresh(convs: list[Conversation]) -> list[Conversation]:
    """The same conversations (rooms, sockets' URLs) with no client state: for the next server."""
    return [Conversation(c.index, c.room, c.visitor_url, c.agent_url, c.origin, c.agent_token) for c in convs]


def side_by_side(servers: dict[str, dict[str, Any]]) -> str:
    """The servers' figures in columns, each with its ratio to the echo baseline."""
    names = list(servers)
    echo = next(iter(servers.values()))
    lines = [" | ".join(["figure", *names, "echo"])]

    def add(label: str, values: list[Any], base: Any) -> None:
        cells = []
        for v in values:
            ratio = (
                f" ({v / base:.2f}x echo)"
                if isinstance(v, int | float) and isinstance(base, int | float) and base
                else ""
            )
            cells.append(f"{v}{ratio}")
        lines.append(" | ".join([label, *cells, str(base)]))

    chats = [r.get("chat") or [] for r in servers.values()]
    for i, e in enumerate(echo.get("echo") or []):
        rows = [c[i] if i < len(c) else {} for c in chats]
        rate = int(e["offered_rate"])
        add(f"{rate}/s sustained", [r.get("sustained_msg_s") for r in rows], e["sustained_msg_s"])
        add(f"{rate}/s p99 ms", [r.get("p99_ms") for r in rows], e["p99_ms"])
        add(f"{rate}/s CPU ms/msg", [r.get("server_cpu_ms_per_msg") for r in rows], e.get("server_cpu_ms_per_msg"))
    for factor in sorted({r["overload"] for c in chats for r in c if "overload" in r}):
        rows = [next((r for r in c if r.get("overload") == factor), {}) for c in chats]
        cells = [f"{r.get('sustained_msg_s')} ({r.get('share_of_max')} of max)" for r in rows]
        lines.append(" | ".join([f"overload {factor}x sustained", *cells, "-"]))
    if any("fanout" in r for r in servers.values()):
        fan = [r.get("fanout", {}) for r in servers.values()]
        lines.append(
            " | ".join(["enquiry.opened p50/p99 ms", *[f"{f.get('p50_ms')}/{f.get('p99_ms')}" for f in fan], "-"])
        )
    if any("idle_channels" in r for r in servers.values()):
        base = echo.get("idle_echo", {}).get("kb_per_socket")
        add("idle kB/socket", [r.get("idle_channels", {}).get("kb_per_socket") for r in servers.values()], base)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="comma-separated http base URLs of running servers (default: start them)")
    parser.add_argument("--server-pids", default="", help="with --url: their pids, for CPU and RSS figures")
    parser.add_argument(
        "--server",
        default="daphne",
        help="the ASGI server started (CC_ASGI_SERVER): daphne, uvicorn, or several in turn, the same load "
        "against each, then echo: both (= daphne,uvicorn) or a comma-separated order (uvicorn,daphne)",
    )
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--layer", choices=["pubsub", "core"], default="pubsub")
    parser.add_argument("--db-name", default="cc_bench")
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--rates", default="200,500", help="comma-separated msg/s, one phase each")
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument(
        "--overload",
        default="2,3",
        help="after the rates: phases at these multiples of the highest rate sustained at p99 <= 50 ms",
    )
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="LABEL:ENV=VALUE[,ENV=VALUE]",
        help="run everything once per variant, one after the other in this run, on the first --server "
        "with these settings added to the servers' environment (an A/B of settings in one run; "
        "e.g. --variant before: --variant nodouble:CC_SOCKET_PUSHBACK_MAX_DOUBLINGS=0); "
        "BENCH_RESEND=probe|pipelined sets the bench client's resend after a pause instead",
    )
    parser.add_argument("--no-chat", action="store_true")
    parser.add_argument(
        "--no-chat-warmup",
        action="store_true",
        help="no unmeasured first post per conversation before the phases (as runs before session 13)",
    )
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--fanout", type=int, default=0, help="ACTIVE agents for the enquiry.opened fan-out")
    parser.add_argument("--fanout-enquiries", type=int, default=20)
    parser.add_argument(
        "--fanout-warmup",
        type=int,
        default=0,
        help="openings before those measured (a fresh server's first is slower: imports, caches)",
    )
    parser.add_argument("--idle", type=int, default=0, help="idle visitor sockets for the memory figure")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
        sys.exit("Production mode: set DATABASE_URL and REDIS_URL.")
    if args.url and (args.server == "both" or "," in args.server):
        sys.exit("--server both starts the servers itself: not with --url.")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    rates = [float(r) for r in args.rates.split(",") if r]
    overload = [float(f) for f in args.overload.split(",") if f]
    servers = ["daphne", "uvicorn"] if args.server == "both" else [n for n in args.server.split(",") if n]
    if not servers or any(n not in ("daphne", "uvicorn") for n in servers) or len(set(servers)) < len(servers):
        sys.exit("--server: daphne, uvicorn, both, or an order such as uvicorn,daphne")
    # (label, server, extra environment) of each run of the load, in turn.
    runs: list[tuple[str, str, dict[str, str]]] = [(name, name, {}) for name in servers]
    if args.variant:
        if args.url:
            sys.exit("--variant starts the servers itself: not with --url.")
        runs = []
        for spec in args.variant:
            label, _, assignments = spec.partition(":")
            extra = dict(kv.split("=", 1) for kv in assignments.split(",") if kv)
            runs.append((label or f"v{len(runs)}", servers[0], extra))  # BENCH_*: the client's
        if len({label for label, _s, _e in runs}) < len(runs):
            sys.exit("--variant: each a label of its own")
    logs = Path(tempfile.mkdtemp(prefix="cc-bench-"))
    print(f"server logs in {logs}", flush=True)
    procs = Procs()
    try:
        if args.url:
            db_url = os.environ["DATABASE_URL"]
        else:
            db_url = recreate_db(os.environ["DATABASE_URL"], args.db_name)
        env = server_env(args, db_url)
        python = str(BIN / "python")
        if not args.url:
            run([python, "manage.py", "migrate", "--noinput", "-v", "0"], env)
        t = time.monotonic()
        env_setup = dict(env, BENCH_CONVERSATIONS=str(args.conversations), BENCH_FANOUT=str(args.fanout))
        env_setup["BENCH_IDLE"] = str(args.idle)
        out = run([python, "manage.py", "shell"], env_setup, stdin=(ROOT / "bench" / "setup_bench.py").read_text())
        data = json.loads(next(line for line in out.splitlines() if line.startswith("BENCH-JSON "))[11:])
        print(f"setup: staff and channels in {time.monotonic() - t:.1f}s", flush=True)
        reports: dict[str, dict[str, Any]] = {}
        convs: list[Conversation] = []
        for n, (label, server, run_env) in enumerate(runs):
            # BENCH_RESEND=probe|pipelined: the bench client's resend after a pause (Load).
            client_env = {k: v for k, v in run_env.items() if k.startswith("BENCH_")}
            extra_env = {k: v for k, v in run_env.items() if not k.startswith("BENCH_")}
            # Each server on the same ports, one after the other: the conversations (rooms,
            # socket URLs) set up for the first serve the next; client_ids differ per server.
            if args.url:
                http_bases = args.url.split(",")
                pids = [int(p) for p in args.server_pids.split(",") if p]
            else:
                procs = Procs()
                http_bases, pids = [], []
                for i in range(args.processes):
                    port = args.port + i
                    log = logs / f"{label}-{port}.log"
                    proc = procs.start(server_command(server, port), dict(env, **extra_env), log)
                    http_bases.append(f"http://127.0.0.1:{port}")
                    pids.append(proc.pid)
                    wait_http(f"{http_bases[-1]}/api/v1/tags", proc, log)
            ws_bases = [b.replace("http://", "ws://") for b in http_bases]
            report: dict[str, Any] = {
                "server": server,
                "settings": run_env,
                "layer": args.layer,
                "processes": len(http_bases),
                "conversations": args.conversations,
            }
            if args.idle:
                urls = [f"{ws_bases[0]}/ws/visitor/?visitor_token={tok}" for tok in data["idle_tokens"]]
                if pids:
                    report["idle_channels"] = asyncio.run(measure_idle(urls, pids[0], True))
                    print(f"idle channels {label} " + json.dumps(report["idle_channels"]), flush=True)
            if args.fanout:
                if args.idle:
                    # The 10,000 sockets just closed are still being torn down (and collected):
                    # not the fan-out's time.
                    asyncio.run(settle(pids))
                report["fanout"] = asyncio.run(
                    measure_fanout(http_bases[0], ws_bases, data, args.fanout_enquiries, args.fanout_warmup)
                )
                print(f"fanout {label} " + json.dumps(report["fanout"]), flush=True)
            if not args.no_chat:
                t = time.monotonic()
                if n == 0:
                    convs = setup_conversations(http_bases, ws_bases, data, args.conversations)
                else:
                    convs = fresh(convs)
                print(f"setup: {len(convs)} conversations in {time.monotonic() - t:.1f}s", flush=True)
                tag = "" if n == 0 else f"s{n}"
                resend = client_env.get("BENCH_RESEND", "probe")
                report["chat"] = asyncio.run(
                    measure_load(
                        convs, rates, args.duration, False, pids, overload, tag, resend, not args.no_chat_warmup
                    )
                )
            procs.stop()
            reports[label] = report
            if not args.url:  # the servers' per-stage timings (CC_SOCKET_STAGE_LOG_SECONDS), if on
                for i in range(args.processes):
                    for line in (logs / f"{label}-{args.port + i}.log").read_text(errors="replace").splitlines():
                        if "socket stages " in line:
                            with contextlib.suppress(ValueError, AttributeError):  # JSON logs (production)
                                line = next(v for v in json.loads(line).values() if "socket stages " in str(v))
                            print(f"stages {label} {i} {line[line.index('socket stages ') + 14 :]}", flush=True)

        if not args.no_baseline and (not args.no_chat or args.idle):
            procs = Procs()
            port = args.port + 50
            log = logs / "echo.log"
            echo_env = dict(os.environ, ECHO_PREFIX=f"echo-{os.getpid()}")
            proc = procs.start([python, str(ROOT / "bench" / "echo_server.py"), str(port)], echo_env, log)
            wait_http(f"http://127.0.0.1:{port}/health", proc, log)
            url = f"ws://127.0.0.1:{port}"
            baseline: dict[str, Any] = {}
            if args.idle:
                urls = [f"{url}/?role=visitor&room={i}" for i in range(args.idle)]
                baseline["idle_echo"] = asyncio.run(measure_idle(urls, proc.pid, False))
                print("idle echo " + json.dumps(baseline["idle_echo"]), flush=True)
            if not args.no_chat:
                convs = echo_conversations(url, args.conversations)
                baseline["echo"] = asyncio.run(
                    measure_load(convs, rates, args.duration, True, [proc.pid], warmup=not args.no_chat_warmup)
                )
            for report in reports.values():
                report.update(baseline)
                for chat, echo in zip(report.get("chat") or [], baseline.get("echo") or [], strict=False):
                    chat["ratio_to_echo_sustained"] = round(
                        chat["sustained_msg_s"] / max(1, echo["sustained_msg_s"]), 2
                    )
                    chat["ratio_p99_to_echo"] = round(chat["p99_ms"] / max(0.01, echo["p99_ms"]), 1)
        for server, report in reports.items():
            print(f"REPORT {server} " + json.dumps(report), flush=True)
            print(f"SUMMARY {server} " + json.dumps(summary(report), indent=1), flush=True)
        if len(reports) > 1:
            print("SIDE BY SIDE (ratios to the echo baseline of this run)\n" + side_by_side(reports), flush=True)
    finally:
        procs.stop()


if __name__ == "__main__":
    main()
