#!/usr/bin/env python
"""``enquiry.opened`` fan-out, two checkouts of the server side by side in one run (a script,
not a test). See bench/RESULTS.md ("Round 5 (rtfanout)").

Starts --processes daphne processes from checkout A (``--a``, e.g. an exported base commit)
and as many from checkout B (``--b``, default this one), on one fresh database (migrated
with B's code: the two must share the schema) and one Redis, each set with its own channel
prefix. The same --agents ACTIVE agents of one tag connect to both sets (one socket per
agent per set). Then, in --rounds rounds, alternating which set goes first, --per-round
enquiries are opened by REST on each set; each must reach all agents' sockets of that set
as ``enquiry.opened``. Per set: REST call start -> receipt at every socket (p50/p99/max),
REST call start -> the response (``rest``), -> the first and -> the last socket of each
enquiry (``first``, ``last``: p50). The sets see the same growing queue of open enquiries
(nobody picks them up), so alternating keeps the comparison fair.

Example (the base commit exported to /tmp/base with the venv linked):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/6 \\
    .venv/bin/python bench/fanout_ab.py --a /tmp/base --port 8200 --rounds 4 --per-round 10
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import chat_load as cl  # noqa: E402 - the bench's own helpers, next to this file

from tests.process_groups import reap_group, signal_group  # noqa: E402 - chat_load puts the root on the path


class Side:
    def __init__(self, name: str, root: Path, ports: list[int]) -> None:
        self.name = name
        self.root = root
        self.http = [f"http://127.0.0.1:{p}" for p in ports]
        self.ws = [b.replace("http://", "ws://") for b in self.http]
        self.procs: list[subprocess.Popen[bytes]] = []
        self.arrivals: dict[int, list[float]] = {}
        self.lat: list[float] = []
        self.rest: list[float] = []
        self.first: list[float] = []
        self.last: list[float] = []
        self.missing = 0

    def start(self, env: dict[str, str], logs: Path) -> None:
        python = str(cl.BIN / "python")
        daphne = str(cl.BIN / "daphne")
        env = dict(env, CC_CHANNEL_PREFIX=f"fanab-{self.name}-{os.getpid()}")
        for base in self.http:
            port = base.rsplit(":", 1)[1]
            log = logs / f"{self.name}-{port}.log"
            with log.open("wb") as out:
                proc = subprocess.Popen(  # noqa: S603 - fixed argv
                    [python, daphne, "-b", "127.0.0.1", "-p", port, "contactcenter.asgi:application"],
                    cwd=self.root,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            self.procs.append(proc)
            cl.wait_http(f"{base}/api/v1/tags", proc, log)

    def stop(self) -> None:
        for proc in self.procs:
            signal_group(proc, signal.SIGTERM)
        for proc in self.procs:
            reap_group(proc)

    def report(self) -> dict[str, Any]:
        return {
            "side": self.name,
            "root": str(self.root),
            "enquiries": len(self.rest),
            "missing_deliveries": self.missing,
            "p50_ms": round(cl.pct(self.lat, 50) * 1000, 1),
            "p99_ms": round(cl.pct(self.lat, 99) * 1000, 1),
            "max_ms": round(max(self.lat, default=float("nan")) * 1000, 1),
            "rest_p50_ms": round(cl.pct(self.rest, 50) * 1000, 1),
            "first_p50_ms": round(cl.pct(self.first, 50) * 1000, 1),
            "last_p50_ms": round(cl.pct(self.last, 50) * 1000, 1),
        }


async def connect_agents(side: Side, agents: list[list[Any]]) -> list[Any]:
    socks = []
    for i, (_, token) in enumerate(agents):
        j = i % len(side.ws)
        origin = side.http[j]
        sock = await cl.ws_open(await cl.staff_socket_url(side.ws[j], origin, token), origin)
        assert json.loads(await asyncio.wait_for(sock.recv(), 30))["type"] == "hello"
        socks.append(sock)
    return socks


async def read(side: Side, sock: Any) -> None:
    with contextlib.suppress(Exception):
        async for frame in sock:
            event = json.loads(frame)
            if event.get("type") == "enquiry.opened":
                side.arrivals.setdefault(event["data"]["enquiry"]["id"], []).append(cl.now())


async def open_some(side: Side, http: httpx.AsyncClient, key: str, n: int, agents: int, seq: list[int]) -> None:
    for _ in range(n):
        seq[0] += 1
        t0 = cl.now()
        response = await http.post(
            f"{side.http[0]}/api/v1/widget/enquiries",
            json={"channel_key": key, "message": "Fan-out", "visitor": {"first_name": f"F{seq[0]}"}},
        )
        t_rest = cl.now()
        assert response.status_code == 201, response.text
        enquiry = response.json()["id"]
        deadline = cl.now() + 5
        while len(side.arrivals.get(enquiry, [])) < agents and cl.now() < deadline:
            await asyncio.sleep(0.002)
        got = side.arrivals.get(enquiry, [])
        side.missing += agents - len(got)
        side.lat += [t - t0 for t in got]
        side.rest.append(t_rest - t0)
        if got:
            side.first.append(min(got) - t0)
            side.last.append(max(got) - t0)
        await asyncio.sleep(0.2)


async def measure(sides: list[Side], data: dict[str, Any], rounds: int, per_round: int) -> None:
    socks = {side.name: await connect_agents(side, data["fan_agents"]) for side in sides}
    tasks = [asyncio.create_task(read(side, s)) for side in sides for s in socks[side.name]]
    seq = [0]
    async with httpx.AsyncClient(timeout=30) as http:
        for r in range(rounds):
            for side in sides if r % 2 == 0 else list(reversed(sides)):
                await open_some(side, http, data["fan_key"], per_round, len(data["fan_agents"]), seq)
    for t in tasks:
        t.cancel()
    for side in sides:
        for s in socks[side.name]:
            await s.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--a", required=True, help="checkout A (its own code; the venv is this one's)")
    parser.add_argument("--b", default=str(cl.ROOT), help="checkout B (default: this one)")
    parser.add_argument("--port", type=int, default=8200, help="A on port.., B on port+10..")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--per-round", type=int, default=10)
    parser.add_argument("--db-name", default="cc_bench_fanab")
    parser.add_argument("--layer", choices=["pubsub", "core"], default="pubsub")
    parser.add_argument("--profile", help="a directory: py-spy profiles (collapsed stacks) of each set's first process")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
        sys.exit("Set DATABASE_URL and REDIS_URL.")
    logs = Path(tempfile.mkdtemp(prefix="cc-fanab-"))
    print(f"server logs in {logs}", flush=True)
    db_url = cl.recreate_db(os.environ["DATABASE_URL"], args.db_name)
    env = cl.server_env(argparse.Namespace(layer=args.layer), db_url)
    python = str(cl.BIN / "python")
    cl.run([python, "manage.py", "migrate", "--noinput", "-v", "0"], env)
    setup = dict(env, BENCH_CONVERSATIONS="0", BENCH_FANOUT=str(args.agents), BENCH_IDLE="0")
    out = cl.run([python, "manage.py", "shell"], setup, stdin=(cl.ROOT / "bench" / "setup_bench.py").read_text())
    data = json.loads(next(line for line in out.splitlines() if line.startswith("BENCH-JSON "))[11:])
    n = args.processes
    sides = [
        Side("A", Path(args.a).resolve(), [args.port + i for i in range(n)]),
        Side("B", Path(args.b).resolve(), [args.port + 10 + i for i in range(n)]),
    ]
    try:
        for side in sides:
            side.start(env, logs)
        spies: list[subprocess.Popen[bytes]] = []
        if args.profile:
            Path(args.profile).mkdir(parents=True, exist_ok=True)
            for side in sides:
                out_file = Path(args.profile) / f"fanout-{side.name}.txt"
                spy = [str(cl.BIN / "py-spy"), "record", "--pid", str(side.procs[0].pid), "--rate", "200"]
                spy += ["--format", "raw", "--output", str(out_file), "--nonblocking"]
                spies.append(subprocess.Popen(spy, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))  # noqa: S603
        t = time.monotonic()
        asyncio.run(measure(sides, data, args.rounds, args.per_round))
        for recorder in spies:
            recorder.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
            recorder.wait(timeout=60)
        print(f"measured in {time.monotonic() - t:.1f}s, load {os.getloadavg()[0]:.2f}", flush=True)
    finally:
        for side in sides:
            side.stop()
    for side in sides:
        print("fanout " + json.dumps(side.report()), flush=True)


if __name__ == "__main__":
    main()
