"""Token and session login, single login per staff member, idle expiry, logout."""

from __future__ import annotations

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from contactcenter.org import services as org_services
from contactcenter.org.models import AuthToken
from tests.api.conftest import error, ok
from tests.conftest import PASSWORD

TOKEN_URL = "/api/v1/auth/token"
SESSION_URL = "/api/v1/auth/session"


def token_login(email: str, password: str = PASSWORD) -> str:
    r = APIClient().post(TOKEN_URL, {"email": email, "password": password}, format="json")
    return ok(r)["token"]


def token_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def session_client(email: str, *, enforce_csrf: bool = False) -> APIClient:
    client = APIClient(enforce_csrf_checks=enforce_csrf)
    ok(client.post(SESSION_URL, {"email": email, "password": PASSWORD}, format="json"))
    return client


def test_token_login_and_use(agent):
    token = token_login(agent.email)
    me = ok(token_client(token).get("/api/v1/me"))
    assert me["id"] == agent.pk and me["email"] == agent.email
    assert "password" not in me
    # Only the hash is stored.
    assert not AuthToken.objects.filter(key_hash=token).exists()


def test_token_login_email_is_case_insensitive(agent):
    assert token_login(agent.email.upper())


@pytest.mark.parametrize(
    "body",
    [
        {"email": "nobody@example.com", "password": PASSWORD},
        {"password": PASSWORD},
        {"email": "not-an-email", "password": PASSWORD},
        {},
    ],
)
def test_token_login_bad_input_400(agent, body):
    r = APIClient().post(TOKEN_URL, body, format="json")
    error(r, 400)
    assert AuthToken.objects.count() == 0


def test_wrong_password_400_clear_message(agent):
    r = APIClient().post(TOKEN_URL, {"email": agent.email, "password": "wrong-password"}, format="json")
    body = error(r, 400)
    assert body["detail"] == "Wrong email or password."
    assert AuthToken.objects.count() == 0


def test_inactive_account_refused(admin, agent):
    org_services.staff_update(actor=admin, staff=agent, changes={"is_active": False})
    for url in (TOKEN_URL, SESSION_URL):
        r = APIClient().post(url, {"email": agent.email, "password": PASSWORD}, format="json")
        assert error(r, 400)["detail"] == "Wrong email or password."
    assert not AuthToken.objects.filter(staff=agent).exists()


def test_deactivation_ends_token(api, admin, agent):
    client = api(agent)
    ok(client.get("/api/v1/me"))
    org_services.staff_update(actor=admin, staff=agent, changes={"is_active": False})
    error(client.get("/api/v1/me"), 401)


def test_missing_token_401(db):
    body = error(APIClient().get("/api/v1/me"), 401)
    assert "credentials" in body["detail"].lower()


@pytest.mark.parametrize("header", ["Token nope", "Token", "Token a b", "Token \u00e9\u00e9"])
def test_invalid_token_401(db, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    error(client.get("/api/v1/me"), 401)


def test_visitor_token_is_not_staff(api, make_visitor):
    error(api(make_visitor()).get("/api/v1/enquiries"), 401)


def test_session_login_works(agent):
    client = session_client(agent.email)
    assert ok(client.get("/api/v1/me"))["id"] == agent.pk
    ok(client.patch("/api/v1/me", {"availability": "away"}, format="json"))
    agent.refresh_from_db()
    assert agent.availability == "away"


def test_session_unsafe_methods_need_csrf(agent):
    client = session_client(agent.email, enforce_csrf=True)
    assert ok(client.get("/api/v1/me"))["id"] == agent.pk  # safe method: no token needed
    body = error(client.patch("/api/v1/me", {"availability": "away"}, format="json"), 403)
    assert "CSRF" in body["detail"]
    agent.refresh_from_db()
    assert agent.availability == "active"
    csrf = client.cookies[settings.CSRF_COOKIE_NAME].value
    ok(client.patch("/api/v1/me", {"availability": "away"}, format="json", HTTP_X_CSRFTOKEN=csrf))
    agent.refresh_from_db()
    assert agent.availability == "away"


def test_token_auth_needs_no_csrf(agent):
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_login(agent.email)}")
    ok(client.patch("/api/v1/me", {"availability": "busy"}, format="json"))


