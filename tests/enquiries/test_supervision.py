"""Supervision (SPEC 5): join, take over, the overview; agents are refused (403)."""

from __future__ import annotations

import pytest

from contactcenter.org.errors import Conflict, NotAuthorized, NotFound
from contactcenter.org.models import Staff
from enquiries import services
from enquiries.models import Enquiry, EnquiryEvent, Transfer
from monitoring.selectors import overview
from rooms.models import Message, RoomMember
from rooms.services import message_post
from tests.conftest import room_members

# ---------------------------------------------------------------------------- join


def test_admin_joins_as_participant(handled, admin, events, clock):
    e, owner = handled
    events.clear()
    services.enquiry_join(actor=admin, enquiry_id=e.pk)
    e.refresh_from_db()
    assert e.owner_id == owner.pk
    assert room_members(e) == {owner.pk: "owner", admin.pk: "participant"}
    joined = events.of_type("room.member_joined")
    assert len(joined) == 1
    groups, payload = joined[0]
    assert set(groups) == {f"room.{e.room.pk}", f"staff.{admin.pk}", f"staff.{owner.pk}", "admins"}
    assert payload["data"] == {
        "room_id": e.room.pk,
        "staff_id": admin.pk,
        "staff_name": "Ada Admin",
        "enquiry_id": e.pk,
    }
    row = EnquiryEvent.objects.get(enquiry=e, type="joined")
    assert row.actor_id == admin.pk and row.created_at == clock.now
    assert Message.objects.filter(room=e.room, text="Ada Admin (admin) joined the conversation.").exists()
    # Three parties now: the joined admin may write, but not resolve (not the owner).
    message_post(room_id=e.room.pk, text="Hello from a supervisor", staff=admin)
    with pytest.raises(NotAuthorized):
        services.enquiry_resolve(actor=admin, enquiry_id=e.pk)


def test_join_twice_is_409(handled, admin):
    e, owner = handled
    services.enquiry_join(actor=admin, enquiry_id=e.pk)
    with pytest.raises(Conflict) as info:
        services.enquiry_join(actor=admin, enquiry_id=e.pk)
    assert info.value.code == "already_member"
    assert EnquiryEvent.objects.filter(enquiry=e, type="joined").count() == 1


def test_join_open_or_missed_is_409(open_enquiry, make_staff, support, admin, clock):
    make_staff(tags=[support])
    e = open_enquiry()
    with pytest.raises(Conflict):
        services.enquiry_join(actor=admin, enquiry_id=e.pk)
    clock.advance(60)
    services.timers_sweep()
    with pytest.raises(Conflict):
        services.enquiry_join(actor=admin, enquiry_id=e.pk)
    assert not RoomMember.objects.filter(room=e.room).exists()


def test_join_unknown_is_404(admin):
    with pytest.raises(NotFound):
        services.enquiry_join(actor=admin, enquiry_id=999999)


# ---------------------------------------------------------------------------- take over


def test_admin_takes_over(handled, admin, events):
    e, owner = handled
    events.clear()
    services.enquiry_take_over(actor=admin, enquiry_id=e.pk)
    e.refresh_from_db()
    assert e.owner_id == admin.pk and e.status == Enquiry.Status.HANDLING
    assert room_members(e) == {owner.pk: "participant", admin.pk: "owner"}
    taken = events.of_type("room.taken_over")
    assert len(taken) == 1
    groups, payload = taken[0]
    assert f"staff.{owner.pk}" in groups
    assert set(groups) == {
        f"room.{e.room.pk}",
        f"staff.{admin.pk}",
        f"staff.{owner.pk}",
        "admins",
        f"visitor.{e.visitor_id}",
    }
    assert payload["data"] == {
        "room_id": e.room.pk,
        "enquiry_id": e.pk,
        "by_id": admin.pk,
        "by_name": "Ada Admin",
        "previous_owner_id": owner.pk,
    }
    row = EnquiryEvent.objects.get(enquiry=e, type="taken_over")
    assert row.actor_id == admin.pk and row.data == {"previous_owner": owner.pk}
    assert Message.objects.filter(room=e.room, text="Ada Admin (admin) took over this conversation.").exists()
    # The owner's rights move with it.
    services.enquiry_resolve(actor=admin, enquiry_id=e.pk)
    e.refresh_from_db()
    assert e.status == Enquiry.Status.RESOLVED


