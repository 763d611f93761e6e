"""The report screens in a real browser (issue 15): Home, Analytics and Monitor drawn by the
vendored Chart.js under the dashboard's Content-Security-Policy, every chart readable as a
table; an admin sees everyone's figures, live; an agent sees only their own Analytics (no
agent filter, no Home or Monitor, the API refuses another agent's figures). The data is made
through the API (each call one service) against a real daphne in the embedded default.
Screenshots: docs/screenshots/reports-*.png (``make screenshots``)."""

from __future__ import annotations

import re
from typing import Any

import httpx
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.test_dashboard import (  # noqa: F401 - server and browser are fixtures
    Visitor,
    browser,
    finish,
    login,
    screenshot,
    server,
)
from tests.integration.test_real_timers import token_headers


def handle(base: str, key: str, name: str, agent: str, *, resolve: bool = False, score: int | None = None) -> Visitor:
    """A visitor's enquiry that ``agent`` picks up and answers (and resolves; the visitor
    rates it ``score``)."""
    visitor = Visitor(base, key, name, f"Hello, this is {name}.")
    with httpx.Client(base_url=base, timeout=10) as http:
        headers = token_headers(http, agent)
        assert http.post(f"/api/v1/enquiries/{visitor.enquiry}/pick-up", headers=headers).status_code == 200
        r = http.post(f"/api/v1/rooms/{visitor.room}/messages", json={"text": f"Hi {name}!"}, headers=headers)
        assert r.status_code == 201, r.text
        if resolve:
            r = http.post(f"/api/v1/enquiries/{visitor.enquiry}/resolve", headers=headers)
            assert r.status_code == 200, r.text
    if score is not None:
        r = visitor.http.post(
            f"/api/v1/widget/enquiries/{visitor.enquiry}/rating", json={"score": score}, headers=visitor.auth
        )
        assert r.status_code == 201, r.text
    return visitor


def figure(page: Page, label: str) -> Locator:
    """The value of one of the page's figures (a <dt> named ``label``)."""
    return page.locator(
        ".report-figures .count", has=page.locator("dt", has_text=re.compile(f"^{re.escape(label)}$"))
    ).locator("dd")


def chart(page: Page, title: str) -> Locator:
    return page.get_by_role("figure", name=title)


def show_table(page: Page, title: str) -> Locator:
    """Press the chart's Table toggle; the table it shows."""
    card = chart(page, title)
    card.get_by_role("button", name="Table").click()
    expect(card.get_by_role("button", name="Table")).to_have_attribute("aria-pressed", "true")
    table = card.get_by_role("table", name=title)
    expect(table).to_be_visible()
    expect(card.locator("canvas")).to_be_hidden()
    return table


def row_of(table: Locator, name: str) -> Locator:
    return table.locator("tbody tr", has=table.page.get_by_role("rowheader", name=name, exact=True))


def cells(row: Locator) -> list[str]:
    return [c.strip() for c in row.locator("th, td").all_inner_texts()]


def drawn(page: Page, title: str) -> None:
    """The chart is drawn: Chart.js sized its canvas and it has a summary for screen readers."""
    canvas = chart(page, title).locator("canvas")
    expect(canvas).to_be_visible()
    expect(canvas).to_have_attribute("role", "img")
    expect(canvas).to_have_attribute("aria-label", re.compile(rf"^{re.escape(title)}\. "))
    page.wait_for_function("(c) => !!window.Chart && !!window.Chart.getChart(c)", arg=canvas.element_handle())


def no_sideways_scroll(page: Page) -> None:
    """The page's main area fits its width (wide tables scroll inside their own box)."""
    assert page.evaluate(
        "() => { const m = document.getElementById('main'); return m.scrollWidth <= m.clientWidth + 1; }"
    )


