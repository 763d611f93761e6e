"""Staff file replies to platform and email customers (checked on the local HTTP and SMTP
servers): WhatsApp media upload, Messenger attachment upload, LINE signed public links,
WeChat temporary media, email attachments; retries and the failed state as for text; a
caption that follows its file as a separate text is retried alone, never with the file."""

from __future__ import annotations

import dataclasses
import json
from email import message_from_bytes, policy
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from channels_adapters import tasks
from channels_adapters.models import OutboundMessage
from channels_adapters.platforms import PLATFORMS
from enquiries import services as enquiry_services
from enquiries.models import Enquiry
from rooms import files

from .conftest import post_webhook, process_pending, send_fails_for_good
from .test_email import email_channel, ingest, mail  # noqa: F401 - email_channel is a fixture
from .test_outbound import open_from, png_bytes, wa_status

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    settings.CC_PUBLIC_BASE_URL = "https://cc.example"


def upload(
    enquiry: Enquiry, agent: Any, *, name: str = "part.png", content: bytes | None = None, text: str = ""
) -> Any:
    content = png_bytes() if content is None else content
    message, _ = files.file_upload(
        room_id=enquiry.room.pk, upload=SimpleUploadedFile(name, content), text=text, staff=agent
    )
    return OutboundMessage.objects.get(message=message)


def test_whatsapp_uploads_then_sends_by_media_id(platform_channel: Any, agent: Any, platform_api: Any) -> None:
    enquiry = open_from("whatsapp", platform_channel, agent)
    outbound = upload(enquiry, agent, text="Here it is")
    assert outbound.state == "pending"
    assert tasks.outbound_send(outbound.pk) == "sent"
    (media,) = platform_api.calls("POST", "/graph/106540352242922/media")
    assert media.headers["authorization"] == "Bearer WA-TOKEN-456"
    form = media.form()
    assert form["messaging_product"][2] == b"whatsapp" and form["type"][2] == b"image/png"
    assert form["file"] == ("part.png", "image/png", png_bytes())
    (send,) = platform_api.calls("POST", "/graph/106540352242922/messages")
    assert send.json() == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "16505551234",
        "type": "image",
        "image": {"id": "MEDIA-OUT-1", "caption": "Here it is"},
    }
    outbound.refresh_from_db()
    assert (outbound.state, outbound.provider_message_id) == ("sent", "wamid.OUT1")


def test_whatsapp_document(platform_channel: Any, agent: Any, platform_api: Any) -> None:
    enquiry = open_from("whatsapp", platform_channel, agent)
    outbound = upload(enquiry, agent, name="invoice.pdf", content=PDF)
    assert tasks.outbound_send(outbound.pk) == "sent"
    send = platform_api.calls("POST", "/graph/106540352242922/messages")[-1].json()
    assert send["type"] == "document"
    assert send["document"] == {"id": "MEDIA-OUT-1", "filename": "invoice.pdf"}


def test_upload_4xx_fails_with_the_platform_error(platform_channel: Any, agent: Any, platform_api: Any) -> None:
    enquiry = open_from("whatsapp", platform_channel, agent)
    outbound = upload(enquiry, agent)
    sends_before = len(platform_api.calls("POST", "/graph/106540352242922/messages"))
    error = {"error": {"message": "(#131053) Media upload error", "code": 131053}}
    platform_api.script("POST", "/graph/106540352242922/media", (400, error, {}))
    send_fails_for_good(outbound)
    assert outbound.state == "failed" and "Media upload error" in outbound.error
    assert "Media upload error" in outbound.message.data["delivery"]["error"]
    assert len(platform_api.calls("POST", "/graph/106540352242922/messages")) == sends_before


