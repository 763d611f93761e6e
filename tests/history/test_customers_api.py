"""Customers API: the list and its search, the profile and its validation, the interaction
record, possible duplicates, merge and undo (and its 30 days), customer tags, and who may
see what (agent who served them, admin, another agent, visitor, anonymous). Every response
is checked against /api/schema/ (the autouse fixture of tests/api/conftest.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from rest_framework.test import APIClient

from contactcenter.org import clock
from customers.models import Customer, CustomerMerge, CustomerTag
from enquiries import services as enquiry_services
from enquiries.models import Enquiry, Visitor
from tests.api import conftest as api_conftest
from tests.api.conftest import error, ok
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db

# The API tests' autouse fixture: every response is checked against /api/schema/.
_schema_check = api_conftest._check_responses_against_schema


@pytest.fixture
def agent(make_staff: Any, support: Any) -> Any:
    return make_staff(tags=[support], name="Alice Agent")


@pytest.fixture
def agent2(make_staff: Any, support: Any) -> Any:
    return make_staff(tags=[support], name="Bob Agent")


def served(open_enquiry: Any, agent: Any, visitor: Visitor, *, resolve: bool = True) -> Enquiry:
    """An enquiry of ``visitor`` that ``agent`` picked up (and resolved)."""
    enquiry = open_enquiry(visitor=visitor)
    enquiry_services.enquiry_pick_up(actor=agent, enquiry_id=enquiry.pk)
    if resolve:
        enquiry_services.enquiry_resolve(actor=agent, enquiry_id=enquiry.pk)
    enquiry.refresh_from_db()
    return enquiry


def customer_counts() -> dict[str, int]:
    return {
        "customers": Customer.objects.count(),
        "live": Customer.objects.filter(merged_into__isnull=True).count(),
        "merges": CustomerMerge.objects.count(),
        "tags": CustomerTag.objects.count(),
        "tagged": Customer.tags.through.objects.count(),
    }


@pytest.fixture
def world(admin: Any, agent: Any, agent2: Any, make_visitor: Any, open_enquiry: Any, widget: Any) -> dict[str, Any]:
    carol = make_visitor(
        widget, first_name="Carol", last_name="Jones", email="carol@example.org", phone="+44 20 7946 0001"
    )
    dave = make_visitor(widget, first_name="Dave", last_name="Smith", phone="0207 946 0002")
    erin = make_visitor(widget, first_name="Erin", last_name="Stone")
    e1 = served(open_enquiry, agent, carol)
    e2 = served(open_enquiry, agent, dave)
    e3 = served(open_enquiry, agent2, erin)
    return {
        "carol": carol.customer,
        "dave": dave.customer,
        "erin": erin.customer,
        "visitors": {"carol": carol, "dave": dave, "erin": erin},
        "enquiries": [e1, e2, e3],
    }


def test_every_visitor_has_a_customer_with_its_fields(world: dict[str, Any]) -> None:
    carol = world["carol"]
    assert carol.name == "Carol Jones"
    assert carol.email == "carol@example.org"
    assert carol.phone == "+44 20 7946 0001"
    carol.refresh_from_db()
    assert carol.last_seen_at == world["enquiries"][0].created_at


def test_agents_list_only_the_customers_they_served_admins_all(
    world: dict[str, Any], admin: Any, agent: Any, agent2: Any
) -> None:
    names = lambda who: [r["name"] for r in ok(api_client_for(who).get("/api/v1/customers"))["results"]]  # noqa: E731
    assert names(agent) == ["Dave Smith", "Carol Jones"]  # most recently seen first
    assert names(agent2) == ["Erin Stone"]
    assert sorted(names(admin)) == ["Carol Jones", "Dave Smith", "Erin Stone"]
    row = ok(api_client_for(agent).get("/api/v1/customers", {"q": "carol"}))["results"][0]
    assert row["channels"] == ["widget"] and row["enquiry_count"] == 1


def test_others_get_404_visitors_and_anonymous_are_refused(world: dict[str, Any], agent2: Any) -> None:
    carol = world["carol"].pk
    for path in (
        f"/api/v1/customers/{carol}",
        f"/api/v1/customers/{carol}/enquiries",
        f"/api/v1/customers/{carol}/duplicates",
    ):
        error(api_client_for(agent2).get(path), 404)
        error(APIClient().get(path), 401)
        assert api_client_for(world["visitors"]["carol"]).get(path).status_code in (401, 403)
    error(api_client_for(agent2).patch(f"/api/v1/customers/{carol}", {"notes": "x"}, format="json"), 404)
    error(api_client_for(world["visitors"]["carol"]).get("/api/v1/customers"), 401)
    error(api_client_for(agent2).get("/api/v1/customers/999999"), 404)


def test_search_by_name_email_phone_and_platform_id(
    world: dict[str, Any], admin: Any, make_channel: Any, support: Any
) -> None:
    client = api_client_for(admin)

    def found(q: str) -> list[str]:
        return [r["name"] for r in ok(client.get("/api/v1/customers", {"q": q}))["results"]]

    assert found("jones") == ["Carol Jones"]
    assert found("CAROL@example") == ["Carol Jones"]
    assert found("7946 0001") == ["Carol Jones"]
    assert found("02079460002") == ["Dave Smith"]  # the phone's digits, however written
    line = make_channel(tag=support, kind="line", credentials={"channel_secret": "s", "channel_access_token": "t"})
    visitor = enquiry_services.visitor_create(
        channel=line, fields={"first_name": "Lin"}, channel_identity="U4af4980629"
    )
    assert found("U4af4980629") == ["Lin"]
    assert visitor.customer is not None
    assert found("nobody-like-this") == []


def test_tag_filter_and_tags_on_the_profile(world: dict[str, Any], admin: Any, agent: Any) -> None:
    vip = ok(
        api_client_for(admin).post("/api/v1/customer-tags", {"name": "VIP", "color": "#FF0000"}, format="json"), 201
    )
    assert vip["color"] == "#ff0000"
    carol = world["carol"].pk
    profile = ok(api_client_for(agent).patch(f"/api/v1/customers/{carol}", {"tags": [vip["id"]]}, format="json"))
    assert [t["name"] for t in profile["tags"]] == ["VIP"]
    rows = ok(api_client_for(agent).get("/api/v1/customers", {"tag": vip["id"]}))["results"]
    assert [r["id"] for r in rows] == [carol]
    error(api_client_for(agent).get("/api/v1/customers", {"tag": "x"}), 400)


def test_profile_edit_and_field_messages_that_change_nothing(world: dict[str, Any], agent: Any) -> None:
    carol = world["carol"].pk
    client = api_client_for(agent)
    body = {
        "name": "Carol Q. Jones",
        "email": "Carol.Jones@Example.org",
        "phone": "+44 20 7946 0009",
        "notes": "Prefers email.",
        "custom_fields": [{"name": "Plan", "value": "Gold"}],
    }
    profile = ok(client.patch(f"/api/v1/customers/{carol}", body, format="json"))
    assert profile["name"] == "Carol Q. Jones" and profile["email"] == "carol.jones@example.org"
    assert profile["custom_fields"] == [{"name": "Plan", "value": "Gold"}]
    before = ok(client.get(f"/api/v1/customers/{carol}"))
    bad = [
        ({"email": "not-an-email"}, "email"),
        ({"phone": "call me"}, "phone"),
        ({"name": "x" * 201}, "name"),
        ({"tags": [999999]}, "tags"),
        ({"tags": "VIP"}, "tags"),
        ({"custom_fields": [{"name": "A", "value": "1"}, {"name": "a", "value": "2"}]}, "custom_fields"),
        ({"custom_fields": [{"name": "", "value": "1"}]}, "custom_fields"),
        ({}, "name"),
    ]
    for payload, field in bad:
        body = error(client.patch(f"/api/v1/customers/{carol}", payload, format="json"), 400)
        assert field in body, (payload, body)
    assert ok(client.get(f"/api/v1/customers/{carol}")) == before


def test_interaction_record_every_channel_newest_first(
    world: dict[str, Any], agent: Any, agent2: Any, admin: Any, open_enquiry: Any, make_channel: Any, support: Any
) -> None:
    carol = world["visitors"]["carol"]
    other_widget = make_channel(tag=support)
    later = open_enquiry(channel=other_widget, visitor=carol)  # waiting: nobody served it yet
    rows = ok(api_client_for(agent).get(f"/api/v1/customers/{carol.customer_id}/enquiries"))["results"]
    assert [r["id"] for r in rows] == [later.pk, world["enquiries"][0].pk]
    assert rows[0]["channel"]["name"] == other_widget.name and rows[0]["status"] == "open"
    assert rows[0]["owner"] is None and rows[0]["transcript"] is False  # not served by agent
    assert ok(api_client_for(admin).get(f"/api/v1/customers/{carol.customer_id}/enquiries"))["results"][0]["transcript"]
    assert rows[1]["transcript"] is True and rows[1]["room"] == world["enquiries"][0].room.pk
    assert rows[1]["closed_at"] is not None


def test_duplicates_are_suggested_with_reasons_not_linked(
    world: dict[str, Any], agent: Any, admin: Any, make_visitor: Any, open_enquiry: Any, widget: Any
) -> None:
    # The same email typed into a widget form: not proven, so a new customer, suggested.
    again = make_visitor(widget, first_name="C.", last_name="J", email="CAROL@example.org")
    same_phone = make_visitor(widget, first_name="Someone", last_name="Else", phone="00 44 20 7946 0001")
    same_name = make_visitor(widget, first_name="carol", last_name="jones")
    for v in (again, same_phone, same_name):
        served(open_enquiry, agent, v)
    assert again.customer_id != world["carol"].pk
    found = ok(api_client_for(agent).get(f"/api/v1/customers/{world['carol'].pk}/duplicates"))["results"]
    reasons = {r["id"]: r["reasons"] for r in found}
    assert reasons == {again.customer_id: ["email"], same_phone.customer_id: ["phone"], same_name.customer_id: ["name"]}
    # Another agent who did not serve them sees no suggestion of them.
    assert ok(api_client_for(admin).get(f"/api/v1/customers/{world['dave'].pk}/duplicates"))["results"] == []


def test_merge_moves_visitors_tags_fills_fields_and_undo_restores(
    world: dict[str, Any], agent: Any, admin: Any
) -> None:
    vip = CustomerTag.objects.create(name="VIP")
    carol, dave = world["carol"], world["dave"]
    dave.tags.add(vip)
    Customer.objects.filter(pk=dave.pk).update(email="dave@example.org", notes="Calls on Mondays.")
    Customer.objects.filter(pk=carol.pk).update(email="")
    client = api_client_for(agent)
    result = ok(client.post(f"/api/v1/customers/{carol.pk}/merge", {"other": dave.pk}, format="json"))
    merged = result["customer"]
    assert merged["email"] == "dave@example.org" and merged["notes"] == "Calls on Mondays."
    assert merged["name"] == "Carol Jones" and [t["name"] for t in merged["tags"]] == ["VIP"]
    assert {i["visitor"] for i in merged["identities"]} == {world["visitors"]["carol"].pk, world["visitors"]["dave"].pk}
    assert merged["enquiry_count"] == 2 and merged["merges"][0]["other"] == dave.pk
    error(client.get(f"/api/v1/customers/{dave.pk}"), 404)  # merged: hidden
    assert [r["id"] for r in ok(client.get("/api/v1/customers"))["results"]] == [carol.pk]
    rows = ok(client.get(f"/api/v1/customers/{carol.pk}/enquiries"))["results"]
    assert len(rows) == 2
    # A merged customer cannot be merged again.
    error(client.post(f"/api/v1/customers/{carol.pk}/merge", {"other": dave.pk}, format="json"), 400)
    undone = ok(client.post(f"/api/v1/customers/{carol.pk}/merges/{result['merge']['id']}/undo"))
    assert undone["email"] == "" and undone["notes"] == "" and undone["tags"] == [] and undone["merges"] == []
    assert [i["visitor"] for i in undone["identities"]] == [world["visitors"]["carol"].pk]
    dave_back = ok(client.get(f"/api/v1/customers/{dave.pk}"))
    assert dave_back["email"] == "dave@example.org" and [t["name"] for t in dave_back["tags"]] == ["VIP"]
    body = error(client.post(f"/api/v1/customers/{carol.pk}/merges/{result['merge']['id']}/undo"), 409)
    assert body["code"] == "undone"


def test_undo_after_30_days_is_refused_with_a_clear_reason(world: dict[str, Any], admin: Any, clock: Any) -> None:
    client = api_client_for(admin)
    carol, dave = world["carol"].pk, world["dave"].pk
    merge = ok(client.post(f"/api/v1/customers/{carol}/merge", {"other": dave}, format="json"))["merge"]
    clock.set(clock_now() + dt.timedelta(days=30, minutes=1))
    client = api_client_for(admin)  # a fresh login: the first token has expired meanwhile
    before = customer_counts()
    body = error(client.post(f"/api/v1/customers/{carol}/merges/{merge['id']}/undo"), 409)
    assert body["code"] == "undo_expired" and "30 days" in body["detail"]
    assert customer_counts() == before
    assert Visitor.objects.get(pk=world["visitors"]["dave"].pk).customer_id == carol


def clock_now() -> dt.datetime:
    return clock.now()


def test_merge_refusals_change_nothing(world: dict[str, Any], agent: Any, agent2: Any, admin: Any) -> None:
    carol, erin = world["carol"].pk, world["erin"].pk
    before = customer_counts()
    # agent did not serve Erin: may not merge her (she is "no such customer" to them).
    body = error(api_client_for(agent).post(f"/api/v1/customers/{carol}/merge", {"other": erin}, format="json"), 400)
    assert "other" in body
    error(api_client_for(agent2).post(f"/api/v1/customers/{carol}/merge", {"other": erin}, format="json"), 404)
    for payload in ({}, {"other": "x"}, {"other": carol}, {"other": 999999}, {"other": 0}):
        body = error(api_client_for(admin).post(f"/api/v1/customers/{carol}/merge", payload, format="json"), 400)
        assert "other" in body, (payload, body)
    error(APIClient().post(f"/api/v1/customers/{carol}/merge", {"other": erin}, format="json"), 401)
    assert customer_counts() == before
    # Only an admin or the agent who merged may undo.
    merge = ok(
        api_client_for(admin).post(f"/api/v1/customers/{carol}/merge", {"other": world["dave"].pk}, format="json")
    )
    error(api_client_for(agent).post(f"/api/v1/customers/{carol}/merges/{merge['merge']['id']}/undo"), 403)
    error(api_client_for(admin).post(f"/api/v1/customers/{carol}/merges/999999/undo"), 404)


def test_customer_tags_admins_write_everyone_reads(world: dict[str, Any], admin: Any, agent: Any) -> None:
    error(api_client_for(agent).post("/api/v1/customer-tags", {"name": "VIP"}, format="json"), 403)
    tag = ok(api_client_for(admin).post("/api/v1/customer-tags", {"name": "VIP"}, format="json"), 201)
    assert [t["name"] for t in ok(api_client_for(agent).get("/api/v1/customer-tags"))] == ["VIP"]
    before = customer_counts()
    for payload, field in (({"name": "vip"}, "name"), ({"name": ""}, "name"), ({"name": "B", "color": "red"}, "color")):
        body = error(api_client_for(admin).post("/api/v1/customer-tags", payload, format="json"), 400)
        assert field in body
    assert customer_counts() == before
    error(api_client_for(agent).patch(f"/api/v1/customer-tags/{tag['id']}", {"name": "X"}, format="json"), 403)
    assert (
        ok(api_client_for(admin).patch(f"/api/v1/customer-tags/{tag['id']}", {"name": "Gold"}, format="json"))["name"]
        == "Gold"
    )
    world["carol"].tags.add(tag["id"])
    assert ok(api_client_for(admin).delete(f"/api/v1/customer-tags/{tag['id']}"), 204) is None
    assert world["carol"].tags.count() == 0
    error(api_client_for(admin).delete(f"/api/v1/customer-tags/{tag['id']}"), 404)
    error(api_client_for(world["visitors"]["carol"]).get("/api/v1/customer-tags"), 401)


def test_room_info_and_inbox_rows_name_the_customer(world: dict[str, Any], agent: Any, open_enquiry: Any) -> None:
    enquiry = served(open_enquiry, agent, world["visitors"]["carol"], resolve=False)
    info = ok(api_client_for(agent).get(f"/api/v1/rooms/{enquiry.room.pk}"))
    assert info["visitor"]["customer"] == world["carol"].pk
    row = ok(api_client_for(agent).get(f"/api/v1/enquiries/{enquiry.pk}"))
    assert row["visitor"]["customer"] == world["carol"].pk


def test_every_customer_endpoint_is_in_the_schema() -> None:
    from tests.api.openapi_check import openapi

    paths = openapi()["paths"]
    for path, methods in {
        "/api/v1/customers": {"get"},
        "/api/v1/customers/{customer_id}": {"get", "patch"},
        "/api/v1/customers/{customer_id}/enquiries": {"get"},
        "/api/v1/customers/{customer_id}/duplicates": {"get"},
        "/api/v1/customers/{customer_id}/merge": {"post"},
        "/api/v1/customers/{customer_id}/merges/{merge_id}/undo": {"post"},
        "/api/v1/customer-tags": {"get", "post"},
        "/api/v1/customer-tags/{tag_id}": {"patch", "delete"},
    }.items():
        assert methods <= set(paths[path]), path
