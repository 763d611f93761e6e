"""Admin set-up over HTTP: tags, staff, channels, settings. Agents get 403 and change nothing."""

from __future__ import annotations

import pytest

from channels_adapters.models import Channel
from contactcenter.org.models import OrgSettings, Staff, Tag
from tests.api.conftest import counts, error, ok
from tests.conftest import PASSWORD

GOOD_STAFF = {"email": "new.agent@example.com", "password": "a-strong-pass-91", "display_name": "New Agent"}


# ---------------------------------------------------------------- agents are refused


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("post", "/api/v1/tags", {"name": "Sales"}),
        ("post", "/api/v1/staff", GOOD_STAFF),
        ("patch", "/api/v1/staff/{agent2}", {"display_name": "Renamed"}),
        ("patch", "/api/v1/staff/{agent2}", {"role": "admin"}),
        ("post", "/api/v1/channels", {"kind": "widget", "name": "W", "destination_tag": "{support}"}),
        ("patch", "/api/v1/channels/{channel}", {"name": "Renamed"}),
        ("patch", "/api/v1/settings", {"auto_close_enabled": False}),
    ],
)
def test_admin_only_writes_403_for_agents(api, agent, agent2, support, widget, method, url, body):
    ids = {"agent2": agent2.pk, "support": support.pk, "channel": widget.pk}
    url = url.format(**ids)
    body = {k: (v.format(**ids) if isinstance(v, str) else v) for k, v in body.items()}
    client = api(agent)
    before = counts()
    r = getattr(client, method)(url, body, format="json")
    assert error(r, 403)["detail"] == "Only admins can do this."
    assert counts() == before
    agent2.refresh_from_db()
    widget.refresh_from_db()
    assert agent2.display_name == "Bob Agent" and agent2.role == "agent"
    assert widget.name != "Renamed"
    assert OrgSettings.objects.filter(auto_close_enabled=False).count() == 0


def test_agents_may_read(api, agent, widget):
    client = api(agent)
    assert [t["name"] for t in ok(client.get("/api/v1/tags"))["results"]] == ["Support"]
    assert agent.pk in [s["id"] for s in ok(client.get("/api/v1/staff"))["results"]]
    assert [c["id"] for c in ok(client.get("/api/v1/channels"))["results"]] == [widget.pk]
    assert ok(client.get(f"/api/v1/channels/{widget.pk}"))["key"] == widget.key
    assert ok(client.get(f"/api/v1/staff/{agent.pk}"))["email"] == agent.email
    assert ok(client.get("/api/v1/settings"))["auto_close_minutes"] == 15


def test_anonymous_and_visitors_are_refused(api, make_visitor, widget):
    for client in (api(), api(make_visitor())):
        for url in ("/api/v1/tags", "/api/v1/staff", "/api/v1/channels", "/api/v1/settings"):
            error(client.get(url), 401)


# ---------------------------------------------------------------- tags


def test_tag_create(api, admin):
    body = ok(api(admin).post("/api/v1/tags", {"name": "Sales"}, format="json"), 201)
    assert body["name"] == "Sales" and Tag.objects.filter(name="Sales").exists()


@pytest.mark.parametrize(("name", "status"), [("", 400), ("x" * 81, 400), ("Support", 409)])
def test_tag_create_refused(api, admin, support, name, status):
    client = api(admin)
    before = counts()
    error(client.post("/api/v1/tags", {"name": name}, format="json"), status)
    assert counts() == before


# ---------------------------------------------------------------- staff


def test_staff_create(api, admin, support):
    body = {**GOOD_STAFF, "role": "agent", "tags": ["Support"], "max_concurrent": 3}
    created = ok(api(admin).post("/api/v1/staff", body, format="json"), 201)
    assert created["email"] == "new.agent@example.com" and created["tags"] == ["Support"]
    assert created["max_concurrent"] == 3 and created["role"] == "agent"
    assert "password" not in created
    staff = Staff.objects.get(pk=created["id"])
    assert staff.check_password(GOOD_STAFF["password"])
    # The new account can log in.
    from rest_framework.test import APIClient

    r = APIClient().post("/api/v1/auth/token", {"email": body["email"], "password": body["password"]}, format="json")
    assert ok(r)["token"]


def test_staff_create_tag_by_id(api, admin, support):
    created = ok(api(admin).post("/api/v1/staff", {**GOOD_STAFF, "tags": [str(support.pk)]}, format="json"), 201)
    assert created["tags"] == ["Support"]


