"""What the widget reads of a conversation (issue 13): the visitor's history and events give
replies (reply_to), edits (edited_at) and times; a recalled message leaves nothing of its
text, file or link preview, before or after a reload, and its file is gone for the visitor."""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from enquiries import services as enquiry_services
from enquiries.auth import visitor_token_for
from rooms import services as room_services
from rooms.models import Message
from tests.api.conftest import error, ok, visitor_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_and_throttles(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CC_LINK_PREVIEW_ENABLED = False
    cache.clear()


@pytest.fixture
def agent(make_staff, support):
    return make_staff(tags=[support], name="Alice Agent")


@pytest.fixture
def handled(open_enquiry, agent):
    enquiry = open_enquiry(message="Which size is a 42?")
    enquiry_services.enquiry_pick_up(actor=agent, enquiry_id=enquiry.pk)
    enquiry.refresh_from_db()
    return enquiry


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 200), (37, 99, 235)).save(out, format="PNG")
    return out.getvalue()


def test_visitor_history_after_a_recall_keeps_nothing_of_the_file(
    api, agent, handled, events, django_capture_on_commit_callbacks
):
    room = handled.room.pk
    staff = api(agent)
    visitor = visitor_client(visitor_token_for(handled.visitor_id))
    question = Message.objects.filter(room_id=room, author_visitor__isnull=False).get()
    reply = ok(
        staff.post(
            f"/api/v1/rooms/{room}/messages", {"text": "A 42 is our M.", "reply_to": question.pk}, format="json"
        ),
        201,
    )
    typo = ok(
        staff.post(f"/api/v1/rooms/{room}/messages", {"text": "We hav it", "client_id": "c-typo"}, format="json"), 201
    )
    ok(staff.patch(f"/api/v1/messages/{typo['id']}", {"text": "We have it"}, format="json"))
    upload = SimpleUploadedFile("shoe.png", _png(), content_type="image/png")
    sent = ok(
        staff.post(f"/api/v1/rooms/{room}/files", {"file": upload, "client_id": "c-file"}, format="multipart"), 201
    )
    # A link preview stored on the file's message: gone with the recall too.
    Message.objects.filter(pk=sent["id"]).update(
        data={
            **Message.objects.get(pk=sent["id"]).data,
            "preview": {
                "url": "https://x.example/",
                "title": "X",
                "description": "",
                "image": "https://x.example/a.png",
            },
        }
    )
    assert visitor.get(sent["data"]["file"]["url"]).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        ok(staff.delete(f"/api/v1/messages/{sent['id']}"))

    history = {m["id"]: m for m in ok(visitor.get(f"/api/v1/rooms/{room}/messages"))["results"]}
    assert history[reply["id"]]["reply_to"] == question.pk and question.pk in history
    assert history[typo["id"]]["text"] == "We have it" and history[typo["id"]]["edited_at"]
    assert all(m["created_at"] for m in history.values())
    gone = history[sent["id"]]
    assert gone["recalled_at"] and gone["text"] == "" and gone["data"] == {}
    assert "/file" not in str(gone) and "preview" not in str(gone)
    for path in ("file", "thumbnail", "preview-image"):
        error(visitor.get(f"/api/v1/messages/{sent['id']}/{path}"), 404)
    # The live event the visitor's socket got says the same.
    recalled = [p for _, p in events.of_type("message.recalled") if p["data"]["message"]["id"] == sent["id"]]
    assert recalled and all(p["data"]["message"]["data"] == {} and p["data"]["message"]["text"] == "" for p in recalled)


def test_recall_through_the_service_sends_no_url_to_the_visitor(
    agent, handled, events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = room_services.message_post(room_id=handled.room.pk, text="see https://x.example/a", staff=agent)[0]
        room_services.message_recall(message_id=message.pk, staff=agent)
    recalled = [p for _, p in events.of_type("message.recalled") if p["data"]["message"]["id"] == message.pk]
    assert recalled and all("x.example" not in str(p) for p in recalled)
