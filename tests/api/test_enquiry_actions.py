"""The Open Enquiry panel and the staff actions over HTTP."""

from __future__ import annotations

import pytest

from enquiries import services
from enquiries.models import Enquiry, Transfer
from rooms.models import RoomMember
from tests.api.conftest import counts, error, ok

ENQUIRY_FIELDS = {
    "id", "status", "kind", "channel_kind", "destination", "visitor", "owner", "room", "created_at", "queue_position",
}  # fmt: skip


def url(enquiry, action=""):
    return f"/api/v1/enquiries/{enquiry.pk}" + (f"/{action}" if action else "")


def test_panel_lists_open_enquiries_offered(api, agent, open_enquiry, make_staff, make_tag):
    e1 = open_enquiry(message="First")
    e2 = open_enquiry(message="Second")
    outsider = make_staff(tags=[make_tag("Sales")])
    body = ok(api(agent).get("/api/v1/enquiries?status=open"))
    assert [x["id"] for x in body["results"]] == [e2.pk, e1.pk]
    row = body["results"][0]
    assert set(row) >= ENQUIRY_FIELDS
    assert row["status"] == "open" and row["channel_kind"] == "widget" and row["kind"] == "broadcast"
    assert row["destination"]["name"] == "Support" and row["owner"] is None and row["queue_position"] == 2
    assert row["first_message"] == "Second"
    assert ok(api(outsider).get("/api/v1/enquiries?status=open"))["results"] == []


def test_admin_sees_all(api, admin, agent, open_enquiry):
    e = open_enquiry()
    assert [x["id"] for x in ok(api(admin).get("/api/v1/enquiries"))["results"]] == [e.pk]
    assert [x["id"] for x in ok(api(admin).get("/api/v1/enquiries?status=open"))["results"]] == [e.pk]


@pytest.mark.parametrize("status", ["opened", "OPEN", "1"])
def test_bad_status_filter_400(api, agent, status):
    assert "status" in error(api(agent).get(f"/api/v1/enquiries?status={status}"), 400)


def test_own_enquiries_by_status(api, agent, agent2, open_enquiry, make_staff, make_tag):
    mine, theirs = open_enquiry(), open_enquiry()
    services.enquiry_pick_up(actor=agent, enquiry_id=mine.pk)
    services.enquiry_pick_up(actor=agent2, enquiry_id=theirs.pk)
    assert [x["id"] for x in ok(api(agent).get("/api/v1/enquiries?status=handling"))["results"]] == [mine.pk]
    assert [x["id"] for x in ok(api(agent).get("/api/v1/enquiries"))["results"]] == [mine.pk]
    assert ok(api(agent).get(url(mine)))["owner"]["id"] == agent.pk
    outsider = make_staff(tags=[make_tag("Sales")])
    assert error(api(outsider).get(url(theirs)), 403)["detail"] == "You may not see this enquiry."


def test_pick_up_then_409_for_second_agent(api, agent, agent2, open_enquiry):
    e = open_enquiry()
    c1, c2 = api(agent), api(agent2)
    body = ok(c1.post(url(e, "pick-up")))
    assert body["status"] == "handling" and body["owner"]["id"] == agent.pk and body["room"]
    before = counts()
    err = error(c2.post(url(e, "pick-up")), 409)
    assert "already been taken" in err["detail"] and "Alice Agent" in err["detail"]
    assert err["code"] == "taken"
    assert counts() == before
    # The enquiry has left the loser's panel.
    assert ok(c2.get("/api/v1/enquiries?status=open"))["results"] == []


def test_pick_up_lapsed_409(api, agent, open_enquiry, clock):
    e = open_enquiry()
    clock.advance(61)
    services.timers_sweep()
    err = error(api(agent).post(url(e, "pick-up")), 409)
    assert "lapsed" in err["detail"]


