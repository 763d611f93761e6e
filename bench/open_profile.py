"""In-process timing of the widget's opening request (POST /api/v1/widget/enquiries) to a
tag served by N ACTIVE agents: ms per open (p50, mean, p90) and the statements each runs,
optionally a cProfile of the opens. It recreates its own database (--db-name) each run.

    source <env with DATABASE_URL and REDIS_URL>
    .venv/bin/python bench/open_profile.py --agents 50 --opens 40 [--profile 30]

Every open stays waiting (nobody picks up), as in chat_load.py --fanout: the queue grows
by one per open. Compare runs of the same invocation only (the machine's speed varies)."""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import chat_load  # noqa: E402 - the bench's own helpers, next to this file


def recreate_db(name: str) -> None:
    """A fresh database ``name`` beside DATABASE_URL's, which then points at it."""
    os.environ["DATABASE_URL"] = chat_load.recreate_db(os.environ["DATABASE_URL"], name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--opens", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--db-name", default="cc_open_profile")
    parser.add_argument("--profile", type=int, default=0, help="print the N top functions by cumulative time")
    parser.add_argument("--sort", default="cumulative", help="the profile's order (cumulative, tottime, ...)")
    parser.add_argument(
        "--warm-up", action="store_true", help="warm up as a web process does at start (contactcenter/warmup.py)"
    )
    parser.add_argument("--callers", default="", help="also print the callers of functions matching this")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
        sys.exit("Set DATABASE_URL and REDIS_URL.")
    recreate_db(args.db_name)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contactcenter.settings")
    os.environ.update(CC_TIMERS="off", CC_WIDGET_RATE="1000000/min", CC_LOG_LEVEL="WARNING")

    import django

    django.setup()
    from asgiref.sync import sync_to_async
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, override_settings
    from rest_framework.test import APIClient

    from channels_adapters import services as channel_services
    from contactcenter.org import realtime
    from contactcenter.org import services as org

    call_command("migrate", "--noinput", verbosity=0)
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        make_password("x")
        admin = org.staff_create(
            actor=None, email="admin@op.local", password="bench-password-42", display_name="Admin", role="admin"
        )
        tag = org.tag_create(actor=admin, name="Fan-out")
        for i in range(args.agents):
            org.staff_create(
                actor=None,
                email=f"fan{i}@op.local",
                password="bench-password-42",
                display_name=f"Fan {i}",
                tags=[tag],
                max_concurrent=1,
                availability="active",
            )
    channel = channel_services.channel_create(actor=admin, kind="widget", name="Fan-out", destination_tag=tag)
    client = APIClient()
    times: list[float] = []
    to_commit: list[float] = []  # request start -> its first event handed to the layer (the commit)
    statements: list[int] = []
    first_event: list[float] = []

    def sink(groups: list[str], event: dict[str, object]) -> None:
        if not first_event:
            first_event.append(time.perf_counter())

    realtime.sinks.append(sink)
    profiler = cProfile.Profile() if args.profile else None

    def one(i: int, measured: bool) -> None:
        body = {"channel_key": channel.key, "message": "Fan-out", "visitor": {"first_name": f"F{i}"}}
        with CaptureQueriesContext(connection) as seen:
            if profiler is not None and measured:
                profiler.enable()
            first_event.clear()
            t0 = time.perf_counter()
            response = client.post("/api/v1/widget/enquiries", body, format="json", REMOTE_ADDR="203.0.113.9")
            elapsed = time.perf_counter() - t0
            if profiler is not None and measured:
                profiler.disable()
        assert response.status_code == 201, response.content
        if measured:
            times.append(elapsed * 1000)
            to_commit.append((first_event[0] - t0) * 1000)
            statements.append(len(seen.captured_queries))
        if os.environ.get("OPEN_PROFILE_SQL") and i == args.warmup + args.opens - 1:
            for q in seen.captured_queries:
                print(q["time"], q["sql"][:220])

    async def run() -> None:
        # As under daphne: the view runs in a worker thread called from a running event
        # loop, so its on-commit events go to the loop's outbox (realtime._dispatch).
        if args.warm_up:
            from contactcenter import warmup

            warmup.process_warm_up()
            await sync_to_async(warmup.thread_warm_up)()
        for i in range(args.warmup + args.opens):
            await sync_to_async(one)(i, i >= args.warmup)
        await asyncio.sleep(0.5)  # let the outbox publish

    asyncio.run(run())
    print("ms of the first opens, in order:", " ".join(f"{t:.1f}" for t in times[:5]))
    times.sort()
    to_commit.sort()
    print(
        f"agents={args.agents} opens={args.opens} ms/open: p50 {statistics.median(times):.1f}"
        f" mean {statistics.fmean(times):.1f} p90 {times[int(len(times) * 0.9) - 1]:.1f}"
        f" min {times[0]:.1f}; statements/open: {min(statements)}-{max(statements)}"
    )
    print(
        f"ms from the request to its commit (events handed to the layer): p50 {statistics.median(to_commit):.1f}"
        f" p90 {to_commit[int(len(to_commit) * 0.9) - 1]:.1f} min {to_commit[0]:.1f}"
    )
    if profiler is not None:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.profile)
        if args.callers:
            pstats.Stats(profiler, stream=out).print_callers(args.callers)
        print(out.getvalue())


if __name__ == "__main__":
    main()
