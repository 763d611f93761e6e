"""Renaming and deleting tags: a rename carries the destination along; a deletion is
refused (409, saying why) while channels route to the tag or enquiries wait on it, and
otherwise keeps the history of past enquiries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from contactcenter.org import clock as org_clock
from contactcenter.org.models import Destination, Tag
from enquiries import services as enquiry_services
from enquiries.models import Enquiry, Transfer
from tests.api.conftest import error, ok

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales(make_tag: Any) -> Tag:
    return make_tag("Sales")


def test_rename(api: Any, admin: Any, agent: Any, sales: Tag, support: Tag, make_channel: Any) -> None:
    channel = make_channel(tag=sales)
    body = ok(api(admin).patch(f"/api/v1/tags/{sales.pk}", {"name": "  Sales EU "}, format="json"))
    assert body["name"] == "Sales EU"
    channel.destination.refresh_from_db()
    assert channel.destination.name == "Sales EU"
    assert ok(api(admin).get(f"/api/v1/channels/{channel.pk}"))["destination"]["name"] == "Sales EU"
    # Taken name: 409; empty: 400; agent: 403; unknown: 404. Nothing changes.
    assert (
        "already exists"
        in error(api(admin).patch(f"/api/v1/tags/{sales.pk}", {"name": "Support"}, format="json"), 409)["detail"]
    )
    assert "name" in error(api(admin).patch(f"/api/v1/tags/{sales.pk}", {"name": " "}, format="json"), 400)
    error(api(agent).patch(f"/api/v1/tags/{sales.pk}", {"name": "X"}, format="json"), 403)
    error(api(admin).patch("/api/v1/tags/999999", {"name": "X"}, format="json"), 404)
    sales.refresh_from_db()
    assert sales.name == "Sales EU"


def test_delete_unused_tag(api: Any, admin: Any, agent: Any, sales: Tag, make_staff: Any) -> None:
    member = make_staff(tags=[sales])
    info = ok(api(admin).get(f"/api/v1/tags/{sales.pk}"))
    assert info["blockers"] == [] and info["members"] == 1
    assert any("1 staff member leaves the tag" in e for e in info["effects"])
    error(api(agent).delete(f"/api/v1/tags/{sales.pk}"), 403)
    assert api(admin).delete(f"/api/v1/tags/{sales.pk}").status_code == 204
    assert not Tag.objects.filter(pk=sales.pk).exists()
    assert list(member.tags.all()) == []
    error(api(admin).delete(f"/api/v1/tags/{sales.pk}"), 404)


def test_delete_refused_while_a_channel_routes_to_it(api: Any, admin: Any, sales: Tag, make_channel: Any) -> None:
    channel = make_channel(tag=sales)
    body = error(api(admin).delete(f"/api/v1/tags/{sales.pk}"), 409)
    assert body["code"] == "tag_in_use" and f"“{channel.name}”" in body["detail"]
    assert Tag.objects.filter(pk=sales.pk).exists()
    # Moved elsewhere: the tag can go.
    other = Tag.objects.create(name="Other")
    ok(api(admin).patch(f"/api/v1/channels/{channel.pk}", {"destination_tag": other.pk}, format="json"))
    assert api(admin).delete(f"/api/v1/tags/{sales.pk}").status_code == 204


def test_delete_refused_while_enquiries_wait_then_history_kept(
    api: Any, admin: Any, agent: Any, support: Tag, make_visitor: Any, widget: Any, make_staff: Any, clock: Any
) -> None:
    """Support has the widget channel routing to it (moved away first), then an open
    enquiry chosen in the tag directory, then a recent missed one: each refuses."""
    other = Tag.objects.create(name="Front desk")
    ok(api(admin).patch(f"/api/v1/channels/{widget.pk}", {"destination_tag": other.pk}, format="json"))
    enquiry = enquiry_services.widget_enquiry_open(
        channel=widget, visitor=None, fields={}, device={}, utm={}, message="Hello", tag=support, staff=None
    )
    assert enquiry.destination.tag_id == support.pk and enquiry.status == Enquiry.Status.OPEN
    body = error(api(admin).delete(f"/api/v1/tags/{support.pk}"), 409)
    assert "1 open enquiry is waiting" in body["detail"]
    assert "1 open enquiry is waiting" in ok(api(admin).get(f"/api/v1/tags/{support.pk}"))["blockers"][0]
    enquiry_services.enquiry_pick_up(actor=agent, enquiry_id=enquiry.pk)
    # A transfer offered to the tag.
    colleague = make_staff(tags=[support], availability="active")
    enquiry_services.enquiry_transfer(actor=agent, enquiry_id=enquiry.pk, to_tag=support)
    assert Transfer.objects.filter(to_tag=support, status="pending").exists()
    assert "being transferred to it" in error(api(admin).delete(f"/api/v1/tags/{support.pk}"), 409)["detail"]
    Transfer.objects.filter(to_tag=support).update(status=Transfer.Status.LAPSED)
    # A missed enquiry of the last 7 days is still to be followed up.
    Enquiry.objects.filter(pk=enquiry.pk).update(status=Enquiry.Status.MISSED, missed_at=org_clock.now())
    assert "missed in the last 7 days" in error(api(admin).delete(f"/api/v1/tags/{support.pk}"), 409)["detail"]
    clock.advance(dt.timedelta(days=8).total_seconds())
    info = ok(api(admin).get(f"/api/v1/tags/{support.pk}"))
    assert info["blockers"] == []
    assert any("1 past enquiry keeps “Support”" in e for e in info["effects"])
    assert api(admin).delete(f"/api/v1/tags/{support.pk}").status_code == 204
    # The enquiry keeps its destination, by name, without the tag; the transfer its row.
    enquiry.refresh_from_db()
    destination = Destination.objects.get(pk=enquiry.destination_id)
    assert destination.tag_id is None and destination.name == "Support" and destination.type == "tag"
    assert Transfer.objects.get(enquiry=enquiry).to_tag_id is None
    assert colleague.tags.count() == 0
    # The enquiry list still shows it to admins.
    assert ok(api(admin).get(f"/api/v1/enquiries/{enquiry.pk}"))["id"] == enquiry.pk


def test_tag_paths_in_schema(api: Any) -> None:
    paths = api().get("/api/schema/?format=json").json()["paths"]
    assert {"get", "patch", "delete"} <= set(paths["/api/v1/tags/{tag_id}"])
