#!/usr/bin/env python
"""Memory per idle socket, A/B, in one invocation (a script, not a test).

Two code trees (``--before DIR``: e.g. ``git archive <commit> | tar -x -C DIR``; and this
repository) serve the same database one after the other, in rounds (A, B, A, B...): each
server is started as deployed (``python -m contactcenter.asgi_server`` in its own tree), 20
sockets are opened and closed (warm-up), then ``--sockets`` idle visitor sockets are opened
(each waiting for its ``hello``) and the RSS growth per socket is read from /proc, as
``bench/chat_load.py --idle`` does. Ratios within a round, not absolutes across runs.

``--tracemalloc N``: instead, each tree's daphne runs under tracemalloc (N frames) and the
snapshot difference around opening the sockets is printed, grouped by traceback, per socket.

Example: DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/6 \\
    .venv/bin/python bench/idle_ab.py --before /tmp/before --sockets 2000 --rounds 2
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from chat_load import measure_idle, recreate_db, rss_kb, run, server_env, wait_http, ws_open  # noqa: E402

from tests.process_groups import reap_group, signal_group  # noqa: E402

# Run in the server process (tracemalloc): SIGUSR1 writes a snapshot to $PROBE_SNAPSHOT.N.
HOOK = """
import os, signal, sys, tracemalloc
tracemalloc.start(int(os.environ["PROBE_FRAMES"]))
count = [0]
def dump(signum, frame):
    import gc
    gc.collect()
    tracemalloc.take_snapshot().dump(os.environ["PROBE_SNAPSHOT"] + "." + str(count[0]))
    count[0] += 1
signal.signal(signal.SIGUSR1, dump)
sys.argv = ["daphne"] + sys.argv[1:]
try:
    from contactcenter.daphne_lean import main
except ImportError:
    from daphne.cli import CommandLineInterface
    main = CommandLineInterface.entrypoint