def test_pick_up_over_limit_409(api, make_staff, support, open_enquiry):
    solo = make_staff(tags=[support], max_concurrent=1)
    e1, e2 = open_enquiry(), open_enquiry()
    client = api(solo)
    ok(client.post(url(e1, "pick-up")))
    err = error(client.post(url(e2, "pick-up")), 409)
    assert "limit" in err["detail"] and err["code"] == "over_limit"
    assert Enquiry.objects.get(pk=e2.pk).status == "open"


def test_pick_up_not_offered_403(api, make_staff, make_tag, agent, open_enquiry):
    outsider = make_staff(tags=[make_tag("Sales")])
    e = open_enquiry()
    error(api(outsider).post(url(e, "pick-up")), 403)
    assert Enquiry.objects.get(pk=e.pk).status == "open"


def test_reject(api, agent, agent2, open_enquiry):
    e = open_enquiry()
    body = ok(api(agent).post(url(e, "reject")))
    assert body == {"id": e.pk, "rejected": True}
    assert ok(api(agent).get("/api/v1/enquiries?status=open"))["results"] == []
    assert [x["id"] for x in ok(api(agent2).get("/api/v1/enquiries?status=open"))["results"]] == [e.pk]
    client = api(agent)
    assert error(client.post(url(e, "reject")), 409)["code"] == "rejected"
    assert error(client.post(url(e, "pick-up")), 409)["code"] == "rejected"
    # The last one to reject: missed at once.
    ok(api(agent2).post(url(e, "reject")))
    e.refresh_from_db()
    assert e.status == "missed" and e.missed_reason == "all_rejected"


def test_resolve_and_leave(api, agent, agent2, open_enquiry):
    e = open_enquiry()
    owner = api(agent)
    ok(owner.post(url(e, "pick-up")))
    other = api(agent2)
    assert "owner" in error(other.post(url(e, "resolve")), 403)["detail"]
    body = ok(owner.post(url(e, "resolve")))
    assert body["status"] == "resolved" and body["resolved_at"]
    error(owner.post(url(e, "resolve")), 409)
    error(other.post(url(e, "leave")), 403)
    body = ok(owner.post(url(e, "leave")))
    assert body["status"] == "closed" and body["closed_at"]
    error(owner.post(url(e, "leave")), 409)


def test_leave_while_handling_closes(api, agent, open_enquiry):
    e = open_enquiry()
    client = api(agent)
    ok(client.post(url(e, "pick-up")))
    assert ok(client.post(url(e, "leave")))["status"] == "closed"


def test_resolve_open_enquiry_403(api, agent, open_enquiry):
    e = open_enquiry()
    error(api(agent).post(url(e, "resolve")), 403)


def test_transfer_to_staff(api, agent, agent2, open_enquiry):
    e = open_enquiry()
    owner = api(agent)
    ok(owner.post(url(e, "pick-up")))
    body = ok(owner.post(url(e, "transfer"), {"staff": agent2.pk}, format="json"))
    assert body["status"] == "pending" and body["deadline_at"]
    target = api(agent2)
    panel = ok(target.get("/api/v1/enquiries?status=open"))["results"]
    assert [x["id"] for x in panel] == [e.pk] and panel[0]["transfer"]["to_staff"] == agent2.pk
    assert error(owner.post(url(e, "transfer"), {"staff": agent2.pk}, format="json"), 409)["code"] == (
        "transfer_pending"
    )
    body = ok(target.post(url(e, "pick-up")))
    assert body["owner"]["id"] == agent2.pk
    assert Transfer.objects.get().status == "accepted"
    assert not RoomMember.objects.filter(room=e.room, staff=agent).exists()


def test_transfer_to_tag(api, agent, make_staff, make_tag, open_enquiry):
    sales = make_tag("Sales")
    seller = make_staff(tags=[sales])
    e = open_enquiry()
    owner = api(agent)
    ok(owner.post(url(e, "pick-up")))
    ok(owner.post(url(e, "transfer"), {"tag": "Sales"}, format="json"))
    assert [x["id"] for x in ok(api(seller).get("/api/v1/enquiries?status=open"))["results"]] == [e.pk]


