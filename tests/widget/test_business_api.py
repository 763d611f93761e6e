"""The visitor sees the business (issue 13, "business"): the channel's public name, never
its internal one; system messages in the visitor's wording (no roles); web links and QR
codes with the admin's UTM parameters; a web link page opens on its team's start form."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
import segno
from django.test import Client, override_settings

from channels_adapters.models import Channel
from channels_adapters.widget_views import weblink_start, widget_config
from contactcenter.org import services as org_services
from enquiries import services
from rooms.models import Message
from tests.api.conftest import counts, error, ok

pytestmark = pytest.mark.django_db

UTM = {"utm_source": "poster", "utm_medium": "print", "utm_campaign": "spring sale", "utm_content": "a4"}


def _link(api: Any, admin: Any, widget: Channel, **changes: Any) -> dict[str, Any]:
    body = {"weblink_slug": "support", **changes}
    return dict(ok(api(admin).patch(f"/api/v1/channels/{widget.pk}", body, format="json")))


# ------------------------------------------------------------------ UTM of web links and QR codes


def test_admin_sets_the_links_utm(api, admin, widget):
    got = _link(api, admin, widget, weblink_utm={**UTM, "utm_term": "  ", "utm_medium": " print "})
    # Trimmed, empty ones dropped, in the fixed order of the link's query string.
    assert got["weblink_utm"] == {
        "utm_source": "poster",
        "utm_medium": "print",
        "utm_campaign": "spring sale",
        "utm_content": "a4",
    }
    assert got["weblink_url"] == "/l/support?utm_source=poster&utm_medium=print&utm_campaign=spring+sale&utm_content=a4"
    widget.refresh_from_db()
    assert widget.weblink_utm["utm_source"] == "poster"
    # Cleared with {} or null.
    assert _link(api, admin, widget, weblink_utm=None)["weblink_url"] == "/l/support"


def test_create_a_link_with_utm(api, admin, support):
    body = {
        "kind": "weblink",
        "name": "Agent link",
        "destination_tag": support.pk,
        "weblink_slug": "flyer",
        "weblink_utm": {"utm_source": "flyer", "utm_campaign": "Frühling"},
    }
    got = ok(api(admin).post("/api/v1/channels", body, format="json"), 201)
    assert got["weblink_url"] == "/l/flyer?utm_source=flyer&utm_campaign=Fr%C3%BChling"


@pytest.mark.parametrize(
    "value",
    [
        "utm_source=poster",
        ["poster"],
        {"utm_source": 5},
        {"utm_source": {"a": "b"}},
        {"utm_source": "x" * 101},
        {"utm_source": "two\nlines"},
        {"utm_campaign": "tab\there"},
        {"utm_medium": "bell\x07"},
        {"utm_id": "42"},
        {"source": "poster"},
    ],
)
def test_bad_utm_is_refused_and_nothing_changes(api, admin, widget, value):
    _link(api, admin, widget, weblink_utm={"utm_source": "before"})
    before = counts()
    body = error(
        api(admin).patch(
            f"/api/v1/channels/{widget.pk}", {"weblink_utm": value, "widget_color": "#000000"}, format="json"
        ),
        400,
    )
    # On the field when one value is wrong ("weblink_utm.utm_source"), else on the whole.
    assert any(key.split(".")[0] == "weblink_utm" for key in body), body
    assert counts() == before
    widget.refresh_from_db()
    assert widget.weblink_utm == {"utm_source": "before"} and widget.widget_color == "#2563eb"


def test_agents_cannot_set_utm(api, make_staff, support, widget):
    agent = make_staff(tags=[support])
    error(api(agent).patch(f"/api/v1/channels/{widget.pk}", {"weblink_utm": UTM}, format="json"), 403)


def _qr_png(url: str) -> bytes:
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=8, border=4)
    return out.getvalue()


def test_qr_code_encodes_the_link_with_its_utm(api, admin, widget):
    _link(api, admin, widget)
    plain = api(admin).get(f"/api/v1/channels/{widget.pk}/qr.png")
    assert plain.content == _qr_png("http://testserver/l/support")
    got = _link(api, admin, widget, weblink_utm=UTM)
    png = api(admin).get(f"/api/v1/channels/{widget.pk}/qr.png")
    expected = f"http://testserver{got['weblink_url']}"
    assert png["X-QR-Content"] == expected
    # The very code of that URL: the PNG is segno's for it, and not the plain link's.
    assert png.content == _qr_png(expected) != plain.content
    svg = api(admin).get(f"/api/v1/channels/{widget.pk}/qr.svg")
    assert svg["X-QR-Content"] == expected
    out = io.BytesIO()
    segno.make(expected, error="m").save(out, kind="svg", scale=8, border=4, xmldecl=True)
    assert svg.content == out.getvalue()


@override_settings(CC_PUBLIC_BASE_URL="https://chat.example.com/")
def test_qr_code_uses_the_public_address(api, admin, widget):
    _link(api, admin, widget, weblink_utm={"utm_source": "poster"})
    png = api(admin).get(f"/api/v1/channels/{widget.pk}/qr.png")
    assert png["X-QR-Content"] == "https://chat.example.com/l/support?utm_source=poster"


# ------------------------------------------------------------------ the business, not our internals


def test_public_name_is_never_the_internal_name(admin, widget):
    assert widget_config(widget)["company_name"] == "Customer service"
    assert widget.name not in json.dumps(widget_config(widget))
    org_services.org_settings_update(actor=admin, changes={"company_name": "Acme Shop"})
    assert widget_config(widget)["company_name"] == "Acme Shop"
    widget.widget_company_name = "Acme Help"
    widget.save(update_fields=["widget_company_name"])
    assert widget_config(widget)["company_name"] == "Acme Help"


def _page(path: str) -> tuple[str, dict[str, Any]]:
    response = Client().get(path)
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    found = re.search(r'<script id="cc-config" type="application/json">(.*?)</script>', html, re.S)
    assert found
    return html, json.loads(found.group(1))


def test_weblink_page_heading_is_the_business(admin, widget, make_tag):
    widget.weblink_slug = "support"
    widget.show_tag_directory = True
    widget.save(update_fields=["weblink_slug", "show_tag_directory"])
    org_services.org_settings_update(actor=admin, changes={"company_name": "Acme Shop"})
    html, config = _page("/l/support")
    assert '<h1 id="cc-engage-title">Acme Shop</h1>' in html
    assert "<title>Talk to Acme Shop</title>" in html
    assert "Chat with our Support team" in html and widget.name not in html
    assert config["start"] == {"tag": "Support"}
    # ?tag= names another team (any case); an unknown one falls back to the link's own.
    make_tag("Billing")
    html, config = _page("/l/support?tag=billing&utm_source=poster")
    assert config["start"] == {"tag": "Billing"} and "Chat with our Billing team" in html
    assert _page("/l/support?tag=Nope")[1]["start"] == {"tag": "Support"}
    # The iframe's config has no start: the widget's home decides there.
    assert "start" not in widget_config(widget)


def test_staff_link_opens_on_that_person(make_channel, make_staff, support):
    alice = make_staff(tags=[support], name="Alice Agent")
    link = make_channel(staff=alice, kind="weblink", weblink_slug="alice")
    assert weblink_start(link, tag_name=None) == {"staffName": "Alice Agent"}
    html, _ = _page("/l/alice")
    assert "Chat with Alice Agent" in html


# ------------------------------------------------------------------ system messages, as the visitor reads them


def _visitor_texts(api: Any, enquiry: Any) -> list[str]:
    got = ok(api(enquiry.visitor).get(f"/api/v1/rooms/{enquiry.room.pk}/messages"))
    return [m["text"] for m in got["results"]]


def _staff_texts(api: Any, admin: Any, enquiry: Any) -> list[str]:
    got = ok(api(admin).get(f"/api/v1/rooms/{enquiry.room.pk}/messages"))
    return [m["text"] for m in got["results"]]


def test_visitor_reads_admin_joined_without_the_role(api, handled, admin, events):
    e, _owner = handled
    events.clear()
    services.enquiry_join(actor=admin, enquiry_id=e.pk)
    assert "Ada Admin (admin) joined the conversation." in _staff_texts(api, admin, e)
    texts = _visitor_texts(api, e)
    assert "Ada Admin joined the conversation." in texts
    assert not any("(admin)" in t for t in texts)
    # Live: the room (staff) gets the staff's wording, the visitor's group the visitor's.
    created = events.of_type("message.created")
    by_group = {g: p["data"]["message"] for groups, p in created for g in groups}
    assert by_group[f"room.{e.room.pk}"]["text"] == "Ada Admin (admin) joined the conversation."
    visitor_copy = by_group[f"visitor.{e.visitor_id}"]
    assert visitor_copy["text"] == "Ada Admin joined the conversation."
    assert visitor_copy["data"]["text_code"] == "joined"  # worded for each reader (rooms.system_texts)


def test_visitor_reads_take_over_as_joined(api, handled, admin):
    e, _owner = handled
    services.enquiry_take_over(actor=admin, enquiry_id=e.pk)
    assert "Ada Admin (admin) took over this conversation." in _staff_texts(api, admin, e)
    assert _visitor_texts(api, e)[-1] == "Ada Admin joined the conversation."
    message = Message.objects.filter(room=e.room).order_by("-id").first()
    assert message is not None and message.data["text_code"] == "joined"
    assert message.data["text_params"] == {"name": "Ada Admin"}


def test_take_over_after_join_tells_who_looks_after(api, handled, admin):
    e, _owner = handled
    services.enquiry_join(actor=admin, enquiry_id=e.pk)
    services.enquiry_take_over(actor=admin, enquiry_id=e.pk)
    assert _visitor_texts(api, e)[-1] == "Ada Admin is now looking after your conversation."


def test_visitor_reads_transfer_as_joined(api, handled, make_staff, admin):
    e, owner = handled
    target = make_staff(name="Tom Target")
    services.enquiry_transfer(actor=owner, enquiry_id=e.pk, to_staff=target)
    services.enquiry_pick_up(actor=target, enquiry_id=e.pk)
    assert f"Transferred from {owner.display_name} to Tom Target." in _staff_texts(api, admin, e)
    assert _visitor_texts(api, e)[-1] == "Tom Target joined the conversation."


def test_visitors_enquiry_names_no_channel(api, open_enquiry, widget):
    enquiry = open_enquiry()
    got = ok(api(enquiry.visitor).get(f"/api/v1/widget/enquiries/{enquiry.pk}"))
    assert "channel_name" not in got and "channel_kind" not in got
    assert widget.name not in json.dumps(got)
    # Staff still see which channel it came through.
    assert enquiry.channel.name == widget.name


def test_one_link_several_qr_codes(api, admin, widget):
    """A code of the same link with another UTM set: the query's utm_* over the link's own."""
    _link(api, admin, widget, weblink_utm={"utm_source": "poster", "utm_medium": "print"})
    client = api(admin)
    own = client.get(f"/api/v1/channels/{widget.pk}/qr.png")
    other = client.get(f"/api/v1/channels/{widget.pk}/qr.png?utm_campaign=bus-stop&utm_medium=")
    assert other["X-QR-Content"] == "http://testserver/l/support?utm_source=poster&utm_campaign=bus-stop"
    assert other.content == _qr_png(other["X-QR-Content"]) != own.content
    svg = client.get(f"/api/v1/channels/{widget.pk}/qr.svg?utm_source=flyer")
    assert svg["X-QR-Content"] == "http://testserver/l/support?utm_source=flyer&utm_medium=print"
    # Bad values are refused; the link itself is unchanged.
    error(client.get(f"/api/v1/channels/{widget.pk}/qr.png?utm_source=" + "x" * 101), 400)
    error(client.get(f"/api/v1/channels/{widget.pk}/qr.png?utm_id=7"), 400)
    widget.refresh_from_db()
    assert widget.weblink_utm == {"utm_source": "poster", "utm_medium": "print"}