def test_upload_5xx_is_retried(platform_channel: Any, agent: Any, platform_api: Any) -> None:
    enquiry = open_from("messenger", platform_channel, agent)
    outbound = upload(enquiry, agent)
    platform_api.script("POST", "/graph/me/message_attachments", (503, {"error": {"message": "busy"}}, {}))
    assert tasks.outbound_send(outbound.pk) == "retry"
    assert tasks.scheduled[-1] == ("channels_adapters.tasks.outbound_send", (outbound.pk,), 2.0)
    assert tasks.outbound_send(outbound.pk) == "sent"
    assert len(platform_api.calls("POST", "/graph/me/message_attachments")) == 2


def test_messenger_attachment_upload_then_send(platform_channel: Any, agent: Any, platform_api: Any) -> None:
    enquiry = open_from("messenger", platform_channel, agent)
    outbound = upload(enquiry, agent, text="The broken part")
    assert tasks.outbound_send(outbound.pk) == "sent"
    (att,) = platform_api.calls("POST", "/graph/me/message_attachments")
    assert att.headers["authorization"] == "Bearer PAGE-TOKEN-123"
    form = att.form()
    assert json.loads(form["message"][2]) == {"attachment": {"type": "image", "payload": {"is_reusable": True}}}
    assert form["filedata"] == ("part.png", "image/png", png_bytes())
    sends = [c.json() for c in platform_api.calls("POST", "/graph/PAGE1/messages")]
    assert sends == [
        {
            "recipient": {"id": "<PSID>"},
            "messaging_type": "RESPONSE",
            "message": {"attachment": {"type": "image", "payload": {"attachment_id": "ATT-1"}}},
        },
        {"recipient": {"id": "<PSID>"}, "messaging_type": "RESPONSE", "message": {"text": "The broken part"}},
    ]


def test_line_image_by_signed_public_link(platform_channel: Any, agent: Any, platform_api: Any, settings: Any) -> None:
    enquiry = open_from("line", platform_channel, agent)
    outbound = upload(enquiry, agent, text="See the photo")
    assert tasks.outbound_send(outbound.pk) == "sent"
    push = platform_api.calls("POST", "/line/v2/bot/message/push")[-1]
    assert push.headers["authorization"] == "Bearer LINE-TOKEN-789" and push.headers["x-line-retry-key"]
    image, text = push.json()["messages"]
    assert text == {"type": "text", "text": "See the photo"}
    assert image["type"] == "image"
    for key in ("originalContentUrl", "previewImageUrl"):
        assert image[key].startswith("https://cc.example/media-links/")
    client = Client()
    original = client.get(urlsplit(image["originalContentUrl"]).path)
    assert original.status_code == 200 and original["Content-Type"] == "image/png"
    assert original.getvalue() == png_bytes()
    preview = client.get(urlsplit(image["previewImageUrl"]).path)
    assert preview.status_code == 200 and preview["Content-Type"].startswith("image/")
    path = urlsplit(image["originalContentUrl"]).path
    assert client.get(path[:-3] + "xx/").status_code == 404  # tampered
    assert client.post(path).status_code == 405
    settings.CC_MEDIA_LINK_MAX_AGE_SECONDS = -1
    assert client.get(path).status_code == 404  # expired


def test_line_document_goes_as_a_link(platform_channel: Any, agent: Any, platform_api: Any) -> None:
    enquiry = open_from("line", platform_channel, agent)
    outbound = upload(enquiry, agent, name="invoice.pdf", content=PDF)
    assert tasks.outbound_send(outbound.pk) == "sent"
    (message,) = platform_api.calls("POST", "/line/v2/bot/message/push")[-1].json()["messages"]
    assert message["type"] == "text" and message["text"].startswith("invoice.pdf: https://cc.example/media-links/")
    response = Client().get(urlsplit(message["text"].split(": ", 1)[1]).path)
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")


