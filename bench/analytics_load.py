#!/usr/bin/env python
"""Analytics benchmark against a generated history (bench/history_data.py), on PostgreSQL.

    export REDIS_URL=redis://127.0.0.1:6379/9 CC_CELERY_QUEUE=abench   # a Redis db and queue of our own
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_bench_data \\
        nice .venv/bin/python bench/analytics_load.py --port 18800 --json out.json

Steps, each timed and printed:

1. ``manage.py analytics_rebuild`` (fills the fact tables from the enquiries, their events
   and messages), then ``ANALYZE`` (what autovacuum would do after a bulk load).
2. Starts --processes daphne processes (production settings) and asks, one request at a
   time, for a 90-day range ending on the data's last day (business time zone): every
   ``group_by`` of ``GET /api/v1/analytics/summary`` (as the schema lists them), without a
   filter and with one filter (a channel; for group_by=channel a destination), as an admin
   and as an agent (the median one: their own figures), and ``GET /api/v1/analytics/agents``;
   --reps timed requests each after one warm-up request. p50 / p95 / max per request type
   against the target p95 <= 300 ms.
3. The correctness check: the same figures computed directly from the raw rows
   (``enquiries_enquiry``, ``enquiries_enquiryevent``, ``rooms_message``,
   ``enquiries_enquiry_tags``) with SQL and Python written from the metric definitions
   (README, "Analytics"; not from the facts code), for every group_by and filter asked in
   step 2, compared field by field with the API's rows. A field matches when the API's
   value is a correct rounding of the exact value (counts exactly). Mismatches are listed
   (and make the exit status 1).
4. With --hotpath (or alone: --hotpath-only): the chat hot path with and without the
   analytics app's observers in the same run (see ``hotpath``).

--flat NAME=URL,NAME=URL instead times two already rebuilt databases side by side, every
request asked of each in turn (see ``flat``): whether a request slows down as history grows,
on a machine whose load changes under the measurement.

Endpoints missing from ``/api/schema/`` are reported as "not available". With --explain,
the slowest request of each kind is replayed in-process and its slowest SQL statement shown
with EXPLAIN (ANALYZE, BUFFERS).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin
from zoneinfo import ZoneInfo

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import chat_load  # noqa: E402 - after the path

now = time.perf_counter
TARGET_P95_MS = 300.0
SUMMARY = "/api/v1/analytics/summary"
AGENTS = "/api/v1/analytics/agents"
MISSED_REASONS = ("timeout", "nobody_available", "out_of_hours", "all_rejected")

SETUP = """
import json, os
from contactcenter.org import services as org
from contactcenter.org.i18n import business_time_zone
from contactcenter.org.models import Staff

agent = Staff.objects.get(pk=int(os.environ["BENCH_AGENT"]))
admin = Staff.objects.get(email="admin0@history.bench")
print("BENCH-JSON " + json.dumps({"agent": org.token_issue(staff=agent), "admin": org.token_issue(staff=admin),
                                  "tz": business_time_zone()}))
"""


def log(msg: str) -> None:
    print(msg, flush=True)


def nearest_rank(values: list[float], p: float) -> float | None:
    """The smallest value v with at least ceil(p * n) values <= v (METRICS)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p * len(ordered))) - 1]


def ms(values: list[float], p: float) -> float:
    v = nearest_rank(values, p)
    return float("nan") if v is None else round(v * 1000, 1)


# ------------------------------------------------------------------------------ database


def connect(url: str) -> Any:
    from history_data import connect as hd_connect

    conn = hd_connect(url)
    conn.autocommit = True
    return conn


