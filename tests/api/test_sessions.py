"""A staff member whose session ended stops being ACTIVE for routing (issue 10): logout,
idle expiry, deactivation; single-device takeover rules; a password change kills tokens;
an idle browser session ends without the sweep."""

from __future__ import annotations

from django.conf import settings

from contactcenter.org import services as org_services
from contactcenter.org.models import Staff
from enquiries import services as enquiry_services
from enquiries.models import Enquiry, EnquiryAlert
from tests.api.test_auth import session_client, token_client, token_login

ACTIVE, OFFLINE = Staff.Availability.ACTIVE, Staff.Availability.OFFLINE


def availability_events(events, staff):
    return [
        (sorted(g), p["data"]["availability"])
        for g, p in events.of_type("staff.availability")
        if p["data"]["staff_id"] == staff.pk
    ]


def availability(staff):
    return Staff.objects.get(pk=staff.pk).availability


def test_logout_sets_offline_and_routing_skips(agent, agent2, open_enquiry, events):
    token = token_login(agent.email)
    assert availability(agent) == ACTIVE
    events.clear()
    assert token_client(token).post("/api/v1/auth/logout").status_code == 204
    assert availability(agent) == OFFLINE
    assert availability_events(events, agent) == [(sorted(["admins", f"staff.{agent.pk}"]), OFFLINE)]
    assert [p["data"]["reason"] for _, p in events.of_type("session.ended")] == ["logged_out"]
    e = open_enquiry()
    assert set(EnquiryAlert.objects.filter(enquiry=e).values_list("staff_id", flat=True)) == {agent2.pk}


def test_browser_logout_sets_offline(agent):
    client = session_client(agent.email)
    assert client.post("/api/v1/auth/logout").status_code == 204
    assert availability(agent) == OFFLINE
    assert client.get("/api/v1/me").status_code in (401, 403)


def test_idle_sweep_sets_offline_and_nobody_is_offered(agent, open_enquiry, events, clock):
    session_client(agent.email)
    clock.advance(settings.CC_IDLE_TIMEOUT_SECONDS - 1)
    assert enquiry_services.timers_sweep()["sessions_expired"] == 0
    assert availability(agent) == ACTIVE
    events.clear()
    clock.advance(1)
    assert enquiry_services.timers_sweep()["sessions_expired"] == 1
    assert availability(agent) == OFFLINE
    assert availability_events(events, agent) == [(sorted(["admins", f"staff.{agent.pk}"]), OFFLINE)]
    assert enquiry_services.timers_sweep()["sessions_expired"] == 0  # idempotent
    e = open_enquiry()
    assert e.status == Enquiry.Status.MISSED and e.missed_reason == Enquiry.MissedReason.NOBODY_AVAILABLE


def test_requests_renew_the_session(agent, clock):
    client = session_client(agent.email)
    token_user = token_client(token_login(agent.email))  # ends the browser session: one device
    clock.advance(settings.CC_IDLE_TIMEOUT_SECONDS - 100)
    assert token_user.get("/api/v1/me").status_code == 200
    clock.advance(200)
    assert enquiry_services.timers_sweep()["sessions_expired"] == 0
    assert token_user.get("/api/v1/me").status_code == 200
    assert client.get("/api/v1/me").status_code in (401, 403)


def test_idle_browser_session_ends_on_its_next_request_before_the_sweep(agent, clock, events):
    client = session_client(agent.email)
    assert client.get("/api/v1/me").status_code == 200
    clock.advance(settings.CC_IDLE_TIMEOUT_SECONDS + 1)
    events.clear()
    assert client.get("/api/v1/me").status_code in (401, 403)
    assert availability(agent) == OFFLINE
    assert [p["data"]["reason"] for _, p in events.of_type("session.ended")] == ["idle"]


def test_idle_token_is_refused_and_its_session_ended(agent, clock):
    token = token_login(agent.email)
    clock.advance(settings.CC_IDLE_TIMEOUT_SECONDS + 1)
    assert token_client(token).get("/api/v1/me").status_code == 401
    assert availability(agent) == OFFLINE


def test_deactivation_sets_offline_with_event(agent, admin, events):
    token_login(agent.email)
    events.clear()
    org_services.staff_update(actor=admin, staff=agent, changes={"is_active": False})
    assert availability(agent) == OFFLINE
    assert availability_events(events, agent) == [(sorted(["admins", f"staff.{agent.pk}"]), OFFLINE)]
    assert [p["data"]["reason"] for _, p in events.of_type("session.ended")] == ["deactivated"]


def test_password_change_kills_tokens_and_sessions(agent, admin, api):
    token = token_login(agent.email)
    response = api(admin).patch(f"/api/v1/staff/{agent.pk}", {"password": "another-secret-77"}, format="json")
    assert response.status_code == 200
    assert token_client(token).get("/api/v1/me").status_code == 401
    assert availability(agent) == OFFLINE
    assert token_login(agent.email, "another-secret-77")


def test_browser_takeover_keeps_availability(agent):
    session_client(agent.email)
    session_client(agent.email)  # a second device: the person is present there
    assert availability(agent) == ACTIVE


def test_token_takeover_of_a_browser_session_sets_offline(agent, events):
    session_client(agent.email)
    events.clear()
    token_login(agent.email)  # the dashboard's session ended; an API client is no dashboard
    assert availability(agent) == OFFLINE
    assert availability_events(events, agent) == [(sorted(["admins", f"staff.{agent.pk}"]), OFFLINE)]


def test_token_takeover_of_a_token_session_keeps_availability(agent):
    token_login(agent.email)
    token_login(agent.email)  # the API client logged in again
    assert availability(agent) == ACTIVE


def test_login_after_idle_expiry_not_yet_swept_starts_offline(agent, clock):
    session_client(agent.email)
    clock.advance(settings.CC_IDLE_TIMEOUT_SECONDS + 1)
    session_client(agent.email)
    assert availability(agent) == OFFLINE