def test_line_without_public_base_url_fails(
    platform_channel: Any, agent: Any, platform_api: Any, settings: Any
) -> None:
    enquiry = open_from("line", platform_channel, agent)
    settings.CC_PUBLIC_BASE_URL = ""
    outbound = upload(enquiry, agent)
    pushes = len(platform_api.calls("POST", "/line/v2/bot/message/push"))
    assert tasks.outbound_send(outbound.pk) == "failed"
    outbound.refresh_from_db()
    assert outbound.state == "failed" and "set CC_PUBLIC_BASE_URL" in outbound.error
    assert len(platform_api.calls("POST", "/line/v2/bot/message/push")) == pushes


def test_wechat_temporary_media_then_send(platform_channel: Any, agent: Any, platform_api: Any) -> None:
    enquiry = open_from("wechat", platform_channel, agent)
    outbound = upload(enquiry, agent, text="Photo")
    assert tasks.outbound_send(outbound.pk) == "sent"
    (media,) = platform_api.calls("POST", "/wechat/cgi-bin/media/upload")
    assert media.query == {"type": ["image"], "access_token": ["WX-ACCESS-1"]}
    assert media.form()["media"] == ("part.png", "image/png", png_bytes())
    sends = [json.loads(c.body) for c in platform_api.calls("POST", "/wechat/cgi-bin/message/custom/send")]
    assert sends == [
        {"touser": "fromUser", "msgtype": "image", "image": {"media_id": "WX-MEDIA-1"}},
        {"touser": "fromUser", "msgtype": "text", "text": {"content": "Photo"}},
    ]


def test_wechat_document_as_link_and_upload_error(platform_channel: Any, agent: Any, platform_api: Any) -> None:
    enquiry = open_from("wechat", platform_channel, agent)
    document = upload(enquiry, agent, name="invoice.pdf", content=PDF)
    assert tasks.outbound_send(document.pk) == "sent"
    last = json.loads(platform_api.calls("POST", "/wechat/cgi-bin/message/custom/send")[-1].body)
    assert last["msgtype"] == "text"
    assert last["text"]["content"].startswith("invoice.pdf: https://cc.example/media-links/")
    assert platform_api.calls("POST", "/wechat/cgi-bin/media/upload") == []
    image = upload(enquiry, agent)
    platform_api.script(
        "POST", "/wechat/cgi-bin/media/upload", (200, {"errcode": 40004, "errmsg": "invalid media type"}, {})
    )
    assert tasks.outbound_send(image.pk) == "failed"
    image.refresh_from_db()
    assert image.state == "failed" and "40004" in image.error and "invalid media type" in image.error


def test_email_reply_carries_the_attachment(email_channel: Any, agent: Any, smtp_server: Any) -> None:  # noqa: F811
    assert ingest(mail(msgid="<f1@example.org>")) == "processed"
    enquiry = Enquiry.objects.get()
    enquiry_services.enquiry_pick_up(actor=agent, enquiry_id=enquiry.pk)
    outbound = upload(enquiry, agent, name="invoice.pdf", content=PDF, text="Your invoice")
    assert tasks.outbound_send(outbound.pk) == "sent"
    (sent,) = smtp_server.messages
    parsed = message_from_bytes(sent["data"], policy=policy.default)
    assert parsed["In-Reply-To"] == "<f1@example.org>"
    body = parsed.get_body(preferencelist=("plain",))
    assert body is not None and body.get_content().strip() == "Your invoice"
    (attachment,) = parsed.iter_attachments()
    assert attachment.get_filename() == "invoice.pdf" and attachment.get_content_type() == "application/pdf"
    assert attachment.get_payload(decode=True) == PDF


def test_file_reply_after_the_window_is_refused(platform_channel: Any, agent: Any, api: Any, clock: Any) -> None:
    enquiry = open_from("messenger", platform_channel, agent)
    clock.advance(24 * 3600 + 1)
    response = api(agent).post(
        f"/api/v1/rooms/{enquiry.room.pk}/files", {"file": SimpleUploadedFile("p.png", png_bytes())}, format="multipart"
    )
    assert response.status_code == 409 and response.json()["code"] == "reply_window_closed"
    assert OutboundMessage.objects.filter(message__kind="file").count() == 0