def test_transfer_by_non_owner_403(api, agent, agent2, admin, open_enquiry):
    e = open_enquiry()
    services.enquiry_pick_up(actor=agent, enquiry_id=e.pk)
    client = api(agent2)
    before = counts()
    error(client.post(url(e, "transfer"), {"staff": admin.pk}, format="json"), 403)
    assert counts() == before


@pytest.mark.parametrize(
    "body",
    [{}, {"staff": 999999}, {"tag": "Nope"}, {"staff": "{agent2}", "tag": "Support"}, {"staff": "{agent}"}],
)
def test_transfer_bad_input_400(api, agent, agent2, open_enquiry, body):
    e = open_enquiry()
    services.enquiry_pick_up(actor=agent, enquiry_id=e.pk)
    ids = {"{agent}": agent.pk, "{agent2}": agent2.pk}
    body = {k: ids.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    client = api(agent)
    before = counts()
    error(client.post(url(e, "transfer"), body, format="json"), 400)
    assert counts() == before


def test_transfer_nobody_available_409(api, agent, make_staff, open_enquiry):
    away = make_staff(availability="away")
    e = open_enquiry()
    services.enquiry_pick_up(actor=agent, enquiry_id=e.pk)
    err = error(api(agent).post(url(e, "transfer"), {"staff": away.pk}, format="json"), 409)
    assert "available" in err["detail"]


@pytest.mark.parametrize("action", ["pick-up", "reject", "resolve", "leave", "transfer", "join", "take-over"])
def test_unknown_enquiry_404_json(api, admin, action):
    body = {"staff": admin.pk} if action == "transfer" else None
    r = api(admin).post(f"/api/v1/enquiries/999999/{action}", body, format="json")
    assert error(r, 404)["detail"] == "Enquiry not found."


def test_unknown_enquiry_detail_404(api, admin):
    assert error(api(admin).get("/api/v1/enquiries/999999"), 404)["detail"] == "Enquiry not found."


@pytest.mark.parametrize("path", ["/api/v1/enquiries/abc/pick-up", "/api/v1/nothing-here", "/api/v1/enquiries/1/fly"])
def test_unknown_path_404_json(api, agent, path):
    r = api(agent).post(path)
    error(r, 404)


def test_wrong_method_405_json(api, agent, open_enquiry):
    e = open_enquiry()
    error(api(agent).get(url(e, "pick-up")), 405)


def test_visitor_info_edit(api, agent, open_enquiry):
    e = open_enquiry()
    services.enquiry_pick_up(actor=agent, enquiry_id=e.pk)
    body = ok(api(agent).patch(url(e, "visitor"), {"email": "vera@example.com", "phone": "123"}, format="json"))
    assert body["visitor"]["email"] == "vera@example.com" and body["visitor"]["phone"] == "123"


@pytest.mark.parametrize("body", [{"email": "nope"}, {"first_name": "x" * 101}, {"phone": "1" * 41}])
def test_visitor_info_bad_input(api, agent, open_enquiry, body):
    e = open_enquiry()
    services.enquiry_pick_up(actor=agent, enquiry_id=e.pk)
    error(api(agent).patch(url(e, "visitor"), body, format="json"), 400)
    e.visitor.refresh_from_db()
    assert e.visitor.email == "" and e.visitor.phone == "" and e.visitor.first_name == "Vera"


def test_visitor_info_edit_needs_access(api, agent, make_staff, make_tag, open_enquiry):
    outsider = make_staff(tags=[make_tag("Sales")])
    e = open_enquiry()
    error(api(outsider).patch(url(e, "visitor"), {"email": "x@example.com"}, format="json"), 403)


def test_ratings_hidden_from_agents_by_default(api, admin, agent, open_enquiry):
    e = open_enquiry()
    services.enquiry_pick_up(actor=agent, enquiry_id=e.pk)
    assert "rating" not in ok(api(agent).get(url(e)))
    assert "rating" in ok(api(admin).get(url(e)))
