"""The room information panel's data (issue 12, items 5 and 6): the customer's language,
time zone and country, each with where it came from; the enquiry's topic (owner or admin);
staff's custom fields about a visitor; custom info per destination (a tag's wins, never on
a personal web link); enquiries through a web link announced as such. Values a lying
widget sends are limited or dropped; bad input changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from channels_adapters.models import Channel
from contactcenter.org.errors import InvalidInput, NotAuthorized
from contactcenter.org.geoip import country_for_address
from contactcenter.org.models import Staff, Tag
from enquiries import services as enquiry_services
from enquiries.auth import visitor_token_for
from enquiries.models import Enquiry, Visitor
from rooms.models import Message
from tests.api.conftest import counts, error, ok, visitor_client

PUBLIC_US = "8.8.8.8"  # assigned to the US by ARIN (no traffic is sent: the table is offline)

BROWSER_DEVICE = {"platform": "Linux", "user_agent": "Mozilla/5.0", "language": "de-DE", "time_zone": "Europe/Berlin"}


@pytest.fixture
def widget_open(widget: Channel) -> Callable[..., Any]:
    """POST /widget/enquiries as a new visitor; keyword arguments in capitals are the
    request's environment (REMOTE_ADDR, HTTP_X_FORWARDED_FOR), the rest its body."""

    def post(**given: Any) -> Any:
        meta = {k: v for k, v in given.items() if k.isupper()}
        body = {k: v for k, v in given.items() if not k.isupper()}
        body.setdefault("channel_key", widget.key)
        body.setdefault("message", "Hello, I need help")
        return APIClient().post("/api/v1/widget/enquiries", body, format="json", **meta)

    return post


def _room_info(api: Callable[..., APIClient], staff: Staff, enquiry_id: int) -> dict[str, Any]:
    enquiry = Enquiry.objects.select_related("room").get(pk=enquiry_id)
    return ok(api(staff).get(f"/api/v1/rooms/{enquiry.room.pk}"))


# ---------------------------------------------------------------------------- GeoIP


def test_country_for_address_offline_table(settings):
    assert country_for_address(PUBLIC_US) == "US"
    assert country_for_address("2001:4860:4860::8888") == "US"
    assert country_for_address("::ffff:8.8.8.8") == "US"
    for private in ("127.0.0.1", "10.1.2.3", "192.168.0.7", "172.16.5.5", "::1", "fe80::1", "169.254.1.1"):
        assert country_for_address(private) == "", private
    assert country_for_address("unknown") == "" and country_for_address("") == ""
    settings.CC_GEOIP_ENABLED = False
    assert country_for_address(PUBLIC_US) == ""


# ---------------------------------------------------------------------------- origin


def test_widget_enquiry_origin_from_browser_and_ip_address(api, widget_open, agent):
    r = widget_open(device=BROWSER_DEVICE, REMOTE_ADDR=PUBLIC_US)
    body = ok(r, 201)
    enquiry = Enquiry.objects.get(pk=body["id"])
    assert enquiry.client_country == "US" and enquiry.via == ""
    enquiry_services.enquiry_pick_up(actor=agent, enquiry_id=enquiry.pk)
    info = _room_info(api, agent, enquiry.pk)["enquiry"]
    assert info["origin"] == [
        {"kind": "language", "value": "de-DE", "known_from": "browser"},
        {"kind": "time_zone", "value": "Europe/Berlin", "known_from": "browser"},
        {"kind": "country", "value": "US", "known_from": "ip_address"},
    ]
    assert info["language"] == "de-DE" and info["channel"] == "widget" and info["channel_kind"] == "widget"


def test_loopback_and_private_addresses_give_no_location(api, widget_open, admin):
    for address in ("127.0.0.1", "10.0.0.5"):
        body = ok(widget_open(device={"language": "fr"}, REMOTE_ADDR=address), 201)
        assert Enquiry.objects.get(pk=body["id"]).client_country == ""
    info = _room_info(api, admin, body["id"])["enquiry"]
    assert info["origin"] == [{"kind": "language", "value": "fr", "known_from": "browser"}]


def test_geoip_turned_off(settings, widget_open):
    settings.CC_GEOIP_ENABLED = False
    body = ok(widget_open(REMOTE_ADDR=PUBLIC_US), 201)
    assert Enquiry.objects.get(pk=body["id"]).client_country == ""


def test_forwarded_address_counts_only_from_a_declared_proxy(settings, widget_open):
    body = ok(widget_open(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=PUBLIC_US), 201)
    assert Enquiry.objects.get(pk=body["id"]).client_country == ""  # nobody declared: the peer
    settings.CC_TRUSTED_PROXIES = ["127.0.0.1"]
    body = ok(widget_open(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=PUBLIC_US), 201)
    assert Enquiry.objects.get(pk=body["id"]).client_country == "US"


