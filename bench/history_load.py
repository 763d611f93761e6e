#!/usr/bin/env python
"""History, search and export benchmark against a generated history (bench/history_data.py).

    export REDIS_URL=redis://127.0.0.1:6379/7 CC_CELERY_QUEUE=bench   # a Redis db and queue of our own
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_bench_data \\
        nice .venv/bin/python bench/history_load.py --port 18700

Production mode: starts --processes daphne processes (ports --port, --port+1) and one Celery
worker (--worker-concurrency) on DATABASE_URL (the generated history; the bench adds its own
chat staff and a channel to it, named after the run), then, one request at a time:

- baseline: an authenticated ``GET /api/v1/tags`` (HTTP + auth + one small query: what
  every figure below carries anyway);
- search ``GET /api/v1/search?q=&scope=messages`` as an agent (permission filter on) and as
  an admin, English and Chinese, one word and two words, words from the generator's
  vocabulary in bands of frequency (bench/history_vocab.py: frequent, common, medium, rare;
  the expected share of messages of that language containing each is printed);
- History ``GET /api/v1/history`` with several filter sets, following ``next`` cursors to
  a deep page: page 1 and pages >= 10 separately;
- an export of ~100k enquiries (``POST /api/v1/exports``, polled until done): duration and
  the RSS of the worker's (and the web processes') over time, and a 10x smaller export for
  comparison (memory flat: the peak must not grow with the size);
- the chat benchmark (bench/chat_load.py's load: visitors post over sockets at --chat-rate,
  latency to the agent's socket) alone, then while a second process runs searches and
  exports back to back, then alone again: p99 of each in the same run.

Endpoints missing from ``/api/schema/`` are reported as "not available". With
--explain, the slowest search and History requests are replayed in-process, their slowest
SQL statement shown with EXPLAIN (ANALYZE, BUFFERS).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import chat_load  # noqa: E402 - after the path
import history_vocab as vocab  # noqa: E402

now = time.perf_counter
FINISHED = ("resolved", "closed", "missed")

SETUP = """
import json, os
from django.test.utils import override_settings
from channels_adapters import services as channel_services
from contactcenter.org import services as org
from contactcenter.org.models import Staff

run = os.environ["BENCH_RUN"]
n = int(os.environ["BENCH_CONVERSATIONS"])
agent = Staff.objects.get(pk=int(os.environ["BENCH_AGENT"]))
admin = Staff.objects.get(email="admin0@history.bench")
admin2 = Staff.objects.get(email="admin1@history.bench")
out = {"agent": org.token_issue(staff=agent), "admin": org.token_issue(staff=admin)}
with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
    tag = org.tag_create(actor=admin2, name=f"Chat bench {run}")
    chat_agents = []
    for i in range(n):
        s = org.staff_create(actor=None, email=f"chat{i}-{run}@bench.local", password="bench-password-42",
                             display_name=f"Chat {i}", tags=[tag], max_concurrent=1, availability="active")
        chat_agents.append([s.pk, org.token_issue(staff=s)])