def test_previous_owner_loses_owner_rights(handled, admin, make_staff):
    e, owner = handled
    services.enquiry_take_over(actor=admin, enquiry_id=e.pk)
    with pytest.raises(NotAuthorized):
        services.enquiry_resolve(actor=owner, enquiry_id=e.pk)
    with pytest.raises(NotAuthorized):
        services.enquiry_transfer(actor=owner, enquiry_id=e.pk, to_staff=make_staff())
    # Still a participant: may write, and leaving only removes them.
    message_post(room_id=e.room.pk, text="noted", staff=owner)
    services.enquiry_leave(actor=owner, enquiry_id=e.pk)
    e.refresh_from_db()
    assert e.status == Enquiry.Status.HANDLING and room_members(e) == {admin.pk: "owner"}


def test_take_over_after_join(handled, admin):
    e, owner = handled
    services.enquiry_join(actor=admin, enquiry_id=e.pk)
    services.enquiry_take_over(actor=admin, enquiry_id=e.pk)
    assert room_members(e) == {owner.pk: "participant", admin.pk: "owner"}


def test_take_over_twice_is_409(handled, admin):
    e, owner = handled
    services.enquiry_take_over(actor=admin, enquiry_id=e.pk)
    with pytest.raises(Conflict) as info:
        services.enquiry_take_over(actor=admin, enquiry_id=e.pk)
    assert info.value.code == "already_owner"


def test_take_over_ends_pending_transfer(handled, admin, make_staff):
    e, owner = handled
    target = make_staff()
    transfer = services.enquiry_transfer(actor=owner, enquiry_id=e.pk, to_staff=target)
    services.enquiry_take_over(actor=admin, enquiry_id=e.pk)
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.LAPSED
    with pytest.raises(Conflict):
        services.enquiry_pick_up(actor=target, enquiry_id=e.pk)
    e.refresh_from_db()
    assert e.owner_id == admin.pk


def test_take_over_open_is_409(open_enquiry, make_staff, support, admin):
    make_staff(tags=[support])
    e = open_enquiry()
    with pytest.raises(Conflict):
        services.enquiry_take_over(actor=admin, enquiry_id=e.pk)


def test_agents_are_refused(handled, make_staff, support, events):
    e, owner = handled
    agent = make_staff(tags=[support])
    events.clear()
    for call in (services.enquiry_join, services.enquiry_take_over):
        with pytest.raises(NotAuthorized) as info:
            call(actor=agent, enquiry_id=e.pk)
        assert info.value.status_code == 403
    # Even the owner (an agent) cannot "take over" or join through supervision.
    with pytest.raises(NotAuthorized):
        services.enquiry_join(actor=owner, enquiry_id=e.pk)
    with pytest.raises(NotAuthorized):
        overview(agent)
    assert events.sent == []
    assert room_members(e) == {owner.pk: "owner"}
    assert not EnquiryEvent.objects.filter(enquiry=e, type__in=["joined", "taken_over"]).exists()


# ---------------------------------------------------------------------------- overview


