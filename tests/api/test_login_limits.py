"""Login (issue 10): the per-account lockout with back-off beside the per-address limit,
and login CSRF (a cross-site form post must not log the victim's browser in)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from rest_framework.test import APIClient

from contactcenter.org.models import AuthToken
from tests.api.conftest import error, ok
from tests.conftest import PASSWORD

TOKEN_URL = "/api/v1/auth/token"
SESSION_URL = "/api/v1/auth/session"


@pytest.fixture(autouse=True)
def _fresh_counters() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def lockout(settings: Any, clock: Any) -> Any:
    settings.CC_LOGIN_LOCKOUT_FAILURES = 5
    settings.CC_LOGIN_LOCKOUT_BASE_SECONDS = 30
    settings.CC_LOGIN_LOCKOUT_MAX_SECONDS = 900
    return clock


def _login(email: str, password: str, *, ip: str = "203.0.113.5", url: str = TOKEN_URL) -> Any:
    return APIClient().post(url, {"email": email, "password": password}, format="json", REMOTE_ADDR=ip)


# ------------------------------------------------------------------ lockout


def test_account_locks_after_failures_whatever_the_address(lockout: Any, agent: Any, agent2: Any) -> None:
    for n in range(5):
        error(_login(agent.email, "wrong", ip=f"198.51.100.{n}"), 400)
    # Locked: even the right password from a new address is refused, without checking it.
    body = error(_login(agent.email, PASSWORD, ip="198.51.100.77"), 429)
    assert body["code"] == "login_locked"
    assert "Too many failed logins for this account" in body["detail"]
    assert body["retry_after"] == 30
    r = _login(agent.email, PASSWORD, url=SESSION_URL)
    error(r, 429)
    assert r["Retry-After"] == "30"
    assert AuthToken.objects.count() == 0
    # Other accounts are not affected.
    assert ok(_login(agent2.email, PASSWORD))["token"]
    lockout.advance(31)
    assert ok(_login(agent.email, PASSWORD))["token"]


def test_lockout_doubles_and_is_capped(lockout: Any, agent: Any, settings: Any) -> None:
    settings.CC_LOGIN_LOCKOUT_MAX_SECONDS = 100
    for _ in range(5):
        error(_login(agent.email, "wrong"), 400)
    waits = []
    for _ in range(4):
        body = error(_login(agent.email, "wrong"), 429)
        waits.append(body["retry_after"])
        lockout.advance(body["retry_after"] + 1)
        error(_login(agent.email, "wrong"), 400)  # the lock ran out: one more try, failed
    assert waits == [30, 60, 100, 100]


def test_success_resets_the_count(lockout: Any, agent: Any) -> None:
    for _ in range(4):
        error(_login(agent.email, "wrong"), 400)
    ok(_login(agent.email, PASSWORD))
    for _ in range(4):
        error(_login(agent.email, "wrong"), 400)
    ok(_login(agent.email, PASSWORD))  # 4 + 4 failures, but never 5 in a row


def test_unknown_email_is_treated_the_same(lockout: Any, agent: Any) -> None:
    """The answers do not tell whether an account exists."""
    known, unknown = [], []
    for _ in range(6):
        known.append(_login(agent.email, "wrong"))
        unknown.append(_login("no-such-person@example.com", "wrong"))
    for a, b in zip(known, unknown, strict=True):
        assert a.status_code == b.status_code
        assert a.json() == b.json()
    assert known[-1].status_code == 429


def test_email_case_is_one_account(lockout: Any, agent: Any) -> None:
    for n in range(5):
        error(_login(agent.email.upper() if n % 2 else agent.email, "wrong"), 400)
    error(_login(agent.email.title(), PASSWORD), 429)


def test_lockout_can_be_turned_off(settings: Any, agent: Any) -> None:
    settings.CC_LOGIN_LOCKOUT_FAILURES = 0
    for _ in range(8):
        error(_login(agent.email, "wrong"), 400)
    ok(_login(agent.email, PASSWORD))


def test_dashboard_shows_the_lockout_message(lockout: Any, agent: Any) -> None:
    """The login page shows ``detail`` (static/js/dashboard/login.js through api.js)."""
    for _ in range(5):
        _login(agent.email, "wrong", url=SESSION_URL)
    body = error(_login(agent.email, PASSWORD, url=SESSION_URL), 429)
    assert body["detail"].startswith("Too many failed logins for this account. Try again in 30 seconds")


# ------------------------------------------------------------------ login CSRF


def _session_logged_in(client: APIClient) -> bool:
    return client.get("/api/v1/me").status_code == 200


def test_cross_site_form_post_is_refused(agent: Any) -> None:
    """The attack: evil.example's page auto-submits a form to our login with the
    attacker's credentials. Refused; the victim's browser is logged in to nothing."""
    client = APIClient()
    r = client.post(
        SESSION_URL,
        {"email": agent.email, "password": PASSWORD},
        HTTP_ORIGIN="https://evil.example",
        HTTP_SEC_FETCH_SITE="cross-site",
    )
    body = error(r, 403)
    assert body["detail"] == "Cross-site login refused: log in from this site's own login page."
    assert django_settings.SESSION_COOKIE_NAME not in r.cookies
    assert not _session_logged_in(client)


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_ORIGIN": "https://evil.example"},
        {"HTTP_ORIGIN": "null"},  # sandboxed iframes, data: pages
        {"HTTP_SEC_FETCH_SITE": "cross-site"},
        {"HTTP_ORIGIN": "http://testserver.evil.example"},
    ],
)
def test_cross_site_json_post_is_refused(agent: Any, headers: dict[str, Any]) -> None:
    client = APIClient()
    r = client.post(SESSION_URL, {"email": agent.email, "password": PASSWORD}, format="json", **headers)
    assert error(r, 403)["code"] == "cross_site"
    assert not _session_logged_in(client)


def test_form_post_without_origin_is_refused(agent: Any) -> None:
    """A browser that sends no Origin: the form encoding alone is refused (a cross-site
    page cannot send JSON without a CORS preflight, which this site never grants)."""
    client = APIClient()
    form: dict[str, Any] = {}
    for kwargs in (form, {"content_type": "text/plain"}):
        data = "email=x" if kwargs else {"email": agent.email, "password": PASSWORD}
        r = client.post(SESSION_URL, data, **kwargs)
        assert "as JSON" in error(r, 415)["detail"]
    assert not _session_logged_in(client)


def test_same_site_and_api_clients_log_in(agent: Any, settings: Any) -> None:
    # The dashboard's login page: same origin, fetch with JSON.
    client = APIClient()
    ok(
        client.post(
            SESSION_URL,
            {"email": agent.email, "password": PASSWORD},
            format="json",
            HTTP_ORIGIN="http://testserver",
            HTTP_SEC_FETCH_SITE="same-origin",
        )
    )
    assert _session_logged_in(client)
    # An API client sends no Origin at all.
    client = APIClient()
    ok(client.post(SESSION_URL, {"email": agent.email, "password": PASSWORD}, format="json"))
    assert _session_logged_in(client)
    # A front end on a declared origin (CC_CSRF_TRUSTED_ORIGINS), exact or by wildcard.
    settings.CSRF_TRUSTED_ORIGINS = ["https://support.example.com", "https://*.example.org"]
    for origin in ("https://support.example.com", "https://desk.example.org"):
        ok(
            APIClient().post(
                SESSION_URL, {"email": agent.email, "password": PASSWORD}, format="json", HTTP_ORIGIN=origin
            )
        )
    error(
        APIClient().post(
            SESSION_URL, {"email": agent.email, "password": PASSWORD}, format="json", HTTP_ORIGIN="https://example.org"
        ),
        403,
    )


def test_token_login_is_unchanged(agent: Any) -> None:
    """The token endpoint sets no cookie: nothing for a cross-site page to plant."""
    assert ok(APIClient().post(TOKEN_URL, {"email": agent.email, "password": PASSWORD}))["token"]
