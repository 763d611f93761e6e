"""Issue 13, notes and ratings through the API: a note at any time (POST /widget/notes, with
files checked as chat uploads are; bad input changes nothing, no file left on disk), the
channel's Note button, files on a missed conversation's note, rating after the agent left,
rating any time where the channel allows it, and the agent's rating invite (403/404/409)."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from channels_adapters.models import Channel
from contactcenter.org.models import Staff, Tag
from enquiries import services
from enquiries.auth import visitor_token_for
from enquiries.models import Enquiry
from rooms.models import Message
from tests.api.conftest import _check_responses_against_schema, counts, error, ok, visitor_client

pytestmark = pytest.mark.django_db
__all__ = ["_check_responses_against_schema"]  # every response here must agree with /api/schema/

NOTES = "/api/v1/widget/notes"


@pytest.fixture(autouse=True)
def _fresh_throttles() -> None:
    cache.clear()


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def agent(make_staff: Callable[..., Staff], support: Tag) -> Staff:
    return make_staff(tags=[support], name="Alice Agent")


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def _pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _stored(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def _note(
    api: Callable[..., Any], channel: Channel, client: Any = None, files: Sequence[Any] = (), **fields: Any
) -> Any:
    body: dict[str, Any] = {"channel_key": channel.key, "text": "Please call me about my order", **fields}
    body.setdefault("contact", "vera@example.com")
    if files:
        body["files"] = list(files)
        return (client or api()).post(NOTES, body, format="multipart")
    return (client or api()).post(NOTES, body, format="json")


# ------------------------------------------------------------------ a note at any time


def test_note_without_chatting_is_a_missed_enquiry_to_follow_up(api, widget, agent, events):
    got = ok(_note(api, widget, visitor={"first_name": "Vera"}), 201)
    assert got["status"] == "missed" and got["visitor_token"]
    assert got["note"] == {"text": "Please call me about my order", "contact": "vera@example.com", "files": []}
    enquiry = Enquiry.objects.get(pk=got["id"])
    assert enquiry.missed_reason == "note_left" and enquiry.first_message == "Please call me about my order"
    assert enquiry.visitor.first_name == "Vera" and enquiry.owner is None
    assert enquiry.visitor.email == "vera@example.com"  # the contact, for the follow-up
    # On the agent's missed list, with its follow-up; nobody was alerted or asked to pick up.
    missed = ok(api(agent).get("/api/v1/enquiries?status=missed"))["results"]
    assert [e["id"] for e in missed] == [enquiry.pk]
    assert missed[0]["note"]["text"] == "Please call me about my order"
    assert missed[0]["follow_up"]["handled"] is False
    assert not enquiry.alerts.exists()
    assert {t for _g, e in events.sent for t in [e["type"]]} >= {"enquiry.missed", "enquiry.note_left"}
    assert "enquiry.opened" not in [e["type"] for _g, e in events.sent]
    # The visitor sees no "nobody could answer" in that room: the note is all it holds for them.
    visible = ok(visitor_client(got["visitor_token"]).get(f"/api/v1/rooms/{enquiry.room.pk}/messages"))["results"]
    assert [m for m in visible if m["kind"] != "file"] == []


def test_note_with_a_picture_and_a_document(api, widget, agent, media):
    files = [
        SimpleUploadedFile("photo.png", _png(), content_type="image/png"),
        SimpleUploadedFile("invoice.pdf", _pdf(), content_type="application/pdf"),
    ]
    got = ok(_note(api, widget, files=files), 201)
    names = [(f["name"], f["category"]) for f in got["note"]["files"]]
    assert names == [("photo.png", "image"), ("invoice.pdf", "document")]
    enquiry = Enquiry.objects.get(pk=got["id"])
    messages = Message.objects.filter(room=enquiry.room, kind=Message.Kind.FILE).order_by("id")
    assert [m.author_visitor_id for m in messages] == [enquiry.visitor_id] * 2
    # Staff who follow it up download them as the room's files; the picture has a thumbnail.
    picture = got["note"]["files"][0]
    assert picture["thumbnail_url"] and got["note"]["files"][1]["thumbnail_url"] is None
    staff = api(agent)
    download = staff.get(picture["url"])
    assert download.status_code == 200 and download["Content-Type"] == "image/png"
    assert staff.get(picture["thumbnail_url"]).status_code == 200
    listed = ok(staff.get("/api/v1/enquiries?status=missed"))["results"][0]
    assert [f["name"] for f in listed["note"]["files"]] == ["photo.png", "invoice.pdf"]
    info = ok(staff.get(f"/api/v1/rooms/{enquiry.room.pk}"))
    assert [f["name"] for f in info["enquiry"]["note"]["files"]] == ["photo.png", "invoice.pdf"]
    # 2 files + 1 thumbnail on disk.
    assert len(_stored(media)) == 3


@pytest.mark.parametrize(
    ("files", "status", "words"),
    [
        ([("run.exe", b"MZ\x90\x00" + b"\x00" * 200, "application/octet-stream")], 400, "not allowed"),
        ([("photo.png", b"not really a png at all" * 10, "image/png")], 400, "not allowed"),
        ([("fine.png", None, "image/png"), ("bad.exe", b"MZ\x90\x00" + b"\x00" * 200, "image/png")], 400, "bad.exe"),
        ([(f"p{i}.png", None, "image/png") for i in range(6)], 400, "at most 5"),
        ([("empty.pdf", b"", "application/pdf")], 400, "empty"),
    ],
)
def test_bad_files_store_nothing(api, widget, agent, media, files, status, words):
    uploads = [SimpleUploadedFile(n, _png() if c is None else c, content_type=t) for n, c, t in files]
    before = counts()
    err = error(_note(api, widget, files=uploads), status)
    assert words in err["detail"] and "files" in err
    assert counts() == before
    assert _stored(media) == []


def test_oversized_file_stores_nothing(api, widget, agent, media, settings):
    settings.CC_MAX_UPLOAD_BYTES = 2000
    big = SimpleUploadedFile("big.pdf", _pdf() + b"x" * 3000, content_type="application/pdf")
    small = SimpleUploadedFile("small.png", _png(), content_type="image/png")
    before = counts()
    # 413 as for chat uploads (rooms.files.UploadTooLarge), with the field's message.
    err = error(_note(api, widget, files=[small, big]), 413)
    assert "limited to 2000 bytes" in err["detail"] and "files" in err
    assert counts() == before and _stored(media) == []


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "x" * 2001}, "text"),
        ({"text": "a\u0000b"}, "text"),
        ({"contact": ""}, "contact"),
        ({"contact": "x" * 256}, "contact"),
        ({"channel_key": "nope"}, "channel_key"),
        ({"tag": "No such team"}, "tag"),
        ({"visitor": {"email": "not-an-email"}}, "visitor"),
    ],
)
def test_bad_note_400_stores_nothing(api, widget, agent, fields, field):
    before = counts()
    err = error(_note(api, widget, **fields), 400)
    assert field in err or any(k.startswith(field) for k in err), err
    assert counts() == before


def test_contact_may_come_from_the_visitor_form(api, widget, agent):
    got = ok(_note(api, widget, contact="", visitor={"email": "vera@example.com"}), 201)
    assert Enquiry.objects.get(pk=got["id"]).visitor.email == "vera@example.com"


def test_multipart_carries_visitor_as_json(api, widget, agent):
    png = SimpleUploadedFile("p.png", _png(), content_type="image/png")
    got = ok(_note(api, widget, files=[png], visitor='{"first_name": "Quinn"}', utm='{"utm_source": "qr"}'), 201)
    visitor = Enquiry.objects.get(pk=got["id"]).visitor
    assert visitor.first_name == "Quinn" and visitor.utm == {"utm_source": "qr"}
    error(_note(api, widget, files=[png], visitor="{not json"), 400)


def test_note_button_off_refuses(api, widget, agent, admin):
    got = ok(api(admin).get(f"/api/v1/channels/{widget.pk}"))
    assert got["note_button"] is True and got["visitor_may_rate_anytime"] is False
    ok(api(admin).patch(f"/api/v1/channels/{widget.pk}", {"note_button": False}, format="json"))
    assert ok(api().get(f"/api/v1/widget/channels/{widget.key}"))["note_button"] is False
    before = counts()
    assert error(_note(api, widget), 409)["code"] == "note_button_off"
    assert counts() == before
    error(api(admin).patch(f"/api/v1/channels/{widget.pk}", {"note_button": "maybe"}, format="json"), 400)
    # Out of hours the widget offers the note form instead of a chat: taken even so.
    closed = {"work_hours": {"timezone": "UTC", "days": {}}}
    ok(api(admin).patch("/api/v1/settings", closed, format="json"))
    assert ok(_note(api, widget), 201)["status"] == "missed"


def test_note_while_chatting_is_refused_and_returning_visitor_is_kept(api, widget, agent):
    opened = ok(
        api().post("/api/v1/widget/enquiries", {"channel_key": widget.key, "message": "Hi"}, format="json"), 201
    )
    client = visitor_client(opened["visitor_token"])
    before = counts()
    assert error(_note(api, widget, client=client), 409)["code"] == "enquiry_in_progress"
    assert counts() == before
    services.enquiry_pick_up(actor=agent, enquiry_id=opened["id"])
    services.enquiry_resolve(actor=agent, enquiry_id=opened["id"])
    services.enquiry_close(actor=agent, enquiry_id=opened["id"])
    got = ok(_note(api, widget, client=client), 201)
    assert Enquiry.objects.get(pk=got["id"]).visitor_id == Enquiry.objects.get(pk=opened["id"]).visitor_id


def test_notes_are_rate_limited(api, widget, agent, settings):
    settings.CC_WIDGET_MAX_ENQUIRIES_PER_HOUR = 1
    got = ok(_note(api, widget), 201)
    client = visitor_client(got["visitor_token"])
    before = counts()
    assert error(_note(api, widget, client=client), 429)["code"] == "too_many_enquiries"
    assert counts() == before


# ------------------------------------------------------------------ the note of a missed conversation, with files


def test_missed_conversation_note_with_a_file(open_enquiry, support, api, media):
    e = open_enquiry()  # nobody available: missed at once
    client = visitor_client(visitor_token_for(e.visitor_id))
    body = {"text": "Here is the photo", "files": [SimpleUploadedFile("p.png", _png(), content_type="image/png")]}
    got = ok(client.post(f"/api/v1/widget/enquiries/{e.pk}/note", body, format="multipart"), 201)
    assert [f["name"] for f in got["note"]["files"]] == ["p.png"]
    assert Message.objects.filter(room=e.room, kind=Message.Kind.FILE, author_visitor=e.visitor).count() == 1
    # A bad file: nothing stored (the first note is kept, a second is refused anyway).
    e2 = open_enquiry()
    client2 = visitor_client(visitor_token_for(e2.visitor_id))
    before, on_disk = counts(), _stored(media)
    bad = {"text": "x", "files": [SimpleUploadedFile("a.exe", b"MZ\x90\x00" + b"\x00" * 99)]}
    error(client2.post(f"/api/v1/widget/enquiries/{e2.pk}/note", bad, format="multipart"), 400)
    assert counts() == before and _stored(media) == on_disk
    # A refused note (already left) deletes the file it brought.
    again = {"text": "again", "files": [SimpleUploadedFile("q.png", _png(), content_type="image/png")]}
    error(client.post(f"/api/v1/widget/enquiries/{e.pk}/note", again, format="multipart"), 409)
    assert _stored(media) == on_disk


def test_visitor_cannot_post_in_a_missed_room_otherwise(open_enquiry, support):
    e = open_enquiry()
    client = visitor_client(visitor_token_for(e.visitor_id))
    png = SimpleUploadedFile("p.png", _png(), content_type="image/png")
    error(client.post(f"/api/v1/rooms/{e.room.pk}/files", {"file": png}, format="multipart"), 409)


# ------------------------------------------------------------------ rating


@pytest.fixture
def handled(open_enquiry: Callable[..., Enquiry], agent: Staff) -> Enquiry:
    e = open_enquiry()
    services.enquiry_pick_up(actor=agent, enquiry_id=e.pk)
    return e


def test_rating_after_the_agent_left(handled, agent):
    client = visitor_client(visitor_token_for(handled.visitor_id))
    url = f"/api/v1/widget/enquiries/{handled.pk}"
    assert ok(client.get(url))["can_rate"] is False
    error(client.post(f"{url}/rating", {"score": 5}, format="json"), 409)
    services.enquiry_leave(actor=agent, enquiry_id=handled.pk)
    state = ok(client.get(url))
    assert state["status"] == "closed" and state["can_rate"] is True
    got = ok(client.post(f"{url}/rating", {"score": 3, "comment": "Left early"}, format="json"), 201)
    assert got["rating"] == {"score": 3, "comment": "Left early"} and got["can_rate"] is False
    assert error(client.post(f"{url}/rating", {"score": 5}, format="json"), 409)["code"] == "rated"


def test_rating_any_time_where_the_channel_allows(handled, admin, api, widget):
    client = visitor_client(visitor_token_for(handled.visitor_id))
    url = f"/api/v1/widget/enquiries/{handled.pk}"
    ok(api(admin).patch(f"/api/v1/channels/{widget.pk}", {"visitor_may_rate_anytime": True}, format="json"))
    assert ok(api().get(f"/api/v1/widget/channels/{widget.key}"))["rate_anytime"] is True
    assert ok(client.get(url))["can_rate"] is True
    ok(client.post(f"{url}/rating", {"score": 5}, format="json"), 201)
    error(client.post(f"{url}/rating", {"score": 4}, format="json"), 409)


def test_rating_invite(handled, agent, api, events):
    client = visitor_client(visitor_token_for(handled.visitor_id))
    url = f"/api/v1/widget/enquiries/{handled.pk}"
    got = ok(api(agent).post(f"/api/v1/enquiries/{handled.pk}/rating-invite"))
    assert got["id"] == handled.pk
    state = ok(client.get(url))
    assert state["can_rate"] is True and state["rating_invited"] is True
    invited = [(g, e) for g, e in events.sent if e["type"] == "enquiry.rating_invited"]
    assert invited and f"visitor.{handled.visitor_id}" in invited[0][0]
    last = Message.objects.filter(room=handled.room).order_by("-id").first()
    assert last is not None
    assert last.data.get("bot") == "rating_invite" and "Alice Agent asks you to rate" in last.text
    ok(client.post(f"{url}/rating", {"score": 4}, format="json"), 201)
    assert error(api(agent).post(f"/api/v1/enquiries/{handled.pk}/rating-invite"), 409)["code"] == "rated"


def test_rating_invite_permissions(handled, agent, admin, api, make_staff, support, open_enquiry):
    other = make_staff(tags=[support], name="Bob Agent")
    waiting = open_enquiry()
    assert waiting.status == "open"
    as_other, as_agent, as_admin = api(other), api(agent), api(admin)
    before = counts()
    error(as_other.post(f"/api/v1/enquiries/{handled.pk}/rating-invite"), 403)
    error(as_agent.post("/api/v1/enquiries/999999/rating-invite"), 404)
    error(api().post(f"/api/v1/enquiries/{handled.pk}/rating-invite"), 401)
    assert error(as_admin.post(f"/api/v1/enquiries/{waiting.pk}/rating-invite"), 409)["code"] == "open"
    assert counts() == before
    # An admin may ask on someone else's conversation.
    ok(as_admin.post(f"/api/v1/enquiries/{handled.pk}/rating-invite"))
