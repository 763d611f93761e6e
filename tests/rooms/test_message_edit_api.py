"""Edit, recall, forward and reply over HTTP (SPEC 4): author only, within 5 minutes;
forwards only from rooms one can see into rooms one is a member of."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from enquiries import services as enquiry_services
from enquiries.auth import visitor_token_for
from enquiries.models import Enquiry
from rooms import services as room_services
from rooms.models import Message
from tests.api.conftest import error, ok, visitor_client

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def agent(make_staff, support):
    return make_staff(tags=[support], name="Alice Agent")


@pytest.fixture
def agent2(make_staff, support):
    return make_staff(tags=[support], name="Bob Agent")


@pytest.fixture
def agent_client(api, agent):
    return api(agent)


def pick_up(open_enquiry, staff, message="Hello?") -> Enquiry:
    e = open_enquiry(message=message)
    enquiry_services.enquiry_pick_up(actor=staff, enquiry_id=e.pk)
    e.refresh_from_db()
    return e


@pytest.fixture
def handled(open_enquiry, agent):
    return pick_up(open_enquiry, agent, "Where is my order?")


def visitor_of(enquiry: Enquiry):
    return visitor_client(visitor_token_for(enquiry.visitor_id))


def url(message_id: int, suffix: str = "") -> str:
    return f"/api/v1/messages/{message_id}{suffix}"


def post_text(client, enquiry: Enquiry, text: str, **extra):
    return ok(client.post(f"/api/v1/rooms/{enquiry.room.pk}/messages", {"text": text, **extra}, format="json"), 201)


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (500, 400), (10, 200, 10)).save(out, "PNG")
    return out.getvalue()


# ---------------------------------------------------------------------------- edit


def test_author_edits_within_window(agent_client, handled, events, clock):
    posted = post_text(agent_client, handled, "On its way")
    events.clear()
    clock.advance(60)
    body = ok(agent_client.patch(url(posted["id"]), {"text": "  Shipped today  "}, format="json"))
    assert body["text"] == "Shipped today" and body["edited_at"] == clock.now.isoformat()
    assert Message.objects.get(pk=posted["id"]).text == "Shipped today"
    edited = events.of_type("message.edited")
    assert sorted(g[0] for g, _ in edited) == sorted([f"room.{handled.room.pk}", f"visitor.{handled.visitor_id}"])
    assert edited[0][1]["data"]["message"]["text"] == "Shipped today"


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_window_edges(agent_client, handled, clock, method):
    at_edge = post_text(agent_client, handled, "first")
    late = post_text(agent_client, handled, "second")
    clock.advance(300)
    call = getattr(agent_client, method)
    ok(call(url(at_edge["id"]), {"text": "edited"}, format="json"))  # exactly 5 minutes: still allowed
    clock.advance(0.001)
    body = error(call(url(late["id"]), {"text": "edited"}, format="json"), 409)
    assert body["code"] == "window" and "5 minutes" in body["detail"]
    message = Message.objects.get(pk=late["id"])
    assert message.text == "second" and message.edited_at is None and message.recalled_at is None


def test_visitor_edits_and_recalls_own_message(handled, clock, django_capture_on_commit_callbacks):
    client = visitor_of(handled)
    posted = post_text(client, handled, "Order 123")
    assert ok(client.patch(url(posted["id"]), {"text": "Order 124"}, format="json"))["text"] == "Order 124"
    assert ok(client.delete(url(posted["id"])))["recalled_at"] is not None


def test_not_author_is_refused(api, agent, agent2, agent_client, handled):
    room_services.room_member_add(room=handled.room, staff=agent2)
    posted = post_text(agent_client, handled, "Mine")
    other = api(agent2)
    assert "own" in error(other.patch(url(posted["id"]), {"text": "hijack"}, format="json"), 403)["detail"]
    assert "own" in error(other.delete(url(posted["id"])), 403)["detail"]
    visitor_msg = Message.objects.filter(room=handled.room, author_visitor__isnull=False).earliest("id")
    assert error(agent_client.patch(url(visitor_msg.pk), {"text": "changed"}, format="json"), 403)
    assert error(visitor_of(handled).delete(url(posted["id"])), 403)
    assert Message.objects.get(pk=posted["id"]).text == "Mine"


def test_non_member_and_other_visitor_are_refused(api, make_staff, support, agent_client, handled, open_enquiry):
    posted = post_text(agent_client, handled, "Mine")
    outsider = make_staff(tags=[support])
    assert error(api(outsider).patch(url(posted["id"]), {"text": "x"}, format="json"), 403)
    assert error(visitor_of(open_enquiry()).delete(url(posted["id"])), 403)
    assert error(api().delete(url(posted["id"])), 401)


def test_edit_bad_input(agent_client, handled):
    posted = post_text(agent_client, handled, "Mine")
    assert "text" in error(agent_client.patch(url(posted["id"]), {"text": "   "}, format="json"), 400)
    assert "text" in error(agent_client.patch(url(posted["id"]), {}, format="json"), 400)
    assert "text" in error(agent_client.patch(url(posted["id"]), {"text": "a\x00b"}, format="json"), 400)
    error(agent_client.patch(url(999999), {"text": "x"}, format="json"), 404)
    assert Message.objects.get(pk=posted["id"]).text == "Mine"


def test_file_message_cannot_be_edited(agent_client, handled):
    body = {"file": SimpleUploadedFile("a.pdf", PDF, "application/pdf")}
    posted = ok(agent_client.post(f"/api/v1/rooms/{handled.room.pk}/files", body, format="multipart"), 201)
    assert error(agent_client.patch(url(posted["id"]), {"text": "x"}, format="json"), 409)["code"] == "not_text"


def test_recall_leaves_placeholder(agent_client, handled, events):
    posted = post_text(agent_client, handled, "Oops")
    events.clear()
    body = ok(agent_client.delete(url(posted["id"])))
    assert body["text"] == "" and body["recalled_at"] is not None
    listed = ok(visitor_of(handled).get(f"/api/v1/rooms/{handled.room.pk}/messages"))["results"]
    placeholder = next(m for m in listed if m["id"] == posted["id"])
    assert placeholder["text"] == "" and placeholder["recalled_at"] is not None
    assert len(events.of_type("message.recalled")) == 2
    assert error(agent_client.delete(url(posted["id"])), 409)["code"] == "recalled"
    assert error(agent_client.patch(url(posted["id"]), {"text": "x"}, format="json"), 409)["code"] == "recalled"


def test_closed_enquiry_is_read_only(agent, agent_client, handled):
    posted = post_text(agent_client, handled, "Bye")
    enquiry_services.enquiry_leave(actor=agent, enquiry_id=handled.pk)
    assert error(agent_client.delete(url(posted["id"])), 409)["code"] == "closed"


# ---------------------------------------------------------------------------- reply


def test_reply_to_message_in_room(agent_client, handled, open_enquiry):
    question = Message.objects.filter(room=handled.room, author_visitor__isnull=False).earliest("id")
    body = post_text(agent_client, handled, "It ships today", reply_to=question.pk)
    assert body["reply_to"] == question.pk
    elsewhere = Message.objects.filter(room=open_enquiry().room).earliest("id")
    response = agent_client.post(
        f"/api/v1/rooms/{handled.room.pk}/messages", {"text": "x", "reply_to": elsewhere.pk}, format="json"
    )
    assert "reply_to" in error(response, 400)


# ---------------------------------------------------------------------------- forward


@pytest.fixture
def second(open_enquiry, agent):
    return pick_up(open_enquiry, agent, "Another question")


def test_forward_text(agent, agent_client, handled, second, events):
    source = Message.objects.filter(room=handled.room, author_visitor__isnull=False).earliest("id")
    events.clear()
    body = ok(agent_client.post(url(source.pk, "/forward"), {"room": second.room.pk}, format="json"), 201)
    assert body["room"] == second.room.pk and body["forwarded_from"] == source.pk
    assert body["text"] == "Where is my order?" and body["kind"] == "text"
    assert body["author"]["type"] == "staff" and body["author"]["id"] == agent.pk
    created = events.of_type("message.created")
    assert sorted(g[0] for g, _ in created) == sorted([f"room.{second.room.pk}", f"visitor.{second.visitor_id}"])
    second.refresh_from_db()
    assert second.first_response_at is not None
    # Staff see who wrote the original (here another customer); that customer's visitor does not.
    original = {"author": handled.visitor.display_name, "author_type": "visitor"}
    assert body["data"]["forwarded"] == original
    by_group = {g[0]: p["data"]["message"] for g, p in created}
    assert by_group[f"room.{second.room.pk}"]["data"]["forwarded"] == original
    assert "forwarded" not in by_group[f"visitor.{second.visitor_id}"]["data"]
    listed = ok(visitor_of(second).get(f"/api/v1/rooms/{second.room.pk}/messages"))["results"]
    assert all("forwarded" not in m["data"] for m in listed)
    staff_listed = ok(agent_client.get(f"/api/v1/rooms/{second.room.pk}/messages"))["results"]
    assert [m["data"]["forwarded"] for m in staff_listed if m["forwarded_from"]] == [original]


def test_forward_is_idempotent_with_client_id(agent_client, handled, second):
    source = Message.objects.filter(room=handled.room, kind="text").earliest("id")
    body = {"room": second.room.pk, "client_id": "fw-1"}
    first = ok(agent_client.post(url(source.pk, "/forward"), body, format="json"), 201)
    again = ok(agent_client.post(url(source.pk, "/forward"), body, format="json"), 200)
    assert first["id"] == again["id"]


def test_forward_file_copies_it(agent_client, handled, second, media, django_capture_on_commit_callbacks):
    upload = {"file": SimpleUploadedFile("pic.png", png_bytes(), "image/png"), "text": "See"}
    original = ok(agent_client.post(f"/api/v1/rooms/{handled.room.pk}/files", upload, format="multipart"), 201)
    forwarded = ok(agent_client.post(url(original["id"], "/forward"), {"room": second.room.pk}, format="json"), 201)
    assert forwarded["kind"] == "file" and forwarded["text"] == "See" and forwarded["forwarded_from"] == original["id"]
    assert forwarded["data"]["file"]["name"] == "pic.png" and forwarded["data"]["file"]["width"] == 500
    src = Message.objects.get(pk=original["id"]).data["file"]
    copy = Message.objects.get(pk=forwarded["id"]).data["file"]
    assert copy["path"] != src["path"] and copy["thumbnail"] != src["thumbnail"]
    assert (media / copy["path"]).read_bytes() == (media / src["path"]).read_bytes()

    # Recalling the original leaves the forwarded copy whole.
    with django_capture_on_commit_callbacks(execute=True):
        ok(agent_client.delete(url(original["id"])))
    assert not (media / src["path"]).exists() and not (media / src["thumbnail"]).exists()
    response = agent_client.get(url(forwarded["id"], "/file"))
    assert response.status_code == 200 and b"".join(response.streaming_content) == png_bytes()
    assert agent_client.get(url(forwarded["id"], "/thumbnail")).status_code == 200
    # ... and recalling the copy deletes only the copy.
    with django_capture_on_commit_callbacks(execute=True):
        ok(agent_client.delete(url(forwarded["id"])))
    assert not (media / copy["path"]).exists()


def test_forward_permissions(api, admin, agent, agent2, agent_client, handled, second, open_enquiry, media):
    source = Message.objects.filter(room=handled.room, kind="text").earliest("id")
    forward = url(source.pk, "/forward")
    # agent2 is a member of a target but cannot see the source.
    their_room = pick_up(open_enquiry, agent2)
    count = Message.objects.count()
    agent2_client = api(agent2)
    assert error(agent2_client.post(forward, {"room": their_room.room.pk}, format="json"), 403)
    # agent sees the source but is not a member of agent2's room.
    assert error(agent_client.post(forward, {"room": their_room.room.pk}, format="json"), 403)
    # An admin sees every room, but forwards only into rooms it is a member of.
    admin_client = api(admin)
    assert error(admin_client.post(forward, {"room": second.room.pk}, format="json"), 403)
    room_services.room_member_add(room=second.room, staff=admin)
    ok(admin_client.post(forward, {"room": second.room.pk}, format="json"), 201)
    # Visitors cannot forward.
    response = visitor_of(handled).post(forward, {"room": handled.room.pk}, format="json")
    assert response.status_code in (401, 403)
    assert Message.objects.count() == count + 1


def test_forward_refusals(agent, agent_client, handled, second, open_enquiry):
    text = Message.objects.filter(room=handled.room, kind="text").earliest("id")
    system = Message.objects.filter(room=handled.room, kind="system").earliest("id")
    assert "room" in error(agent_client.post(url(text.pk, "/forward"), {}, format="json"), 400)
    error(agent_client.post(url(text.pk, "/forward"), {"room": 999999}, format="json"), 404)
    error(agent_client.post(url(999999, "/forward"), {"room": second.room.pk}, format="json"), 404)
    error(agent_client.post(url(system.pk, "/forward"), {"room": second.room.pk}, format="json"), 400)
    mine = post_text(agent_client, handled, "recall me")
    ok(agent_client.delete(url(mine["id"])))
    body = error(agent_client.post(url(mine["id"], "/forward"), {"room": second.room.pk}, format="json"), 409)
    assert body["code"] == "recalled"
    enquiry_services.enquiry_leave(actor=agent, enquiry_id=second.pk)
    body = error(agent_client.post(url(text.pk, "/forward"), {"room": second.room.pk}, format="json"), 409)
    assert body["code"] == "closed"


def test_forward_refused_under_lock_leaves_no_copy(agent, agent_client, handled, second, media):
    upload = {"file": SimpleUploadedFile("a.pdf", PDF, "application/pdf")}
    original = ok(agent_client.post(f"/api/v1/rooms/{handled.room.pk}/files", upload, format="multipart"), 201)
    before = sorted(media.rglob("*.pdf"))
    enquiry_services.enquiry_leave(actor=agent, enquiry_id=second.pk)
    error(agent_client.post(url(original["id"], "/forward"), {"room": second.room.pk}, format="json"), 409)
    assert sorted(media.rglob("*.pdf")) == before
