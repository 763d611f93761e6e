"""The room information panel, GET /api/v1/rooms/{id} (SPEC 4)."""

from __future__ import annotations

import pytest

from contactcenter.org.errors import NotAuthorized
from enquiries import services as enquiry_services
from rooms import spaces
from rooms.selectors import room_info
from rooms.services import message_post


@pytest.fixture
def handled(open_enquiry, make_staff, make_visitor, widget, support):
    owner = make_staff(tags=[support], name="Olive Owner")
    visitor = make_visitor(
        widget,
        email="vera@example.com",
        phone="+44 20 7946 0000",
    )
    visitor.language = "fr"
    visitor.device = {"platform": "macOS", "user_agent": "Safari", "location": "Paris, FR", "screen": "1440x900"}
    visitor.utm = {"utm_source": "newsletter", "utm_campaign": "spring"}
    visitor.save(update_fields=["language", "device", "utm"])
    e = open_enquiry(visitor=visitor)
    enquiry_services.enquiry_pick_up(actor=owner, enquiry_id=e.pk)
    e.refresh_from_db()
    return e, owner


def test_enquiry_room_info(handled, widget, support):
    e, owner = handled
    message_post(room_id=e.room.pk, text="more", visitor=e.visitor)
    info = room_info(owner, e.room.pk)
    assert info["kind"] == "enquiry" and info["contact"] is None
    enquiry = info["enquiry"]
    assert enquiry["id"] == e.pk and enquiry["channel"] == "widget"
    assert enquiry["channel_detail"]["id"] == widget.pk and enquiry["channel_detail"]["name"] == widget.name
    assert enquiry["language"] == "fr" and enquiry["location"] == "Paris, FR"
    assert enquiry["created_at"] == e.created_at.isoformat() and enquiry["owner"]["id"] == owner.pk
    assert info["visitor"]["email"] == "vera@example.com" and info["visitor"]["phone"] == "+44 20 7946 0000"
    assert info["device"]["platform"] == "macOS"
    assert info["utm"] == {"utm_source": "newsletter", "utm_campaign": "spring"}
    assert info["destination"]["type"] == "tag" and info["destination"]["endpoint"] == "Support"
    assert [(m["id"], m["role"]) for m in info["members"]] == [(owner.pk, "owner")]
    assert info["me"]["role"] == "owner" and info["me"]["mute"] == "all"
    assert info["me"]["unread"] == e.room.messages.exclude(author_staff=owner).count()


def test_admin_monitoring_sees_info_without_membership(handled, admin, make_staff):
    e, _ = handled
    info = room_info(admin, e.room.pk)
    assert info["me"] is None and info["enquiry"]["id"] == e.pk
    with pytest.raises(NotAuthorized):
        room_info(make_staff(), e.room.pk)


def test_direct_room_info_shows_the_contact(make_staff):
    ann = make_staff(name="Ann Agent")
    bob = make_staff(name="Bob Builder", email="bob@example.com")
    bob.phone = "+1 555 0100"
    bob.time_zone = "America/New_York"
    bob.save(update_fields=["phone", "time_zone"])
    room, _ = spaces.direct_room_open(actor=ann, staff=bob)
    info = room_info(ann, room.pk)
    assert info["contact"]["name"] == "Bob Builder"
    assert info["contact"]["email"] == "bob@example.com"
    assert info["contact"]["phone"] == "+1 555 0100" and info["contact"]["time_zone"] == "America/New_York"
    assert "enquiry" not in info
    assert room_info(bob, room.pk)["contact"]["name"] == "Ann Agent"


def test_space_info_api(api, make_staff):
    ann = make_staff(name="Ann Agent")
    bob = make_staff(name="Bob Builder")
    outsider = make_staff()
    room = spaces.space_create(actor=ann, name="Ops", description="<b>Night</b> shift", members=[bob.pk])
    r = api(bob).get(f"/api/v1/rooms/{room.pk}")
    assert r.status_code == 200
    body = r.json()
    assert body["name"] == "Ops" and body["description"] == "<b>Night</b> shift"
    assert {(m["id"], m["role"]) for m in body["members"]} == {(ann.pk, "owner"), (bob.pk, "participant")}
    assert body["me"] == {"role": "participant", "mute": "all", "last_read_message_id": 0, "unread": 0}
    assert api(outsider).get(f"/api/v1/rooms/{room.pk}").status_code == 403
    assert api(ann).get("/api/v1/rooms/999999").status_code == 404


def test_room_info_api_for_enquiry(api, handled):
    e, owner = handled
    r = api(owner).get(f"/api/v1/rooms/{e.room.pk}")
    assert r.status_code == 200
    assert r.json()["enquiry"]["id"] == e.pk and r.json()["utm"]["utm_source"] == "newsletter"


def test_room_info_needs_staff(api, handled):
    e, _ = handled
    assert api(e.visitor).get(f"/api/v1/rooms/{e.room.pk}").status_code in (401, 403)
    assert api().get(f"/api/v1/rooms/{e.room.pk}").status_code in (401, 403)
