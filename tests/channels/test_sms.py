"""The SMS channel through Twilio (checked against a local fake of Twilio's API): inbound
messages signed with X-Twilio-Signature (behind a proxy too), replies with basic auth and
a status callback, delivery statuses, and an SMS sent from another channel's room."""

from __future__ import annotations

import socket
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest
from django.test import Client

from channels_adapters import tasks
from channels_adapters.models import Channel, InboundEvent, OutboundMessage
from channels_adapters.platforms.twilio import twilio_signature
from channels_adapters.sms import sms_phone
from enquiries import services as enquiry_services
from enquiries.models import Enquiry
from rooms import services as room_services
from rooms.models import Message

from .conftest import DROP, STALL, process_pending

pytestmark = pytest.mark.django_db

SID, TOKEN = "AC0123456789abcdef0123456789abcdef", "twilio-auth-token"
CREDS = {"account_sid": SID, "auth_token": TOKEN, "from_number": "+14155550100"}
MESSAGES = f"/twilio/2010-04-01/Accounts/{SID}/Messages.json"


@pytest.fixture(autouse=True)
def _twilio(platform_api: Any, settings: Any) -> None:
    settings.CC_TWILIO_API_URL = platform_api.base + "/twilio"
    settings.CC_PUBLIC_BASE_URL = ""
    platform_api.route("POST", MESSAGES, (201, {"sid": "SM-OUT-1", "status": "queued"}, {}))


@pytest.fixture
def sms_channel(make_channel: Any, support: Any) -> Channel:
    return make_channel(tag=support, kind="sms", credentials=dict(CREDS), welcome_message="")


def inbound_params(sid: str = "SM-IN-1", body: str = "Is my order shipped?", **extra: str) -> dict[str, str]:
    return {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": SID,
        "From": "+447700900123",
        "To": "+14155550100",
        "Body": body,
        "NumMedia": "0",
        "SmsStatus": "received",
        "FromCountry": "GB",
        **extra,
    }


def post_twilio(
    channel: Channel, params: dict[str, str], *, url: str | None = None, signature: str | None = "auto", **headers: str
) -> Any:
    path = f"/webhooks/sms/{channel.pk}/"
    if signature == "auto":
        signature = twilio_signature(TOKEN, url or f"http://testserver{path}", sorted(params.items()))
    if signature is not None:
        headers["HTTP_X_TWILIO_SIGNATURE"] = signature
    form = "application/x-www-form-urlencoded"
    return Client().post(path, data=urlencode(params), content_type=form, **headers)  # type: ignore[arg-type]


def test_the_documented_signature_algorithm() -> None:
    # Twilio's own example (twilio.com/docs/usage/security#validating-requests).
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+12349013030", "Digits": "1234", "From": "+12349013030",
              "To": "+18005551212"}  # fmt: skip
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio_signature("12345", url, list(params.items())) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


def test_an_inbound_sms_opens_an_enquiry_with_the_phone(sms_channel: Channel) -> None:
    r = post_twilio(sms_channel, inbound_params())
    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/xml") and b"<Response>" in r.content
    process_pending()
    enquiry = Enquiry.objects.get(channel=sms_channel)
    assert enquiry.visitor.channel_identity == "+447700900123"
    assert enquiry.visitor.phone == "+447700900123"
    texts = list(
        Message.objects.filter(room__enquiry=enquiry, author_visitor__isnull=False).values_list("text", flat=True)
    )
    assert texts == ["Is my order shipped?"]
    # Twilio's retry of the same message stores nothing more.
    assert post_twilio(sms_channel, inbound_params()).status_code == 200
    process_pending()
    assert Message.objects.filter(room__enquiry=enquiry, author_visitor__isnull=False).count() == 1


@pytest.mark.parametrize("signature", [None, "", "bm90IHRoZSBzaWduYXR1cmU="])
def test_a_bad_or_missing_signature_is_refused_and_nothing_stored(sms_channel: Channel, signature: Any) -> None:
    assert post_twilio(sms_channel, inbound_params(), signature=signature).status_code == 403
    assert not InboundEvent.objects.exists()


def test_a_changed_parameter_or_another_account_is_refused(sms_channel: Channel) -> None:
    params = inbound_params()
    good = twilio_signature(TOKEN, f"http://testserver/webhooks/sms/{sms_channel.pk}/", sorted(params.items()))
    assert post_twilio(sms_channel, {**params, "Body": "changed"}, signature=good).status_code == 403
    assert post_twilio(sms_channel, inbound_params(AccountSid="ACother")).status_code == 403
    assert not InboundEvent.objects.exists()