def data_facts(db: Any) -> dict[str, Any]:
    with db.cursor() as cur:
        cur.execute("SELECT COUNT(*), MIN(created_at), MAX(created_at) FROM enquiries_enquiry")
        enquiries, first, last = cur.fetchone()
        cur.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = 'rooms_message'::regclass")
        messages = cur.fetchone()[0]
        cur.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = 'enquiries_enquiryevent'::regclass")
        events = cur.fetchone()[0]
        # An agent with a typical share of the history: the median owner.
        cur.execute(
            "SELECT s.id, COUNT(*) FROM contactcenter_staff s JOIN enquiries_enquiry e ON e.owner_id = s.id"
            " WHERE s.email LIKE 'agent%%@history.bench' GROUP BY 1 ORDER BY 2, 1"
        )
        owned = cur.fetchall()
        agent_id, agent_owned = owned[len(owned) // 2]
        # The filters: the agent's most frequent channel and destination (so that the agent's
        # filtered requests have rows too).
        cur.execute(
            "SELECT channel_id FROM enquiries_enquiry WHERE owner_id = %s GROUP BY 1 ORDER BY COUNT(*) DESC, 1 LIMIT 1",
            [agent_id],
        )
        channel = cur.fetchone()[0]
        cur.execute(
            "SELECT destination_id FROM enquiries_enquiry WHERE owner_id = %s GROUP BY 1 ORDER BY COUNT(*) DESC, 1"
            " LIMIT 1",
            [agent_id],
        )
        destination = cur.fetchone()[0]
        cur.execute("SELECT kind FROM channels_adapters_channel WHERE id = %s", [channel])
        channel_kind = cur.fetchone()[0]
        cur.execute("SELECT id FROM enquiries_conversationtag WHERE parent_id IS NULL ORDER BY name LIMIT 1")
        ctag = cur.fetchone()[0]
    return {
        "enquiries": enquiries,
        "messages_estimate": messages,
        "events_estimate": events,
        "first": first,
        "last": last,
        "agent": agent_id,
        "agent_owned": agent_owned,
        "channel": channel,
        "channel_kind": channel_kind,
        "destination": destination,
        "conversation_tag": ctag,
    }


# ------------------------------------------------------------------------------ the direct computation


RAW_SQL = """
WITH e AS (
    SELECT e.id, e.created_at, e.owner_id, e.channel_id,
           -- what the customer came through when it differs from the channel's kind (Enquiry.via)
           COALESCE(NULLIF(e.via, ''), c.kind) AS channel_kind, e.destination_id,
           e.status, e.picked_up_at, e.first_response_at, e.closed_at, e.missed_at, e.missed_reason,
           e.rating_score, e.rating_comment
    FROM enquiries_enquiry e JOIN channels_adapters_channel c ON c.id = e.channel_id
    WHERE e.created_at >= %(start)s AND e.created_at < %(end)s
),
ev AS (
    SELECT v.enquiry_id,
           bool_or(v.type = 'resolved') AS resolved,
           bool_or(v.type = 'reopened') AS reopened,
           bool_or(v.type = 'transferred') AS transferred,
           MAX(v.created_at) FILTER (WHERE v.type = 'resolved') AS last_resolve
    FROM enquiries_enquiryevent v JOIN e ON e.id = v.enquiry_id
    GROUP BY v.enquiry_id
),
m AS (
    SELECT r.enquiry_id,
           COUNT(*) FILTER (WHERE m.author_visitor_id IS NOT NULL AND m.kind <> 'system') AS by_customer,
           COUNT(*) FILTER (
               WHERE m.author_staff_id IS NOT NULL AND m.kind <> 'system' AND NOT (m.data ? 'bot')
           ) AS by_staff,
           MIN(m.created_at) FILTER (WHERE m.author_visitor_id IS NOT NULL AND m.kind <> 'system') AS first_customer
    FROM rooms_room r JOIN e ON e.id = r.enquiry_id JOIN rooms_message m ON m.room_id = r.id
    GROUP BY r.enquiry_id
)
SELECT e.id, e.created_at, e.owner_id, e.channel_id, e.channel_kind, e.destination_id, e.status,
       e.picked_up_at, e.first_response_at, e.closed_at, e.missed_at, e.missed_reason,
       e.rating_score, e.rating_comment,
       COALESCE(ev.resolved, false), COALESCE(ev.reopened, false), COALESCE(ev.transferred, false),
       ev.last_resolve, COALESCE(m.by_customer, 0), COALESCE(m.by_staff, 0), m.first_customer
FROM e LEFT JOIN ev ON ev.enquiry_id = e.id LEFT JOIN m ON m.enquiry_id = e.id
"""

TAGS_SQL = """
SELECT t.enquiry_id, t.conversationtag_id, ct.parent_id
FROM enquiries_enquiry_tags t
JOIN enquiries_conversationtag ct ON ct.id = t.conversationtag_id
JOIN enquiries_enquiry e ON e.id = t.enquiry_id
WHERE e.created_at >= %(start)s AND e.created_at < %(end)s
"""


def seconds(a: dt.datetime | None, b: dt.datetime | None) -> float | None:
    if a is None or b is None:
        return None
    return max(0.0, (b - a).total_seconds())


class Raw:
    """One row per enquiry opened in the range, with what every metric needs, read straight
    from the raw tables; aggregated in Python (``rows``)."""

    def __init__(self, db: Any, start: dt.datetime, end: dt.datetime, tz: str) -> None:
        self.tz = ZoneInfo(tz)
        t = now()
        with db.cursor() as cur:
            cur.execute("SET work_mem = '256MB'")
            cur.execute(RAW_SQL, {"start": start, "end": end})
            raw = cur.fetchall()
            cur.execute(TAGS_SQL, {"start": start, "end": end})
            tag_rows = cur.fetchall()
            cur.execute("RESET work_mem")
            cur.execute("SELECT id, display_name FROM contactcenter_staff")
            self.staff_names = dict(cur.fetchall())
            cur.execute("SELECT id, name, kind FROM channels_adapters_channel")
            self.channels = {i: (n, k) for i, n, k in cur.fetchall()}
            cur.execute("SELECT id, name FROM contactcenter_destination")
            self.destinations = dict(cur.fetchall())
            cur.execute("SELECT id, name, parent_id FROM enquiries_conversationtag")
            self.ctags = {i: (n, p) for i, n, p in cur.fetchall()}
        tags: dict[int, set[int | None]] = defaultdict(set)
        for enquiry_id, tag_id, parent_id in tag_rows:
            tags[enquiry_id].add(tag_id)
            if parent_id is not None:
                tags[enquiry_id].add(parent_id)  # a parent's row counts its children's enquiries
        self.enquiries: list[dict[str, Any]] = []
        for r in raw:
            (eid, created, owner, channel, kind, dest, status, picked, first_resp, closed, missed, reason) = r[:12]
            (score, comment, resolved, reopened, transferred, last_resolve, by_c, by_s, first_c) = r[12:]
            handle = None
            if status in ("resolved", "closed") and picked is not None:
                handle = seconds(picked, last_resolve if last_resolve is not None else closed)
            local = created.astimezone(self.tz)
            self.enquiries.append(
                {
                    "id": eid,
                    "local": local,
                    "agent": owner,
                    "channel": channel,
                    "channel_kind": kind,
                    "tag": dest,
                    "conversation_tag": tags.get(eid) or {None},
                    "handled": picked is not None,
                    "missed": missed is not None,
                    "missed_reason": reason if missed is not None else None,
                    "resolved": resolved,
                    "reopened": reopened,
                    "transferred": transferred,
                    "wait": seconds(created, picked),
                    "first_response": seconds(first_c or created, first_resp),
                    "handle": handle,
                    "messages_customer": by_c,
                    "messages_staff": by_s,
                    "score": score,
                    "comment": bool(comment) if score is not None else False,
                }
            )
        self.took = now() - t

    # -- grouping

    def keys_of(self, e: dict[str, Any], group_by: str, hour_of_day: bool) -> Iterable[Any]:
        if group_by == "day":
            return [e["local"].date().isoformat()]
        if group_by == "hour":
            if hour_of_day:
                return [e["local"].hour]
            return [e["local"].replace(minute=0, second=0, microsecond=0)]
        if group_by == "conversation_tag":
            return e["conversation_tag"]
        return [e[group_by]]

    def label(self, group_by: str, key: Any) -> str | None:
        if group_by == "agent":
            return "Unassigned" if key is None else self.staff_names.get(key)
        if group_by == "channel":
            return self.channels.get(key, (None,))[0]
        if group_by == "tag":
            return self.destinations.get(key)
        if group_by == "conversation_tag":
            if key is None:
                return None
            name, parent = self.ctags[key]
            return f"{self.ctags[parent][0]} > {name}" if parent else name
        return None

    def select(self, filters: dict[str, Any], agent: int | None) -> list[dict[str, Any]]:
        out = []
        for e in self.enquiries:
            if agent is not None and e["agent"] != agent:
                continue
            ok = True
            for k, v in filters.items():
                if k == "conversation_tag":
                    ok = ok and v in e["conversation_tag"]
                else:
                    ok = ok and e[k] == v
            if ok:
                out.append(e)
        return out

    def rows(
        self, group_by: str, filters: dict[str, Any], agent: int | None, hour_of_day: bool = False
    ) -> dict[Any, dict[str, Any]]:
        groups: dict[Any, list[dict[str, Any]]] = defaultdict(list)
        for e in self.select(filters, agent):
            for key in self.keys_of(e, group_by, hour_of_day):
                groups[key].append(e)
        return {key: figures(es) for key, es in groups.items()}

    def total(self, filters: dict[str, Any], agent: int | None) -> dict[str, Any]:
        return figures(self.select(filters, agent))


def figures(es: list[dict[str, Any]]) -> dict[str, Any]:
    """The exact (unrounded) figures of a row: METRICS, one by one."""
    opened = len(es)
    missed = sum(e["missed"] for e in es)
    waits = [e["wait"] for e in es if e["handled"] and e["wait"] is not None]
    firsts = [e["first_response"] for e in es if e["first_response"] is not None]
    handles = [e["handle"] for e in es if e["handle"] is not None]
    scores = [e["score"] for e in es if e["score"] is not None]
    reasons = dict.fromkeys(MISSED_REASONS, 0)
    for e in es:
        if e["missed_reason"] is not None:
            reasons[e["missed_reason"]] = reasons.get(e["missed_reason"], 0) + 1
    out: dict[str, Any] = {
        "opened": opened,
        "handled": sum(e["handled"] for e in es),
        "missed": missed,
        "missed_rate": missed / opened if opened else None,
        "missed_by_reason": reasons,
        "resolved": sum(e["resolved"] for e in es),
        "reopened": sum(e["reopened"] for e in es),
        "transferred": sum(e["transferred"] for e in es),
        "messages_customer": sum(e["messages_customer"] for e in es),
        "messages_staff": sum(e["messages_staff"] for e in es),
        "csat_count": len(scores),
        "csat_avg": sum(scores) / len(scores) if scores else None,
        "csat_share_4_5": sum(s >= 4 for s in scores) / len(scores) if scores else None,
        "csat_comments": sum(e["comment"] for e in es),
    }
    for name, values in (("wait", waits), ("first_response", firsts), ("handle_time", handles)):
        for p in (50, 90):
            out[f"{name}_p{p}_s"] = nearest_rank(values, p / 100)
    return out


# Decimals of each rounded field (METRICS); counts are compared exactly.
DECIMALS = {"missed_rate": 4, "csat_avg": 2, "csat_share_4_5": 4}
for _n in ("wait", "first_response", "handle_time"):
    for _p in (50, 90):
        DECIMALS[f"{_n}_p{_p}_s"] = 1


def same(field: str, api: Any, exact: Any) -> bool:
    if exact is None or api is None:
        return exact is None and api is None
    if isinstance(exact, dict):
        if not isinstance(api, dict):
            return False
        # The reasons METRICS names must be there; any other the API adds (e.g. note_left) is checked too.
        keys = set(api) | set(MISSED_REASONS)
        return all(k in api and same(field, api[k], exact.get(k, 0)) for k in keys)
    if field in DECIMALS:
        try:
            # The API's value must be a correct rounding of the exact one (half up or half even).
            return abs(float(api) - float(exact)) <= 0.5 * 10 ** -DECIMALS[field] + 1e-9
        except (TypeError, ValueError):
            return False
    return api == exact


def api_key(group_by: str, key: Any, tz: ZoneInfo) -> Any:
    """The API's key in the direct computation's terms."""
    if key is None:
        return None
    if group_by == "day":
        return str(key)[:10]
    if group_by == "hour":
        if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
            return int(key)
        t = dt.datetime.fromisoformat(str(key).replace("Z", "+00:00"))
        if t.tzinfo is None:
            t = t.replace(tzinfo=tz)
        return t.astimezone(tz).replace(minute=0, second=0, microsecond=0)
    try:
        return int(key)
    except (TypeError, ValueError):
        return key


def compare(
    raw: Raw, group_by: str, filters: dict[str, Any], agent: int | None, body: Any
) -> tuple[int, list[str], set[str], set[str]]:
    """(rows compared, mismatches, fields checked, API fields not checked)."""
    rows = body.get("rows") if isinstance(body, dict) else None
    if not isinstance(rows, list):
        return 0, [f"no rows in the answer: {str(body)[:200]}"], set(), set()
    hour_of_day = group_by == "hour" and all(isinstance(r.get("key"), int) for r in rows) and len(rows) <= 24
    exact = raw.rows(group_by, filters, agent, hour_of_day)
    mismatches: list[str] = []
    checked: set[str] = set()
    unchecked: set[str] = set()
    seen = set()
    for row in rows:
        key = api_key(group_by, row.get("key"), raw.tz)
        seen.add(key)
        mine = exact.get(key)
        if mine is None:
            if row.get("opened", 0):
                mismatches.append(
                    f"{group_by} key {row.get('key')!r}: in the API (opened {row['opened']}), not in the raw rows"
                )
            continue
        for field, value in row.items():
            if field in ("key", "label"):
                continue
            if field not in mine:
                unchecked.add(field)
                continue
            checked.add(field)
            if not same(field, value, mine[field]):
                mismatches.append(f"{group_by} key {row.get('key')!r} {field}: API {value!r}, raw rows {mine[field]!r}")
        want_label = raw.label(group_by, key)
        if want_label is not None and row.get("label") not in (None, want_label):
            checked.add("label")
            mismatches.append(f"{group_by} key {row.get('key')!r} label: API {row.get('label')!r}, raw {want_label!r}")
    for key, mine in exact.items():
        if key not in seen and mine["opened"]:
            mismatches.append(f"{group_by} key {key!r}: {mine['opened']} opened in the raw rows, no row in the API")
    return len(rows), mismatches, checked, unchecked


# ------------------------------------------------------------------------------ HTTP


class Api:
    def __init__(self, bases: list[str], token: str) -> None:
        self.bases = bases
        self.i = 0
        self.http = httpx.Client(timeout=120, headers={"Authorization": f"Token {token}"})

    def get(self, path: str, params: dict[str, Any] | None = None) -> tuple[float, httpx.Response]:
        self.i += 1
        url = urljoin(self.bases[self.i % len(self.bases)], path)
        if params:
            url += "?" + urlencode(params)
        t = now()
        r = self.http.get(url)
        return now() - t, r


def schema(base: str, token: str) -> dict[str, Any]:
    r = httpx.get(f"{base}/api/schema/?format=json", headers={"Authorization": f"Token {token}"}, timeout=60)
    if r.status_code != 200:
        return {}
    try:
        return dict(r.json())
    except ValueError:
        import yaml  # drf-spectacular's default rendering

        return dict(yaml.safe_load(r.text))


def query_params(spec: dict[str, Any], path: str) -> dict[str, dict[str, Any]]:
    op = spec.get("paths", {}).get(path, {}).get("get", {})
    return {p["name"]: p.get("schema", {}) for p in op.get("parameters", []) if p.get("in") == "query"}


def request_cases(
    params: dict[str, dict[str, Any]], facts: dict[str, Any], group_bys: list[str]
) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(name, query, the same filter in the direct computation's terms) per request type."""
    filters = {
        "channel": ("channel", facts["channel"]),
        "tag": ("tag", facts["destination"]),
        "channel_kind": ("channel_kind", facts["channel_kind"]),
        "conversation_tag": ("conversation_tag", facts["conversation_tag"]),
    }
    cases: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    for g in group_bys:
        cases.append((f"group_by={g}", {"group_by": g}, {}))
        # One filter: a channel (for group_by=channel: a destination).
        for name in ("channel", "tag", "channel_kind", "conversation_tag") if g != "channel" else ("tag", "channel"):
            if name in params and name != g:
                field, value = filters[name]
                cases.append((f"group_by={g} + {name}", {"group_by": g, name: value}, {field: value}))
                break
    return cases


# ------------------------------------------------------------------------------ measurements


def timed(api: Api, path: str, params: dict[str, Any], reps: int) -> tuple[list[float], httpx.Response, list[str]]:
    errors: list[str] = []
    _, r = api.get(path, params)  # warm-up, not counted
    times = []
    last = r
    for _ in range(reps):
        took, last = api.get(path, params)
        if last.status_code != 200:
            errors.append(f"{last.status_code} {last.text[:200]}")
            continue
        times.append(took)
    return times, last, errors


def measure(
    apis: dict[str, Api],
    cases: list[tuple[str, dict[str, Any], dict[str, Any]]],
    rng: dict[str, str],
    reps: int,
    have_agents: bool,
) -> tuple[list[dict[str, Any]], dict[tuple[str, str], Any]]:
    rows: list[dict[str, Any]] = []
    bodies: dict[tuple[str, str], Any] = {}
    todo = [(name, SUMMARY, dict(q, **rng), f) for name, q, f in cases]
    if have_agents:
        todo.append(("agents", AGENTS, dict(rng), {}))
    for name, path, params, _ in todo:
        for role, api in apis.items():
            times, last, errors = timed(api, path, params, reps)
            row = {
                "request": name,
                "role": role,
                "n": len(times),
                "p50_ms": ms(times, 0.5),
                "p95_ms": ms(times, 0.95),
                "max_ms": round(max(times, default=float("nan")) * 1000, 1),
                "rows": len(last.json().get("rows", [])) if last.status_code == 200 else None,
                "bytes": len(last.content),
                "ok": bool(times) and ms(times, 0.95) <= TARGET_P95_MS and not errors,
                "errors": errors[:2],
            }
            rows.append(row)
            if last.status_code == 200:
                bodies[(name, role)] = last.json()
            log(
                f"{name:34} as {role:5}: p50 {row['p50_ms']:6.1f}  p95 {row['p95_ms']:6.1f}"
                f"  max {row['max_ms']:6.1f} ms"
                f"  ({row['rows']} rows, {row['bytes']:,} B) {'ok' if row['ok'] else 'OVER 300 ms / ERROR'}"
                f"{' ' + errors[0] if errors else ''}"
            )
    return rows, bodies


def check(
    raw: Raw,
    cases: list[tuple[str, dict[str, Any], dict[str, Any]]],
    bodies: dict[tuple[str, str], Any],
    agent_id: int,
) -> dict[str, Any]:
    out: dict[str, Any] = {"cases": [], "mismatches": 0}
    all_checked: set[str] = set()
    all_unchecked: set[str] = set()
    for name, query, filters in cases:
        for role in ("admin", "agent"):
            body = bodies.get((name, role))
            if body is None:
                continue
            n, mismatches, checked, unchecked = compare(
                raw, query["group_by"], filters, agent_id if role == "agent" else None, body
            )
            all_checked |= checked
            all_unchecked |= unchecked
            out["cases"].append({"request": name, "role": role, "rows": n, "mismatches": mismatches[:20]})
            out["mismatches"] += len(mismatches)
            status = "EQUAL" if not mismatches else f"{len(mismatches)} MISMATCHES"
            log(f"check {name:34} as {role:5}: {n} rows, {status}")
            for m in mismatches[:8]:
                log(f"    {m}")
    # The ranking: the fields it shares with the summary's rows, per agent.
    body = bodies.get(("agents", "admin"))
    if body is not None:
        rows = body.get("rows") if isinstance(body, dict) else body
        mismatches = []
        exact = raw.rows("agent", {}, None)
        for row in rows or []:
            key = row.get("key", row.get("agent", row.get("id")))
            if isinstance(key, dict):
                key = key.get("id")
            mine = exact.get(api_key("agent", key, raw.tz))
            if mine is None:
                continue
            for field, value in row.items():
                if field in mine:
                    all_checked.add("agents." + field)
                    if not same(field, value, mine[field]):
                        mismatches.append(f"agents {key!r} {field}: API {value!r}, raw rows {mine[field]!r}")
                elif field not in ("key", "label", "agent", "id", "name"):
                    all_unchecked.add("agents." + field)
        out["cases"].append(
            {"request": "agents", "role": "admin", "rows": len(rows or []), "mismatches": mismatches[:20]}
        )
        out["mismatches"] += len(mismatches)
        log(f"check agents (ranking) as admin: {len(rows or [])} rows, {'EQUAL' if not mismatches else mismatches[:8]}")
    out["fields_checked"] = sorted(all_checked)
    out["fields_not_checked"] = sorted(all_unchecked)
    log(f"fields checked: {', '.join(sorted(all_checked))}")
    if all_unchecked:
        log(f"fields of the API not checked (no raw-row definition here): {', '.join(sorted(all_unchecked))}")
    return out


# ------------------------------------------------------------------------------ hot path

SERVE = """
import os, sys
import django
django.setup()
if os.environ.get("BENCH_NO_ANALYTICS") == "1":
    # The same code without the analytics app's observers: drop what analytics registered.
    from contactcenter.org import services as org_services
    from enquiries import hooks as enquiry_hooks
    from rooms import hooks as room_hooks

    def ours(fn):
        return getattr(fn, "__module__", "").startswith("analytics")

    before = len(enquiry_hooks._observers) + len(room_hooks._posted_observers) + len(room_hooks._changed_observers)
    before += len(room_hooks._rules) + len(org_services.staff_availability_hooks)
    enquiry_hooks._observers[:] = [f for f in enquiry_hooks._observers if not ours(f)]
    room_hooks._posted_observers[:] = [f for f in room_hooks._posted_observers if not ours(f)]
    room_hooks._changed_observers[:] = [f for f in room_hooks._changed_observers if not ours(f)]
    room_hooks._rules[:] = [r for r in room_hooks._rules if not any(ours(f) for f in vars(r).values() if f)]
    org_services.staff_availability_hooks[:] = [f for f in org_services.staff_availability_hooks if not ours(f)]
    after = len(enquiry_hooks._observers) + len(room_hooks._posted_observers) + len(room_hooks._changed_observers)
    after += len(room_hooks._rules) + len(org_services.staff_availability_hooks)
    print(f"analytics observers removed: {before - after}", flush=True)
from daphne.cli import CommandLineInterface
sys.argv = ["daphne"] + sys.argv[1:]
CommandLineInterface.entrypoint()
"""


_ticket = chat_load.staff_socket_url


async def _ticket_retrying(ws_base: str, http_base: str, token: str) -> str:
    """chat_load's socket ticket, retried: on a shared PostgreSQL server a burst of other
    clients may briefly leave no connection (the API answers 503: unavailable)."""
    for attempt in range(8):
        try:
            return await _ticket(ws_base, http_base, token)
        except AssertionError:
            if attempt == 7:
                raise
            await asyncio.sleep(0.5 * (attempt + 1))
    raise AssertionError("unreachable")


def hotpath_retrying(args: argparse.Namespace) -> dict[str, Any]:
    """``hotpath``, started again (up to three times) when its set-up met a 503 of a shared
    PostgreSQL server out of connections."""
    for attempt in range(3):
        try:
            return hotpath(args)
        except AssertionError as exc:
            if attempt == 2:
                raise
            log(f"hot path set-up refused ({str(exc)[:120]}): starting again")
            time.sleep(10)
    raise AssertionError("unreachable")


def hotpath(args: argparse.Namespace) -> dict[str, Any]:
    """The chat load of bench/chat_load.py (visitors post over sockets at --chat-rate; latency to
    the agent's socket) against two pairs of daphne processes on one fresh database: the code
    as it is, and the same code with the analytics app's observers removed after start-up
    (``SERVE``). Phases alternate with, without, without, with, ...: p50/p99 and server CPU per
    message of each, and the ratios (with / without)."""
    chat_load.staff_socket_url = _ticket_retrying  # type: ignore[assignment]
    db_url = chat_load.recreate_db(os.environ["DATABASE_URL"], args.hotpath_db)
    env = chat_load.server_env(argparse.Namespace(layer="pubsub"), db_url)
    env["CC_CHANNEL_PREFIX"] = f"abench-hot-{secrets.token_hex(3)}"
    python = str(chat_load.BIN / "python")
    chat_load.run([python, "manage.py", "migrate", "--noinput", "-v", "0"], env)
    n = args.conversations
    setup_env = dict(env, BENCH_CONVERSATIONS=str(2 * n), BENCH_FANOUT="0", BENCH_IDLE="0")
    out = chat_load.run(
        [python, "manage.py", "shell"], setup_env, stdin=(ROOT / "bench" / "setup_bench.py").read_text()
    )
    data = json.loads(next(line for line in out.splitlines() if line.startswith("BENCH-JSON "))[11:])
    logs = Path(tempfile.mkdtemp(prefix="cc-abench-hot-"))
    procs = chat_load.Procs()
    sets: dict[str, dict[str, Any]] = {}
    try:
        for k, (name, flag) in enumerate((("with analytics", "0"), ("without analytics", "1"))):
            bases, pids = [], []
            for i in range(args.hotpath_processes):
                port = args.port + 10 + 2 * k + i
                log_path = logs / f"daphne-{port}.log"
                cmd = [python, "-c", SERVE, "-b", "127.0.0.1", "-p", str(port), "contactcenter.asgi:application"]
                proc = procs.start(cmd, dict(env, BENCH_NO_ANALYTICS=flag), log_path)
                bases.append(f"http://127.0.0.1:{port}")
                pids.append(proc.pid)
                chat_load.wait_http(f"{bases[-1]}/api/v1/tags", proc, log_path)
            part = dict(data, agents=data["agents"][k * n : (k + 1) * n])
            ws = [b.replace("http://", "ws://") for b in bases]
            convs = chat_load.setup_conversations(bases, ws, part, n)
            sets[name] = {"convs": convs, "pids": pids, "results": []}
        log(f"hot path: {n} conversations on each pair of processes; logs in {logs}")

        async def run_phases() -> None:
            loads = {}
            for name, s in sets.items():
                loads[name] = chat_load.Load(s["convs"], False)
                await loads[name].open()
            await asyncio.sleep(1)
            for rnd in range(args.hotpath_rounds):
                order = list(sets.items())
                for name, s in order if rnd % 2 == 0 else order[::-1]:  # ABBA: no side always first
                    before = sum(chat_load.cpu_seconds(p) for p in s["pids"])
                    result = await loads[name].phase(args.chat_rate, args.chat_duration, f"{name[:2]}{rnd}")
                    used = sum(chat_load.cpu_seconds(p) for p in s["pids"]) - before
                    result["server_cpu_ms_per_msg"] = round(used * 1000 / max(1, result["delivered"]), 3)
                    s["results"].append(result)
                    log(f"hot path {name:17} round {rnd + 1}: {json.dumps(result)}")
                    await asyncio.sleep(2)
            for load in loads.values():
                await load.close()

        asyncio.run(run_phases())
    finally:
        procs.stop()
    report: dict[str, Any] = {"rate": args.chat_rate, "duration": args.chat_duration, "conversations": n}
    for name, s in sets.items():
        res = s["results"]
        report[name] = {
            "p50_ms": [r["p50_ms"] for r in res],
            "p99_ms": [r["p99_ms"] for r in res],
            "cpu_ms_per_msg": [r["server_cpu_ms_per_msg"] for r in res],
            "lost": sum(r["lost"] for r in res),
            "sustained_msg_s": [r["sustained_msg_s"] for r in res],
        }

    def med(xs: list[float]) -> float:
        return sorted(xs)[len(xs) // 2]

    w, wo = report["with analytics"], report["without analytics"]
    for key in ("p50_ms", "p99_ms", "cpu_ms_per_msg"):
        report[f"ratio_{key}"] = round(med(w[key]) / max(1e-6, med(wo[key])), 2)
    log(
        f"hot path with / without analytics observers (medians of {args.hotpath_rounds} rounds): p50"
        f" {report['ratio_p50_ms']}x, p99 {report['ratio_p99_ms']}x,"
        f" server CPU per message {report['ratio_cpu_ms_per_msg']}x"
    )
    return report


def flat(args: argparse.Namespace) -> dict[str, Any]:
    """Two databases in one run (``--flat NAME=URL,NAME=URL``, fact tables already rebuilt):
    a pair of processes each, and every request type asked of both in turn (A, B, A, B...),
    so that the load of a shared machine weighs on both alike. p50/p95 of each and the
    ratio of the second to the first: does a request slow down as the history grows?"""
    targets = []
    procs = chat_load.Procs()
    logs = Path(tempfile.mkdtemp(prefix="cc-abench-flat-"))
    python = str(chat_load.BIN / "python")
    report: dict[str, Any] = {"targets": {}, "requests": []}
    try:
        for k, item in enumerate(args.flat.split(",")):
            name, url = item.split("=", 1)
            db = connect(url)
            facts = data_facts(db)
            env = chat_load.server_env(argparse.Namespace(layer="pubsub"), url)
            env.update(CC_CHANNEL_PREFIX=f"abench-{secrets.token_hex(3)}", CC_TIMERS="off", CC_WEB_TICKER="0")
            out = chat_load.run([python, "manage.py", "shell"], dict(env, BENCH_AGENT=str(facts["agent"])), stdin=SETUP)
            setup = json.loads(next(line for line in out.splitlines() if line.startswith("BENCH-JSON "))[11:])
            last_day = facts["last"].astimezone(ZoneInfo(setup["tz"])).date()
            rng = {"from": (last_day - dt.timedelta(days=args.days - 1)).isoformat(), "to": last_day.isoformat()}
            bases = []
            for i in range(args.processes):
                port = args.port + 4 + args.processes * k + i
                log_path = logs / f"daphne-{port}.log"
                daphne = [str(chat_load.BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port)]
                proc = procs.start(daphne + ["contactcenter.asgi:application"], env, log_path)
                bases.append(f"http://127.0.0.1:{port}")
                chat_load.wait_http(f"{bases[-1]}/api/v1/tags", proc, log_path)
            apis = {"admin": Api(bases, setup["admin"]), "agent": Api(bases, setup["agent"])}
            params = query_params(schema(bases[0], setup["admin"]), SUMMARY)
            group_bys = [g for g in args.group_by.split(",") if g] or list(params.get("group_by", {}).get("enum", []))
            cases = [(n, SUMMARY, dict(q, **rng)) for n, q, _ in request_cases(params, facts, group_bys)]
            cases.append(("agents", AGENTS, dict(rng)))
            targets.append({"name": name, "apis": apis, "cases": cases})
            report["targets"][name] = {"enquiries": facts["enquiries"], "range": rng, "first": str(facts["first"])}
            log(f"{name}: {facts['enquiries']:,} enquiries since {facts['first']:%Y-%m-%d}; range {rng}")
        a, b = targets[0], targets[1]
        for (name, path, pa), (_, _, pb) in zip(a["cases"], b["cases"], strict=True):
            for role in ("admin", "agent"):
                times: dict[str, list[float]] = {a["name"]: [], b["name"]: []}
                for t, q in ((a, pa), (b, pb)):
                    t["apis"][role].get(path, q)  # warm-up
                for _ in range(args.reps):
                    for t, q in ((a, pa), (b, pb)):
                        took, r = t["apis"][role].get(path, q)
                        if r.status_code == 200:
                            times[t["name"]].append(took)
                row = {"request": name, "role": role}
                for n, ts in times.items():
                    row[n] = {"n": len(ts), "p50_ms": ms(ts, 0.5), "p95_ms": ms(ts, 0.95)}
                row["ratio_p50"] = round(row[b["name"]]["p50_ms"] / max(0.1, row[a["name"]]["p50_ms"]), 2)
                report["requests"].append(row)
                log(
                    f"{name:34} as {role:5}: {a['name']} p50/p95 {row[a['name']]['p50_ms']:7.1f} /"
                    f" {row[a['name']]['p95_ms']:7.1f}   {b['name']} {row[b['name']]['p50_ms']:7.1f} /"
                    f" {row[b['name']]['p95_ms']:7.1f} ms   p50 ratio {row['ratio_p50']}"
                )
    finally:
        procs.stop()
    return report


# ------------------------------------------------------------------------------ explain


def explain(env: dict[str, str], token: str, cases: list[tuple[str, dict[str, Any]]]) -> None:
    os.environ.update(env)
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    for path, params in cases:
        with CaptureQueriesContext(connection) as ctx:
            t = now()
            r = client.get(path, params, HTTP_AUTHORIZATION=f"Token {token}")
            took = now() - t
        if not ctx.captured_queries:
            continue
        slowest = max(ctx.captured_queries, key=lambda q: float(q["time"]))
        log(f"\n### GET {path}?{urlencode(params)}: {r.status_code}, {took * 1000:.0f} ms in-process,")
        log(f"{len(ctx.captured_queries)} statements; slowest {float(slowest['time']) * 1000:.0f} ms:\n")
        log("```sql\n" + slowest["sql"] + "\n```\n")
        with connection.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + slowest["sql"])
            log("```\n" + "\n".join(row[0] for row in cur.fetchall()) + "\n```")


# ------------------------------------------------------------------------------ main


def run_long(argv: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(  # noqa: S603 - fixed argv
        argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=7200, check=False
    )
    if result.returncode != 0:
        sys.exit(f"{argv} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result.stdout + result.stderr


def step(report: dict[str, Any], name: str, fn: Callable[[], Any]) -> Any:
    t = now()
    log(f"{name} ...")
    result = fn()
    report.setdefault("steps", {})[name] = round(now() - t, 1)
    log(f"{name}: {now() - t:.1f} s")
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=int, default=18800)
    p.add_argument("--processes", type=int, default=2)
    p.add_argument("--reps", type=int, default=20, help="timed requests per request type and role")
    p.add_argument("--days", type=int, default=90, help="the range: this many days ending on the data's last day")
    p.add_argument("--group-by", default="", help="comma-separated (default: every one the schema lists)")
    p.add_argument("--no-rebuild", action="store_true", help="the fact tables are filled already")
    p.add_argument("--no-check", action="store_true")
    p.add_argument("--hotpath", action="store_true", help="also the chat hot path with/without the observers")
    p.add_argument("--hotpath-only", action="store_true")
    p.add_argument("--hotpath-db", default="cc_bench_abench_chat", help="a database of our own (recreated)")
    p.add_argument("--hotpath-rounds", type=int, default=3)
    p.add_argument("--hotpath-processes", type=int, default=1, help="daphne processes per code variant")
    p.add_argument("--conversations", type=int, default=100)
    p.add_argument("--chat-rate", type=float, default=200)
    p.add_argument("--chat-duration", type=float, default=15)
    p.add_argument("--flat", help="NAME=URL,NAME=URL: two rebuilt databases timed side by side (see flat)")
    p.add_argument("--explain", action="store_true")
    p.add_argument("--json", help="write the report here")
    args = p.parse_args()
    if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
        sys.exit("Production mode: set DATABASE_URL (the generated history) and REDIS_URL.")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    report: dict[str, Any] = {"load_before": os.getloadavg()}
    log(f"load average before: {report['load_before']}")
    if args.hotpath_only:
        report["hotpath"] = hotpath_retrying(args)
        finish(report, args, 0)
        return
    if args.flat:
        report["flat"] = flat(args)
        finish(report, args, 0)
        return

    db_url = os.environ["DATABASE_URL"]
    db = connect(db_url)
    facts = data_facts(db)
    log(
        f"data: {facts['enquiries']:,} enquiries from {facts['first']:%Y-%m-%d} to {facts['last']:%Y-%m-%d %H:%M},"
        f" ~{facts['messages_estimate']:,} messages, ~{facts['events_estimate']:,} events; agent {facts['agent']}"
        f" owns {facts['agent_owned']:,}"
    )
    report["data"] = {k: str(v) if isinstance(v, dt.datetime) else v for k, v in facts.items()}

    env = chat_load.server_env(argparse.Namespace(layer="pubsub"), db_url)
    env["CC_CHANNEL_PREFIX"] = f"abench-{secrets.token_hex(3)}"
    env["CC_TIMERS"] = "off"
    env["CC_WEB_TICKER"] = "0"
    python = str(chat_load.BIN / "python")
    if not args.no_rebuild:
        out = step(
            report, "manage.py analytics_rebuild", lambda: run_long([python, "manage.py", "analytics_rebuild"], env)
        )
        log(out.strip()[-1500:])
        with db.cursor() as cur:
            step(report, "ANALYZE", lambda: cur.execute("ANALYZE"))

    out = chat_load.run([python, "manage.py", "shell"], dict(env, BENCH_AGENT=str(facts["agent"])), stdin=SETUP)
    setup = json.loads(next(line for line in out.splitlines() if line.startswith("BENCH-JSON "))[11:])
    tz = ZoneInfo(setup["tz"])
    last_day = facts["last"].astimezone(tz).date()
    first_day = last_day - dt.timedelta(days=args.days - 1)
    rng = {"from": first_day.isoformat(), "to": last_day.isoformat()}
    # The range in instants: from the start of the first day to the end of the last (business time zone).
    start = dt.datetime.combine(first_day, dt.time(), tzinfo=tz)
    end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    report["range"] = dict(rng, tz=setup["tz"])
    log(f"range: {rng['from']} .. {rng['to']} ({args.days} days, {setup['tz']})")

    logs = Path(tempfile.mkdtemp(prefix="cc-abench-"))
    procs = chat_load.Procs()
    bodies: dict[tuple[str, str], Any] = {}
    cases: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    try:
        bases = []
        for i in range(args.processes):
            port = args.port + i
            log_path = logs / f"daphne-{port}.log"
            daphne = [
                str(chat_load.BIN / "daphne"),
                "-b",
                "127.0.0.1",
                "-p",
                str(port),
                "contactcenter.asgi:application",
            ]
            proc = procs.start(daphne, env, log_path)
            bases.append(f"http://127.0.0.1:{port}")
            chat_load.wait_http(f"{bases[-1]}/api/v1/tags", proc, log_path)
        apis = {"admin": Api(bases, setup["admin"]), "agent": Api(bases, setup["agent"])}
        spec = schema(bases[0], setup["admin"])
        params = query_params(spec, SUMMARY)
        have = {"summary": SUMMARY in spec.get("paths", {}), "agents": AGENTS in spec.get("paths", {})}
        report["available"] = have
        log(f"endpoints: {have}; summary parameters: {sorted(params)}")
        # Baseline: an authenticated small request (HTTP + auth + one query).
        base_times = [apis["admin"].get("/api/v1/tags")[0] for _ in range(args.reps)]
        report["baseline"] = {"p50_ms": ms(base_times, 0.5), "p95_ms": ms(base_times, 0.95)}
        log(f"baseline GET /api/v1/tags: p50 {report['baseline']['p50_ms']} p95 {report['baseline']['p95_ms']} ms")
        if have["summary"]:
            group_bys = [g for g in args.group_by.split(",") if g] or list(params.get("group_by", {}).get("enum", []))
            group_bys = group_bys or ["day", "hour", "agent", "channel", "channel_kind", "tag", "conversation_tag"]
            cases = request_cases(params, facts, group_bys)
            report["requests"], bodies = measure(apis, cases, rng, args.reps, have["agents"])
            over = [r for r in report["requests"] if not r["ok"]]
            worst = max(report["requests"], key=lambda r: r["p95_ms"])
            log(
                f"\n{len(report['requests']) - len(over)} of {len(report['requests'])} request types within p95 <="
                f" {TARGET_P95_MS:.0f} ms; worst p95 {worst['p95_ms']} ms ({worst['request']} as {worst['role']})"
            )
        else:
            log("analytics summary: not available (no /api/v1/analytics/summary in /api/schema/)")
    finally:
        procs.stop()

    status = 0
    if cases and not args.no_check:
        raw = step(report, "raw rows (direct computation)", lambda: Raw(db, start, end, setup["tz"]))
        log(f"raw rows: {len(raw.enquiries):,} enquiries opened in the range")
        report["check"] = check(raw, cases, bodies, facts["agent"])
        status = 1 if report["check"]["mismatches"] else 0
        log(f"correctness: {'ALL EQUAL' if not status else str(report['check']['mismatches']) + ' MISMATCHES'}")
    if args.hotpath:
        report["hotpath"] = hotpath_retrying(args)
    if args.explain and cases:
        # The slowest request types as an admin (the agents' ranking included).
        slow = sorted((r for r in report["requests"] if r["role"] == "admin"), key=lambda r: -r["p95_ms"])[:4]
        wanted = []
        for r in slow:
            if r["request"] == "agents":
                wanted.append((AGENTS, dict(rng)))
            for name, q, _ in cases:
                if name == r["request"]:
                    wanted.append((SUMMARY, dict(q, **rng)))
        explain(env, setup["admin"], wanted)
    finish(report, args, status)


def finish(report: dict[str, Any], args: argparse.Namespace, status: int) -> None:
    report["load_after"] = os.getloadavg()
    log(f"load average after: {report['load_after']}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1, default=str))
    print("REPORT " + json.dumps(report, default=str), flush=True)
    if status:
        sys.exit(status)


if __name__ == "__main__":
    main()