def test_platform_profile_language_wins_over_the_browser(api, handled):
    enquiry, owner = handled
    visitor = enquiry.visitor
    visitor.language = "ja"
    visitor.device = {"language": "en-US"}
    visitor.save(update_fields=["language", "device"])
    info = _room_info(api, owner, enquiry.pk)["enquiry"]
    assert info["origin"] == [{"kind": "language", "value": "ja", "known_from": "profile"}]


@pytest.mark.parametrize(
    ("language", "zone"),
    [
        ("<script>alert(1)</script>", "Mars/Olympus_Mons"),
        ("x" * 36, "Europe/Berlin" + "x" * 5),
        ("de-DE-" + "a" * 30, "../../etc/passwd"),
        (42, ["Europe/Berlin"]),
    ],
)
def test_a_lying_browser_language_and_time_zone_are_not_kept(widget_open, language, zone):
    r = widget_open(device={"language": language, "time_zone": zone, "platform": "Linux"})
    if isinstance(zone, list):
        error(r, 400)  # a device value that is not text or a number: refused whole
        return
    body = ok(r, 201)
    device = Enquiry.objects.get(pk=body["id"]).visitor.device
    assert device == {"platform": "Linux"}


def test_widget_device_and_utm_are_limited_in_count_and_length(widget_open):
    before = counts()
    too_many = {f"k{i}": "v" for i in range(31)}
    assert "30" in error(widget_open(device=too_many), 400)["detail"]
    error(widget_open(device={"user_agent": "x" * 501}), 400)
    error(widget_open(device={"k" * 65: "v"}), 400)
    error(widget_open(utm={f"utm_{i}": "v" for i in range(31)}), 400)
    error(widget_open(utm={"utm_source": "x" * 501}), 400)
    assert counts() == before


def test_a_widget_cannot_set_custom_fields_or_topic(widget_open):
    body = ok(
        widget_open(
            visitor={"first_name": "Eve", "custom_fields": [{"name": "VIP", "value": "yes"}]},
            topic="Refund",
            custom_fields=[{"name": "VIP", "value": "yes"}],
        ),
        201,
    )
    enquiry = Enquiry.objects.get(pk=body["id"])
    assert enquiry.topic == "" and enquiry.visitor.custom_fields == []


# ---------------------------------------------------------------------------- topic


def test_owner_and_admin_set_the_topic(api, handled, admin, agent2):
    enquiry, owner = handled
    body = ok(api(owner).patch(f"/api/v1/enquiries/{enquiry.pk}", {"topic": "  Refund   for order 7781 "}))
    assert body["topic"] == "Refund for order 7781"
    assert _room_info(api, owner, enquiry.pk)["enquiry"]["topic"] == "Refund for order 7781"
    ok(api(admin).patch(f"/api/v1/enquiries/{enquiry.pk}", {"topic": "Billing"}))
    # Another agent (not the owner, no access) and a visitor cannot.
    error(api(agent2).patch(f"/api/v1/enquiries/{enquiry.pk}", {"topic": "Mine"}), 403)
    visitor = visitor_client(visitor_token_for(enquiry.visitor_id))
    assert visitor.patch(f"/api/v1/enquiries/{enquiry.pk}", {"topic": "x"}, format="json").status_code in (401, 403)
    # Too long or not text: refused, the topic kept.
    error(api(owner).patch(f"/api/v1/enquiries/{enquiry.pk}", {"topic": "x" * 201}, format="json"), 400)
    error(api(owner).patch(f"/api/v1/enquiries/{enquiry.pk}", {"topic": {"a": 1}}, format="json"), 400)
    error(api(owner).patch(f"/api/v1/enquiries/{enquiry.pk}", {"topic": "bad\x00"}, format="json"), 400)
    enquiry.refresh_from_db()
    assert enquiry.topic == "Billing"
    ok(api(owner).patch(f"/api/v1/enquiries/{enquiry.pk}", {"topic": ""}))
    enquiry.refresh_from_db()
    assert enquiry.topic == ""


def test_agent_who_joined_but_does_not_own_cannot_set_the_topic(handled, agent2):
    enquiry, _owner = handled
    with pytest.raises(NotAuthorized):
        enquiry_services.enquiry_topic_set(actor=agent2, enquiry_id=enquiry.pk, topic="Mine")


# ---------------------------------------------------------------------------- custom fields


