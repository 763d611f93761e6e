"""Setting a platform channel up from the dashboard: the credential fields of each kind
described for the forms, credentials write-only and changed field by field, a connection
test against the platform's API (the local stand-in), and the company name in what the
customer sees."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy
from typing import Any

import pytest

from channels_adapters.models import Channel
from channels_adapters.widget_views import widget_config
from contactcenter.org import services as org_services
from enquiries import services as enquiry_services
from rooms import services as room_services
from tests.api.conftest import error, ok

from .conftest import CREDENTIALS

pytestmark = pytest.mark.django_db


def test_kinds_describe_each_field_for_admins_only(api: Any, admin: Any, agent: Any, settings: Any) -> None:
    settings.CC_PUBLIC_BASE_URL = "https://cc.example.com/"
    body = ok(api(admin).get("/api/v1/channels/kinds"))
    assert body["public_base_url"] == "https://cc.example.com"
    kinds = {k["kind"]: k for k in body["results"]}
    assert set(kinds) == {"whatsapp", "messenger", "line", "wechat", "email", "sms"}
    wa = {f["name"]: f for f in kinds["whatsapp"]["fields"]}
    assert set(wa) == set(CREDENTIALS["whatsapp"])
    assert wa["phone_number_id"]["label"] == "Phone number ID" and "API Setup" in wa["phone_number_id"]["help"]
    assert wa["access_token"]["secret"] and not wa["phone_number_id"]["secret"]
    assert "Callback URL" in kinds["whatsapp"]["webhook_help"]
    email = {f["name"]: f for f in kinds["email"]["fields"]}
    assert email["smtp_port"]["type"] == "port" and email["smtp_security"]["choices"][0] == "auto"
    assert not email["imap_host"]["required"] and kinds["email"]["webhook_help"] == ""
    error(api(agent).get("/api/v1/channels/kinds"), 403)


def test_credentials_change_field_by_field(api: Any, admin: Any, platform_channel: Any) -> None:
    channel = platform_channel("wechat", encoding_aes_key="a" * 43)
    url = f"/api/v1/channels/{channel.pk}"
    # "" keeps a value (the form never shows it), a value replaces it, null removes an optional one.
    body = ok(api(admin).patch(url, {"credentials": {"app_secret": "new-secret", "token": ""}}, format="json"))
    assert body["credentials_set"] == {"app_id": True, "app_secret": True, "token": True, "encoding_aes_key": True}
    assert "new-secret" not in str(body)
    channel.refresh_from_db()
    assert channel.credentials["app_secret"] == "new-secret" and channel.credentials["token"] == "test"
    body = ok(api(admin).patch(url, {"credentials": {"encoding_aes_key": None}}, format="json"))
    assert body["credentials_set"]["encoding_aes_key"] is False
    # A required field cannot be removed; an unknown one is refused; nothing changes.
    before = Channel.objects.get(pk=channel.pk).credentials
    for change, field in (({"app_id": None}, "credentials.app_id"), ({"page_id": "x"}, "credentials")):
        body = error(api(admin).patch(url, {"credentials": change, "name": "Renamed"}, format="json"), 400)
        assert field in body
    channel.refresh_from_db()
    assert channel.credentials == before and channel.name != "Renamed"


def test_whatsapp_connection_test(api: Any, admin: Any, agent: Any, platform_api: Any) -> None:
    platform_api.route(
        "GET",
        "/graph/106540352242922",
        (200, {"display_phone_number": "+1 555 0100", "verified_name": "Shop", "id": "106540352242922"}, {}),
    )
    body = {"kind": "whatsapp", "credentials": CREDENTIALS["whatsapp"]}
    result = ok(api(admin).post("/api/v1/channels/test-connection", body, format="json"))
    assert result == {"ok": True, "detail": "Connected to the WhatsApp number +1 555 0100 (Shop)."}
    (call,) = platform_api.calls("GET", "/graph/106540352242922")
    assert call.headers["authorization"] == "Bearer WA-TOKEN-456"
    assert Channel.objects.count() == 0
    error(api(agent).post("/api/v1/channels/test-connection", body, format="json"), 403)


def test_connection_test_reports_the_platform_error(api: Any, admin: Any, platform_api: Any) -> None:
    platform_api.route(
        "GET",
        "/graph/106540352242922",
        (401, {"error": {"message": "Invalid OAuth access token - Cannot parse access token", "code": 190}}, {}),
    )
    body = {"kind": "whatsapp", "credentials": CREDENTIALS["whatsapp"]}
    result = ok(api(admin).post("/api/v1/channels/test-connection", body, format="json"))
    assert result["ok"] is False
    assert result["detail"] == (
        "WhatsApp Business (Cloud API) answered: HTTP 401: Invalid OAuth access token - Cannot parse access token"
    )


def test_connection_test_of_a_saved_channel_with_a_new_token(
    api: Any, admin: Any, platform_api: Any, platform_channel: Any
) -> None:
    channel = platform_channel("messenger")
    platform_api.route("GET", "/graph/PAGE1", (200, {"name": "Shop Page", "id": "PAGE1"}, {}))
    body = {"kind": "messenger", "channel": channel.pk, "credentials": {"page_access_token": "NEW-TOKEN"}}
    result = ok(api(admin).post("/api/v1/channels/test-connection", body, format="json"))
    assert result == {"ok": True, "detail": "Connected to the Facebook Page “Shop Page” (PAGE1)."}
    assert platform_api.calls("GET", "/graph/PAGE1")[0].headers["authorization"] == "Bearer NEW-TOKEN"
    channel.refresh_from_db()
    assert channel.credentials == CREDENTIALS["messenger"]  # a test saves nothing
    # The kind must match the channel's; an unknown channel is a 404.
    assert "kind" in error(
        api(admin).post("/api/v1/channels/test-connection", {**body, "kind": "line"}, format="json"), 400
    )
    error(api(admin).post("/api/v1/channels/test-connection", {**body, "channel": 999999}, format="json"), 404)


def test_line_and_wechat_connection_tests(api: Any, admin: Any, platform_api: Any) -> None:
    platform_api.route("GET", "/line/v2/bot/info", (200, {"displayName": "Shop bot", "basicId": "@shop"}, {}))
    result = ok(
        api(admin).post(
            "/api/v1/channels/test-connection", {"kind": "line", "credentials": CREDENTIALS["line"]}, format="json"
        )
    )
    assert result == {"ok": True, "detail": "Connected to the LINE account “Shop bot” (@shop)."}
    result = ok(
        api(admin).post(
            "/api/v1/channels/test-connection", {"kind": "wechat", "credentials": CREDENTIALS["wechat"]}, format="json"
        )
    )
    assert result["ok"] and "wx1234567890" in result["detail"]
    platform_api.script("GET", "/wechat/cgi-bin/token", (200, {"errcode": 40125, "errmsg": "invalid appsecret"}, {}))
    result = ok(
        api(admin).post(
            "/api/v1/channels/test-connection", {"kind": "wechat", "credentials": CREDENTIALS["wechat"]}, format="json"
        )
    )
    assert result == {
        "ok": False,
        "detail": "WeChat Official Account answered: WeChat access token: 40125: invalid appsecret",
    }


def test_connection_test_needs_the_required_fields(api: Any, admin: Any, platform_api: Any) -> None:
    creds = {k: v for k, v in CREDENTIALS["whatsapp"].items() if k != "phone_number_id"}
    body = error(
        api(admin).post("/api/v1/channels/test-connection", {"kind": "whatsapp", "credentials": creds}, format="json"),
        400,
    )
    assert "credentials.phone_number_id" in body
    widget = {"kind": "widget", "credentials": {}}
    assert "kind" in error(api(admin).post("/api/v1/channels/test-connection", widget, format="json"), 400)
    assert platform_api.requests == []


def test_email_connection_test(api: Any, admin: Any, smtp_server: Any) -> None:
    creds = {"address": "help@shop.example", "smtp_host": "127.0.0.1", "smtp_port": smtp_server.port}
    result = ok(
        api(admin).post("/api/v1/channels/test-connection", {"kind": "email", "credentials": creds}, format="json")
    )
    assert result == {"ok": True, "detail": f"Connected to the SMTP server 127.0.0.1:{smtp_server.port}."}
    assert smtp_server.messages == []  # nothing sent
    # The stand-in offers no AUTH: signing in fails with the server's reason.
    creds["smtp_username"] = "help"
    result = ok(
        api(admin).post("/api/v1/channels/test-connection", {"kind": "email", "credentials": creds}, format="json")
    )
    assert result["ok"] is False and "AUTH" in result["detail"]
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    creds = {**creds, "smtp_port": closed_port, "smtp_username": ""}
    result = ok(
        api(admin).post("/api/v1/channels/test-connection", {"kind": "email", "credentials": creds}, format="json")
    )
    assert result["ok"] is False and "SMTP error" in result["detail"]


def test_schema_documents_the_credentials_of_each_kind(api: Any) -> None:
    schema = api().get("/api/schema/?format=json").json()
    components = schema["components"]["schemas"]
    wa = components["WhatsappCredentialsRequest"]
    assert set(wa["required"]) == set(CREDENTIALS["whatsapp"])
    assert "API Setup" in wa["properties"]["phone_number_id"]["description"]
    assert components["EmailCredentialsRequest"]["properties"]["smtp_port"]["type"] == "integer"
    assert "required" not in components["WhatsappCredentialsChangeRequest"]
    refs = {r["$ref"].rsplit("/", 1)[1] for r in components["ChannelCredentialsRequest"]["oneOf"]}
    assert refs == {
        "WhatsappCredentialsRequest",
        "MessengerCredentialsRequest",
        "LineCredentialsRequest",
        "WechatCredentialsRequest",
        "EmailCredentialsRequest",
        "SmsCredentialsRequest",
    }
    channel_in = components["ChannelInRequest"]["properties"]["credentials"]
    assert "ChannelCredentialsRequest" in str(channel_in)
    assert "credentials" not in components["ChannelOut"]["properties"]
    assert "credentials_set" in components["ChannelOut"]["properties"]
    paths = schema["paths"]
    assert "post" in paths["/api/v1/channels/test-connection"] and "get" in paths["/api/v1/channels/kinds"]


def test_company_name_in_widget_and_email(
    admin: Any, agent: Any, widget: Any, make_channel: Any, support: Any, smtp_server: Any
) -> None:
    from channels_adapters import tasks
    from channels_adapters.inbound import email_ingest
    from channels_adapters.models import OutboundMessage
    from enquiries.models import Enquiry

    # Never the channel's internal name: the visitor sees a business, or plain "Customer service".
    assert widget_config(widget)["company_name"] == "Customer service"
    org_services.org_settings_update(actor=admin, changes={"company_name": "Acme Shop"})
    assert widget_config(widget)["company_name"] == "Acme Shop"
    widget.widget_company_name = "Acme Help Desk"
    widget.save(update_fields=["widget_company_name"])
    assert widget_config(widget)["company_name"] == "Acme Help Desk"

    channel = make_channel(
        tag=support,
        kind="email",
        credentials={"address": "help@shop.example", "smtp_host": "127.0.0.1", "smtp_port": smtp_server.port},
    )
    raw = (
        b"From: Carol <carol@example.org>\r\nTo: help@shop.example\r\nSubject: \r\n"
        b"Message-ID: <c1@example.org>\r\n\r\nHello\r\n"
    )
    assert email_ingest(channel=channel, raw=raw) == "processed"

    enquiry = Enquiry.objects.get(channel=channel)
    enquiry_services.enquiry_pick_up(actor=agent, enquiry_id=enquiry.pk)
    message, _ = room_services.message_post(room_id=enquiry.room.pk, text="Hi Carol", staff=agent)
    assert tasks.outbound_send(OutboundMessage.objects.get(message=message).pk) == "sent"
    (sent,) = smtp_server.messages
    parsed = message_from_bytes(sent["data"], policy=policy.default)
    assert parsed["From"] == "Acme Shop <help@shop.example>"
    assert parsed["Subject"] == "Re: Your enquiry with Acme Shop"