@pytest.mark.parametrize(
    ("changes", "field", "status"),
    [
        ({"email": "not-an-email"}, "email", 400),
        ({"email": ""}, "email", 400),
        ({"password": "short"}, "password", 400),
        ({"password": "password123"}, "password", 400),
        ({"password": ""}, "password", 400),
        ({"role": "owner"}, "role", 400),
        ({"tags": ["Nope"]}, "tags", 400),
        ({"tags": ["999999"]}, "tags", 400),
        ({"tags": ["\u00b2"]}, "tags", 400),
        ({"tags": "Support"}, "tags", 400),
        ({"max_concurrent": 0}, "max_concurrent", 400),
        ({"max_concurrent": 101}, "max_concurrent", 400),
        ({"max_concurrent": "many"}, "max_concurrent", 400),
        ({"display_name": "x" * 121}, "display_name", 400),
        ({"availability": "asleep"}, "availability", 400),
        ({"email": "Staff.Taken@Example.com"}, None, 409),
    ],
)
def test_staff_create_refused(api, admin, support, make_staff, changes, field, status):
    make_staff(email="staff.taken@example.com")
    client = api(admin)
    before = counts()
    body = error(client.post("/api/v1/staff", {**GOOD_STAFF, **changes}, format="json"), status)
    if field:
        assert field in body["detail"] or field in body, body
    else:
        assert "already exists" in body["detail"]
    assert counts() == before


def test_staff_update(api, admin, agent, make_tag):
    sales = make_tag("Sales")
    r = api(admin).patch(
        f"/api/v1/staff/{agent.pk}",
        {"display_name": "Alice A.", "tags": ["Sales"], "max_concurrent": 2, "availability": "away"},
        format="json",
    )
    body = ok(r)
    assert body["display_name"] == "Alice A." and body["tags"] == ["Sales"] and body["max_concurrent"] == 2
    assert body["availability"] == "away"
    assert list(Staff.objects.get(pk=agent.pk).tags.all()) == [sales]


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"display_name": ""}, 400),
        ({"max_concurrent": 0}, 400),
        ({"password": "123"}, 400),
        ({"tags": ["Nope"]}, 400),
        ({"role": "boss"}, 400),
        ({"is_active": "perhaps"}, 400),
    ],
)
def test_staff_update_refused(api, admin, agent, changes, status):
    error(api(admin).patch(f"/api/v1/staff/{agent.pk}", changes, format="json"), status)
    fresh = Staff.objects.get(pk=agent.pk)
    assert fresh.display_name == "Alice Agent" and fresh.max_concurrent == 5 and fresh.role == "agent"
    assert fresh.check_password(PASSWORD) and [t.name for t in fresh.tags.all()] == ["Support"]


def test_admin_cannot_demote_or_deactivate_self(api, admin):
    client = api(admin)
    error(client.patch(f"/api/v1/staff/{admin.pk}", {"role": "agent"}, format="json"), 409)
    error(client.patch(f"/api/v1/staff/{admin.pk}", {"is_active": False}, format="json"), 409)
    admin.refresh_from_db()
    assert admin.is_admin and admin.is_active


def test_unknown_staff_404(api, admin):
    assert error(api(admin).get("/api/v1/staff/999999"), 404)["detail"] == "Staff member not found."
    error(api(admin).patch("/api/v1/staff/999999", {"display_name": "X"}, format="json"), 404)


# ---------------------------------------------------------------- channels


def test_channel_create_to_tag(api, admin, support):
    body = {
        "kind": "widget",
        "name": "Website",
        "destination_tag": support.pk,
        "welcome_message": "Hi!",
        "custom_info": "x" * 10_000,
    }
    created = ok(api(admin).post("/api/v1/channels", body, format="json"), 201)
    assert created["key"] and len(created["key"]) >= 16
    assert created["destination"]["type"] == "tag" and created["destination_tag"] == support.pk
    assert created["destination_staff"] is None
    assert len(Channel.objects.get(pk=created["id"]).custom_info) == 10_000


def test_channel_create_to_staff(api, admin, agent):
    body = {"kind": "weblink", "name": "Alice's link", "destination_staff": agent.pk}
    created = ok(api(admin).post("/api/v1/channels", body, format="json"), 201)
    assert created["destination"]["type"] == "staff" and created["destination_staff"] == agent.pk


def test_channel_custom_info_too_long(api, admin, support):
    client = api(admin)
    before = counts()
    body = {"kind": "widget", "name": "Website", "destination_tag": support.pk, "custom_info": "x" * 10_001}
    err = error(client.post("/api/v1/channels", body, format="json"), 400)
    assert "10,000" in err["detail"] and "custom_info" in err
    assert counts() == before


