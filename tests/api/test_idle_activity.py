"""Idle logout that means idle (issue 12, item 14): requests the dashboard makes by itself
(``X-CC-Background: 1``: the overview's refresh, reloads after socket events) do not keep
a session alive, a person's requests do; a session that idles out sets its staff OFFLINE
for the others; the login page says why the dashboard was sent back to it."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from contactcenter.org.models import Staff
from enquiries import services as enquiry_services
from tests.api.test_auth import session_client, token_client, token_login

BACKGROUND = {"X-CC-Background": "1"}


def expires_at(staff: Staff):  # type: ignore[no-untyped-def]
    return Staff.objects.get(pk=staff.pk).session_expires_at


@pytest.mark.parametrize("kind", ["browser", "token"])
def test_background_requests_do_not_renew_the_session(agent, clock, events, kind):
    client = session_client(agent.email) if kind == "browser" else token_client(token_login(agent.email))
    started = expires_at(agent)
    # Hours of an overview left open: refreshes every so often, all marked as background.
    for _ in range(5):
        clock.advance(settings.CC_IDLE_TIMEOUT_SECONDS // 5 - 10)
        assert client.get("/api/v1/me", headers=BACKGROUND).status_code == 200
        assert expires_at(agent) == started
    clock.advance(60)
    events.clear()
    assert enquiry_services.timers_sweep()["sessions_expired"] == 1
    assert Staff.objects.get(pk=agent.pk).availability == Staff.Availability.OFFLINE
    assert [p["data"]["reason"] for _, p in events.of_type("session.ended")] == ["idle"]
    # The others see the staff member go offline (admins' group, and their own).
    offline = [(sorted(g), p["data"]) for g, p in events.of_type("staff.availability")]
    assert offline == [(sorted(["admins", f"staff.{agent.pk}"]), {"staff_id": agent.pk, "availability": "offline"})]
    assert client.get("/api/v1/me", headers=BACKGROUND).status_code in (401, 403)


@pytest.mark.parametrize("kind", ["browser", "token"])
def test_a_persons_request_renews_the_session(agent, clock, kind):
    client = session_client(agent.email) if kind == "browser" else token_client(token_login(agent.email))
    clock.advance(settings.CC_IDLE_TIMEOUT_SECONDS - 100)
    assert client.get("/api/v1/me").status_code == 200  # no header: a person's request
    clock.advance(200)
    assert enquiry_services.timers_sweep()["sessions_expired"] == 0
    assert client.get("/api/v1/me", headers=BACKGROUND).status_code == 200


def test_a_background_request_after_the_idle_time_ends_the_session(agent, clock, events):
    client = session_client(agent.email)
    clock.advance(settings.CC_IDLE_TIMEOUT_SECONDS + 1)
    events.clear()
    assert client.get("/api/v1/me", headers=BACKGROUND).status_code in (401, 403)
    assert [p["data"]["reason"] for _, p in events.of_type("session.ended")] == ["idle"]


@pytest.mark.parametrize(
    ("reason", "text"),
    [
        ("idle", "You were logged out after 5\xa0hours without activity."),
        ("signed_in_elsewhere", "You logged in on another device or browser"),
        ("logged_out", "You logged out"),
        ("deactivated", "Your account was deactivated."),
        ("password_changed", "Your password was changed."),
        ("ended", "Your session ended."),
    ],
)
def test_the_login_page_says_why_the_session_ended(db, reason, text):
    page = Client().get(f"/login/?reason={reason}&next=/app/admin/overview")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="login-reason"' in body and text in body
    assert 'data-next="/app/admin/overview"' in body


@pytest.mark.parametrize("reason", ["", "nonsense", "<script>alert(1)</script>"])
def test_the_login_page_shows_no_reason_it_does_not_know(db, reason):
    body = Client().get("/login/", {"reason": reason}).content.decode()
    assert 'id="login-reason"' not in body and "<script>alert" not in body