def test_widget_file_uploads_queue_nothing(open_enquiry: Any, agent: Any) -> None:
    enquiry = open_enquiry()
    enquiry_services.enquiry_pick_up(actor=agent, enquiry_id=enquiry.pk)
    files.file_upload(room_id=enquiry.room.pk, upload=SimpleUploadedFile("p.png", png_bytes()), staff=agent)
    assert OutboundMessage.objects.count() == 0


def test_forward_into_a_platform_enquiry_is_sent_to_the_customer(
    platform_channel: Any, agent: Any, platform_api: Any, make_staff: Any, support: Any
) -> None:
    from rooms.models import Room, RoomMember
    from rooms.services import message_forward, message_post

    enquiry = open_from("whatsapp", platform_channel, agent)
    space = Room.objects.create(kind=Room.Kind.SPACE, name="Team")
    RoomMember.objects.create(room=space, staff=agent, role=RoomMember.Role.OWNER)
    source, _ = message_post(room_id=space.pk, text="Our opening hours are 9-17.", staff=agent)
    forwarded, created = message_forward(message_id=source.pk, room_id=enquiry.room.pk, staff=agent)
    assert created
    outbound = OutboundMessage.objects.get(message=forwarded)
    assert tasks.outbound_send(outbound.pk) == "sent"
    (send,) = platform_api.calls("POST", "/graph/106540352242922/messages")
    assert send.json()["text"]["body"] == "Our opening hours are 9-17."


# ------------------------------------------------------------------ captions sent after their file

MP3 = b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\x00" * 200
CAPTION = "The broken part"


@dataclasses.dataclass(frozen=True)
class CaptionAfterFile:
    """A platform whose file message carries no caption: the file and the caption go to
    ``send_path`` as two calls, after the file's upload to ``upload_path``."""

    name: str
    content: bytes | None  # None: a PNG
    upload_path: str
    send_path: str
    file_ok: Any  # the platform's answer to the file's send
    file_id: str  # the provider id in that answer ("" when the platform gives none)


CAPTION_AFTER_FILE = {
    "messenger": CaptionAfterFile(
        "part.png",
        None,
        "/graph/me/message_attachments",
        "/graph/PAGE1/messages",
        (200, {"recipient_id": "x", "message_id": "m_file_1"}, {}),
        "m_file_1",
    ),
    "whatsapp-audio": CaptionAfterFile(
        "note.mp3",
        MP3,
        "/graph/106540352242922/media",
        "/graph/106540352242922/messages",
        (200, {"messages": [{"id": "wamid.FILE1"}]}, {}),
        "wamid.FILE1",
    ),
    "wechat": CaptionAfterFile(
        "part.png",
        None,
        "/wechat/cgi-bin/media/upload",
        "/wechat/cgi-bin/message/custom/send",
        (200, {"errcode": 0, "errmsg": "ok"}, {}),
        "",
    ),
}


def _sent(platform_api: Any, case: CaptionAfterFile) -> list[str]:
    """The send calls made, in order: "file", or the text of a caption."""
    parts: list[str] = []
    for call in platform_api.calls("POST", case.send_path):
        body = json.loads(call.body)
        if "message" in body:  # Messenger
            parts.append(body["message"].get("text") or "file")
        elif body.get("type", body.get("msgtype")) == "text":  # WhatsApp, WeChat
            parts.append(body["text"].get("body") or body["text"].get("content"))
        else:
            parts.append("file")
    return parts


def _open_with_caption(kind: str, platform_channel: Any, agent: Any) -> tuple[CaptionAfterFile, OutboundMessage]:
    case = CAPTION_AFTER_FILE[kind]
    enquiry = open_from(kind.partition("-")[0], platform_channel, agent)
    return case, upload(enquiry, agent, name=case.name, content=case.content, text=CAPTION)


