"""Voice messages from staff to platform customers (issue 12, item 17), checked on the local
platform servers: WhatsApp gets a browser's WebM/Opus recording as Ogg/Opus audio; LINE an
M4A as an audio message with its duration, a WebM as a link; Messenger an audio attachment;
WeChat a link (its voice messages take AMR/MP3 only); email an attachment."""

from __future__ import annotations

import json
import struct
from email import message_from_bytes, policy
from typing import Any

import pytest

from channels_adapters import tasks
from enquiries import services as enquiry_services
from enquiries.models import Enquiry
from rooms import audio
from tests.rooms.test_voice import OPUS_20MS, OPUS_HEAD, fragmented_mp4, webm

from .test_email import email_channel, ingest, mail  # noqa: F401 - email_channel is a fixture
from .test_outbound import open_from
from .test_outbound_files import _media, upload  # noqa: F401 - _media is an autouse fixture

pytestmark = pytest.mark.django_db


def m4a(duration_ms: int) -> bytes:
    """An M4A with a version-0 ``mvhd`` (timescale 1000) and one sound track."""
    mvhd = b"mvhd" + b"\x00" * 4 + b"\x00" * 8 + struct.pack(">II", 1000, duration_ms) + b"\x00" * 80
    hdlr = b"hdlr" + b"\x00" * 8 + b"soun" + b"\x00" * 12
    moov = b"moov" + struct.pack(">I", len(mvhd) + 4) + mvhd + struct.pack(">I", len(hdlr) + 4) + hdlr
    return b"\x00\x00\x00\x20ftypM4A \x00\x00\x02\x00M4A isommp42" + struct.pack(">I", len(moov) + 4) + moov


def test_whatsapp_gets_a_webm_recording_as_ogg_opus_audio(platform_channel: Any, agent: Any, platform_api: Any) -> None:
    enquiry = open_from("whatsapp", platform_channel, agent)
    outbound = upload(enquiry, agent, name="voice.webm", content=webm(packets=100), text="Listen")
    assert tasks.outbound_send(outbound.pk) == "sent"
    (media,) = platform_api.calls("POST", "/graph/106540352242922/media")
    form = media.form()
    assert form["type"][2] == b"audio/ogg"
    name, content_type, content = form["file"]
    assert (name, content_type) == ("voice.ogg", "audio/ogg")
    assert content.startswith(b"OggS") and OPUS_HEAD in content and OPUS_20MS * 50 in content
    assert audio.audio_duration_ms(content, "audio/ogg") == round((100 * 960 - 312) / 48)
    audio_send, caption = (c.json() for c in platform_api.calls("POST", "/graph/106540352242922/messages"))
    assert (audio_send["type"], audio_send["audio"]) == ("audio", {"id": "MEDIA-OUT-1"})
    assert (caption["type"], caption["text"]["body"]) == ("text", "Listen")  # audio takes no caption


def test_line_audio_message_carries_the_duration(platform_channel: Any, agent: Any, platform_api: Any) -> None:
    enquiry = open_from("line", platform_channel, agent)
    outbound = upload(enquiry, agent, name="voice.m4a", content=m4a(3250))
    assert tasks.outbound_send(outbound.pk) == "sent"
    (message,) = platform_api.calls("POST", "/line/v2/bot/message/push")[-1].json()["messages"]
    assert message["type"] == "audio" and message["duration"] == 3250
    assert message["originalContentUrl"].startswith("https://cc.example/media-links/")


def test_line_audio_from_a_recorded_fragmented_mp4(platform_channel: Any, agent: Any, platform_api: Any) -> None:
    # Safari's MediaRecorder writes MP4 whose length is only in its fragments: it is read
    # when the upload is stored, and LINE gets it.
    enquiry = open_from("line", platform_channel, agent)
    outbound = upload(enquiry, agent, name="voice.mp4", content=fragmented_mp4())
    assert outbound.message.data["file"]["content_type"] == "audio/mp4"
    assert tasks.outbound_send(outbound.pk) == "sent"
    (message,) = platform_api.calls("POST", "/line/v2/bot/message/push")[-1].json()["messages"]
    assert message["type"] == "audio" and message["duration"] == round((47 * 1024 + 50 * 960 + 3840) / 48)


def test_line_gets_a_webm_recording_as_a_link(platform_channel: Any, agent: Any, platform_api: Any) -> None:
    enquiry = open_from("line", platform_channel, agent)
    outbound = upload(enquiry, agent, name="voice.webm", content=webm(packets=60))
    assert tasks.outbound_send(outbound.pk) == "sent"
    (message,) = platform_api.calls("POST", "/line/v2/bot/message/push")[-1].json()["messages"]
    assert message["type"] == "text" and message["text"].startswith("voice.webm: https://cc.example/media-links/")


def test_messenger_audio_attachment(platform_channel: Any, agent: Any, platform_api: Any) -> None:
    enquiry = open_from("messenger", platform_channel, agent)
    outbound = upload(enquiry, agent, name="voice.webm", content=webm())
    assert tasks.outbound_send(outbound.pk) == "sent"
    (uploaded,) = platform_api.calls("POST", "/graph/me/message_attachments")
    assert b'"type": "audio"' in uploaded.form()["message"][2]


def test_wechat_gets_a_webm_recording_as_a_link(platform_channel: Any, agent: Any, platform_api: Any) -> None:
    enquiry = open_from("wechat", platform_channel, agent)
    outbound = upload(enquiry, agent, name="voice.webm", content=webm())
    assert tasks.outbound_send(outbound.pk) == "sent"
    assert platform_api.calls("POST", "/wechat/cgi-bin/media/upload") == []
    last = json.loads(platform_api.calls("POST", "/wechat/cgi-bin/message/custom/send")[-1].body)
    assert last["msgtype"] == "text" and last["text"]["content"].startswith("voice.webm: https://cc.example/")


def test_email_reply_carries_the_recording(email_channel: Any, agent: Any, smtp_server: Any) -> None:  # noqa: F811
    assert ingest(mail(msgid="<v1@example.org>")) == "processed"
    enquiry = Enquiry.objects.get()
    enquiry_services.enquiry_pick_up(actor=agent, enquiry_id=enquiry.pk)
    recording = webm()
    outbound = upload(enquiry, agent, name="voice.webm", content=recording)
    assert tasks.outbound_send(outbound.pk) == "sent"
    (sent,) = smtp_server.messages
    (attachment,) = message_from_bytes(sent["data"], policy=policy.default).iter_attachments()
    assert attachment.get_filename() == "voice.webm" and attachment.get_content_type() == "audio/webm"
    payload = attachment.get_payload(decode=True)
    assert isinstance(payload, bytes)
    assert audio.audio_duration_ms(payload, "audio/webm") == 1000 and b"\x44\x89\x88" in payload  # with its Duration