def test_overview_columns_and_todays_counts(open_enquiry, make_staff, support, admin, clock):
    a = make_staff(tags=[support], name="Alice")
    make_staff(tags=[support])
    handled = open_enquiry()
    services.enquiry_pick_up(actor=a, enquiry_id=handled.pk)
    resolved = open_enquiry()
    services.enquiry_pick_up(actor=a, enquiry_id=resolved.pk)
    services.enquiry_resolve(actor=a, enquiry_id=resolved.pk)
    missed = open_enquiry()
    clock.advance(60)
    services.timers_sweep()
    missed.refresh_from_db()
    assert missed.status == Enquiry.Status.MISSED
    waiting = open_enquiry()
    clock.advance(12)

    data = overview(admin)

    assert [x["id"] for x in data["open"]] == [waiting.pk]
    assert data["open"][0]["waited_seconds"] == 12
    assert [x["id"] for x in data["handling"]] == [handled.pk]
    assert data["handling"][0]["owner"] == {"id": a.pk, "display_name": "Alice"}
    assert data["today"] == {
        "opened": 4,
        "open": 1,
        "handling": 1,
        "missed": 1,
        "resolved": 1,
        "first_response_avg_seconds": None,  # nobody wrote
        "time_zone": "UTC",
    }


def test_overview_counts_an_enquiry_resolved_twice_once(open_enquiry, make_staff, support, admin):
    a = make_staff(tags=[support])
    e = open_enquiry()
    services.enquiry_pick_up(actor=a, enquiry_id=e.pk)
    services.enquiry_resolve(actor=a, enquiry_id=e.pk)
    message_post(room_id=e.room.pk, text="one more thing", visitor=e.visitor)
    services.enquiry_resolve(actor=a, enquiry_id=e.pk)
    assert overview(admin)["today"]["resolved"] == 1


def test_overview_today_excludes_yesterday(open_enquiry, make_staff, support, admin, clock):
    make_staff(tags=[support], availability=Staff.Availability.AWAY)
    open_enquiry()  # missed at once, today (10:00)
    clock.advance(24 * 3600)
    data = overview(admin)
    assert data["today"]["missed"] == 0 and data["today"]["opened"] == 0


def test_overview_today_starts_at_midnight_where_the_admin_is(open_enquiry, make_staff, support, admin, clock):
    make_staff(tags=[support], availability=Staff.Availability.AWAY)
    open_enquiry()  # missed at once: 10:00 UTC, 18:00 in Hong Kong
    Staff.objects.filter(pk=admin.pk).update(time_zone="Asia/Hong_Kong")
    admin.refresh_from_db()
    clock.advance(7 * 3600)  # 01:00 the next day in Hong Kong, still the same day in UTC
    assert overview(admin)["today"]["missed"] == 0
    admin.time_zone = "UTC"
    assert overview(admin)["today"]["missed"] == 1


def test_lists_give_the_same_data_as_one_by_one_in_fixed_queries(
    open_enquiry, make_staff, make_tag, make_channel, support, admin, django_assert_max_num_queries, clock
):
    # Frozen time (``clock``): the durations still counting must not cross a second between
    # the list and the one-by-one reads on a loaded machine.
    from enquiries.selectors import enquiries_data, enquiry_base, enquiry_data

    sales = make_tag("Sales")
    a = make_staff(tags=[support, sales], name="Alice")
    b = make_staff(tags=[support], name="Bob")
    to_sales = make_channel(tag=sales)
    rows = [open_enquiry(), open_enquiry(channel=to_sales), open_enquiry(), open_enquiry(channel=to_sales)]
    handled = open_enquiry()
    services.enquiry_pick_up(actor=a, enquiry_id=handled.pk)
    services.enquiry_transfer(actor=a, enquiry_id=handled.pk, to_staff=b)
    ids = [e.pk for e in [*rows, handled]]
    found = list(enquiry_base().filter(pk__in=ids).order_by("id"))
    with django_assert_max_num_queries(3):  # queue positions, pending transfers, conversation tags
        listed = enquiries_data(found)
    assert listed == [enquiry_data(e) for e in found]
    assert [d["queue_position"] for d in listed] == [1, 1, 2, 2, None]
    assert listed[-1]["transfer"]["to_staff"] == b.pk
    # The overview costs the same whatever the number of enquiries.
    with django_assert_max_num_queries(10):  # 8, and the conversation tags of each list
        overview(admin)
    for _ in range(3):
        open_enquiry()
    with django_assert_max_num_queries(10):
        assert len(overview(admin)["open"]) == 7