@pytest.mark.parametrize("kind", list(CAPTION_AFTER_FILE))
def test_caption_5xx_retry_sends_only_the_caption(
    kind: str, platform_channel: Any, agent: Any, platform_api: Any
) -> None:
    case, outbound = _open_with_caption(kind, platform_channel, agent)
    platform_api.script("POST", case.send_path, case.file_ok, (500, {"error": {"message": "busy"}}, {}))
    assert tasks.outbound_send(outbound.pk) == "retry"
    assert tasks.scheduled[-1] == ("channels_adapters.tasks.outbound_send", (outbound.pk,), 2.0)
    outbound.refresh_from_db()
    assert outbound.state == "pending" and outbound.provider_message_id == ""
    assert outbound.file_sent_at is not None and outbound.file_message_id == case.file_id
    assert "The file was sent, its caption was not" in outbound.error and "busy" in outbound.error

    assert tasks.outbound_send(outbound.pk) == "sent"
    assert _sent(platform_api, case) == ["file", CAPTION, CAPTION]  # the file once, the caption twice
    assert len(platform_api.calls("POST", case.upload_path)) == 1
    outbound.refresh_from_db()
    assert (outbound.state, outbound.attempts, outbound.provider_message_id) == ("sent", 2, case.file_id)
    assert outbound.message.data["delivery"] == {"state": "sent"}
    assert tasks.outbound_send(outbound.pk) == "skip"
    assert len(_sent(platform_api, case)) == 3


@pytest.mark.parametrize("kind", list(CAPTION_AFTER_FILE))
def test_caption_refused_fails_without_resending_the_file(
    kind: str, platform_channel: Any, agent: Any, platform_api: Any
) -> None:
    case, outbound = _open_with_caption(kind, platform_channel, agent)
    platform_api.script("POST", case.send_path, case.file_ok, (400, {"error": {"message": "Text refused"}}, {}))
    send_fails_for_good(outbound)
    assert outbound.state == "failed"
    assert "The file was sent, its caption was not" in outbound.error and "Text refused" in outbound.error
    assert "Text refused" in outbound.message.data["delivery"]["error"]
    assert tasks.outbound_send(outbound.pk) == "skip"
    assert _sent(platform_api, case) == ["file", CAPTION]
    assert len(platform_api.calls("POST", case.upload_path)) == 1


def test_caption_failing_until_the_last_try_fails_with_one_file(
    platform_channel: Any, agent: Any, platform_api: Any, settings: Any
) -> None:
    case, outbound = _open_with_caption("messenger", platform_channel, agent)
    busy: tuple[int, Any, dict[str, str]] = (503, {"error": {"message": "busy"}}, {})
    platform_api.script("POST", case.send_path, case.file_ok, *[busy] * settings.CC_OUTBOUND_MAX_ATTEMPTS)
    results = [tasks.outbound_send(outbound.pk) for _ in range(settings.CC_OUTBOUND_MAX_ATTEMPTS)]
    assert results == ["retry"] * (settings.CC_OUTBOUND_MAX_ATTEMPTS - 1) + ["failed"]
    assert _sent(platform_api, case) == ["file"] + [CAPTION] * settings.CC_OUTBOUND_MAX_ATTEMPTS
    outbound.refresh_from_db()
    assert outbound.state == "failed" and "its caption was not" in outbound.error


