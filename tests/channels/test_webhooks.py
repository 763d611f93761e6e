"""Webhooks: the real fixture bodies with their published signatures, handshakes, refusals
of bad signatures (nothing stored), dedupe of redeliveries, batches and every inbound kind."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
from typing import Any

import pytest
from django.test import Client

from channels_adapters.models import InboundEvent
from channels_adapters.platforms.line import Line
from channels_adapters.platforms.wechat import WeChatCrypto, sha1_signature
from enquiries.models import Enquiry, Visitor
from rooms.models import Message

from .conftest import SIGNATURES, fixture_body, post_webhook, process_pending, wechat_query

pytestmark = pytest.mark.django_db

KINDS = ["messenger", "whatsapp", "line", "wechat"]


def rows() -> dict[str, int]:
    return {
        "events": InboundEvent.objects.count(),
        "visitors": Visitor.objects.count(),
        "enquiries": Enquiry.objects.count(),
        "messages": Message.objects.count(),
    }


def visitor_texts(enquiry: Enquiry) -> list[str]:
    return list(
        Message.objects.filter(room__enquiry=enquiry, author_visitor__isnull=False)
        .order_by("id")
        .values_list("text", flat=True)
    )


EXPECTED = {
    "messenger": ("<PSID>", "hello, world!"),
    "whatsapp": ("16505551234", "Does it come in another color?"),
    "line": ("Ca56f94637c...", "Chicken, please."),
    "wechat": ("fromUser", "this is a test"),
}


@pytest.mark.parametrize("kind", KINDS)
def test_real_fixture_opens_an_enquiry(kind: str, platform_channel: Any, agent: Any) -> None:
    channel = platform_channel(kind)
    response = post_webhook(channel, fixture_body(kind))
    assert response.status_code == 200, response.content
    assert response.content == {"messenger": b"EVENT_RECEIVED", "whatsapp": b"EVENT_RECEIVED"}.get(
        kind, b"success" if kind == "wechat" else b"ok"
    )
    # Answered at once: stored, not processed yet.
    assert Enquiry.objects.count() == 0 and InboundEvent.objects.filter(processed_at__isnull=True).exists()
    process_pending()
    identity, text = EXPECTED[kind]
    enquiry = Enquiry.objects.get()
    assert enquiry.channel == channel and enquiry.status == "open"
    assert enquiry.visitor.channel_identity == identity
    assert visitor_texts(enquiry) == [text]
    assert enquiry.first_message == text
    welcome = Message.objects.get(room__enquiry=enquiry, data__bot="welcome")
    assert welcome.outbound.state == "pending"  # queued to be sent to the customer
    assert InboundEvent.objects.filter(processed_at__isnull=True).count() == 0


def test_fixture_details(platform_channel: Any, agent: Any) -> None:
    wa = platform_channel("whatsapp")
    post_webhook(wa, fixture_body("whatsapp"))
    messenger = platform_channel("messenger")
    post_webhook(messenger, fixture_body("messenger"))
    process_pending()
    visitor = Visitor.objects.get(channel=wa)
    assert (visitor.first_name, visitor.last_name) == ("Sheena", "Nelson")
    message = Message.objects.get(author_visitor__channel=messenger)
    assert message.data["quick_reply"] == "<DEVELOPER_DEFINED_PAYLOAD>"
    assert message.data["mid"] == "mid.1457764197618:41d102a3e1ae206a38"


@pytest.mark.parametrize("kind", KINDS)
def test_tampered_body_is_refused_and_nothing_stored(kind: str, platform_channel: Any) -> None:
    channel = platform_channel(kind)
    body = fixture_body(kind)
    tampered = body.replace(b"test", b"tEst").replace(b"hello", b"hEllo").replace(b"Chicken", b"Duck")
    tampered = tampered.replace(b"color", b"colour")
    assert tampered != body
    before = rows()
    if kind == "wechat":
        # Plain mode signs the query (token, timestamp, nonce), not the body: a changed
        # timestamp is refused; a changed body is caught only in safe mode (test below).
        response = post_webhook(channel, body, signature=SIGNATURES["wechat"].replace("1348831860", "1348831861"))
    else:
        response = post_webhook(channel, tampered, signature=SIGNATURES[kind])
    assert response.status_code == 403
    assert rows() == before


@pytest.mark.parametrize("kind", KINDS)
def test_missing_signature_is_refused(kind: str, platform_channel: Any) -> None:
    channel = platform_channel(kind)
    before = rows()
    assert post_webhook(channel, fixture_body(kind), signature=None).status_code == 403
    assert rows() == before


@pytest.mark.parametrize("kind", KINDS)
def test_wrong_secret_is_refused(kind: str, platform_channel: Any) -> None:
    field = {"messenger": "app_secret", "whatsapp": "app_secret", "line": "channel_secret", "wechat": "token"}[kind]
    channel = platform_channel(kind, **{field: "another-secret"})
    sig = SIGNATURES[kind]
    before = rows()
    assert post_webhook(channel, fixture_body(kind), signature=sig).status_code == 403
    assert rows() == before


@pytest.mark.parametrize("kind", KINDS)
def test_redelivery_is_ignored(kind: str, platform_channel: Any, agent: Any) -> None:
    channel = platform_channel(kind)
    for _ in range(3):
        assert post_webhook(channel, fixture_body(kind)).status_code == 200
    process_pending()
    assert post_webhook(channel, fixture_body(kind)).status_code == 200
    process_pending()
    assert Enquiry.objects.count() == 1
    assert len(visitor_texts(Enquiry.objects.get())) == 1


def test_processing_twice_is_harmless(platform_channel: Any, agent: Any) -> None:
    from channels_adapters import tasks

    channel = platform_channel("messenger")
    post_webhook(channel, fixture_body("messenger"))
    ids = list(InboundEvent.objects.values_list("id", flat=True))
    assert tasks.inbound_process(ids) == 1
    assert tasks.inbound_process(ids) == 0
    assert tasks.inbound_process([999999]) == 0  # gone
    assert Message.objects.filter(author_visitor__isnull=False).count() == 1


def test_unknown_channel_or_kind_is_404(platform_channel: Any) -> None:
    channel = platform_channel("messenger")
    client = Client()
    assert client.post(f"/webhooks/line/{channel.pk}/", data=b"{}", content_type="application/json").status_code == 404
    assert client.post("/webhooks/messenger/99999/", data=b"{}", content_type="application/json").status_code == 404
    assert (
        client.post(f"/webhooks/widget/{channel.pk}/", data=b"{}", content_type="application/json").status_code == 404
    )


# ------------------------------------------------------------------ handshakes


@pytest.mark.parametrize("kind", ["messenger", "whatsapp"])
def test_meta_handshake(kind: str, platform_channel: Any) -> None:
    channel = platform_channel(kind)
    url = f"/webhooks/{kind}/{channel.pk}/"
    ok = Client().get(url, {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"})
    assert ok.status_code == 200 and ok.content == b"1158201444"
    bad = Client().get(url, {"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1158201444"})
    assert bad.status_code == 403
    assert Client().get(url).status_code == 403


def test_wechat_echostr_handshake(platform_channel: Any, clock: Any) -> None:
    clock.set(dt.datetime.fromtimestamp(1410685600, tz=dt.UTC))  # the vector's time
    channel = platform_channel("wechat")
    url = f"/webhooks/wechat/{channel.pk}/"
    # Published vector: token "test", timestamp 1410685589, nonce "test".
    sig = "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff"
    assert sha1_signature("test", "1410685589", "test") == sig
    ok = Client().get(url, {"signature": sig, "timestamp": "1410685589", "nonce": "test", "echostr": "hello"})
    assert ok.status_code == 200 and ok.content == b"hello"
    bad = Client().get(url, {"signature": "0" * 40, "timestamp": "1410685589", "nonce": "test", "echostr": "hello"})
    assert bad.status_code == 403


def test_line_verify_button(platform_channel: Any) -> None:
    channel = platform_channel("line")
    body = b'{"destination":"Uxxxxxxxx","events":[]}'
    assert post_webhook(channel, body).status_code == 200
    assert post_webhook(channel, body, signature="bad").status_code == 403
    assert InboundEvent.objects.count() == 0


def test_line_sdk_signature_vector(platform_channel: Any) -> None:
    from django.test import RequestFactory

    channel = platform_channel("line")
    request = RequestFactory().post(
        "/",
        data=b"bodybodybodybody",
        content_type="application/json",
        HTTP_X_LINE_SIGNATURE="/gg9a+LvFevTH1sd7XCQycD7tsWclCsInj7MhBHxN7k=",
    )
    assert Line().verify(request, channel, b"bodybodybodybody")


# ------------------------------------------------------------------ WeChat safe mode


def test_wechat_safe_mode(platform_channel: Any, agent: Any, clock: Any) -> None:
    clock.set(dt.datetime.fromtimestamp(1409304348, tz=dt.UTC))
    aes_key = base64.b64encode(os.urandom(32)).decode().rstrip("=")
    channel = platform_channel("wechat", encoding_aes_key=aes_key)
    crypto = WeChatCrypto(aes_key, "wx1234567890")
    inner = fixture_body("wechat")
    assert crypto.decrypt(crypto.encrypt(inner)) == inner
    encrypted = crypto.encrypt(inner)
    body = f"<xml><ToUserName><![CDATA[toUser]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>".encode()
    ts, nonce = "1409304348", "xxxxxx"
    msg_sig = sha1_signature("test", ts, nonce, encrypted)
    plain_sig = sha1_signature("test", ts, nonce)
    query = f"signature={plain_sig}&timestamp={ts}&nonce={nonce}&encrypt_type=aes&msg_signature={msg_sig}"
    # A wrong msg_signature: refused, nothing stored.
    bad = query.replace(msg_sig, "0" * 40)
    assert post_webhook(channel, body, signature=bad).status_code == 403
    assert InboundEvent.objects.count() == 0
    # The Encrypt text changed (one block flipped): msg_signature no longer matches.
    flipped = encrypted[:10] + ("A" if encrypted[10] != "A" else "B") + encrypted[11:]
    assert post_webhook(channel, body.replace(encrypted.encode(), flipped.encode()), signature=query).status_code == 403
    assert InboundEvent.objects.count() == 0
    assert post_webhook(channel, body, signature=query).status_code == 200
    process_pending()
    assert visitor_texts(Enquiry.objects.get()) == ["this is a test"]
    # Encrypted for another app id: refused as unreadable.
    other = WeChatCrypto(aes_key, "wxOTHER").encrypt(inner.replace(b"1234567890123456", b"99"))
    body2 = f"<xml><Encrypt><![CDATA[{other}]]></Encrypt></xml>".encode()
    query2 = f"timestamp={ts}&nonce=other&encrypt_type=aes&msg_signature={sha1_signature('test', ts, 'other', other)}"
    assert post_webhook(channel, body2, signature=query2).status_code == 400


# ------------------------------------------------------------------ WeChat replays
# WeChat's query signature covers (token, timestamp, nonce) only, not the body: a signed URL
# once seen (a proxy log) could otherwise carry any body, at any later time.


def _wechat_text(msg_id: str, text: str = "hello") -> bytes:
    return (
        f"<xml><ToUserName>me</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>"
        f"<MsgType>text</MsgType><Content>{text}</Content><MsgId>{msg_id}</MsgId></xml>"
    ).encode()


def test_wechat_signed_request_is_taken_once(platform_channel: Any, agent: Any) -> None:
    channel = platform_channel("wechat")
    query = wechat_query()
    first = post_webhook(channel, _wechat_text("1"), signature=query)
    assert first.status_code == 200 and first.content == b"success"
    # The same signed request again, with another body: answered as WeChat expects (so that
    # a genuine retry stops), nothing stored.
    again = post_webhook(channel, _wechat_text("2", "forged"), signature=query)
    assert again.status_code == 200 and again.content == b"success"
    assert InboundEvent.objects.count() == 1
    # A new nonce is a new request.
    assert post_webhook(channel, _wechat_text("3", "next")).status_code == 200
    process_pending()
    assert visitor_texts(Enquiry.objects.get()) == ["hello", "next"]


@pytest.mark.parametrize("age", [-3600, -301, 301, 10**9])
def test_wechat_timestamp_outside_the_window_is_refused(platform_channel: Any, clock: Any, age: int) -> None:
    channel = platform_channel("wechat")
    now = int(clock.now.timestamp())
    response = post_webhook(channel, _wechat_text("1"), signature=wechat_query(timestamp=now - age))
    assert response.status_code == 403
    assert InboundEvent.objects.count() == 0
    url = f"/webhooks/wechat/{channel.pk}/?{wechat_query(timestamp=now - age)}&echostr=hi"
    assert Client().get(url).status_code == 403  # the handshake too


def test_wechat_window_is_configurable(platform_channel: Any, clock: Any, settings: Any) -> None:
    channel = platform_channel("wechat")
    now = int(clock.now.timestamp())
    assert post_webhook(channel, _wechat_text("1"), signature=wechat_query(timestamp=now - 299)).status_code == 200
    settings.CC_WECHAT_TIMESTAMP_WINDOW_SECONDS = 10
    assert post_webhook(channel, _wechat_text("2"), signature=wechat_query(timestamp=now - 11)).status_code == 403
    assert post_webhook(channel, _wechat_text("3"), signature=wechat_query(timestamp=now + 9)).status_code == 200
    assert InboundEvent.objects.count() == 2


def test_wechat_request_not_taken_in_can_be_retried(platform_channel: Any, monkeypatch: Any) -> None:
    from channels_adapters import webhooks

    channel = platform_channel("wechat")
    query = wechat_query()
    real = webhooks.inbound_record

    def failing(**kwargs: Any) -> Any:
        raise RuntimeError("database went away")

    monkeypatch.setattr(webhooks, "inbound_record", failing)
    with pytest.raises(RuntimeError):
        post_webhook(channel, _wechat_text("1"), signature=query)
    monkeypatch.setattr(webhooks, "inbound_record", real)
    assert post_webhook(channel, _wechat_text("1"), signature=query).status_code == 200  # WeChat's retry
    assert InboundEvent.objects.count() == 1


def test_wechat_safe_mode_channel_refuses_plain_bodies(platform_channel: Any) -> None:
    aes_key = base64.b64encode(os.urandom(32)).decode().rstrip("=")
    channel = platform_channel("wechat", encoding_aes_key=aes_key)
    # Correctly signed in plain mode, but the channel is in safe mode: refused.
    assert post_webhook(channel, fixture_body("wechat")).status_code == 403
    assert post_webhook(channel, fixture_body("wechat"), query="encrypt_type=raw").status_code == 403
    assert InboundEvent.objects.count() == 0


def test_wechat_published_fixture_signature_at_its_time(platform_channel: Any, clock: Any) -> None:
    clock.set(dt.datetime.fromtimestamp(1348831860, tz=dt.UTC))
    channel = platform_channel("wechat")
    assert post_webhook(channel, fixture_body("wechat"), signature=SIGNATURES["wechat"]).status_code == 200
    clock.advance(301)  # the same request five minutes later: refused
    assert post_webhook(channel, fixture_body("wechat"), signature=SIGNATURES["wechat"]).status_code == 403


def test_wechat_refuses_dtd(platform_channel: Any) -> None:
    channel = platform_channel("wechat")
    body = b'<!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Content>&a;</Content></xml>'
    assert post_webhook(channel, body).status_code == 400
    assert InboundEvent.objects.count() == 0


# ------------------------------------------------------------------ batches and kinds


def _messenger_body(*events: dict[str, Any], entries: int = 1) -> bytes:
    per = max(1, len(events) // entries)
    entry_list = [
        {"id": "PAGE1", "time": 1, "messaging": list(events[i : i + per])} for i in range(0, len(events), per)
    ]
    return json.dumps({"object": "page", "entry": entry_list}).encode()


def _msg(psid: str, mid: str, text: str, ts: int = 1700000000000) -> dict[str, Any]:
    return {
        "sender": {"id": psid},
        "recipient": {"id": "PAGE1"},
        "timestamp": ts,
        "message": {"mid": mid, "text": text},
    }


def test_batched_entries(platform_channel: Any, agent: Any) -> None:
    channel = platform_channel("messenger")
    body = _messenger_body(
        _msg("P1", "m1", "first from one"),
        _msg("P2", "m2", "first from two"),
        _msg("P1", "m3", "second from one"),
        {
            "sender": {"id": "P2"},
            "recipient": {"id": "PAGE1"},
            "timestamp": 1700000000001,
            "postback": {"title": "Talk to sales", "payload": "SALES", "mid": "pb1"},
        },
        {
            "sender": {"id": "P1"},
            "recipient": {"id": "PAGE1"},
            "timestamp": 1700000000002,
            "message": {"mid": "echo1", "text": "our own", "is_echo": True},
        },
        entries=2,
    )
    assert post_webhook(channel, body).status_code == 200
    process_pending()
    one = Enquiry.objects.get(visitor__channel_identity="P1")
    two = Enquiry.objects.get(visitor__channel_identity="P2")
    assert visitor_texts(one) == ["first from one", "second from one"]
    assert visitor_texts(two) == ["first from two", "Talk to sales"]
    postback = Message.objects.get(room__enquiry=two, text="Talk to sales")
    assert postback.data["postback"] == "SALES"


def test_later_messages_join_and_closed_opens_new(platform_channel: Any, agent: Any, api: Any) -> None:
    from enquiries import services as enquiry_services

    channel = platform_channel("messenger")
    post_webhook(channel, _messenger_body(_msg("P1", "m1", "hello")))
    process_pending()
    enquiry = Enquiry.objects.get()
    enquiry_services.enquiry_pick_up(actor=agent, enquiry_id=enquiry.pk)
    enquiry_services.enquiry_resolve(actor=agent, enquiry_id=enquiry.pk)
    post_webhook(channel, _messenger_body(_msg("P1", "m2", "one more thing")))
    process_pending()
    enquiry.refresh_from_db()
    assert enquiry.status == "handling" and enquiry.owner == agent  # reopened to the same owner
    assert visitor_texts(enquiry) == ["hello", "one more thing"]
    enquiry_services.enquiry_leave(actor=agent, enquiry_id=enquiry.pk)
    enquiry.refresh_from_db()
    assert enquiry.status == "closed"
    post_webhook(channel, _messenger_body(_msg("P1", "m3", "new question")))
    process_pending()
    assert Enquiry.objects.count() == 2
    latest = Enquiry.objects.exclude(pk=enquiry.pk).get()
    assert latest.visitor == enquiry.visitor and visitor_texts(latest) == ["new question"]


def test_missed_enquiry_keeps_later_messages(platform_channel: Any, clock: Any, settings: Any) -> None:
    channel = platform_channel("messenger")  # nobody available: missed at once
    post_webhook(channel, _messenger_body(_msg("P1", "m1", "anyone?")))
    process_pending()
    enquiry = Enquiry.objects.get()
    assert enquiry.status == "missed"
    post_webhook(channel, _messenger_body(_msg("P1", "m2", "please call me back")))
    process_pending()
    assert Enquiry.objects.count() == 1
    assert visitor_texts(enquiry) == ["anyone?", "please call me back"]
    clock.advance(settings.CC_PLATFORM_MISSED_JOIN_SECONDS + 1)
    post_webhook(channel, _messenger_body(_msg("P1", "m3", "hello again")))
    process_pending()
    assert Enquiry.objects.count() == 2


def _line_event(type_: str, ts: int, event_id: str, *, redelivery: bool = False, **extra: Any) -> dict[str, Any]:
    """A LINE webhook event of user U1; ``extra`` adds its own fields (message, postback)."""
    return {
        "type": type_,
        "timestamp": ts,
        "source": {"type": "user", "userId": "U1"},
        "webhookEventId": event_id,
        "deliveryContext": {"isRedelivery": redelivery},
        "mode": "active",
        **extra,
    }


def test_line_events_sorted_and_unfollow(platform_channel: Any, agent: Any) -> None:
    channel = platform_channel("line")
    location = {
        "type": "location",
        "id": "2",
        "title": "Shop",
        "address": "Tokyo",
        "latitude": 35.6,
        "longitude": 139.7,
    }
    events = [
        _line_event("unfollow", 1700000000300, "E3"),
        _line_event(
            "message",
            1700000000100,
            "E1",
            redelivery=True,
            message={"type": "sticker", "id": "1", "packageId": "446", "stickerId": "1988"},
        ),
        _line_event("message", 1700000000200, "E2", message=location),
        _line_event("postback", 1700000000250, "E4", postback={"data": "action=buy"}),
    ]
    body = json.dumps({"destination": "x", "events": events}).encode()
    assert post_webhook(channel, body).status_code == 200
    process_pending()
    enquiry = Enquiry.objects.get()
    assert visitor_texts(enquiry) == ["[Sticker]", "Location: 35.6, 139.7 (Shop Tokyo)", "action=buy"]
    sticker = Message.objects.get(room__enquiry=enquiry, text="[Sticker]")
    assert sticker.data["stickerId"] == "1988"
    note = Message.objects.get(room__enquiry=enquiry, data__bot="platform_event")
    assert "unfollowed" in note.text and note.data["visibility"] == "staff"


def test_wechat_kinds(platform_channel: Any, agent: Any) -> None:
    channel = platform_channel("wechat")

    def send(xml: str) -> None:
        assert post_webhook(channel, xml.encode()).status_code == 200

    send(
        "<xml><ToUserName>me</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>"
        "<MsgType>event</MsgType><Event>subscribe</Event></xml>"
    )
    send(
        "<xml><FromUserName>o1</FromUserName><CreateTime>2</CreateTime><MsgType>location</MsgType>"
        "<Location_X>23.1</Location_X><Location_Y>113.3</Location_Y><Label>Guangzhou</Label><MsgId>11</MsgId></xml>"
    )
    send(
        "<xml><FromUserName>o1</FromUserName><CreateTime>3</CreateTime><MsgType>link</MsgType>"
        "<Title>Docs</Title><Url>https://example.com</Url><MsgId>12</MsgId></xml>"
    )
    send(
        "<xml><FromUserName>o1</FromUserName><CreateTime>4</CreateTime><MsgType>event</MsgType>"
        "<Event>CLICK</Event><EventKey>MENU_HELP</EventKey></xml>"
    )
    process_pending()
    enquiry = Enquiry.objects.get()
    assert visitor_texts(enquiry) == ["Location: 23.1, 113.3 (Guangzhou)", "Docs - https://example.com", "MENU_HELP"]


def test_webhook_rate_limit_counts_before_the_signature(platform_channel: Any, settings: Any) -> None:
    """Over CC_WEBHOOK_RATE per channel and client address: 429 and nothing stored, even for
    a well-signed body; bad signatures count too (they are cut off before the HMAC)."""
    settings.CC_WEBHOOK_RATE = "3/min"
    channel, other = platform_channel("whatsapp"), platform_channel("whatsapp")
    body = fixture_body("whatsapp")
    assert post_webhook(channel, body, signature="sha256=" + "0" * 64).status_code == 403
    assert post_webhook(channel, body, signature=None).status_code == 403
    assert post_webhook(channel, body).status_code == 200
    stored = InboundEvent.objects.count()
    assert stored > 0
    refused = post_webhook(channel, b'{"entry": []}')
    assert refused.status_code == 429 and refused["Retry-After"] == "60"
    assert Client().get(f"/webhooks/whatsapp/{channel.pk}/", {"hub.mode": "subscribe"}).status_code == 429
    assert InboundEvent.objects.count() == stored
    # Another channel, or another client address, has its own count.
    assert post_webhook(other, body).status_code == 200
    assert post_webhook(channel, b'{"entry": []}', client=Client(REMOTE_ADDR="10.0.0.9")).status_code == 200
    settings.CC_WEBHOOK_RATE = ""  # no limit
    assert post_webhook(channel, b'{"entry": []}').status_code == 200


def test_platform_text_with_nul_or_lone_surrogates_is_kept_cleaned(platform_channel: Any, agent: Any) -> None:
    """Refusing would lose the customer's message (the platform redelivers a refused event
    for days): NUL is dropped and a lone surrogate becomes U+FFFD, in the text and in every
    stored field."""
    channel = platform_channel("messenger")
    body = _messenger_body(_msg("P\x001", "m\ud8001", "he\x00llo \ud800 there"))
    assert post_webhook(channel, body).status_code == 200
    process_pending()
    enquiry = Enquiry.objects.get()
    assert visitor_texts(enquiry) == ["hello \ufffd there"]
    assert enquiry.visitor.channel_identity == "P1"
    assert InboundEvent.objects.get().provider_key == "m\ufffd1"