chan = channel_services.channel_create(actor=admin2, kind="widget", name=f"Chat bench {run}", destination_tag=tag)
out.update(chat_key=chan.key, agents=chat_agents)
print("BENCH-JSON " + json.dumps(out))
"""


def pct(values: list[float], p: float) -> float:
    return chat_load.pct(values, p)


def fmt_ms(values: list[float]) -> str:
    if not values:
        return "n/a"
    return f"{pct(values, 50) * 1000:.0f} / {pct(values, 95) * 1000:.0f}"


def group_rss_kb(pgid: int) -> tuple[int, int]:
    """(sum, max) RSS of the processes of a process group."""
    total = biggest = 0
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) != pgid:
                continue
            kb = chat_load.rss_kb(int(d.name))
        except (OSError, ValueError, IndexError):
            continue
        total += kb
        biggest = max(biggest, kb)
    return total, biggest


class RssSampler(threading.Thread):
    def __init__(self, groups: dict[str, int], interval: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.groups = groups
        self.interval = interval
        self.samples: list[tuple[float, dict[str, tuple[int, int]]]] = []
        self.stop_flag = threading.Event()

    def run(self) -> None:
        t0 = now()
        while not self.stop_flag.is_set():
            self.samples.append((now() - t0, {k: group_rss_kb(g) for k, g in self.groups.items()}))
            self.stop_flag.wait(self.interval)

    def stop(self) -> None:
        self.stop_flag.set()
        self.join()

    def summary(self, name: str) -> dict[str, Any]:
        sums = [s[name][0] for _, s in self.samples]
        maxes = [s[name][1] for _, s in self.samples]
        if not sums:
            return {}
        every = max(1, len(self.samples) // 12)
        return {
            "start_mb": round(sums[0] / 1024, 1),
            "peak_mb": round(max(sums) / 1024, 1),
            "end_mb": round(sums[-1] / 1024, 1),
            "peak_single_process_mb": round(max(maxes) / 1024, 1),
            "over_time_mb": [round(s[name][0] / 1024) for _, s in self.samples[::every]],
        }


# ------------------------------------------------------------------------------ HTTP


class Api:
    def __init__(self, bases: list[str], token: str) -> None:
        self.bases = bases
        self.i = 0
        self.http = httpx.Client(timeout=120, headers={"Authorization": f"Token {token}"})

    def base(self) -> str:
        self.i += 1
        return self.bases[self.i % len(self.bases)]

    def get(self, path: str, params: dict[str, Any] | None = None) -> tuple[float, httpx.Response]:
        url = urljoin(self.base(), path)
        if params:
            url += ("&" if "?" in url else "?") + urlencode(params)
        t = now()
        r = self.http.get(url)
        return now() - t, r

    def post(self, path: str, body: dict[str, Any]) -> tuple[float, httpx.Response]:
        t = now()
        r = self.http.post(urljoin(self.base(), path), json=body)
        return now() - t, r


def available_paths(base: str, token: str) -> set[str]:
    r = httpx.get(f"{base}/api/schema/?format=json", headers={"Authorization": f"Token {token}"}, timeout=60)
    if r.status_code != 200:
        return set()
    try:
        return set(r.json().get("paths", {}))
    except ValueError:
        import yaml  # drf-spectacular's default rendering

        return set(yaml.safe_load(r.text).get("paths", {}))


def result_count(r: httpx.Response) -> int | None:
    try:
        body = r.json()
    except ValueError:
        return None
    if isinstance(body, dict):
        for key in ("results", "items", "hits"):
            if isinstance(body.get(key), list):
                return len(body[key])
    return len(body) if isinstance(body, list) else None


def next_link(r: httpx.Response, path: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    body = r.json()
    nxt = body.get("next") if isinstance(body, dict) else None
    if isinstance(nxt, str) and nxt:
        if nxt.startswith("http") or nxt.startswith("/"):
            return nxt, {}
        return path, dict(params, cursor=nxt)
    for key in ("next_cursor", "cursor"):
        if isinstance(body, dict) and body.get(key):
            return path, dict(params, cursor=body[key])
    return None


# ------------------------------------------------------------------------------ measurements


def measure_baseline(apis: dict[str, Api], reps: int) -> dict[str, Any]:
    out = {}
    for role, api in apis.items():
        times = []
        for _ in range(reps * 5):
            took, r = api.get("/api/v1/tags")
            assert r.status_code == 200, r.text[:300]
            times.append(took)
        out[role] = times
        print(f"baseline GET /api/v1/tags as {role}: p50/p95 {fmt_ms(times)} ms", flush=True)
    return out


def search_queries() -> dict[str, list[tuple[str, str, list[str], float]]]:
    """lang -> [(kind, band, [queries], expected share of the language's messages per word)]."""
    out: dict[str, list[tuple[str, str, list[str], float]]] = {}
    for lang in ("en", "zh"):
        mean_words = sum(vocab.WORDS_PER_MESSAGE[lang]) / 2
        bands = {label: vocab.query_band_words(lang, label) for label, _, _ in vocab.QUERY_BANDS[lang]}
        rows = []
        for label, words in bands.items():
            share = statistics.mean(vocab.share_of_messages(lang, r, mean_words) for r, _ in words)
            rows.append(("one word", label, [w for _, w in words], share))
        for a, b in (("frequent", "frequent"), ("frequent", "common"), ("common", "rare")):
            pairs = [
                f"{x[1]} {y[1]}"
                for x, y in zip(bands[a], bands[b][1:] + bands[b][:1] if a == b else bands[b], strict=True)
            ]
            rows.append(("two words", f"{a}+{b}", pairs, float("nan")))
        out[lang] = rows
    return out


def measure_search(apis: dict[str, Api], reps: int) -> list[dict[str, Any]]:
    rows = []
    for lang, queries in search_queries().items():
        for kind, band, qs, share in queries:
            for role, api in apis.items():
                times, counts, errors = [], [], []
                for _ in range(reps):
                    for q in qs:
                        took, r = api.get("/api/v1/search", {"q": q, "scope": "messages"})
                        if r.status_code != 200:
                            errors.append(f"{r.status_code} {r.text[:120]}")
                            continue
                        times.append(took)
                        counts.append(result_count(r) or 0)
                row = {
                    "lang": lang,
                    "kind": kind,
                    "band": band,
                    "role": role,
                    "queries": qs,
                    "share_pct": None if share != share else round(share * 100, 3),
                    "n": len(times),
                    "p50_ms": round(pct(times, 50) * 1000, 1),
                    "p95_ms": round(pct(times, 95) * 1000, 1),
                    "max_ms": round(max(times, default=float("nan")) * 1000, 1),
                    "results_per_page": round(statistics.mean(counts), 1) if counts else None,
                    "errors": errors[:3],
                }
                rows.append(row)
                print(
                    f"search {lang} {kind:9} {band:16} as {role:5}: p50/p95 {fmt_ms(times)} ms"
                    f" (max {row['max_ms']}; {row['results_per_page']} results/page;"
                    f" share {row['share_pct']}%){' ERR ' + errors[0] if errors else ''}",
                    flush=True,
                )
    return rows


def history_filter_sets(db: Any, agent_id: int) -> list[tuple[str, dict[str, Any]]]:
    with db.cursor() as cur:
        cur.execute("SELECT channel_id FROM enquiries_enquiry GROUP BY 1 ORDER BY COUNT(*) DESC LIMIT 1")
        channel = cur.fetchone()[0]
        cur.execute("SELECT id FROM enquiries_conversationtag WHERE parent_id IS NULL AND name = 'Billing' LIMIT 1")
        ctag = cur.fetchone()[0]
        cur.execute(
            "SELECT v.customer_id FROM enquiries_enquiry e JOIN enquiries_visitor v ON v.id = e.visitor_id"
            " WHERE v.customer_id IS NOT NULL GROUP BY 1 ORDER BY COUNT(*) DESC LIMIT 1"
        )
        customer = cur.fetchone()[0]
        cur.execute("SELECT MAX(created_at) FROM enquiries_enquiry")
        last = cur.fetchone()[0]
    since = (last - datetime.timedelta(days=90)).date().isoformat()
    return [
        ("no filter", {}),
        ("last 90 days + channel", {"from": since, "channel": channel}),
        ("conversation tag (parent)", {"conversation_tag": ctag}),
        ("owner", {"owner": agent_id}),
        ("rating 5 (admins only)", {"rating": 5}),
        ("customer", {"customer": customer}),
        ("status missed", {"status": "missed"}),
    ]


def measure_history(apis: dict[str, Api], filter_sets: list[tuple[str, dict[str, Any]]], pages: int) -> list[dict]:
    rows = []
    for name, params in filter_sets:
        for role, api in apis.items():
            if "rating" in params and role != "admin":
                continue  # agents may not filter by rating unless admins let them see ratings
            first: list[float] = []
            deep: list[float] = []
            all_pages: list[float] = []
            reached = 0
            errors: list[str] = []
            for _rep in range(2):
                path, p = "/api/v1/history", dict(params)
                for page in range(1, pages + 1):
                    took, r = api.get(path, p)
                    if r.status_code != 200:
                        errors.append(f"{r.status_code} {r.text[:120]}")
                        break
                    all_pages.append(took)
                    (first if page == 1 else deep if page >= 10 else []).append(took)
                    reached = max(reached, page)
                    nxt = next_link(r, "/api/v1/history", params)
                    if nxt is None:
                        break
                    path, p = nxt
            row = {
                "filters": name,
                "role": role,
                "pages_reached": reached,
                "page1_p50_ms": round(pct(first, 50) * 1000, 1),
                "page1_max_ms": round(max(first, default=float("nan")) * 1000, 1),
                "deep_p50_ms": round(pct(deep, 50) * 1000, 1),
                "deep_p95_ms": round(pct(deep, 95) * 1000, 1),
                "all_p95_ms": round(pct(all_pages, 95) * 1000, 1),
                "errors": errors[:2],
            }
            rows.append(row)
            print(
                f"history {name:26} as {role:5}: page 1 p50 {row['page1_p50_ms']} ms, pages>=10 p50/p95"
                f" {row['deep_p50_ms']}/{row['deep_p95_ms']} ms, all pages p95 {row['all_p95_ms']} ms"
                f" (reached page {reached}){' ERR ' + errors[0] if errors else ''}",
                flush=True,
            )
    return rows


def export_from(db: Any, size: int) -> str:
    with db.cursor() as cur:
        cur.execute(
            "SELECT created_at FROM enquiries_enquiry WHERE status IN ('resolved', 'closed', 'missed')"
            " ORDER BY created_at DESC OFFSET %s LIMIT 1",
            [size - 1],
        )
        return cur.fetchone()[0].isoformat()


def run_export(api: Api, size: int, db: Any, groups: dict[str, int], timeout: float = 600) -> dict[str, Any]:
    body = {"kind": "enquiries", "format": "csv", "filters": {"from": export_from(db, size)}}
    sampler = RssSampler(groups)
    sampler.start()
    time.sleep(1)
    t = now()
    _, r = api.post("/api/v1/exports", body)
    if r.status_code not in (200, 201, 202):
        sampler.stop()
        print(f"export {size:,}: refused {r.status_code} {r.text[:300]}", flush=True)
        return {"error": f"{r.status_code} {r.text[:300]}"}
    export = r.json()
    status = export.get("status")
    progress = []
    while status not in ("done", "failed") and now() - t < timeout:
        time.sleep(0.5)
        _, r = api.get(f"/api/v1/exports/{export['id']}")
        export = r.json()
        status = export.get("status")
        progress.append((round(now() - t, 1), export.get("progress"), export.get("rows")))
    took = now() - t
    time.sleep(1)
    sampler.stop()
    out: dict[str, Any] = {
        "requested": size,
        "status": status,
        "seconds": round(took, 1),
        "rows": export.get("rows"),
        "progress": progress[:: max(1, len(progress) // 8)],
    }
    for name in groups:
        out[f"rss_{name}"] = sampler.summary(name)
    url = export.get("download_url")
    if status == "done" and url:
        t = now()
        size_bytes = lines = 0
        with api.http.stream("GET", urljoin(api.bases[0], url)) as resp:
            out["download_status"] = resp.status_code
            for chunk in resp.iter_bytes():
                size_bytes += len(chunk)
                lines += chunk.count(b"\n")
        out["download"] = {"seconds": round(now() - t, 2), "mb": round(size_bytes / 1e6, 1), "lines": lines}
    print(f"export {size:,}: {json.dumps(out)}", flush=True)
    return out


# ------------------------------------------------------------------------------ background load


def background(args: argparse.Namespace) -> None:
    """Searches back to back (agent and admin alternately, every band) and exports one after
    another, for --duration seconds: the load the chat benchmark runs beside."""
    spec = json.loads(args.background)
    apis = {role: Api(spec["bases"], tok) for role, tok in spec["tokens"].items()}
    deadline = now() + spec["duration"]
    queries = [q for rows in search_queries().values() for _, _, qs, _ in rows for q in qs]
    times: list[float] = []
    exports: list[float] = []
    errors = 0

    def exporter() -> None:
        api = Api(spec["bases"], spec["tokens"]["admin"])
        while now() < deadline:
            t = now()
            _, r = api.post("/api/v1/exports", {"kind": "enquiries", "format": "csv", "filters": spec["filters"]})
            if r.status_code not in (200, 201, 202):
                return
            ident = r.json()["id"]
            while now() < deadline + 120:
                time.sleep(0.5)
                if api.get(f"/api/v1/exports/{ident}")[1].json().get("status") in ("done", "failed"):
                    exports.append(now() - t)
                    break

    threads = []
    if spec["export"]:
        threads.append(threading.Thread(target=exporter, daemon=True))
        threads[-1].start()
    i = 0
    while spec["search"] and now() < deadline:
        role = "agent" if i % 2 else "admin"
        took, r = apis[role].get("/api/v1/search", {"q": queries[i % len(queries)], "scope": "messages"})
        i += 1
        if r.status_code == 200:
            times.append(took)
        else:
            errors += 1
            time.sleep(0.05)
    while now() < deadline:
        time.sleep(0.2)
    for th in threads:
        th.join(timeout=180)
    print(
        "BACKGROUND "
        + json.dumps(
            {
                "searches": len(times),
                "search_p50_ms": round(pct(times, 50) * 1000, 1),
                "search_p95_ms": round(pct(times, 95) * 1000, 1),
                "errors": errors,
                "exports_done": len(exports),
                "export_seconds": [round(e, 1) for e in exports],
            }
        ),
        flush=True,
    )


# The chat phases (--chat-phases): "alone", or "with" and what runs beside the chat.
PHASES = {
    "alone": None,
    "search+export": {"search": True, "export": True},
    "search": {"search": True, "export": False},
    "export": {"search": False, "export": True},
}


async def chat_phases(
    convs: list[chat_load.Conversation],
    rate: float,
    duration: float,
    pids: list[int],
    bg: list[str] | None,
    phases: list[str],
) -> tuple[list[dict[str, Any]], str]:
    load = chat_load.Load(convs, False)
    await load.open()
    await asyncio.sleep(1)
    results = []
    bg_out = ""
    for i, phase in enumerate(phases):
        proc = None
        name = "alone" if phase == "alone" else f"with {phase}"
        if phase != "alone":
            if bg is None:
                continue
            spec = json.loads(bg[-1])
            spec.update({k: v and spec[k] for k, v in (PHASES[phase] or {}).items()})
            argv = [*bg[:-1], json.dumps(spec)]
            proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, text=True)  # noqa: S603 - fixed argv
            await asyncio.sleep(3)  # the searches and the export are under way
        before = sum(chat_load.cpu_seconds(p) for p in pids)
        result = await load.phase(rate, duration, f"h{i}")
        result["server_cpu_ms_per_msg"] = round(
            (sum(chat_load.cpu_seconds(p) for p in pids) - before) * 1000 / max(1, result["delivered"]), 3
        )
        result["phase"] = name
        results.append(result)
        print("chat " + json.dumps(result), flush=True)
        if proc is not None:
            out, _ = await asyncio.to_thread(proc.communicate)
            bg_out = next((line[11:] for line in out.splitlines() if line.startswith("BACKGROUND ")), out[-500:])
            result["background"] = bg_out
            print(f"background during the chat: {bg_out}", flush=True)
        await asyncio.sleep(2)
    await load.close()
    return results, bg_out


# ------------------------------------------------------------------------------ explain


def explain(env: dict[str, str], tokens: dict[str, str], cases: list[tuple[str, str, dict[str, Any]]]) -> None:
    """Replay requests in-process, EXPLAIN ANALYZE the slowest statement of each."""
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    for role, path, params in cases:
        with CaptureQueriesContext(connection) as ctx:
            t = now()
            r = client.get(path, params, HTTP_AUTHORIZATION=f"Token {tokens[role]}")
            took = now() - t
        if not ctx.captured_queries:
            continue
        # The search's own planner estimate (EXPLAIN (FORMAT JSON), history.search) cannot be explained.
        explainable = [q for q in ctx.captured_queries if not q["sql"].lstrip().upper().startswith("EXPLAIN")]
        if not explainable:
            continue
        slowest = max(explainable, key=lambda q: float(q["time"]))
        print(f"\n### {role} GET {path}?{urlencode(params)}: {r.status_code}, {took * 1000:.0f} ms in-process,")
        print(f"{len(ctx.captured_queries)} statements; slowest {float(slowest['time']) * 1000:.0f} ms:\n")
        print("```sql\n" + slowest["sql"] + "\n```\n")
        with connection.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + slowest["sql"])
            print("```\n" + "\n".join(row[0] for row in cur.fetchall()) + "\n```", flush=True)


# ------------------------------------------------------------------------------ main


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=int, default=18700)
    p.add_argument("--processes", type=int, default=2)
    p.add_argument("--worker-concurrency", type=int, default=1)
    p.add_argument("--reps", type=int, default=4, help="rounds over each band's five queries")
    p.add_argument("--pages", type=int, default=25, help="History pages followed per filter set")
    p.add_argument("--export-size", type=int, default=100_000)
    p.add_argument("--conversations", type=int, default=200)
    p.add_argument("--chat-rate", type=float, default=200)
    p.add_argument("--chat-duration", type=float, default=20)
    p.add_argument("--skip", default="", help="comma-separated: search,history,export,chat")
    p.add_argument("--explain", action="store_true")
    p.add_argument("--json", help="write the report here")
    p.add_argument(
        "--chat-phases",
        default="alone,search+export,alone",
        help="comma-separated chat phases in order: alone, search+export, search, export"
        " (e.g. alone,export,alone,search,alone; ratios are to the worst alone phase)",
    )
    p.add_argument("--background", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.background:
        background(args)
        return
    if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
        sys.exit("Production mode: set DATABASE_URL (the generated history) and REDIS_URL.")
    skip = set(args.skip.split(","))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    db_url = os.environ["DATABASE_URL"]
    db = chat_load_connect(db_url)
    report: dict[str, Any] = {"load_before": os.getloadavg()}
    print(f"load average before: {report['load_before']}", flush=True)

    with db.cursor() as cur:  # an agent with a typical share of the history
        cur.execute(
            "SELECT s.id, COUNT(*) FROM contactcenter_staff s JOIN enquiries_enquiry e ON e.owner_id = s.id"
            " WHERE s.email LIKE 'agent%%@history.bench' GROUP BY 1 ORDER BY 2"
        )
        owned = cur.fetchall()
        agent_id, agent_owned = owned[len(owned) // 2]
        cur.execute("SELECT COUNT(*) FROM rooms_message")
        messages = cur.fetchone()[0]
        cur.execute("SELECT COUNT(*) FROM enquiries_enquiry")
        enquiries = cur.fetchone()[0]
        cur.execute(
            "SELECT COUNT(*) FROM enquiries_enquiry e WHERE e.owner_id = %s OR EXISTS (SELECT 1 FROM"
            " rooms_roomparticipant p JOIN rooms_room r ON r.id = p.room_id WHERE r.enquiry_id = e.id"
            " AND p.staff_id = %s)",
            [agent_id, agent_id],
        )
        agent_visible = cur.fetchone()[0]
    print(
        f"history: {messages:,} messages, {enquiries:,} enquiries; agent {agent_id} owns {agent_owned:,}"
        f" and may see {agent_visible:,} ({agent_visible / enquiries:.1%})",
        flush=True,
    )
    report["data"] = {"messages": messages, "enquiries": enquiries, "agent_visible": agent_visible}

    logs = Path(tempfile.mkdtemp(prefix="cc-history-bench-"))
    print(f"server logs in {logs}", flush=True)
    procs = chat_load.Procs()
    run_id = secrets.token_hex(3)
    env = chat_load.server_env(argparse.Namespace(layer="pubsub"), db_url)
    env["CC_CELERY_QUEUE"] = os.environ.get("CC_CELERY_QUEUE") or f"history-bench-{run_id}"
    env["CC_CHANNEL_PREFIX"] = f"hbench-{run_id}"
    # Background work (exports) goes to the worker; the web processes sweep nothing (no beat
    # either: no enquiry of the chat load may be missed while we measure).
    env["CC_TIMERS"] = "celery"
    env["CC_WEB_TICKER"] = "0"
    python = str(chat_load.BIN / "python")
    try:
        t = now()
        setup_env = dict(env, BENCH_RUN=run_id, BENCH_CONVERSATIONS=str(args.conversations), BENCH_AGENT=str(agent_id))
        out = chat_load.run([python, "manage.py", "shell"], setup_env, stdin=SETUP)
        data = json.loads(next(line for line in out.splitlines() if line.startswith("BENCH-JSON "))[11:])
        print(f"setup: tokens, {args.conversations} chat agents in {now() - t:.1f}s", flush=True)
        tokens = {"agent": data["agent"], "admin": data["admin"]}

        bases, pids = [], []
        for i in range(args.processes):
            port = args.port + i
            log = logs / f"daphne-{port}.log"
            daphne = [
                str(chat_load.BIN / "daphne"),
                "-b",
                "127.0.0.1",
                "-p",
                str(port),
                "contactcenter.asgi:application",
            ]
            proc = procs.start(daphne, env, log)
            bases.append(f"http://127.0.0.1:{port}")
            pids.append(proc.pid)
            chat_load.wait_http(f"{bases[-1]}/api/v1/tags", proc, log)
        worker = procs.start(
            [str(chat_load.BIN / "celery"), "-A", "contactcenter", "worker", "-Q", env["CC_CELERY_QUEUE"]]
            + ["--concurrency", str(args.worker_concurrency), "--loglevel", "WARNING", "-n", f"hbench-{run_id}@%h"],
            env,
            logs / "worker.log",
        )
        groups = {"worker": worker.pid, "web": pids[0]}
        apis = {role: Api(bases, tok) for role, tok in tokens.items()}
        paths = available_paths(bases[0], tokens["admin"])
        have = {
            "search": "/api/v1/search" in paths,
            "history": "/api/v1/history" in paths,
            "export": "/api/v1/exports" in paths,
        }
        report["available"] = have
        print(f"endpoints: {have}", flush=True)
        report["baseline"] = {k: fmt_ms(v) for k, v in measure_baseline(apis, args.reps).items()}

        if "search" not in skip:
            report["search"] = measure_search(apis, args.reps) if have["search"] else "not available"
            if not have["search"]:
                print("search: not available (no /api/v1/search in /api/schema/)", flush=True)
        if "history" not in skip:
            if have["history"]:
                report["history"] = measure_history(apis, history_filter_sets(db, agent_id), args.pages)
            else:
                report["history"] = "not available"
                print("history: not available (no /api/v1/history in /api/schema/)", flush=True)
        if "export" not in skip:
            if have["export"]:
                report["export"] = [
                    run_export(apis["admin"], args.export_size // 10, db, groups),
                    run_export(apis["admin"], args.export_size, db, groups),
                ]
            else:
                report["export"] = "not available"
                print("export: not available (no /api/v1/exports in /api/schema/)", flush=True)
        if "chat" not in skip:
            ws_bases = [b.replace("http://", "ws://") for b in bases]
            t = now()
            convs = chat_load.setup_conversations(bases, ws_bases, data, args.conversations)
            print(f"setup: {len(convs)} conversations in {now() - t:.1f}s", flush=True)
            bg = None
            if have["search"] or have["export"]:
                spec = {
                    "bases": bases,
                    "tokens": tokens,
                    "duration": args.chat_duration + 2,
                    "export": have["export"],
                    "search": have["search"],
                    "filters": {"from": export_from(db, args.export_size)},
                }
                bg = ["nice", python, __file__, "--background", json.dumps(spec)]
            wanted = args.chat_phases.split(",")
            unknown = [p for p in wanted if p not in PHASES]
            if unknown:
                sys.exit(f"--chat-phases: unknown {unknown}; use {', '.join(PHASES)}")
            phases, bg_out = asyncio.run(chat_phases(convs, args.chat_rate, args.chat_duration, pids, bg, wanted))
            report["chat"] = phases
            report["chat_background"] = bg_out
            alone = [ph["p99_ms"] for ph in phases if ph["phase"] == "alone"]
            ratios = {}
            for ph in phases:
                if ph["phase"].startswith("with") and alone:
                    ratio = ph["p99_ms"] / max(0.01, max(alone))
                    print(f"chat p99 {ph['phase']} / alone (worst alone phase): {ratio:.2f}x", flush=True)
                    ratios[ph["phase"]] = round(ratio, 2)
            if ratios:
                report["chat_p99_ratio"] = next(iter(ratios.values()))
                report["chat_p99_ratios"] = ratios
        report["load_after"] = os.getloadavg()
        print(f"load average after: {report['load_after']}", flush=True)
    finally:
        procs.stop()

    if args.explain:
        cases = []
        for lang in ("en", "zh"):
            words = [w for _, w in vocab.query_band_words(lang, "frequent")]
            for role in ("agent", "admin"):
                cases.append((role, "/api/v1/search", {"q": words[0], "scope": "messages"}))
                cases.append((role, "/api/v1/search", {"q": f"{words[0]} {words[1]}", "scope": "messages"}))
        cases.append(("admin", "/api/v1/history", {}))
        cases.append(("agent", "/api/v1/history", {}))
        with_paths = [c for c in cases if report.get("available", {}).get(c[1].rsplit("/", 1)[1], False)]
        explain(env, tokens, with_paths)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1, default=str))
    print("REPORT " + json.dumps(report, default=str), flush=True)


def chat_load_connect(url: str) -> Any:
    from history_data import connect

    conn = connect(url)
    conn.autocommit = True
    return conn


if __name__ == "__main__":
    main()
