"""Scratch (not committed): the report pages against mocked analytics API answers."""

from __future__ import annotations

import json
import random
from typing import Any

from playwright.sync_api import Browser, Route, expect

from tests.browser.test_dashboard import browser, login, server  # noqa: F401

OUT = "/tmp/screens"


def row(key: Any, label: Any, rnd: random.Random) -> dict[str, Any]:
    opened = rnd.randint(0, 30)
    handled = rnd.randint(0, opened)
    missed = opened - handled
    return {
        "key": key, "label": label, "opened": opened, "handled": handled, "missed": missed,
        "missed_rate": round(missed / opened, 4) if opened else None,
        "missed_by_reason": {"timeout": missed}, "resolved": handled, "reopened": 0, "transferred": 1,
        "wait_p50_s": rnd.randint(5, 120) if handled else None, "wait_p90_s": rnd.randint(100, 400) if handled else None,
        "first_response_p50_s": rnd.randint(10, 200) if handled else None, "first_response_p90_s": rnd.randint(200, 600) if handled else None,
        "handle_time_p50_s": rnd.randint(100, 900) if handled else None,
        "messages_customer": opened * 3, "messages_staff": handled * 4,
        "csat_avg": round(rnd.uniform(3, 5), 2) if handled else None, "csat_count": handled // 2,
        "csat_share_4_5": 0.8 if handled else None, "csat_comments": 1,
    }


def summary(url: str) -> dict[str, Any]:
    from urllib.parse import parse_qs, urlparse
    import datetime as dt

    q = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
    rnd = random.Random(url)
    g = q.get("group_by", "day")
    f = q.get("from", "2026-12-01")
    t = q.get("to", f)
    rows = []
    if g == "hour":
        d0 = dt.date.fromisoformat(f)
        d1 = dt.date.fromisoformat(t)
        d = d0
        while d <= d1:
            for hr in range(24):
                rows.append(row(f"{d}T{hr:02d}:00:00+00:00", None, rnd))
            d += dt.timedelta(days=1)
    elif g == "day":
        d0 = dt.date.fromisoformat(f)
        d1 = dt.date.fromisoformat(t)
        d = d0
        while d <= d1:
            rows.append(row(str(d), None, rnd))
            d += dt.timedelta(days=1)
    elif g == "agent":
        rows = [row(1, "Alice Agent", rnd), row(2, "Bob Agent", rnd), row(None, None, rnd)]
    else:
        rows = [row(i, f"{g} {i}", rnd) for i in range(1, rnd.randint(2, 12))]
    total = row(None, None, rnd)
    return {"from": f, "to": t, "time_zone": "UTC", "group_by": g, "rows": rows, "total": total}


def agents() -> dict[str, Any]:
    rnd = random.Random(3)
    out = []
    for i, name in enumerate(["Alice Agent", "Bob Agent", "Carol with a rather long name"], 1):
        r = row(i, name, rnd)
        r.update(rank=i, active_s=rnd.randint(0, 20000), busy_s=rnd.randint(0, 3000), away_s=rnd.randint(0, 3000), offline_s=5000, load_avg=1.2, load_max=3)
        out.append(r)
    return {"from": "2026-12-01", "to": "2026-12-01", "rows": out}


def handler(route: Route) -> None:
    url = route.request.url
    body = agents() if "/analytics/agents" in url else summary(url)
    route.fulfill(status=200, content_type="application/json", body=json.dumps(body))


def test_mock(server: dict[str, Any], browser: Browser) -> None:  # noqa: F811
    for email, width in (("admin@example.com", 1280), ("admin@example.com", 1024), ("alice@example.com", 1280)):
        ctx, page = login(browser, server["base"], email)
        page.set_viewport_size({"width": width, "height": 900})
        page.route("**/api/v1/analytics/**", handler)
        who = email.split("@")[0]
        for path in ("/app/reports", "/app/reports/analytics", "/app/reports/monitor"):
            page.goto(path)
            page.wait_for_timeout(1200)
            page.screenshot(path=f"{OUT}/{who}-{width}-{path.rsplit('/', 1)[-1]}.png", full_page=True)
        page.goto("/app/reports/analytics?range=30d&group_by=tag")
        page.wait_for_timeout(1200)
        page.screenshot(path=f"{OUT}/{who}-{width}-analytics-tag.png", full_page=True)
        print(who, width, page.errors)
        ctx.close()
