"""Issue 12, items 7 and 8: the transfer offer says who transfers to whom and until when; a
Leave racing an accept tells both sides what happened; a resolved enquiry says when it
auto-closes and may be kept open (admin setting) or closed now; an agent's load against
their concurrent limit."""

from __future__ import annotations

import datetime as dt

import pytest

from contactcenter.org import services as org_services
from contactcenter.org.errors import Conflict, NotAuthorized
from enquiries import services
from enquiries.models import Enquiry, EnquiryEvent, Transfer
from enquiries.selectors import enquiry_data, enquiry_list
from rooms.models import Message
from tests.conftest import api_client_for

# ---------------------------------------------------------------------------- the offer card


def test_transfer_offer_names_who_and_to_whom(handled, make_staff, make_tag, events, clock):
    e, owner = handled
    target = make_staff(name="Tom Target")
    events.clear()
    services.enquiry_transfer(actor=owner, enquiry_id=e.pk, to_staff=target)
    (opened,) = events.of_type("enquiry.opened")
    offer = opened[1]["data"]["enquiry"]["transfer"]
    assert offer["from_staff_name"] == "Olive Owner"
    assert offer["to_staff_name"] == "Tom Target" and offer["to_tag_name"] is None
    assert offer["deadline_at"] == (clock.now + dt.timedelta(seconds=60)).isoformat()
    # The panel's list says the same.
    (row,) = api_client_for(target).get("/api/v1/enquiries?status=open").json()["results"]
    assert row["transfer"]["from_staff_name"] == "Olive Owner" and row["offered"] is True


def test_transfer_to_a_tag_names_the_tag(handled, make_staff, make_tag):
    e, owner = handled
    billing = make_tag("Billing")
    make_staff(name="Bea Billing", tags=[billing])
    services.enquiry_transfer(actor=owner, enquiry_id=e.pk, to_tag=billing)
    data = enquiry_data(Enquiry.objects.get(pk=e.pk))
    assert data["transfer"]["to_tag_name"] == "Billing" and data["transfer"]["to_staff_name"] is None
    assert data["destination"]["name"] != "Billing"  # the card must not show the old destination


def test_list_of_offers_costs_no_query_per_row(handled, make_staff, open_enquiry, support):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    e, owner = handled
    target = make_staff(name="Tom Target", max_concurrent=10)
    http = api_client_for(target)
    services.enquiry_transfer(actor=owner, enquiry_id=e.pk, to_staff=target)
    with CaptureQueriesContext(connection) as one:
        page = http.get("/api/v1/enquiries?status=open").json()
    assert page["results"][0]["transfer"]["to_staff_name"] == "Tom Target"
    for _ in range(2):
        other = open_enquiry()
        services.enquiry_pick_up(actor=owner, enquiry_id=other.pk)
        services.enquiry_transfer(actor=owner, enquiry_id=other.pk, to_staff=target)
    with CaptureQueriesContext(connection) as three:
        assert len(http.get("/api/v1/enquiries?status=open").json()["results"]) == 3
    assert len(three) == len(one)


# ---------------------------------------------------------------------------- Leave races an accept


def test_leave_wins_then_the_accept_is_told_the_owner_left(handled, make_staff, events):
    e, owner = handled
    target = make_staff(name="Tom Target")
    transfer = services.enquiry_transfer(actor=owner, enquiry_id=e.pk, to_staff=target)
    events.clear()
    services.enquiry_leave(actor=owner, enquiry_id=e.pk)

    (lapsed,) = events.of_type("enquiry.transferred")
    assert lapsed[1]["data"]["state"] == "lapsed" and lapsed[1]["data"]["reason"] == "closed"
    note = Message.objects.filter(room=e.room, text__startswith="The transfer was cancelled").last()
    assert note is not None and note.text == "The transfer was cancelled: the enquiry was closed."

    with pytest.raises(Conflict) as exc:
        services.enquiry_pick_up(actor=target, enquiry_id=e.pk)
    assert exc.value.code == "transfer_ended"
    assert str(exc.value.message) == (
        "Olive Owner left and closed the enquiry before you accepted: the transfer was cancelled."
    )
    # Rejecting the vanished offer says the same (not "already taken by Olive Owner").
    response = api_client_for(target).post(f"/api/v1/enquiries/{e.pk}/reject")
    assert response.status_code == 409
    assert response.json()["code"] == "transfer_ended" and "left and closed" in response.json()["detail"]
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.LAPSED