main()
"""


def start(root: Path, port: int, env: dict[str, str], log: Path, frames: int, snap: str) -> subprocess.Popen[bytes]:
    if frames:
        sys.path.insert(0, str(root))
        from contactcenter.asgi_server import server_argv

        argv = server_argv("daphne", "127.0.0.1", port, BIN)
        sys.path.remove(str(root))
        daphne_args = argv[argv.index("-b") :]
        args = [str(BIN / "python"), "-c", HOOK, *daphne_args]
        env = dict(env, PROBE_FRAMES=str(frames), PROBE_SNAPSHOT=snap)
    else:
        args = [str(BIN / "python"), "-m", "contactcenter.asgi_server", "--port", str(port)]
    with log.open("wb") as out:
        return subprocess.Popen(  # noqa: S603 - fixed argv
            args, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def snapshot(proc: subprocess.Popen[bytes], snap: str, n: int) -> tracemalloc.Snapshot:
    os.kill(proc.pid, signal.SIGUSR1)
    path = Path(f"{snap}.{n}")
    deadline = time.monotonic() + 120
    size = -1
    while time.monotonic() < deadline:  # written when its size stops growing
        if path.exists() and path.stat().st_size == size and size > 0:
            return tracemalloc.Snapshot.load(str(path))
        size = path.stat().st_size if path.exists() else -1
        time.sleep(1)
    sys.exit(f"no snapshot {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", required=True, help="the other code tree (A)")
    parser.add_argument("--sockets", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--db-name", default="cc_bench_idle")
    parser.add_argument("--tracemalloc", type=int, default=0, help="frames per traceback (0: RSS only)")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--trees", default="before,after", help="which of the two to run, in order")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
        sys.exit("set DATABASE_URL and REDIS_URL")
    db_url = recreate_db(os.environ["DATABASE_URL"], args.db_name)
    ns = argparse.Namespace(layer="pubsub")
    env = server_env(ns, db_url)
    python = str(BIN / "python")
    run([python, "manage.py", "migrate", "--noinput", "-v", "0"], env)
    setup_env = dict(env, BENCH_CONVERSATIONS="0", BENCH_FANOUT="0", BENCH_IDLE=str(args.sockets + 20))
    out = run([python, "manage.py", "shell"], setup_env, stdin=(ROOT / "bench" / "setup_bench.py").read_text())
    data = json.loads(next(line for line in out.splitlines() if line.startswith("BENCH-JSON "))[11:])
    base = f"ws://127.0.0.1:{args.port}/ws/visitor/?visitor_token="
    urls = [base + tok for tok in data["idle_tokens"]]
    warm, idle = urls[:20], urls[20:]
    logs = Path(tempfile.mkdtemp(prefix="cc-idle-ab-"))
    paths = {"before": Path(args.before).resolve(), "after": ROOT}
    trees = {name: paths[name] for name in args.trees.split(",")}
    results: dict[str, list[float]] = {name: [] for name in trees}
    for r in range(args.rounds if not args.tracemalloc else 1):
        for name, root in trees.items():
            snap = str(logs / f"{name}-{r}.snap")
            proc = start(root, args.port, env, logs / f"{name}-{r}.log", args.tracemalloc, snap)
            try:
                wait_http(f"http://127.0.0.1:{args.port}/api/v1/tags", proc, logs / f"{name}-{r}.log", timeout=300)
                asyncio.run(measure_idle(warm, proc.pid, True))
                if args.tracemalloc:
                    first = snapshot(proc, snap, 0)
                    second, opened, rss_per = asyncio.run(traced(idle, proc, snap))
                    report_diff(name, first, second, opened, args.top, rss_per)
                    continue
                result = asyncio.run(measure_idle(idle, proc.pid, True))
                results[name].append(result["kb_per_socket"])
                print(f"round {r + 1} {name}: " + json.dumps(result), flush=True)
            finally:
                signal_group(proc, signal.SIGTERM)
                reap_group(proc, timeout=30)
    if not args.tracemalloc:
        for name, values in results.items():
            print(f"{name}: kB per idle socket {values}", flush=True)
        if set(results) == {"before", "after"}:
            pairs = zip(results["before"], results["after"], strict=True)
            print("after/before per round: " + ", ".join(f"{b / a:.3f}" for a, b in pairs), flush=True)


async def traced(urls: list[str], proc: subprocess.Popen[bytes], snap: str) -> tuple[Any, int, float]:
    """Open the sockets, take the server's snapshot while they are open, close them."""
    loop = asyncio.get_running_loop()
    before_kb = rss_kb(proc.pid)
    socks = []
    for start_at in range(0, len(urls), 40):
        opened = await asyncio.gather(*(ws_open(u) for u in urls[start_at : start_at + 40]))
        await asyncio.gather(*(asyncio.wait_for(s.recv(), 30) for s in opened))
        socks += opened
    await asyncio.sleep(3)
    rss_per = (rss_kb(proc.pid) - before_kb) / max(1, len(socks))
    second = await loop.run_in_executor(None, snapshot, proc, snap, 1)
    for start_at in range(0, len(socks), 40):
        await asyncio.gather(*(s.close() for s in socks[start_at : start_at + 40]), return_exceptions=True)
    return second, len(socks), rss_per


def report_diff(name: str, first: Any, second: Any, sockets: int, top: int, rss_per: float) -> None:
    stats = second.compare_to(first, "traceback")
    total = sum(s.size_diff for s in stats)
    print(
        f"\n== {name}: {sockets} sockets, traced {total / sockets / 1024:.2f} kB per socket "
        f"(RSS {rss_per:.1f} kB with tracing)",
        flush=True,
    )
    for stat in stats[:top]:
        if stat.size_diff <= 0:
            continue
        print(f"{stat.size_diff / sockets:8.0f} B/socket {stat.count_diff / sockets:6.2f} blocks/socket", flush=True)
        for line in stat.traceback.format()[-2 * min(4, len(stat.traceback)) :]:
            print("        " + line, flush=True)


if __name__ == "__main__":
    main()
