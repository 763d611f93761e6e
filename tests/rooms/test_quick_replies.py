"""Quick replies: personal and shared phrases inserted by a shortcut (SPEC 4)."""

from __future__ import annotations

import pytest

from contactcenter.org.errors import Conflict, InvalidInput, NotAuthorized, NotFound
from rooms import quick_replies
from rooms.models import QuickReply
from rooms.selectors import quick_replies_for


@pytest.fixture
def agent(make_staff):
    return make_staff(name="Ann Agent")


def test_create_personal_and_shared(agent, admin):
    mine = quick_replies.quick_reply_create(actor=agent, shortcut="hi", text="  Hello there!  ")
    assert mine.owner_id == agent.pk and mine.text == "Hello there!"
    shared = quick_replies.quick_reply_create(actor=admin, shortcut="hours", text="9-5", shared=True)
    assert shared.owner_id is None
    with pytest.raises(NotAuthorized):
        quick_replies.quick_reply_create(actor=agent, shortcut="x", text="y", shared=True)


@pytest.mark.parametrize(
    ("shortcut", "text", "field"),
    [
        ("", "t", "shortcut"),
        ("Hi", "t", "shortcut"),
        ("has space", "t", "shortcut"),
        ("a" * 41, "t", "shortcut"),
        ("ok", "", "text"),
        ("ok", "   ", "text"),
        ("ok", "t" * 2001, "text"),
        (None, "t", "shortcut"),
    ],
)
def test_validation(agent, shortcut, text, field):
    with pytest.raises(InvalidInput) as info:
        quick_replies.quick_reply_create(actor=agent, shortcut=shortcut, text=text)
    assert field in info.value.fields
    assert not QuickReply.objects.exists()


def test_limits_accepted(agent):
    reply = quick_replies.quick_reply_create(actor=agent, shortcut="a_b-9" + "x" * 35, text="t" * 2000)
    assert len(reply.shortcut) == 40


def test_a_quick_reply_is_never_longer_than_a_message_may_be(agent, settings):
    settings.CC_MESSAGE_MAX_CHARS = 30
    quick_replies.quick_reply_create(actor=agent, shortcut="fits", text="t" * 30)
    with pytest.raises(InvalidInput) as refused:
        quick_replies.quick_reply_create(actor=agent, shortcut="long", text="t" * 31)
    assert "30 characters" in refused.value.message


def test_unique_per_owner(agent, admin, make_staff):
    quick_replies.quick_reply_create(actor=agent, shortcut="hi", text="one")
    with pytest.raises(Conflict):
        quick_replies.quick_reply_create(actor=agent, shortcut="hi", text="two")
    # Another owner, and the shared list, may use the same shortcut.
    quick_replies.quick_reply_create(actor=make_staff(), shortcut="hi", text="three")
    quick_replies.quick_reply_create(actor=admin, shortcut="hi", text="shared", shared=True)
    with pytest.raises(Conflict):
        quick_replies.quick_reply_create(actor=admin, shortcut="hi", text="shared again", shared=True)
    other = quick_replies.quick_reply_create(actor=agent, shortcut="bye", text="b")
    with pytest.raises(Conflict):
        quick_replies.quick_reply_update(actor=agent, quick_reply_id=other.pk, changes={"shortcut": "hi"})


def test_list_personal_and_shared_with_prefix(agent, admin, make_staff):
    quick_replies.quick_reply_create(actor=agent, shortcut="hello", text="a")
    quick_replies.quick_reply_create(actor=agent, shortcut="bye", text="b")
    quick_replies.quick_reply_create(actor=admin, shortcut="help", text="c", shared=True)
    quick_replies.quick_reply_create(actor=make_staff(), shortcut="hey", text="not mine")
    assert [r.shortcut for r in quick_replies_for(agent)] == ["bye", "hello", "help"]
    assert [r.shortcut for r in quick_replies_for(agent, prefix="HE")] == ["hello", "help"]


def test_update_and_delete_permissions(agent, admin, make_staff):
    mine = quick_replies.quick_reply_create(actor=agent, shortcut="hi", text="a")
    shared = quick_replies.quick_reply_create(actor=admin, shortcut="hours", text="9-5", shared=True)
    stranger = make_staff()
    with pytest.raises(NotAuthorized):
        quick_replies.quick_reply_update(actor=stranger, quick_reply_id=mine.pk, changes={"text": "x"})
    with pytest.raises(NotAuthorized):
        quick_replies.quick_reply_update(actor=admin, quick_reply_id=mine.pk, changes={"text": "x"})
    with pytest.raises(NotAuthorized):
        quick_replies.quick_reply_update(actor=agent, quick_reply_id=shared.pk, changes={"text": "x"})
    with pytest.raises(NotAuthorized):
        quick_replies.quick_reply_delete(actor=agent, quick_reply_id=shared.pk)
    with pytest.raises(InvalidInput):
        quick_replies.quick_reply_update(actor=agent, quick_reply_id=mine.pk, changes={"owner": 1})
    updated = quick_replies.quick_reply_update(
        actor=agent, quick_reply_id=mine.pk, changes={"shortcut": "hey", "text": "Hey!"}
    )
    assert (updated.shortcut, updated.text) == ("hey", "Hey!")
    quick_replies.quick_reply_update(actor=admin, quick_reply_id=shared.pk, changes={"text": "9-6"})
    quick_replies.quick_reply_delete(actor=admin, quick_reply_id=shared.pk)
    quick_replies.quick_reply_delete(actor=agent, quick_reply_id=mine.pk)
    assert not QuickReply.objects.exists()
    with pytest.raises(NotFound):
        quick_replies.quick_reply_delete(actor=agent, quick_reply_id=mine.pk)


def test_api(api, agent, admin):
    a, ad = api(agent), api(admin)
    r = a.post("/api/v1/quick-replies", {"shortcut": "hi", "text": "Hello!"}, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["shared"] is False and r.json()["owner"] == agent.pk
    reply_id = r.json()["id"]
    assert a.post("/api/v1/quick-replies", {"shortcut": "hi", "text": "Again"}, format="json").status_code == 409
    bad = a.post("/api/v1/quick-replies", {"shortcut": "Bad One", "text": "x"}, format="json")
    assert bad.status_code == 400 and "shortcut" in bad.json()
    assert (
        a.post("/api/v1/quick-replies", {"shortcut": "s", "text": "x", "shared": True}, format="json").status_code
        == 403
    )
    r = ad.post("/api/v1/quick-replies", {"shortcut": "hours", "text": "9-5", "shared": True}, format="json")
    assert r.status_code == 201 and r.json()["shared"] is True
    shared_id = r.json()["id"]

    listed = a.get("/api/v1/quick-replies")
    assert listed.status_code == 200 and [x["shortcut"] for x in listed.json()] == ["hi", "hours"]
    assert [x["shortcut"] for x in a.get("/api/v1/quick-replies?q=ho").json()] == ["hours"]

    r = a.patch(f"/api/v1/quick-replies/{reply_id}", {"text": "Hi there"}, format="json")
    assert r.status_code == 200 and r.json()["text"] == "Hi there"
    assert a.patch(f"/api/v1/quick-replies/{shared_id}", {"text": "x"}, format="json").status_code == 403
    assert a.delete(f"/api/v1/quick-replies/{shared_id}").status_code == 403
    assert ad.delete(f"/api/v1/quick-replies/{shared_id}").status_code == 204
    assert a.delete(f"/api/v1/quick-replies/{reply_id}").status_code == 204
    assert a.delete(f"/api/v1/quick-replies/{reply_id}").status_code == 404