def test_accept_wins_then_the_leave_is_told_the_enquiry_is_theirs(handled, make_staff):
    e, owner = handled
    target = make_staff(name="Tom Target")
    services.enquiry_transfer(actor=owner, enquiry_id=e.pk, to_staff=target)
    services.enquiry_pick_up(actor=target, enquiry_id=e.pk)

    response = api_client_for(owner).post(f"/api/v1/enquiries/{e.pk}/leave")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "transferred"
    assert body["detail"].startswith("Tom Target accepted your transfer before you left")
    e.refresh_from_db()
    assert e.status == Enquiry.Status.HANDLING and e.owner_id == target.pk  # nothing closed


def test_a_second_acceptor_is_told_who_was_first(handled, make_staff, make_tag):
    e, owner = handled
    billing = make_tag("Billing")
    first = make_staff(name="Fay First", tags=[billing])
    second = make_staff(name="Sid Second", tags=[billing])
    services.enquiry_transfer(actor=owner, enquiry_id=e.pk, to_tag=billing)
    services.enquiry_pick_up(actor=first, enquiry_id=e.pk)
    with pytest.raises(Conflict) as exc:
        services.enquiry_pick_up(actor=second, enquiry_id=e.pk)
    assert exc.value.message == "Fay First accepted this transfer first."


def test_resolve_and_timeout_say_why_the_offer_ended(handled, make_staff, clock, events):
    e, owner = handled
    target = make_staff(name="Tom Target")
    services.enquiry_transfer(actor=owner, enquiry_id=e.pk, to_staff=target)
    clock.advance(61)
    events.clear()
    services.timers_sweep(clock.now)
    (lapsed,) = events.of_type("enquiry.transferred")
    assert lapsed[1]["data"]["reason"] == "timeout"
    with pytest.raises(Conflict) as exc:
        services.enquiry_pick_up(actor=target, enquiry_id=e.pk)
    assert exc.value.message == "The transfer from Olive Owner was not accepted in time and has lapsed."

    services.enquiry_transfer(actor=owner, enquiry_id=e.pk, to_staff=target)
    services.enquiry_resolve(actor=owner, enquiry_id=e.pk)
    with pytest.raises(Conflict) as exc:
        services.enquiry_pick_up(actor=target, enquiry_id=e.pk)
    assert exc.value.message == "Olive Owner resolved the enquiry before you accepted: the transfer was cancelled."


# ---------------------------------------------------------------- resolved: auto-close, keep open, close now


def test_resolved_enquiry_says_when_it_auto_closes(handled, events, clock):
    e, owner = handled
    events.clear()
    services.enquiry_resolve(actor=owner, enquiry_id=e.pk)
    due = (clock.now + dt.timedelta(minutes=15)).isoformat()
    (resolved,) = events.of_type("enquiry.resolved")
    assert resolved[1]["data"]["auto_close_at"] == due
    body = api_client_for(owner).get(f"/api/v1/enquiries/{e.pk}").json()
    assert body["auto_close_at"] == due
    info = api_client_for(owner).get(f"/api/v1/rooms/{e.room.pk}").json()
    assert info["enquiry"]["auto_close_at"] == due