def test_staff_add_custom_fields_to_a_visitor(api, handled):
    enquiry, owner = handled
    fields = [{"name": "Plan", "value": "Premium"}, {"name": " Account no ", "value": " 7781 "}]
    body = ok(api(owner).patch(f"/api/v1/enquiries/{enquiry.pk}/visitor", {"custom_fields": fields}, format="json"))
    assert body["visitor"]["custom_fields"] == [
        {"name": "Plan", "value": "Premium"},
        {"name": "Account no", "value": "7781"},
    ]
    info = _room_info(api, owner, enquiry.pk)
    assert info["visitor"]["custom_fields"][1] == {"name": "Account no", "value": "7781"}
    # Kept with the visitor, so the visitor's next enquiry shows them too; the form fields
    # are left alone by a change of custom fields only.
    visitor = Visitor.objects.get(pk=enquiry.visitor_id)
    assert visitor.first_name == "Vera" and len(visitor.custom_fields) == 2
    # The visitor's own view does not show staff's notes about them.
    mine = ok(visitor_client(visitor_token_for(visitor.pk)).get(f"/api/v1/widget/enquiries/{enquiry.pk}"))
    assert "custom_fields" not in mine["visitor"]
    # An empty list removes them.
    ok(api(owner).patch(f"/api/v1/enquiries/{enquiry.pk}/visitor", {"custom_fields": []}, format="json"))
    assert Visitor.objects.get(pk=enquiry.visitor_id).custom_fields == []


@pytest.mark.parametrize(
    "fields",
    [
        [{"name": f"f{i}", "value": "v"} for i in range(21)],
        [{"name": "n" * 61, "value": "v"}],
        [{"name": "Plan", "value": "v" * 501}],
        [{"name": "", "value": "v"}],
        [{"name": "   ", "value": "v"}],
        [{"name": "Plan", "value": "a"}, {"name": "plan", "value": "b"}],
        [{"name": "Plan\x00", "value": "a"}],
        ["Plan"],
        {"Plan": "a"},
    ],
)
def test_custom_fields_are_limited(api, handled, fields):
    enquiry, owner = handled
    Visitor.objects.filter(pk=enquiry.visitor_id).update(custom_fields=[{"name": "Kept", "value": "yes"}])
    r = api(owner).patch(
        f"/api/v1/enquiries/{enquiry.pk}/visitor", {"first_name": "Changed", "custom_fields": fields}, format="json"
    )
    error(r, 400)
    visitor = Visitor.objects.get(pk=enquiry.visitor_id)
    assert visitor.custom_fields == [{"name": "Kept", "value": "yes"}] and visitor.first_name == "Vera"


def test_custom_fields_service_refuses_what_the_serializer_lets_through(handled):
    enquiry, owner = handled
    visitor = enquiry.visitor
    with pytest.raises(InvalidInput):
        enquiry_services.visitor_update(actor=owner, visitor=visitor, changes={"custom_fields": "Plan"})
    with pytest.raises(InvalidInput):
        enquiry_services.visitor_update(actor=owner, visitor=visitor, changes={"custom_fields": [{"name": 1}]})
    with pytest.raises(InvalidInput):
        enquiry_services.visitor_update(
            actor=owner, visitor=visitor, changes={"custom_fields": [{"name": "a", "value": "b", "extra": "c"}]}
        )


# ---------------------------------------------------------------------------- custom info


def _custom_info(enquiry: Enquiry) -> list[str]:
    return [m.text for m in Message.objects.filter(room__enquiry=enquiry, data__bot="custom_info")]


def _intro(enquiry: Enquiry) -> str:
    return Message.objects.get(room__enquiry=enquiry, data__bot="intro").text


def test_tag_custom_info_wins_for_tag_enquiries(api, admin, open_enquiry, make_staff, widget, support, make_tag):
    make_staff(tags=[support])
    body = ok(api(admin).patch(f"/api/v1/tags/{support.pk}", {"custom_info": "Support: check the SLA."}))
    assert (body["id"], body["name"], body["custom_info"]) == (support.pk, "Support", "Support: check the SLA.")
    assert _custom_info(open_enquiry()) == ["Support: check the SLA."]
    # A tag without custom info: the channel's.
    sales = make_tag("Sales")
    make_staff(tags=[sales])
    assert _custom_info(open_enquiry(tag=sales)) == ["Internal: VIP desk"]
    # A tag made with custom info.
    made = ok(api(admin).post("/api/v1/tags", {"name": "Billing", "custom_info": "Billing desk"}), 201)
    assert made["custom_info"] == "Billing desk"