def test_behind_a_proxy_the_public_url_is_signed(sms_channel: Channel, settings: Any) -> None:
    settings.CC_PUBLIC_BASE_URL = "https://support.example.com"
    public = f"https://support.example.com/webhooks/sms/{sms_channel.pk}/"
    assert post_twilio(sms_channel, inbound_params(), url=public).status_code == 200
    # Signed for the address this server sees (not the one Twilio called): refused.
    assert post_twilio(sms_channel, inbound_params(sid="SM-IN-2")).status_code == 403


def open_sms_enquiry(sms_channel: Channel, agent: Any) -> Enquiry:
    assert post_twilio(sms_channel, inbound_params()).status_code == 200
    process_pending()
    enquiry = Enquiry.objects.get(channel=sms_channel)
    enquiry_services.enquiry_pick_up(actor=agent, enquiry_id=enquiry.pk)
    return enquiry


def test_a_reply_goes_out_with_basic_auth_and_a_status_callback(
    sms_channel: Channel, agent: Any, platform_api: Any, settings: Any
) -> None:
    enquiry = open_sms_enquiry(sms_channel, agent)
    settings.CC_PUBLIC_BASE_URL = "https://support.example.com"
    message, _ = room_services.message_post(room_id=enquiry.room.pk, text="Yes, it left today.", staff=agent)
    outbound = OutboundMessage.objects.get(message=message)
    assert tasks.outbound_send(outbound.pk) == "sent"
    (call,) = platform_api.calls("POST", MESSAGES)
    assert (
        call.headers["authorization"] == "Basic " + __import__("base64").b64encode(f"{SID}:{TOKEN}".encode()).decode()
    )
    assert call.headers["content-type"] == "application/x-www-form-urlencoded"
    form = {k: v[0] for k, v in parse_qs(call.body.decode()).items()}
    assert form == {
        "To": "+447700900123",
        "From": "+14155550100",
        "Body": "Yes, it left today.",
        "StatusCallback": f"https://support.example.com/webhooks/sms/{sms_channel.pk}/",
    }
    outbound.refresh_from_db()
    assert (outbound.state, outbound.provider_message_id) == ("sent", "SM-OUT-1")

    status = {"MessageSid": "SM-OUT-1", "MessageStatus": "delivered", "AccountSid": SID, "To": "+447700900123"}
    public = f"https://support.example.com/webhooks/sms/{sms_channel.pk}/"
    assert post_twilio(sms_channel, status, url=public).status_code == 200
    process_pending()
    outbound.refresh_from_db()
    assert outbound.state == "delivered"
    assert Message.objects.get(pk=message.pk).data["delivery"] == {"state": "delivered"}


def test_an_undelivered_status_fails_the_message_with_twilio_s_code(
    sms_channel: Channel, agent: Any, platform_api: Any
) -> None:
    enquiry = open_sms_enquiry(sms_channel, agent)
    message, _ = room_services.message_post(room_id=enquiry.room.pk, text="Hello", staff=agent)
    outbound = OutboundMessage.objects.get(message=message)
    assert tasks.outbound_send(outbound.pk) == "sent"
    queued = {"MessageSid": "SM-OUT-1", "MessageStatus": "sending", "AccountSid": SID}
    assert post_twilio(sms_channel, queued).status_code == 200  # nothing to tell staff
    failed = {"MessageSid": "SM-OUT-1", "MessageStatus": "undelivered", "ErrorCode": "30003", "AccountSid": SID}
    assert post_twilio(sms_channel, failed).status_code == 200
    process_pending()
    outbound.refresh_from_db()
    assert outbound.state == "failed" and "30003" in outbound.error


def test_twilio_refusing_fails_and_a_5xx_is_retried(sms_channel: Channel, agent: Any, platform_api: Any) -> None:
    enquiry = open_sms_enquiry(sms_channel, agent)
    platform_api.script("POST", MESSAGES, (503, {"message": "busy"}, {}))
    message, _ = room_services.message_post(room_id=enquiry.room.pk, text="One", staff=agent)
    outbound = OutboundMessage.objects.get(message=message)
    assert tasks.outbound_send(outbound.pk) == "retry"
    platform_api.script("POST", MESSAGES, (400, {"code": 21211, "message": "The 'To' number is not valid."}, {}))
    message, _ = room_services.message_post(room_id=enquiry.room.pk, text="Two", staff=agent)
    outbound = OutboundMessage.objects.get(message=message)
    assert tasks.outbound_send(outbound.pk) == "failed"
    outbound.refresh_from_db()
    assert "The 'To' number is not valid." in outbound.error


def _send(enquiry: Enquiry, agent: Any, text: str) -> tuple[str, OutboundMessage]:
    message, _ = room_services.message_post(room_id=enquiry.room.pk, text=text, staff=agent)
    outbound = OutboundMessage.objects.get(message=message)
    result = tasks.outbound_send(outbound.pk)
    outbound.refresh_from_db()
    return result, outbound


