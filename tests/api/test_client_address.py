"""Client addresses for rate limits (issue 10): X-Forwarded-For is believed only from
declared proxies, so rotating it does not lift the login, widget or webhook limits."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from contactcenter.org.client_address import client_ip_from_scope, client_rate_key, parse_networks, resolve_client
from tests.api.conftest import error

TOKEN_URL = "/api/v1/auth/token"
WHATSAPP = {"phone_number_id": "1065", "app_secret": "s", "verify_token": "v", "access_token": "t"}


@pytest.fixture(autouse=True)
def _fresh_counters() -> Iterator[None]:
    cache.clear()  # the tests' in-process cache: counters of other tests must not count
    yield
    cache.clear()


# ------------------------------------------------------------------ the rule itself


def test_without_proxies_the_header_is_ignored(settings: Any) -> None:
    settings.CC_TRUSTED_PROXIES, settings.CC_PROXY_COUNT = [], 0
    assert resolve_client("203.0.113.5", "198.51.100.1") == "203.0.113.5"
    assert resolve_client("203.0.113.5", None) == "203.0.113.5"


def test_trusted_proxy_rightmost_untrusted_entry(settings: Any) -> None:
    settings.CC_TRUSTED_PROXIES = ["10.0.0.0/8", "192.0.2.7"]
    settings.CC_PROXY_COUNT = 0
    # Client-written entries on the left are passed over: the right-most untrusted one.
    assert resolve_client("10.0.0.2", "1.1.1.1, 198.51.100.9") == "198.51.100.9"
    assert resolve_client("10.0.0.2", "1.1.1.1, 198.51.100.9, 192.0.2.7, 10.1.2.3") == "198.51.100.9"
    # A peer that is not a trusted proxy: its header is not believed.
    assert resolve_client("203.0.113.5", "198.51.100.9") == "203.0.113.5"
    # Only proxies in the chain: the left-most.
    assert resolve_client("10.0.0.2", "10.0.0.3") == "10.0.0.3"
    assert resolve_client("::ffff:10.0.0.2", "198.51.100.9") == "198.51.100.9"


def test_proxy_count(settings: Any) -> None:
    settings.CC_TRUSTED_PROXIES, settings.CC_PROXY_COUNT = [], 2
    assert resolve_client("10.0.0.2", "6.6.6.6, 198.51.100.9, 10.0.0.1") == "198.51.100.9"
    # Shorter than the proxies that should have written it: not believed.
    assert resolve_client("10.0.0.2", "198.51.100.9") == "10.0.0.2"


@pytest.mark.parametrize(
    "header",
    ["not-an-ip", "198.51.100.9, garbage", "198.51.100.9:4711", ",", "198.51.100.9,,", "1.2.3.4.5", "\x00"],
)
def test_malformed_header_is_ignored(settings: Any, header: str) -> None:
    settings.CC_TRUSTED_PROXIES, settings.CC_PROXY_COUNT = ["10.0.0.0/8"], 0
    assert resolve_client("10.0.0.2", header) == "10.0.0.2"
    settings.CC_TRUSTED_PROXIES, settings.CC_PROXY_COUNT = [], 1
    assert resolve_client("10.0.0.2", header) == "10.0.0.2"


def test_ipv6_clients_are_limited_by_their_64() -> None:
    assert client_rate_key("2001:db8:1:2:aaaa::1") == client_rate_key("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert client_rate_key("2001:db8:1:3::1") != client_rate_key("2001:db8:1:2::1")
    assert client_rate_key("198.51.100.9") == "198.51.100.9"


def test_scope_variant(settings: Any) -> None:
    settings.CC_TRUSTED_PROXIES, settings.CC_PROXY_COUNT = ["10.0.0.0/8"], 0
    scope = {"client": ("10.0.0.2", 5000), "headers": [(b"x-forwarded-for", b"198.51.100.9")]}
    assert client_ip_from_scope(scope) == "198.51.100.9"
    assert client_ip_from_scope({"client": ("203.0.113.5", 1), "headers": scope["headers"]}) == "203.0.113.5"


def test_bad_trusted_proxy_setting_is_named() -> None:
    with pytest.raises(ValueError, match="nonsense"):
        parse_networks("10.0.0.0/8, nonsense")


# ------------------------------------------------------------------ the limits that use it


def _login(ip: str, forwarded: str | None = None) -> Any:
    extra: dict[str, Any] = {"REMOTE_ADDR": ip}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return APIClient().post(TOKEN_URL, {"email": "nobody@example.com", "password": "wrong"}, format="json", **extra)


@pytest.fixture
def login_rate(monkeypatch: pytest.MonkeyPatch, db: Any) -> None:
    from contactcenter.org.api import LoginThrottle

    monkeypatch.setattr(LoginThrottle, "THROTTLE_RATES", {"login": "3/min"})


def test_rotating_forwarded_for_does_not_lift_the_login_limit(settings: Any, login_rate: None) -> None:
    settings.CC_TRUSTED_PROXIES, settings.CC_PROXY_COUNT = [], 0
    for n in range(3):
        error(_login("203.0.113.5", f"198.51.100.{n}"), 400)
    error(_login("203.0.113.5", "198.51.100.200"), 429)
    error(_login("203.0.113.5"), 429)
    error(_login("203.0.113.6", "198.51.100.1"), 400)  # another peer: its own limit


def test_behind_a_trusted_proxy_each_client_has_its_own_limit(settings: Any, login_rate: None) -> None:
    settings.CC_TRUSTED_PROXIES, settings.CC_PROXY_COUNT = ["10.0.0.0/8"], 0
    for _ in range(3):
        error(_login("10.0.0.2", "198.51.100.1"), 400)
    error(_login("10.0.0.2", "198.51.100.1"), 429)
    # The same client prepending addresses of its own is still itself.
    error(_login("10.0.0.3", "1.2.3.4, 198.51.100.1"), 429)
    error(_login("10.0.0.2", "198.51.100.2"), 400)  # another real client


def test_rotating_forwarded_for_does_not_lift_the_widget_limit(
    settings: Any, monkeypatch: pytest.MonkeyPatch, widget: Any
) -> None:
    from enquiries.auth import WidgetThrottle

    monkeypatch.setattr(WidgetThrottle, "THROTTLE_RATES", {"widget": "2/min"})
    settings.CC_TRUSTED_PROXIES, settings.CC_PROXY_COUNT = [], 0
    url = f"/api/v1/widget/channels/{widget.key}"
    for n in range(2):
        assert APIClient().get(url, REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR=f"1.1.1.{n}").status_code == 200
    r = APIClient().get(url, REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="1.1.1.99")
    error(r, 429)
    assert APIClient().get(url, REMOTE_ADDR="203.0.113.6").status_code == 200


def test_rotating_forwarded_for_does_not_lift_the_webhook_limit(settings: Any, make_channel: Any, support: Any) -> None:
    settings.CC_WEBHOOK_RATE = "2/min"
    settings.CC_TRUSTED_PROXIES, settings.CC_PROXY_COUNT = [], 0
    channel = make_channel(tag=support, kind="whatsapp", credentials=WHATSAPP)
    url = f"/webhooks/whatsapp/{channel.pk}/"

    def post(forwarded: str, peer: str = "203.0.113.5") -> int:
        client = Client(REMOTE_ADDR=peer)
        return client.post(url, data=b"{}", content_type="application/json", HTTP_X_FORWARDED_FOR=forwarded).status_code

    assert post("1.1.1.1") == 403  # counted, then refused for its (missing) signature
    assert post("1.1.1.2") == 403
    assert post("1.1.1.3") == 429
    assert post("1.1.1.3", peer="203.0.113.6") == 403
    # Behind a declared proxy, the forwarded address is the client.
    settings.CC_TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert post("198.51.100.1", peer="10.0.0.2") == 403
    assert post("198.51.100.1", peer="10.0.0.2") == 403
    assert post("198.51.100.1", peer="10.0.0.3") == 429
    assert post("198.51.100.2", peer="10.0.0.2") == 403
