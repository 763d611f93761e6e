"""The widget's directory (issue 13): who the staff directory lists (the channel's choice,
validated), the public config's ETag, and who hears of an availability change
(``staff.availability`` / ``tag.availability`` to the visitors of the channels that show
it, and to the visitor whose enquiry the person owns) with nothing private in it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache

from channels_adapters.models import Channel
from contactcenter.org import services as org_services
from contactcenter.org.events import visitor_group, widget_channel_group
from contactcenter.org.models import Staff, Tag
from enquiries import services as enquiry_services
from enquiries.models import Enquiry, Visitor
from tests.api.conftest import error, ok

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttles() -> None:
    cache.clear()


@pytest.fixture
def agent(make_staff: Callable[..., Staff], support: Tag) -> Staff:
    return make_staff(tags=[support], name="Alice Agent")


def _config(api: Callable[..., Any], channel: Channel) -> dict[str, Any]:
    return ok(api().get(f"/api/v1/widget/channels/{channel.key}"))


def _names(config: dict[str, Any]) -> list[str]:
    return [s["display_name"] for s in config["directory"]["staff"]]


# ------------------------------------------------------------------ the choice


def test_directory_lists_the_chosen_staff(api, admin, agent, widget, make_staff, support):
    bea = make_staff(tags=[support], name="Bea Busy", availability=Staff.Availability.BUSY)
    ok(api(admin).patch(f"/api/v1/channels/{widget.pk}", {"show_staff_directory": True}, format="json"))
    # None chosen: every active staff member with a tag (as before the choice existed).
    assert _names(_config(api, widget)) == ["Alice Agent", "Bea Busy"]
    # Chosen: exactly those, an admin without a tag included, by name.
    got = ok(api(admin).patch(f"/api/v1/channels/{widget.pk}", {"directory_staff": [bea.pk, admin.pk]}, format="json"))
    assert sorted(got["directory_staff"]) == sorted([bea.pk, admin.pk])
    assert _names(_config(api, widget)) == ["Ada Admin", "Bea Busy"]
    listed = ok(api(admin).get("/api/v1/channels"))["results"]
    assert sorted(next(c for c in listed if c["id"] == widget.pk)["directory_staff"]) == sorted([bea.pk, admin.pk])
    # A chosen person who is deactivated drops out; [] is the default list again.
    org_services.staff_update(actor=admin, staff=bea, changes={"is_active": False})
    assert _names(_config(api, widget)) == ["Ada Admin"]
    ok(api(admin).patch(f"/api/v1/channels/{widget.pk}", {"directory_staff": []}, format="json"))
    assert _names(_config(api, widget)) == ["Alice Agent"]


def test_create_channel_with_a_directory(api, admin, agent, support):
    body = {
        "kind": "widget",
        "name": "Shop",
        "destination_tag": support.pk,
        "show_staff_directory": True,
        "directory_staff": [agent.pk],
    }
    got = ok(api(admin).post("/api/v1/channels", body, format="json"), 201)
    assert got["directory_staff"] == [agent.pk]


@pytest.mark.parametrize("value", [[999999], ["x"], [True], "1", [{"id": 1}]])
def test_bad_directory_staff_is_refused(api, admin, agent, widget, value):
    before = list(widget.directory_staff.values_list("pk", flat=True))
    body = error(api(admin).patch(f"/api/v1/channels/{widget.pk}", {"directory_staff": value}, format="json"), 400)
    assert "directory_staff" in str(body), body
    assert list(widget.directory_staff.values_list("pk", flat=True)) == before


def test_inactive_staff_cannot_be_chosen(api, admin, agent, widget, make_staff):
    gone = make_staff(name="Gone")
    org_services.staff_update(actor=admin, staff=gone, changes={"is_active": False})
    body = error(
        api(admin).patch(
            f"/api/v1/channels/{widget.pk}", {"directory_staff": [agent.pk, gone.pk], "name": "Renamed"}, format="json"
        ),
        400,
    )
    assert f"Not an active staff member: {gone.pk}." in str(body), body
    widget.refresh_from_db()
    assert widget.name != "Renamed" and not widget.directory_staff.exists()


def test_agents_cannot_choose(api, agent, widget):
    error(api(agent).patch(f"/api/v1/channels/{widget.pk}", {"directory_staff": [agent.pk]}, format="json"), 403)


# ------------------------------------------------------------------ the public config


def test_public_config_etag(api, admin, agent, widget):
    ok(api(admin).patch(f"/api/v1/channels/{widget.pk}", {"show_staff_directory": True}, format="json"))
    first = api().get(f"/api/v1/widget/channels/{widget.key}")
    etag = first["ETag"]
    assert etag and first.json()["refresh_seconds"] == 20
    again = api().get(f"/api/v1/widget/channels/{widget.key}", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and not again.content
    org_services.staff_set_availability(actor=agent, staff=agent, availability=Staff.Availability.AWAY)
    changed = api().get(f"/api/v1/widget/channels/{widget.key}", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_public_config_out_of_hours(api, admin, agent, widget):
    closed = {"timezone": "UTC", "days": {d: [] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}}
    ok(api(admin).patch("/api/v1/settings", {"work_hours": closed}, format="json"))
    assert _config(api, widget)["open_now"] is False


# ------------------------------------------------------------------ who hears of a change


@pytest.fixture
def channels(make_channel: Callable[..., Channel], support: Tag, agent: Staff, make_staff: Callable[..., Staff]):
    other = make_staff(tags=[support], name="Olga Other")
    mine = make_channel(tag=support, show_staff_directory=True, directory_staff=[agent.pk])
    theirs = make_channel(tag=support, show_staff_directory=True, directory_staff=[other.pk])
    default = make_channel(tag=support, show_staff_directory=True)
    no_directory = make_channel(tag=support)
    tags = make_channel(tag=support, show_tag_directory=True)
    return {"mine": mine, "theirs": theirs, "default": default, "none": no_directory, "tags": tags, "other": other}


def test_availability_reaches_the_channels_that_show_the_person(events, agent, channels):
    org_services.staff_set_availability(actor=agent, staff=agent, availability=Staff.Availability.AWAY)
    sent = [
        (groups, p)
        for groups, p in events.of_type("staff.availability")
        if any(g.startswith("widget.") for g in groups)
    ]
    assert len(sent) == 1, sent
    groups, payload = sent[0]
    assert sorted(groups) == sorted(
        [widget_channel_group(channels["mine"].pk), widget_channel_group(channels["default"].pk)]
    )
    # Nothing but the id and the availability.
    assert payload == {"type": "staff.availability", "data": {"staff_id": agent.pk, "availability": "away"}}


def test_tag_availability_flips_only_when_the_last_active_member_goes(events, agent, channels):
    other: Staff = channels["other"]
    org_services.staff_set_availability(actor=agent, staff=agent, availability=Staff.Availability.AWAY)
    assert events.of_type("tag.availability") == []  # Olga still serves Support
    org_services.staff_set_availability(actor=other, staff=other, availability=Staff.Availability.BUSY)
    flips = events.of_type("tag.availability")
    assert len(flips) == 1
    groups, payload = flips[0]
    assert groups == [widget_channel_group(channels["tags"].pk)]
    assert payload["data"] == {"tag_id": other.tags.get().pk, "available": False}
    org_services.staff_set_availability(actor=agent, staff=agent, availability=Staff.Availability.ACTIVE)
    assert events.of_type("tag.availability")[-1][1]["data"]["available"] is True


def test_the_owner_s_visitor_hears_of_the_owner(events, agent, widget, make_visitor):
    visitor: Visitor = make_visitor(widget)
    stranger: Visitor = make_visitor(widget)
    enquiry = enquiry_services.enquiry_open(channel=widget, visitor=visitor, message="Hi")
    enquiry_services.enquiry_pick_up(actor=agent, enquiry_id=enquiry.pk)
    assert Enquiry.objects.get(pk=enquiry.pk).owner_id == agent.pk
    org_services.staff_logout(staff=agent)  # OFFLINE by the session's end
    sent = events.of_type("staff.availability")
    to_visitor = [p for groups, p in sent if visitor_group(visitor.pk) in groups]
    assert to_visitor == [{"type": "staff.availability", "data": {"staff_id": agent.pk, "availability": "offline"}}]
    assert not [p for groups, p in sent if visitor_group(stranger.pk) in groups]


def test_public_config_queries_are_pinned(api, admin, agent, widget, make_staff, support, django_assert_num_queries):
    """The open widget reads this every CC_WIDGET_REFRESH_SECONDS: a fixed number of
    queries however many staff and tags the directories list."""
    for n in range(5):
        make_staff(tags=[support, Tag.objects.create(name=f"Team {n}")], name=f"Person {n}")
    ok(
        api(admin).patch(
            f"/api/v1/channels/{widget.pk}", {"show_staff_directory": True, "show_tag_directory": True}, format="json"
        )
    )
    client = api()
    client.get(f"/api/v1/widget/channels/{widget.key}")  # warm: the org settings' cache
    # The channel; tags: members, tags; staff: chosen?, staff, their tags; org settings.
    with django_assert_num_queries(7):
        ok(client.get(f"/api/v1/widget/channels/{widget.key}"))