def test_worker_dying_between_file_and_caption(
    platform_channel: Any, agent: Any, platform_api: Any, monkeypatch: Any
) -> None:
    """The file's send is stored before the caption is tried: a worker that dies there
    leaves the message pending, and the next run (any worker) sends only the caption."""
    case, outbound = _open_with_caption("messenger", platform_channel, agent)
    messenger = PLATFORMS["messenger"]

    def die(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("worker killed")

    monkeypatch.setattr(messenger, "send_text", die)
    with pytest.raises(RuntimeError):
        tasks.outbound_send(outbound.pk)
    monkeypatch.undo()
    outbound.refresh_from_db()
    assert (outbound.state, outbound.attempts, outbound.file_message_id) == ("pending", 1, "m_out_1")
    assert tasks.outbound_send(outbound.pk) == "sent"
    assert _sent(platform_api, case) == ["file", CAPTION]
    outbound.refresh_from_db()
    assert (outbound.state, outbound.provider_message_id) == ("sent", "m_out_1")


def test_caption_retry_needs_no_file(platform_channel: Any, agent: Any, platform_api: Any) -> None:
    """Once the file went out its stored copy is not read again: only the caption is left."""
    case, outbound = _open_with_caption("wechat", platform_channel, agent)
    platform_api.script("POST", case.send_path, case.file_ok, (500, b"down", {}))
    assert tasks.outbound_send(outbound.pk) == "retry"
    path = files.file_for_download(outbound.message)[0]
    path.unlink()
    assert tasks.outbound_send(outbound.pk) == "sent"
    assert _sent(platform_api, case) == ["file", CAPTION, CAPTION]


def test_file_status_waits_for_the_caption(platform_channel: Any, agent: Any, platform_api: Any) -> None:
    """A status about the file while its caption is still to send does not end the send:
    it waits until the whole message is sent, then applies."""
    case, outbound = _open_with_caption("whatsapp-audio", platform_channel, agent)
    platform_api.script("POST", case.send_path, case.file_ok, (500, {"error": {"message": "busy"}}, {}))
    assert tasks.outbound_send(outbound.pk) == "retry"
    assert post_webhook(outbound.channel, wa_status("wamid.FILE1", "delivered")).status_code == 200
    process_pending()
    outbound.refresh_from_db()
    assert outbound.state == "pending"
    assert tasks.outbound_send(outbound.pk) == "sent"
    outbound.refresh_from_db()
    assert (outbound.state, outbound.provider_message_id) == ("delivered", "wamid.FILE1")
    assert _sent(platform_api, case) == ["file", CAPTION, CAPTION]


def test_caption_with_the_file_records_no_progress(platform_channel: Any, agent: Any, platform_api: Any) -> None:
    """WhatsApp images carry their caption: one call, nothing to resume."""
    enquiry = open_from("whatsapp", platform_channel, agent)
    outbound = upload(enquiry, agent, text=CAPTION)
    assert tasks.outbound_send(outbound.pk) == "sent"
    (send,) = platform_api.calls("POST", "/graph/106540352242922/messages")
    assert send.json()["image"]["caption"] == CAPTION
    outbound.refresh_from_db()
    assert outbound.file_sent_at is None and outbound.provider_message_id == "wamid.OUT1"


def test_line_file_and_caption_go_in_one_push(platform_channel: Any, agent: Any, platform_api: Any) -> None:
    """LINE takes the file and its caption in one push: a retry repeats that push under the
    same retry key (LINE dedupes on it), never a separate caption call."""
    enquiry = open_from("line", platform_channel, agent)
    outbound = upload(enquiry, agent, text=CAPTION)
    pushes_before = len(platform_api.calls("POST", "/line/v2/bot/message/push"))
    platform_api.script("POST", "/line/v2/bot/message/push", (500, {"message": "busy"}, {}))
    assert tasks.outbound_send(outbound.pk) == "retry"
    assert tasks.outbound_send(outbound.pk) == "sent"
    pushes = platform_api.calls("POST", "/line/v2/bot/message/push")[pushes_before:]
    assert len(pushes) == 2
    assert len({p.headers["x-line-retry-key"] for p in pushes}) == 1
    for push in pushes:
        assert [m["type"] for m in push.json()["messages"]] == ["image", "text"]
    outbound.refresh_from_db()
    assert (outbound.state, outbound.provider_message_id, outbound.file_sent_at) == ("sent", "line-out-1", None)