def test_new_token_login_ends_previous_token(agent):
    first = token_client(token_login(agent.email))
    ok(first.get("/api/v1/me"))
    second = token_client(token_login(agent.email))
    error(first.get("/api/v1/me"), 401)
    ok(second.get("/api/v1/me"))


def test_token_login_ends_session(agent):
    browser = session_client(agent.email)
    ok(browser.get("/api/v1/me"))
    api_client = token_client(token_login(agent.email))
    error(browser.get("/api/v1/me"), 401)
    ok(api_client.get("/api/v1/me"))


def test_session_login_ends_token_and_other_session(agent):
    api_client = token_client(token_login(agent.email))
    first_browser = session_client(agent.email)
    error(api_client.get("/api/v1/me"), 401)
    second_browser = session_client(agent.email)
    error(first_browser.get("/api/v1/me"), 401)
    ok(second_browser.get("/api/v1/me"))


def test_login_of_one_staff_leaves_others_alone(agent, agent2):
    a = token_client(token_login(agent.email))
    token_client(token_login(agent2.email))
    ok(a.get("/api/v1/me"))


def test_idle_token_expires(clock, agent):
    client = token_client(token_login(agent.email))
    clock.advance(settings.CC_IDLE_TIMEOUT_SECONDS + 1)
    body = error(client.get("/api/v1/me"), 401)
    assert "expired" in body["detail"].lower()
    assert not AuthToken.objects.filter(staff=agent).exists()


def test_used_token_is_renewed(clock, agent):
    assert settings.CC_IDLE_TIMEOUT_SECONDS == 5 * 3600
    client = token_client(token_login(agent.email))
    for _ in range(3):
        clock.advance(4 * 3600)
        ok(client.get("/api/v1/me"))
    clock.advance(5 * 3600 - 1)
    ok(client.get("/api/v1/me"))
    clock.advance(5 * 3600 + 1)
    error(client.get("/api/v1/me"), 401)


def test_logout_revokes_token(agent):
    token = token_login(agent.email)
    client = token_client(token)
    assert client.post("/api/v1/auth/logout").status_code == 204
    error(client.get("/api/v1/me"), 401)
    assert not AuthToken.objects.filter(staff=agent).exists()


def test_logout_ends_session(agent):
    client = session_client(agent.email)
    assert client.post("/api/v1/auth/logout").status_code == 204
    error(client.get("/api/v1/me"), 401)


def test_logout_needs_login(db):
    error(APIClient().post("/api/v1/auth/logout"), 401)


def test_me_patch_validates_availability(api, agent):
    client = api(agent)
    body = error(client.patch("/api/v1/me", {"availability": "sleeping"}, format="json"), 400)
    assert "availability" in body
    agent.refresh_from_db()
    assert agent.availability == "active"
    assert ok(client.patch("/api/v1/me", {"availability": "offline"}, format="json"))["availability"] == "offline"


def test_login_is_rate_limited(monkeypatch, agent):
    from django.core.cache import cache

    from contactcenter.org.api import LoginThrottle

    cache.clear()
    monkeypatch.setattr(LoginThrottle, "THROTTLE_RATES", {"login": "3/min"})
    for _ in range(3):
        error(APIClient().post(TOKEN_URL, {"email": agent.email, "password": "wrong"}, format="json"), 400)
    r = APIClient().post(TOKEN_URL, {"email": agent.email, "password": PASSWORD}, format="json")
    error(r, 429)
    assert AuthToken.objects.count() == 0
    cache.clear()