def test_keep_open_needs_the_setting(handled, admin, events, clock):
    e, owner = handled
    services.enquiry_resolve(actor=owner, enquiry_id=e.pk)
    http = api_client_for(owner)
    refused = http.post(f"/api/v1/enquiries/{e.pk}/keep-open")
    assert refused.status_code == 403 and "does not allow" in refused.json()["detail"]
    assert Enquiry.objects.get(pk=e.pk).auto_close_at is not None

    org_services.org_settings_update(actor=admin, changes={"agents_may_keep_open": True})
    assert api_client_for(admin).get("/api/v1/settings").json()["agents_may_keep_open"] is True
    events.clear()
    kept = http.post(f"/api/v1/enquiries/{e.pk}/keep-open")
    assert kept.status_code == 200 and kept.json()["auto_close_at"] is None and kept.json()["status"] == "resolved"
    (resolved,) = events.of_type("enquiry.resolved")
    assert resolved[1]["data"]["auto_close_at"] is None
    assert EnquiryEvent.objects.filter(enquiry=e, type="kept_open", actor=owner).count() == 1
    assert http.post(f"/api/v1/enquiries/{e.pk}/keep-open").status_code == 200  # idempotent
    assert EnquiryEvent.objects.filter(enquiry=e, type="kept_open").count() == 1
    # It does not close by itself any more.
    clock.advance(3600)
    services.timers_sweep(clock.now)
    assert Enquiry.objects.get(pk=e.pk).status == Enquiry.Status.RESOLVED
    # ...but the owner can close it now.
    closed = http.post(f"/api/v1/enquiries/{e.pk}/close")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert EnquiryEvent.objects.filter(enquiry=e, type="closed", actor=owner).count() == 1


def test_keep_open_and_close_refusals(handled, make_staff, admin):
    e, owner = handled
    org_services.org_settings_update(actor=admin, changes={"agents_may_keep_open": True})
    other = make_staff(name="Otto Other")
    # Not resolved yet.
    with pytest.raises(Conflict):
        services.enquiry_keep_open(actor=owner, enquiry_id=e.pk)
    with pytest.raises(Conflict):
        services.enquiry_close(actor=owner, enquiry_id=e.pk)
    services.enquiry_resolve(actor=owner, enquiry_id=e.pk)
    for action in (services.enquiry_keep_open, services.enquiry_close):
        with pytest.raises(NotAuthorized):
            action(actor=other, enquiry_id=e.pk)
    assert api_client_for(owner).post("/api/v1/enquiries/999999/close").status_code == 404
    bad = api_client_for(admin).patch("/api/v1/settings", {"agents_may_keep_open": "maybe"}, format="json")
    assert bad.status_code == 400
    assert Enquiry.objects.get(pk=e.pk).status == Enquiry.Status.RESOLVED


def test_a_customer_writing_to_a_kept_open_enquiry_reopens_it(handled, admin):
    from rooms.services import message_post

    e, owner = handled
    org_services.org_settings_update(actor=admin, changes={"agents_may_keep_open": True})
    services.enquiry_resolve(actor=owner, enquiry_id=e.pk)
    services.enquiry_keep_open(actor=owner, enquiry_id=e.pk)
    message_post(room_id=e.room.pk, text="one more thing", visitor=e.visitor)
    assert Enquiry.objects.get(pk=e.pk).status == Enquiry.Status.HANDLING


# ---------------------------------------------------------------------------- load against the limit


def test_my_load_says_when_new_enquiries_are_not_offered(make_staff, support, open_enquiry):
    agent = make_staff(tags=[support], name="Lim Agent", max_concurrent=1)
    http = api_client_for(agent)
    assert http.get("/api/v1/me/load").json() == {"handling": 0, "max_concurrent": 1, "at_limit": False}
    first = open_enquiry()
    services.enquiry_pick_up(actor=agent, enquiry_id=first.pk)
    assert http.get("/api/v1/me/load").json() == {"handling": 1, "max_concurrent": 1, "at_limit": True}
    second = open_enquiry()
    assert second.pk not in [x.pk for x in enquiry_list(agent, status="open")]  # not offered: the banner's why
    services.enquiry_resolve(actor=agent, enquiry_id=first.pk)
    assert http.get("/api/v1/me/load").json()["at_limit"] is False
    assert api_client_for(None).get("/api/v1/me/load").status_code in (401, 403)