@pytest.mark.parametrize(
    "changes",
    [
        {"kind": "fax"},
        {"name": ""},
        {"name": "x" * 121},
        {"destination_tag": None},
        {"destination_tag": 999999},
        {"destination_staff": 999999},
        {"destination_staff": "{agent}"},  # both a tag and a staff member
        {"welcome_message": "x" * 2001},
        {"credentials": "secret"},
        {"credentials": {"token": "a\u0000b"}},
        {"credentials": {"token": "x" * 20_000}},
    ],
)
def test_channel_create_refused(api, admin, support, agent, changes):
    changes = {k: (agent.pk if v == "{agent}" else v) for k, v in changes.items()}
    client = api(admin)
    before = counts()
    body = {"kind": "widget", "name": "Website", "destination_tag": support.pk, **changes}
    error(client.post("/api/v1/channels", body, format="json"), 400)
    assert counts() == before


def test_channel_update(api, admin, widget, agent):
    client = api(admin)
    body = ok(client.patch(f"/api/v1/channels/{widget.pk}", {"name": "New name", "custom_info": "VIP"}, format="json"))
    assert body["name"] == "New name" and body["custom_info"] == "VIP"
    body = ok(client.patch(f"/api/v1/channels/{widget.pk}", {"destination_staff": agent.pk}, format="json"))
    assert body["destination_staff"] == agent.pk


def test_channel_update_too_long_custom_info_changes_nothing(api, admin, widget):
    r = api(admin).patch(f"/api/v1/channels/{widget.pk}", {"name": "N", "custom_info": "y" * 10_001}, format="json")
    assert "10,000" in error(r, 400)["detail"]
    widget.refresh_from_db()
    assert widget.custom_info == "Internal: VIP desk" and widget.name != "N"


def test_channel_unknown_404(api, admin):
    error(api(admin).get("/api/v1/channels/999999"), 404)
    error(api(admin).patch("/api/v1/channels/999999", {"name": "x"}, format="json"), 404)


def test_channel_credentials_never_returned_in_full(api, admin, agent, support):
    secrets = {"page_token": "EAAGm0PX4ZCpsBAKZC7secretvalue1234", "app_secret": "short", "nested": {"a": "b"}}
    # A widget channel keeps any credentials object (platform kinds check theirs: tests/channels).
    body = {"kind": "widget", "name": "FB", "destination_tag": support.pk, "credentials": secrets}
    created = ok(api(admin).post("/api/v1/channels", body, format="json"), 201)
    assert Channel.objects.get(pk=created["id"]).credentials == secrets
    for client in (api(admin), api(agent)):
        for shown in (
            ok(client.get(f"/api/v1/channels/{created['id']}")),
            ok(client.get("/api/v1/channels"))["results"][0],
        ):
            text = str(shown)
            assert "EAAGm0PX4ZCpsBAKZC7secretvalue1234" not in text and "short" not in text
            assert "credentials" not in shown
            assert shown["credentials_set"] == {"page_token": True, "app_secret": True, "nested": True}
    assert "EAAGm0PX4ZCpsBAKZC7secretvalue1234" not in str(created)


# ---------------------------------------------------------------- settings


def test_settings_update(api, admin):
    hours = {"timezone": "Europe/London", "days": {"mon": [["09:00", "18:00"]]}}
    body = {"auto_close_enabled": False, "auto_close_minutes": 30, "work_hours": hours}
    body["ratings_visible_to_agents"] = True
    got = ok(api(admin).patch("/api/v1/settings", body, format="json"))
    assert got["auto_close_enabled"] is False and got["auto_close_minutes"] == 30
    assert got["work_hours"] == hours and got["ratings_visible_to_agents"] is True
    # A partial update leaves the rest alone.
    got = ok(api(admin).patch("/api/v1/settings", {"auto_close_minutes": 20}, format="json"))  # new token
    assert got["auto_close_enabled"] is False and got["work_hours"] == hours


@pytest.mark.parametrize(
    "body",
    [
        {"auto_close_enabled": "perhaps"},
        {"auto_close_minutes": 0},
        {"auto_close_minutes": "soon"},
        {"auto_close_minutes": 7 * 24 * 60 + 1},
        {"work_hours": {"days": {"mon": [["18:00", "09:00"]]}}},
        {"work_hours": {"timezone": "Mars/Olympus", "days": {}}},
        {"work_hours": "always"},
        {"work_hours": {"timezone": "UTC", "days": {"mon": [["09:00", "1\u00008:00"]]}}},
        {"ratings_visible_to_agents": [1]},
        {"company_name": "x" * 121},
        {"theme": "dark"},
        ["auto_close_enabled"],
    ],
)
def test_settings_update_refused(api, admin, body):
    client = api(admin)
    before = ok(client.get("/api/v1/settings"))
    error(client.patch("/api/v1/settings", body, format="json"), 400)
    assert ok(client.get("/api/v1/settings")) == before


def test_settings_false_string_is_false(api, admin):
    got = ok(api(admin).patch("/api/v1/settings", {"auto_close_enabled": "false"}, format="json"))
    assert got["auto_close_enabled"] is False