def test_reports_for_admins_and_agents(server: dict[str, Any], browser: Browser) -> None:  # noqa: F811
    base, key = server["base"], server["key"]
    handle(base, key, "Ann", "alice@example.com", resolve=True, score=5)
    handle(base, key, "Ben", "alice@example.com")
    handle(base, key, "Cai", "bob@example.com", resolve=True, score=3)
    Visitor(base, key, "Dee", "Is anybody there?")  # waits: nobody has it yet
    fay = Visitor(base, key, "Fay", "Can someone help?")  # both agents turn her down: missed
    with httpx.Client(base_url=base, timeout=10) as http:
        for agent in ("alice@example.com", "bob@example.com"):
            r = http.post(f"/api/v1/enquiries/{fay.enquiry}/reject", headers=token_headers(http, agent))
            assert r.status_code == 200, r.text

    # ---------------------------------------------------------------- Home (admin), live
    admin_ctx, admin = login(browser, base, "admin@example.com")
    admin.get_by_role("navigation", name="Sections").get_by_role("link", name="Reports").click()
    expect(admin).to_have_url(re.compile(r"/app/reports$"))
    tabs = admin.get_by_role("navigation", name="Reports")
    expect(tabs.get_by_role("link")).to_have_text(["Home", "Analytics", "Monitor", "Review", "VOC"])
    expect(tabs.get_by_role("link", name="Home")).to_have_attribute("aria-current", "page")
    expect(admin.get_by_role("heading", name="Today", exact=True)).to_be_visible()
    expect(figure(admin, "Opened")).to_have_text("5")
    expect(figure(admin, "Handled")).to_have_text("3")
    expect(figure(admin, "Missed")).to_have_text("1 (20.0%)")
    expect(figure(admin, "Resolved")).to_have_text("2")
    expect(figure(admin, "CSAT")).to_have_text("4.00 / 5")
    expect(admin.locator(".report-live .count", has_text="Waiting now").locator("dd")).to_have_text("1")
    for title in ("Conversations per hour", "Messages per hour", "Agents' new conversations today"):
        drawn(admin, title)
    agents = show_table(admin, "Agents' new conversations today")
    expect(agents.locator("thead th")).to_have_text(["Agent", "Opened", "Resolved", "Missed"])
    assert cells(row_of(agents, "Alice Agent")) == ["Alice Agent", "2", "1", "0"]
    assert cells(row_of(agents, "Bob Agent")) == ["Bob Agent", "1", "1", "0"]
    assert cells(row_of(agents, "Unassigned")) == ["Unassigned", "2", "0", "1"]  # Dee waits, Fay was missed
    hours = show_table(admin, "Conversations per hour")
    expect(hours.locator("tbody tr")).to_have_count(24)
    expect(hours.locator("thead th").nth(2)).to_have_text("Today")
    # Back to the chart.
    chart(admin, "Conversations per hour").get_by_role("button", name="Table").click()
    drawn(admin, "Conversations per hour")
    screenshot(admin, "reports-home.png")

    # A new enquiry: the figures follow without a reload (socket event, debounced).
    Visitor(base, key, "Eve", "One more question.")
    expect(figure(admin, "Opened")).to_have_text("6")
    expect(admin.locator(".report-live .count", has_text="Waiting now").locator("dd")).to_have_text("2")

    # ---------------------------------------------------------------- Analytics (admin)
    tabs.get_by_role("link", name="Analytics").click()
    expect(admin).to_have_url(re.compile(r"/app/reports/analytics$"))
    expect(admin.get_by_role("heading", name="Analytics")).to_be_visible()
    expect(figure(admin, "Opened")).to_have_text("6")
    for title in ("Conversations", "Wait and first response", "Customer satisfaction", "Missed, by reason"):
        drawn(admin, title)
    table = admin.get_by_role("table", name=re.compile("^All figures"))
    expect(table.locator("tbody tr")).to_have_count(7)  # one row per day of the last 7
    expect(table.locator("tfoot tr th")).to_have_text("Total")
    expect(table.locator("tfoot td").first).to_have_text("6")
    reasons = show_table(admin, "Missed, by reason")
    expect(reasons.locator("tbody tr").last.locator("td").nth(3)).to_have_text("1")  # all rejected, today
    admin.get_by_label("Group by", exact=True).select_option("agent")
    expect(admin).to_have_url(re.compile(r"group_by=agent"))
    expect(row_of(table, "Alice Agent").locator("td").first).to_have_text("2")
    expect(row_of(table, "Bob Agent").locator("td").first).to_have_text("1")
    expect(row_of(table, "Unassigned").locator("td").first).to_have_text("3")
    # The agent filter: Bob's figures only.
    admin.get_by_label("Agent", exact=True).select_option(label="Bob Agent")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tfoot td").first).to_have_text("1")
    # The CSV of the same table.
    csv = admin.get_by_role("link", name="Download CSV")
    href = csv.get_attribute("href") or ""
    assert "format=csv" in href and "group_by=agent" in href and "agent=" in href
    response = admin.request.get(href)
    assert response.status == 200 and response.headers["content-type"].startswith("text/csv")
    assert "Bob Agent" in response.text() and "Alice Agent" not in response.text()
    # Presets and the URL: the page comes back as it was left.
    admin.get_by_label("Period", exact=True).select_option("30d")
    expect(admin).to_have_url(re.compile(r"range=30d"))
    admin.reload()
    expect(admin.get_by_label("Period", exact=True)).to_have_value("30d")
    expect(admin.get_by_label("Group by", exact=True)).to_have_value("agent")
    expect(table.locator("tbody tr")).to_have_count(1)
    admin.goto("/app/reports/analytics?range=7d&group_by=hour")
    drawn(admin, "Conversations")
    screenshot(admin, "reports-analytics.png")

    # ---------------------------------------------------------------- Monitor (admin), live
    admin.get_by_role("navigation", name="Reports").get_by_role("link", name="Monitor").click()
    expect(admin.get_by_role("heading", name="Monitor")).to_be_visible()
    for title in ("Handled and resolved today", "Service quality", "Time in each availability state"):
        drawn(admin, title)
    ranking = admin.get_by_role("table", name="Agents' ranking today")
    expect(ranking.locator("tbody tr").first).to_contain_text("Alice Agent")
    first = cells(ranking.locator("tbody tr").first)
    assert first[:4] == ["1", "Alice Agent", "2", "1"], first
    admin.get_by_label("Rank by", exact=True).select_option("csat_avg")
    expect(ranking.locator("tbody tr").first).to_contain_text("Alice Agent")  # 5 against Bob's 3
    admin.get_by_label("Rank by", exact=True).select_option("wait_p50_s")
    expect(admin.get_by_role("link", name="Download CSV")).to_have_attribute(
        "href", re.compile(r"sort=wait_p50_s.*format=csv")
    )
    screenshot(admin, "reports-monitor.png")
    # Bob goes away: the availability chart's table follows.
    with httpx.Client(base_url=base, timeout=10) as http:
        bob = token_headers(http, "bob@example.com")
        assert http.patch("/api/v1/me", json={"availability": "away"}, headers=bob).status_code == 200
    states = show_table(admin, "Time in each availability state")
    expect(row_of(states, "Bob Agent")).to_be_visible()

    # Narrow window: nothing sticks out sideways.
    admin.set_viewport_size({"width": 1024, "height": 800})
    for path in ("/app/reports", "/app/reports/analytics", "/app/reports/monitor"):
        admin.goto(path)
        expect(figure(admin, "Opened")).to_have_text("6")
        expect(admin.locator(".report-chart canvas").first).to_be_visible()
        no_sideways_scroll(admin)
    screenshot(admin, "reports-monitor-narrow.png")

    # ---------------------------------------------------------------- an agent: their own only
    alice_ctx, alice = login(browser, base, "alice@example.com")
    alice.get_by_role("navigation", name="Sections").get_by_role("link", name="Reports").click()
    tabs = alice.get_by_role("navigation", name="Reports")
    expect(tabs.get_by_role("link")).to_have_text(["Analytics", "Review", "VOC"])
    expect(alice.get_by_role("heading", name="Analytics")).to_be_visible()
    expect(alice.get_by_text("Your own figures")).to_be_visible()
    expect(alice.get_by_label("Agent", exact=True)).to_have_count(0)
    assert "Agent" not in alice.get_by_label("Group by", exact=True).locator("option").all_inner_texts()
    expect(figure(alice, "Opened")).to_have_text("2")  # Ann and Ben: hers
    expect(figure(alice, "CSAT")).to_have_text("5.00 / 5")
    drawn(alice, "Conversations")
    volume = show_table(alice, "Conversations")
    expect(volume.locator("thead th")).to_have_text(["Day", "Opened", "Handled", "Missed", "Missed rate"])
    screenshot(alice, "reports-agent-analytics.png")
    # An agent filter in the URL is ignored; the API refuses another agent's figures.
    staff = admin.request.get("/api/v1/staff").json()["results"]
    bob_id = next(s["id"] for s in staff if s["email"] == "bob@example.com")
    alice.goto(f"/app/reports/analytics?group_by=agent&agent={bob_id}")
    expect(figure(alice, "Opened")).to_have_text("2")
    refused = alice.request.get(f"/api/v1/analytics/summary?agent={bob_id}")
    assert refused.status == 403, refused.text()
    ranking_rows = alice.request.get("/api/v1/analytics/agents").json()["rows"]
    assert [r["label"] for r in ranking_rows] == ["Alice Agent"]
    # Home and Monitor are the admins'.
    for path in ("/app/reports/monitor", "/app/reports/home"):
        alice.goto(path)
        expect(alice.get_by_role("alert")).to_have_text("Only admins can open this page.")
        expect(alice.locator(".report-chart")).to_have_count(0)
    finish((admin_ctx, admin), (alice_ctx, alice))