def test_no_connection_to_twilio_is_retried(sms_channel: Channel, agent: Any, settings: Any) -> None:
    enquiry = open_sms_enquiry(sms_channel, agent)
    with socket.socket() as probe:  # a port nothing listens on: connection refused
        probe.bind(("127.0.0.1", 0))
        settings.CC_TWILIO_API_URL = f"http://127.0.0.1:{probe.getsockname()[1]}/twilio"
    result, outbound = _send(enquiry, agent, "Refused")
    assert (result, outbound.state) == ("retry", "pending")
    assert "ConnectError" in outbound.error


@pytest.mark.parametrize("answer", [DROP, STALL], ids=["dropped", "timeout"])
def test_a_send_without_answer_is_not_retried(
    sms_channel: Channel, agent: Any, platform_api: Any, settings: Any, answer: int
) -> None:
    # Twilio read the request and may have created the message: a retry could send it twice.
    enquiry = open_sms_enquiry(sms_channel, agent)
    settings.CC_PLATFORM_HTTP_TIMEOUT = 0.5
    platform_api.script("POST", MESSAGES, (answer, {}, {}))
    result, outbound = _send(enquiry, agent, "Once only")
    assert (result, outbound.state) == ("failed", "failed")
    assert "may have been sent" in outbound.error
    assert len(platform_api.calls("POST", MESSAGES)) == 1


def test_a_5xx_holding_the_created_message_counts_as_sent(sms_channel: Channel, agent: Any, platform_api: Any) -> None:
    enquiry = open_sms_enquiry(sms_channel, agent)
    platform_api.script("POST", MESSAGES, (500, {"sid": "SM-OUT-5", "status": "queued"}, {}))
    result, outbound = _send(enquiry, agent, "Accepted")
    assert (result, outbound.state, outbound.provider_message_id) == ("sent", "sent", "SM-OUT-5")
    # A 5xx without one is retried; a 429 too (Twilio refused it for now).
    platform_api.script("POST", MESSAGES, (502, b"<html>Bad gateway</html>", {"Content-Type": "text/html"}))
    assert _send(enquiry, agent, "Gateway")[0] == "retry"
    platform_api.script("POST", MESSAGES, (429, {"code": 20429, "message": "Too Many Requests"}, {}))
    assert _send(enquiry, agent, "Busy")[0] == "retry"


def test_a_messaging_service_replaces_the_from_number(
    make_channel: Any, support: Any, agent: Any, platform_api
) -> None:
    channel = make_channel(
        tag=support, kind="sms", credentials={"account_sid": SID, "auth_token": TOKEN, "messaging_service_sid": "MG1"}
    )
    enquiry = open_sms_enquiry(channel, agent)
    message, _ = room_services.message_post(room_id=enquiry.room.pk, text="Hi", staff=agent)
    assert tasks.outbound_send(OutboundMessage.objects.get(message=message).pk) == "sent"
    form = parse_qs(platform_api.calls("POST", MESSAGES)[0].body.decode())
    assert form["MessagingServiceSid"] == ["MG1"] and "From" not in form and "StatusCallback" not in form


def test_admin_creates_an_sms_channel_and_tests_it(api: Any, admin: Any, support: Any, platform_api: Any) -> None:
    account: tuple[int, Any, dict[str, str]] = (200, {"friendly_name": "Shop", "status": "active"}, {})
    platform_api.route("GET", f"/twilio/2010-04-01/Accounts/{SID}.json", account)
    client = api(admin)
    kinds = client.get("/api/v1/channels/kinds").json()
    assert "sms" in str(kinds)
    body: dict[str, Any] = {"kind": "sms", "name": "Text us", "destination_tag": support.pk}
    r = client.post(
        "/api/v1/channels", {**body, "credentials": {"account_sid": SID, "auth_token": TOKEN}}, format="json"
    )
    assert r.status_code == 400, r.content  # neither a From number nor a Messaging Service
    assert "credentials.from_number" in r.json()
    assert not Channel.objects.filter(kind="sms").exists()
    r = client.post("/api/v1/channels/test-connection", {"kind": "sms", "credentials": CREDS}, format="json")
    assert r.status_code == 200, r.content
    assert "Shop" in str(r.json())
    (check,) = platform_api.calls("GET", f"/twilio/2010-04-01/Accounts/{SID}.json")
    assert check.headers["authorization"].startswith("Basic ")
    r = client.post("/api/v1/channels", {**body, "credentials": CREDS}, format="json")
    assert r.status_code == 201, r.content
    assert TOKEN not in str(r.json())  # secrets are never shown back
    assert r.json()["webhook_url"].endswith(f"/webhooks/sms/{r.json()['id']}/") or "webhook" in str(r.json())


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("+44 20 7946 0000", "+442079460000"), ("0044 (20) 7946-0000", "+442079460000"), ("020 7946 0000", ""),
     ("+1", ""), ("", ""), ("+12345678901234567", "")],
)  # fmt: skip
def test_phone_numbers_need_their_country_code(raw: str, clean: str) -> None:
    assert sms_phone(raw) == clean


