"""Connecting a platform account: credentials checked per kind, never shown back in full,
and the webhook URL in the answer."""

from __future__ import annotations

from typing import Any

import pytest

from channels_adapters.models import Channel

from .conftest import CREDENTIALS

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", ["messenger", "whatsapp", "line", "wechat"])
def test_create_platform_channel(kind: str, api: Any, admin: Any, support: Any) -> None:
    body = {
        "kind": kind,
        "name": f"Our {kind}",
        "destination_tag": support.pk,
        "welcome_message": "Hi!",
        "credentials": CREDENTIALS[kind],
    }
    response = api(admin).post("/api/v1/channels", body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["webhook_url"] == f"/webhooks/{kind}/{data['id']}/"
    # Write-only: which fields are set, never a value (not even a part of one).
    assert "credentials" not in data
    expected = dict.fromkeys(CREDENTIALS[kind], True) | ({"encoding_aes_key": False} if kind == "wechat" else {})
    assert data["credentials_set"] == expected
    for value in CREDENTIALS[kind].values():
        if value not in CREDENTIALS[kind]:  # (LINE's test secret is "channel_secret", its own name)
            assert f'"{value}"' not in response.content.decode()
    assert Channel.objects.get(pk=data["id"]).credentials == CREDENTIALS[kind]


@pytest.mark.parametrize(
    ("kind", "missing"),
    [
        ("messenger", "page_access_token"),
        ("whatsapp", "phone_number_id"),
        ("line", "channel_secret"),
        ("wechat", "token"),
        ("email", "smtp_host"),
    ],
)
def test_missing_credential_names_the_field(kind: str, missing: str, api: Any, admin: Any, support: Any) -> None:
    creds = dict(CREDENTIALS.get(kind) or {"address": "a@b.example", "smtp_host": "h", "smtp_port": 25})
    del creds[missing]
    count = Channel.objects.count()
    response = api(admin).post(
        "/api/v1/channels",
        {"kind": kind, "name": "X", "destination_tag": support.pk, "credentials": creds},
        format="json",
    )
    assert response.status_code == 400
    assert missing in response.json()["detail"]
    assert Channel.objects.count() == count


def test_bad_wechat_aes_key_and_email_channel(api: Any, admin: Any, support: Any) -> None:
    creds = {**CREDENTIALS["wechat"], "encoding_aes_key": "short"}
    response = api(admin).post(
        "/api/v1/channels",
        {"kind": "wechat", "name": "W", "destination_tag": support.pk, "credentials": creds},
        format="json",
    )
    assert response.status_code == 400 and "encoding_aes_key" in response.json()["detail"]
    email = {"address": "help@shop.example", "smtp_host": "smtp.example", "smtp_port": "587"}
    response = api(admin).post(
        "/api/v1/channels",
        {"kind": "email", "name": "Mail", "destination_tag": support.pk, "credentials": email},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["webhook_url"] is None
    assert Channel.objects.get(kind="email").credentials["smtp_port"] == 587
