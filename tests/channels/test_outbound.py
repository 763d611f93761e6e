"""Staff replies through each platform's send API (checked on a local HTTP server):
request body, auth header, LINE retry key, retries with back-off on 5xx, giving up on 4xx,
the failed state with the platform's error, reply windows; delivery statuses; media."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from PIL import Image

from channels_adapters import inbound, tasks
from channels_adapters.models import InboundEvent, OutboundMessage
from enquiries import services as enquiry_services
from enquiries.models import Enquiry
from rooms import services as room_services
from rooms.models import Message

from .conftest import fixture_body, post_webhook, process_pending, send_fails_for_good

pytestmark = pytest.mark.django_db


def open_from(kind: str, platform_channel: Any, agent: Any) -> Enquiry:
    channel = platform_channel(kind)
    assert post_webhook(channel, fixture_body(kind)).status_code == 200
    process_pending()
    enquiry = Enquiry.objects.get(channel=channel)
    enquiry_services.enquiry_pick_up(actor=agent, enquiry_id=enquiry.pk)
    return enquiry


def reply(enquiry: Enquiry, agent: Any, text: str = "Hello from support") -> OutboundMessage:
    message, _ = room_services.message_post(room_id=enquiry.room.pk, text=text, staff=agent)
    return OutboundMessage.objects.get(message=message)


def test_messenger_send(platform_channel: Any, agent: Any, platform_api: Any) -> None:
    enquiry = open_from("messenger", platform_channel, agent)
    outbound = reply(enquiry, agent)
    assert outbound.state == "pending"
    assert tasks.outbound_send(outbound.pk) == "sent"
    (call,) = platform_api.calls("POST", "/graph/PAGE1/messages")
    assert call.headers["authorization"] == "Bearer PAGE-TOKEN-123"
    assert call.json() == {
        "recipient": {"id": "<PSID>"},
        "messaging_type": "RESPONSE",
        "message": {"text": "Hello from support"},
    }
    outbound.refresh_from_db()
    assert (outbound.state, outbound.provider_message_id, outbound.attempts) == ("sent", "m_out_1", 1)
    assert outbound.message.data["delivery"] == {"state": "sent"}
    assert tasks.outbound_send(outbound.pk) == "skip"  # safe to run twice
    assert len(platform_api.calls("POST", "/graph/PAGE1/messages")) == 1


def test_whatsapp_send(platform_channel: Any, agent: Any, platform_api: Any) -> None:
    enquiry = open_from("whatsapp", platform_channel, agent)
    outbound = reply(enquiry, agent, "Yes, in blue")
    assert tasks.outbound_send(outbound.pk) == "sent"
    (call,) = platform_api.calls("POST", "/graph/106540352242922/messages")
    assert call.headers["authorization"] == "Bearer WA-TOKEN-456"
    assert call.json() == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "16505551234",
        "type": "text",
        "text": {"preview_url": False, "body": "Yes, in blue"},
    }
    outbound.refresh_from_db()
    assert outbound.provider_message_id == "wamid.OUT1"


def test_retry_on_5xx_with_back_off_then_sent(platform_channel: Any, agent: Any, platform_api: Any) -> None:
    enquiry = open_from("line", platform_channel, agent)
    outbound = reply(enquiry, agent)
    platform_api.script("POST", "/line/v2/bot/message/push", (500, {"message": "busy"}, {}), (503, b"down", {}))
    assert tasks.outbound_send(outbound.pk) == "retry"
    assert tasks.scheduled[-1] == ("channels_adapters.tasks.outbound_send", (outbound.pk,), 2.0)
    assert tasks.outbound_send(outbound.pk) == "retry"
    assert tasks.scheduled[-1][2] == 4.0  # exponential back-off
    assert tasks.outbound_send(outbound.pk) == "sent"
    calls = platform_api.calls("POST", "/line/v2/bot/message/push")
    assert len(calls) == 3
    keys = {c.headers["x-line-retry-key"] for c in calls}
    assert len(keys) == 1  # the same retry key on every try: LINE never delivers it twice
    assert all(c.headers["authorization"] == "Bearer LINE-TOKEN-789" for c in calls)
    assert calls[0].json() == {"to": "Ca56f94637c...", "messages": [{"type": "text", "text": "Hello from support"}]}
    outbound.refresh_from_db()
    assert (outbound.state, outbound.attempts, outbound.provider_message_id) == ("sent", 3, "line-out-1")


def test_line_409_with_retry_key_counts_as_sent(platform_channel: Any, agent: Any, platform_api: Any) -> None:
    enquiry = open_from("line", platform_channel, agent)
    outbound = reply(enquiry, agent)
    platform_api.script(
        "POST",
        "/line/v2/bot/message/push",
        (409, {"message": "The retry key is already accepted"}, {"x-line-accepted-request-id": "req-1"}),
    )
    assert tasks.outbound_send(outbound.pk) == "sent"


def test_gives_up_on_4xx_with_the_platform_error(platform_channel: Any, agent: Any, platform_api: Any) -> None:
    enquiry = open_from("messenger", platform_channel, agent)
    outbound = reply(enquiry, agent)
    error = {"error": {"message": "(#100) No matching user found", "code": 100}}
    platform_api.script("POST", "/graph/PAGE1/messages", (400, error, {}))
    send_fails_for_good(outbound)
    assert outbound.state == "failed" and "No matching user found" in outbound.error
    assert outbound.message.data["delivery"]["state"] == "failed"
    assert "No matching user found" in outbound.message.data["delivery"]["error"]


def test_fails_after_the_last_try(platform_channel: Any, agent: Any, platform_api: Any, settings: Any) -> None:
    enquiry = open_from("whatsapp", platform_channel, agent)
    outbound = reply(enquiry, agent)
    platform_api.script("POST", "/graph/", *[(502, {"error": {"message": "Bad gateway"}}, {})] * 10)
    results = [tasks.outbound_send(outbound.pk) for _ in range(settings.CC_OUTBOUND_MAX_ATTEMPTS)]
    assert results == ["retry"] * (settings.CC_OUTBOUND_MAX_ATTEMPTS - 1) + ["failed"]
    outbound.refresh_from_db()
    assert outbound.state == "failed" and "Bad gateway" in outbound.error
    assert outbound.attempts == settings.CC_OUTBOUND_MAX_ATTEMPTS


def test_network_error_is_retried(platform_channel: Any, agent: Any, settings: Any) -> None:
    enquiry = open_from("messenger", platform_channel, agent)
    outbound = reply(enquiry, agent)
    settings.CC_META_GRAPH_URL = "http://127.0.0.1:9/graph"  # nothing listens there
    assert tasks.outbound_send(outbound.pk) == "retry"
    outbound.refresh_from_db()
    assert outbound.state == "pending" and "Network error" in outbound.error


def test_wechat_send_and_token_cache(platform_channel: Any, agent: Any, platform_api: Any) -> None:
    enquiry = open_from("wechat", platform_channel, agent)
    first, second = reply(enquiry, agent, "你好"), reply(enquiry, agent, "second")
    assert tasks.outbound_send(first.pk) == "sent"
    assert tasks.outbound_send(second.pk) == "sent"
    (token_call,) = platform_api.calls("GET", "/wechat/cgi-bin/token")
    assert token_call.query == {"grant_type": ["client_credential"], "appid": ["wx1234567890"], "secret": ["wx-secret"]}
    sends = platform_api.calls("POST", "/wechat/cgi-bin/message/custom/send")
    assert [s.query["access_token"] for s in sends] == [["WX-ACCESS-1"], ["WX-ACCESS-1"]]
    assert json.loads(sends[0].body.decode()) == {"touser": "fromUser", "msgtype": "text", "text": {"content": "你好"}}


def test_wechat_expired_token_is_renewed(platform_channel: Any, agent: Any, platform_api: Any) -> None:
    enquiry = open_from("wechat", platform_channel, agent)
    outbound = reply(enquiry, agent)
    platform_api.script(
        "POST", "/wechat/cgi-bin/message/custom/send", (200, {"errcode": 42001, "errmsg": "expired"}, {})
    )
    assert tasks.outbound_send(outbound.pk) == "sent"
    assert len(platform_api.calls("GET", "/wechat/cgi-bin/token")) == 2
    outbound2 = reply(enquiry, agent)
    platform_api.script(
        "POST",
        "/wechat/cgi-bin/message/custom/send",
        (200, {"errcode": 45015, "errmsg": "response out of time limit"}, {}),
    )
    assert tasks.outbound_send(outbound2.pk) == "failed"
    outbound2.refresh_from_db()
    assert "45015" in outbound2.error


def test_reply_window_closed_is_refused(platform_channel: Any, agent: Any, clock: Any, api: Any) -> None:
    enquiry = open_from("messenger", platform_channel, agent)
    clock.advance(24 * 3600 + 1)
    count = Message.objects.count()
    response = api(agent).post(f"/api/v1/rooms/{enquiry.room.pk}/messages", {"text": "late"}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "reply_window_closed" and "24 hours" in body["detail"]
    assert Message.objects.count() == count


def test_reply_window_closed_before_send_fails(platform_channel: Any, agent: Any, clock: Any) -> None:
    enquiry = open_from("wechat", platform_channel, agent)
    clock.advance(47 * 3600)
    outbound = reply(enquiry, agent)
    clock.advance(2 * 3600)
    assert tasks.outbound_send(outbound.pk) == "failed"
    outbound.refresh_from_db()
    assert "48 hours" in outbound.error


def test_widget_rooms_queue_nothing(open_enquiry: Any, agent: Any) -> None:
    enquiry = open_enquiry()
    enquiry_services.enquiry_pick_up(actor=agent, enquiry_id=enquiry.pk)
    room_services.message_post(room_id=enquiry.room.pk, text="hi", staff=agent)
    assert OutboundMessage.objects.count() == 0


def test_welcome_message_is_sent(platform_channel: Any, agent: Any, platform_api: Any) -> None:
    channel = platform_channel("whatsapp")
    post_webhook(channel, fixture_body("whatsapp"))
    process_pending()
    outbound = OutboundMessage.objects.get()
    assert outbound.message.data["bot"] == "welcome"
    assert tasks.outbound_send(outbound.pk) == "sent"
    (call,) = platform_api.calls("POST", "/graph/106540352242922/messages")
    assert call.json()["text"]["body"] == "Thanks for writing! An agent will be with you shortly."


# ------------------------------------------------------------------ statuses


def wa_status(wamid: str, status: str, **extra: Any) -> bytes:
    st = {"id": wamid, "status": status, "timestamp": "1749416400", "recipient_id": "16505551234", **extra}
    value = {"messaging_product": "whatsapp", "metadata": {"phone_number_id": "106540352242922"}, "statuses": [st]}
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"value": value, "field": "messages"}]}],
        }
    ).encode()


def test_whatsapp_statuses(platform_channel: Any, agent: Any, events: Any) -> None:
    enquiry = open_from("whatsapp", platform_channel, agent)
    channel = enquiry.channel
    outbound = reply(enquiry, agent)
    tasks.outbound_send(outbound.pk)
    for status in ("delivered", "delivered", "read", "delivered"):
        assert post_webhook(channel, wa_status("wamid.OUT1", status)).status_code == 200
    process_pending()
    outbound.refresh_from_db()
    assert outbound.state == "read"  # never backwards; (id, status) deduped
    assert outbound.message.data["delivery"] == {"state": "read"}
    edited = [p for _, p in events.of_type("message.edited") if p["data"]["message"]["id"] == outbound.message_id]
    assert edited and edited[-1]["data"]["message"]["data"]["delivery"]["state"] == "read"

    second = reply(enquiry, agent)
    tasks.outbound_send(second.pk)
    second.provider_message_id = "wamid.OUT2"
    second.save(update_fields=["provider_message_id"])
    errors = [{"code": 131047, "title": "Re-engagement message", "message": "More than 24 hours have passed"}]
    post_webhook(channel, wa_status("wamid.OUT2", "failed", errors=errors))
    process_pending()
    second.refresh_from_db()
    assert second.state == "failed" and "More than 24 hours" in second.error


def test_messenger_delivery_and_read(platform_channel: Any, agent: Any) -> None:
    enquiry = open_from("messenger", platform_channel, agent)
    channel = enquiry.channel
    first, second = reply(enquiry, agent, "one"), reply(enquiry, agent, "two")
    tasks.outbound_send(first.pk)
    tasks.outbound_send(second.pk)
    OutboundMessage.objects.filter(pk=second.pk).update(provider_message_id="m_out_2")

    def event(payload: dict[str, Any]) -> bytes:
        messaging = {"sender": {"id": "<PSID>"}, "recipient": {"id": "PAGE1"}, "timestamp": 1, **payload}
        return json.dumps({"object": "page", "entry": [{"id": "PAGE1", "time": 1, "messaging": [messaging]}]}).encode()

    post_webhook(channel, event({"delivery": {"mids": ["m_out_1"], "watermark": 1}}))
    process_pending()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == ("delivered", "sent")
    watermark = int(second.created_at.timestamp() * 1000) + 1
    post_webhook(channel, event({"read": {"watermark": watermark}}))
    process_pending()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == ("read", "read")


# ------------------------------------------------------------------ media


def png_bytes() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 6), "red").save(buf, "PNG")
    return buf.getvalue()


def test_whatsapp_image_is_downloaded_and_stored(
    platform_channel: Any, agent: Any, platform_api: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    channel = platform_channel("whatsapp")
    platform_api.route(
        "GET", "/graph/MEDIA1", (200, {"url": platform_api.base + "/cdn/MEDIA1", "mime_type": "image/png"}, {})
    )
    platform_api.route("GET", "/cdn/MEDIA1", (200, png_bytes(), {"Content-Type": "image/png"}))
    message = {
        "from": "16505551234",
        "id": "wamid.IMG",
        "timestamp": "1749416383",
        "type": "image",
        "image": {"id": "MEDIA1", "mime_type": "image/png", "caption": "Broken part"},
    }
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"phone_number_id": "106540352242922"},
        "contacts": [{"profile": {"name": "Sheena Nelson"}, "wa_id": "16505551234"}],
        "messages": [message],
    }
    body = json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"value": value, "field": "messages"}]}],
        }
    ).encode()
    assert post_webhook(channel, body).status_code == 200
    process_pending()
    stored = Message.objects.get(kind="file")
    assert stored.text == "Broken part"
    info = stored.data["file"]
    assert (info["category"], info["content_type"], info["width"]) == ("image", "image/png", 8)
    assert (tmp_path / info["path"]).read_bytes() == png_bytes()
    media_calls = platform_api.calls("GET", "/graph/MEDIA1") + platform_api.calls("GET", "/cdn/MEDIA1")
    assert all(c.headers["authorization"] == "Bearer WA-TOKEN-456" for c in media_calls)


def test_line_media_retry_then_give_up(
    platform_channel: Any, agent: Any, platform_api: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    channel = platform_channel("line")
    event = {
        "type": "message",
        "timestamp": 1,
        "source": {"type": "user", "userId": "U9"},
        "webhookEventId": "EV1",
        "deliveryContext": {"isRedelivery": False},
        "message": {"type": "image", "id": "555", "contentProvider": {"type": "line"}},
    }
    body = json.dumps({"destination": "x", "events": [event]}).encode()
    platform_api.script("GET", "/line-data/v2/bot/message/555/content", *[(500, b"err", {})] * 10)
    post_webhook(channel, body)
    ids = list(channel.inbound_events.values_list("id", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        tasks.inbound_process(ids)
    # The message is there at once, its image loading; the download is a task of its own.
    message = Message.objects.get(author_visitor__isnull=False)
    assert message.data["media"]["label"] == "image (loading…)"
    assert tasks.scheduled[-1] == ("channels_adapters.tasks.inbound_media", (message.pk,), 0.0)
    assert tasks.inbound_media(message.pk) is False
    assert tasks.scheduled[-1] == ("channels_adapters.tasks.inbound_media", (message.pk,), 2.0)
    for _ in range(settings.CC_INBOUND_MEDIA_TRIES - 1):
        tasks.inbound_media(message.pk)
    message.refresh_from_db()
    assert message.data["media"]["state"] == "failed" and "could not be downloaded" in message.data["media_error"]
    assert len(platform_api.calls("GET", "/line-data/v2/bot/message/555/content")) == settings.CC_INBOUND_MEDIA_TRIES


def test_status_before_the_send_saved_its_id_is_applied_after(platform_channel: Any, agent: Any) -> None:
    """The webhook's status beats the send's response: the event waits, and the send applies
    it once it has saved the provider's message id."""
    enquiry = open_from("whatsapp", platform_channel, agent)
    channel = enquiry.channel
    outbound = reply(enquiry, agent)
    assert post_webhook(channel, wa_status("wamid.OUT1", "delivered")).status_code == 200
    process_pending()
    event = channel.inbound_events.get(provider_key="status:wamid.OUT1:delivered")
    assert event.processed_at is None  # kept, not lost
    outbound.refresh_from_db()
    assert outbound.state == "pending"
    assert tasks.outbound_send(outbound.pk) == "sent"
    outbound.refresh_from_db()
    event.refresh_from_db()
    assert (outbound.state, outbound.provider_message_id) == ("delivered", "wamid.OUT1")
    assert outbound.message.data["delivery"] == {"state": "delivered"}
    assert event.processed_at is not None
    # A status about a message never sent from here is let go after STATUS_WAIT.
    post_webhook(channel, wa_status("wamid.ELSEWHERE", "read"))
    process_pending()
    other = channel.inbound_events.get(provider_key="status:wamid.ELSEWHERE:read")
    assert other.processed_at is None
    InboundEvent.objects.filter(pk=other.pk).update(received_at=other.received_at - inbound.STATUS_WAIT)
    process_pending()
    other.refresh_from_db()
    assert other.processed_at is not None
    outbound.refresh_from_db()
    assert outbound.state == "delivered"
