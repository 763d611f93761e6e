"""The robot in the widget, end to end in Debian's Chromium: a real daphne (embedded ticker:
the robot's task runs after commit), a channel with a robot and a knowledge base imported
from CSV. The customer asks, the robot answers; the customer presses "Talk to a person";
the enquiry opens for the agent, who picks it up in the dashboard and sees the robot's
transcript with its answers marked as the robot's. Screenshots: docs/screenshots/robot-*.png
with CC_SCREENSHOTS=1."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.browser.test_dashboard import (  # noqa: F401 - browser is a fixture
    ALICE,
    browser,
    finish,
    login,
    screenshot,
)
from tests.integration.test_real_timers import (
    ADMIN_STAFF,
    Processes,
    Server,
    embedded_server_env,
    embedded_setup,
    support_widget,
    token_headers,
    wait_until,
)

PORT = 18200  # this suite's own port

CSV = (
    "question,answer,tags\n"
    '"How do I reset my password?|I forgot my password","Open Settings > Security and choose Reset password.",account\n'
    '"What are your opening hours?|When are you open?","We are open 9:00-17:00, Monday to Friday.",general\n'
)


@pytest.fixture
def product(tmp_path: Path) -> Iterator[dict[str, Any]]:
    procs = Processes(tmp_path)
    env = embedded_server_env(tmp_path, max_wait_seconds=120)
    embedded_setup(env, (*ADMIN_STAFF, "--active"), ALICE)
    srv = Server(procs, env)
    srv.port, srv.base = PORT, f"http://127.0.0.1:{PORT}"
    try:
        srv.start()
        with httpx.Client(base_url=srv.base, timeout=10) as http:
            admin = token_headers(http, "admin@example.com")
            channel = support_widget(
                http,
                admin,
                name="Website",
                welcome_message="Thanks! An agent will be with you shortly.",
                weblink_slug="help",
            )
            r = http.patch(
                f"/api/v1/robot/channels/{channel['id']}",
                headers=admin,
                json={"enabled": True, "welcome_message": "Hi! I'm the Acme assistant.", "handover_after_turns": 5},
            )
            assert r.status_code == 200, r.text
            r = http.post("/api/v1/kb/articles/import", headers=admin, json={"csv": CSV})
            assert r.status_code == 201, r.text
            yield {"base": srv.base, "http": http, "admin": admin, "channel": channel}
    finally:
        procs.stop_all()


@pytest.mark.timeout(180)
def test_robot_answers_then_hands_over_to_an_agent_who_sees_its_answers(
    product: dict[str, Any],
    browser: Browser,  # noqa: F811
    tmp_path: Path,
) -> None:
    base, http = product["base"], product["http"]
    alice = token_headers(http, "alice@example.com")
    shots = tmp_path / "shots"
    shots.mkdir()

    ctx = browser.new_context(viewport={"width": 900, "height": 900})
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{base}/l/help")
    page.locator(".cc-engage-now").click()
    page.locator("#cc-first-message").fill("How do I reset my password?")
    page.locator(".cc-start button[type=submit]").click()

    # The robot: its welcome, then the answer to the first message; nobody is alerted.
    robot = page.locator(".cc-robot")
    robot.filter(has_text="I'm the Acme assistant").wait_for()
    robot.filter(has_text="Open Settings > Security").wait_for()
    expect(page.locator(".cc-status")).to_contain_text("virtual assistant")
    assert robot.first.locator(".cc-author").inner_text() == "Virtual assistant"
    assert http.get("/api/v1/enquiries?status=open", headers=alice).json()["results"] == []
    page.locator("#cc-input").fill("When are you open?")
    page.locator("#cc-input").press("Enter")
    robot.filter(has_text="9:00-17:00").wait_for()
    page.screenshot(path=str(shots / "robot-answers.png"))
    screenshot(page, "robot-answers.png")

    # "Talk to a person": the robot hands over; the widget waits for an agent.
    page.get_by_role("button", name="Talk to a person").click()
    robot.filter(has_text="connecting you with a person").wait_for()
    expect(page.locator(".cc-status")).to_contain_text("Waiting for an agent")
    expect(page.get_by_role("button", name="Talk to a person")).to_have_count(0)
    page.screenshot(path=str(shots / "robot-handover.png"))
    screenshot(page, "robot-handover.png")
    offered = wait_until(
        lambda: http.get("/api/v1/enquiries?status=open", headers=alice).json()["results"],
        timeout=10,
        what="the enquiry offered to Alice",
    )
    enquiry = offered[0]
    assert enquiry["with_robot"] is False
    # The 60 s (here 120 s) wait counts from the handover, not from the robot's start.
    assert enquiry["deadline_at"] > enquiry["created_at"]

    # Alice picks it up in the dashboard and reads the robot's transcript.
    agent = login(browser, base, "alice@example.com")
    _ctx, agent_page = agent
    agent_page.get_by_role("button", name=re.compile("Pick up enquiry from")).click()
    expect(agent_page).to_have_url(re.compile(rf"/app/rooms/{enquiry['room']}$"))
    robot_rows = agent_page.locator("li.robot-message")
    expect(robot_rows.filter(has_text="Open Settings > Security")).to_have_count(1)
    expect(robot_rows.first.locator(".robot-label")).to_have_text("Robot")
    answer = robot_rows.filter(has_text="Open Settings > Security")
    expect(answer.locator(".robot-source")).to_contain_text("From knowledge base #")
    expect(agent_page.locator(".messages, main").first).to_contain_text("How do I reset my password?")
    agent_page.screenshot(path=str(shots / "robot-agent-transcript.png"))
    screenshot(agent_page, "robot-agent-transcript.png")

    # The visitor now talks to Alice; the robot stays quiet.
    page.locator(".cc-agent-name").filter(has_text="Alice Agent").wait_for()
    assert not errors, errors
    finish(agent)
    ctx.close()

    # The admin's Robot page: the channel's robot, the articles, a bad CSV's report, figures.
    admin = login(browser, base, "admin@example.com")
    _actx, admin_page = admin
    admin_page.get_by_role("link", name="Robot").click()
    expect(admin_page).to_have_url(re.compile(r"/app/admin/robot$"))
    expect(admin_page.locator(".robot-article")).to_have_count(2)
    expect(admin_page.locator(".robot-channel input[name=enabled]")).to_be_checked()
    expect(admin_page.locator(".robot-tile").filter(has_text="Customer asked").locator("dd")).to_have_text("1")
    admin_page.get_by_label("Try a question").fill("forgot my password")
    admin_page.get_by_role("button", name="Try", exact=True).click()
    expect(admin_page.locator(".robot-try-results li").first).to_contain_text("#1 I forgot my password")
    admin_page.get_by_label("Import CSV").set_input_files(
        {"name": "bad.csv", "mimeType": "text/csv", "buffer": b"question,answer\nA question,\n,An answer\n"}
    )
    admin_page.get_by_role("button", name="Import", exact=True).click()
    rows = admin_page.locator(".robot-import-errors tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("answer")
    expect(admin_page.locator(".robot-article")).to_have_count(2)  # nothing imported
    admin_page.screenshot(path=str(shots / "robot-admin.png"), full_page=True)
    screenshot(admin_page, "robot-admin.png")
    print("SCREENSHOTS", shots)
    finish(admin)