# ---------------------------------------------------------------- Send SMS from a room


@pytest.fixture
def widget_enquiry(open_enquiry: Any, make_visitor: Any, widget: Channel, agent: Any) -> Enquiry:
    visitor = make_visitor(widget, phone="+44 20 7946 0000")
    enquiry = open_enquiry(visitor=visitor)
    enquiry_services.enquiry_pick_up(actor=agent, enquiry_id=enquiry.pk)
    return enquiry


def test_an_agent_sends_an_sms_from_a_widget_room(
    api: Any, agent: Any, widget_enquiry: Enquiry, sms_channel: Channel, platform_api: Any
) -> None:
    client = api(agent)
    room_id = widget_enquiry.room.pk
    target = client.get(f"/api/v1/rooms/{room_id}/sms").json()
    assert target == {"available": True, "phone": "+442079460000", "channel_name": sms_channel.name, "reason": ""}
    r = client.post(
        f"/api/v1/rooms/{room_id}/sms", {"text": "Your parcel is ready.", "client_id": "c-1"}, format="json"
    )
    assert r.status_code == 201, r.content
    message = Message.objects.get(pk=r.json()["id"])
    assert message.data["sms"] == {"to": "+442079460000", "channel": sms_channel.pk}
    assert message.data["delivery"] == {"state": "pending"}
    outbound = OutboundMessage.objects.get(message=message)
    assert outbound.channel_id == sms_channel.pk
    assert tasks.outbound_send(outbound.pk) == "sent"
    form = parse_qs(platform_api.calls("POST", MESSAGES)[0].body.decode())
    assert form["To"] == ["+442079460000"] and form["Body"] == ["Your parcel is ready."]
    # The same client_id again: nothing sent twice.
    again = client.post(
        f"/api/v1/rooms/{room_id}/sms", {"text": "Your parcel is ready.", "client_id": "c-1"}, format="json"
    )
    assert again.json()["id"] == message.pk
    assert OutboundMessage.objects.filter(channel=sms_channel).count() == 1
    # An ordinary reply in the widget room is not sent by SMS.
    room_services.message_post(room_id=room_id, text="chat only", staff=agent)
    assert OutboundMessage.objects.count() == 1


def test_sms_is_refused_without_a_channel_a_phone_or_membership(
    api: Any, agent: Any, make_staff: Any, widget_enquiry: Enquiry, sms_channel: Channel
) -> None:
    room_id = widget_enquiry.room.pk
    client = api(agent)
    assert client.post(f"/api/v1/rooms/{room_id}/sms", {"text": ""}, format="json").status_code == 400
    assert client.post(f"/api/v1/rooms/{room_id}/sms", {"text": "x" * 1601}, format="json").status_code == 400
    assert client.post(f"/api/v1/rooms/{room_id}/sms", {}, format="json").status_code == 400
    stranger = api(make_staff())
    assert stranger.post(f"/api/v1/rooms/{room_id}/sms", {"text": "hi"}, format="json").status_code == 404
    assert stranger.get(f"/api/v1/rooms/{room_id}/sms").status_code == 404
    assert api(None).get(f"/api/v1/rooms/{room_id}/sms").status_code in (401, 403)
    widget_enquiry.visitor.phone = "020 7946 0000"
    widget_enquiry.visitor.save(update_fields=["phone"])
    r = client.post(f"/api/v1/rooms/{room_id}/sms", {"text": "hi"}, format="json")
    assert r.status_code == 409 and "country code" in r.json()["detail"]
    widget_enquiry.visitor.phone = ""
    widget_enquiry.visitor.save(update_fields=["phone"])
    assert client.get(f"/api/v1/rooms/{room_id}/sms").json()["available"] is False
    widget_enquiry.visitor.phone = "+442079460000"
    widget_enquiry.visitor.save(update_fields=["phone"])
    Channel.objects.filter(pk=sms_channel.pk).update(is_active=False)
    r = client.post(f"/api/v1/rooms/{room_id}/sms", {"text": "hi"}, format="json")
    assert r.status_code == 409 and r.json()["code"] == "sms_unavailable"
    assert not OutboundMessage.objects.exists()
    assert not Message.objects.filter(data__has_key="sms").exists()