def test_tag_custom_info_is_admins_only_and_limited(api, admin, agent, support, settings):
    error(api(agent).patch(f"/api/v1/tags/{support.pk}", {"custom_info": "x"}), 403)
    r = api(admin).patch(f"/api/v1/tags/{support.pk}", {"custom_info": "y" * 10_001})
    assert "10,000" in error(r, 400)["detail"]
    error(api(admin).post("/api/v1/tags", {"name": "Long", "custom_info": "y" * 10_001}), 400)
    error(api(admin).patch("/api/v1/tags/999999", {"custom_info": "x"}), 404)
    support.refresh_from_db()
    assert support.custom_info == "" and not Tag.objects.filter(name="Long").exists()
    ok(api(admin).patch(f"/api/v1/tags/{support.pk}", {"custom_info": "z" * 10_000}))


def test_personal_web_link_never_shows_custom_info(api, make_channel, make_staff, support):
    agent = make_staff(tags=[support], name="Pat Personal")
    link = make_channel(
        staff=agent, kind="weblink", weblink_slug="pat", custom_info="Should not show", welcome_message=""
    )
    client = APIClient()
    body = ok(
        client.post("/api/v1/widget/enquiries", {"channel_key": link.key, "message": "Hi Pat"}, format="json"), 201
    )
    enquiry = Enquiry.objects.get(pk=body["id"])
    assert _custom_info(enquiry) == []
    assert _intro(enquiry).startswith("New web link enquiry via")


def test_widget_channel_web_link_is_announced_as_a_web_link(api, widget, agent, admin):
    widget.weblink_slug = "support"
    widget.save(update_fields=["weblink_slug"])
    client = APIClient()
    body = ok(
        client.post(
            "/api/v1/widget/enquiries",
            {"channel_key": widget.key, "message": "From the QR code", "entry": "weblink"},
            format="json",
        ),
        201,
    )
    enquiry = Enquiry.objects.get(pk=body["id"])
    assert enquiry.via == "weblink" and _intro(enquiry).startswith("New web link enquiry via")
    assert _custom_info(enquiry) == ["Internal: VIP desk"]  # a tag link: the channel's custom info
    listed = ok(api(admin).get(f"/api/v1/enquiries/{enquiry.pk}"))
    assert listed["via"] == "weblink" and listed["channel_kind"] == "widget"
    enquiry_services.enquiry_pick_up(actor=agent, enquiry_id=enquiry.pk)
    assert _room_info(api, agent, enquiry.pk)["enquiry"]["channel"] == "weblink"


def test_a_widget_claiming_a_web_link_it_does_not_have_is_a_widget(widget, api, admin):
    assert not widget.weblink_slug
    body = ok(
        APIClient().post(
            "/api/v1/widget/enquiries", {"channel_key": widget.key, "message": "Hi", "entry": "weblink"}, format="json"
        ),
        201,
    )
    enquiry = Enquiry.objects.get(pk=body["id"])
    assert enquiry.via == "" and _intro(enquiry).startswith("New Widget enquiry via")
    assert ok(api(admin).get(f"/api/v1/enquiries/{enquiry.pk}"))["via"] == "widget"
    error(
        APIClient().post(
            "/api/v1/widget/enquiries", {"channel_key": widget.key, "message": "Hi", "entry": "email"}, format="json"
        ),
        400,
    )


def test_channel_custom_info_still_shown_without_a_tag_one(open_enquiry, make_staff, support, widget: Channel):
    make_staff(tags=[support])
    assert _custom_info(open_enquiry()) == ["Internal: VIP desk"]


# ---------------------------------------------------------------------------- live panels


def test_topic_and_visitor_changes_reload_the_panels_of_staff_only(api, handled, admin, events):
    enquiry, owner = handled
    events.clear()
    ok(api(owner).patch(f"/api/v1/enquiries/{enquiry.pk}", {"topic": "Refund"}))
    [(groups, payload)] = events.of_type("enquiry.updated")
    assert payload["data"] == {"enquiry_id": enquiry.pk, "room_id": enquiry.room.pk, "fields": ["topic"]}
    assert f"staff.{owner.pk}" in groups and "admins" in groups
    assert f"visitor.{enquiry.visitor_id}" not in groups and f"room.{enquiry.room.pk}" not in groups
    events.clear()
    body = {"custom_fields": [{"name": "Plan", "value": "Gold"}]}
    ok(api(owner).patch(f"/api/v1/enquiries/{enquiry.pk}/visitor", body, format="json"))
    [(groups, payload)] = events.of_type("enquiry.updated")
    assert payload["data"]["fields"] == ["visitor"] and f"staff.{owner.pk}" in groups
    # Refused input sends nothing.
    events.clear()
    error(api(owner).patch(f"/api/v1/enquiries/{enquiry.pk}", {"topic": "x" * 201}, format="json"), 400)
    assert events.of_type("enquiry.updated") == []
