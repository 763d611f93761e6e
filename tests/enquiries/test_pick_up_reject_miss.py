"""Pick up, reject and the 60 s maximum wait (SPEC 3.2, 3.3)."""

from __future__ import annotations

import pytest

from contactcenter.org import services as org_services
from contactcenter.org.errors import Conflict, NotAuthorized, NotFound
from contactcenter.org.models import Staff
from enquiries import services
from enquiries.models import Enquiry, EnquiryEvent
from enquiries.selectors import enquiry_list
from rooms.models import Message, RoomMember


def panel(staff: Staff) -> list[int]:
    return [e.pk for e in enquiry_list(staff, status="open")]


def log_rows(enquiry: Enquiry, type_: str) -> list[EnquiryEvent]:
    return list(EnquiryEvent.objects.filter(enquiry=enquiry, type=type_))


# ---------------------------------------------------------------------------- pick up


def test_pick_up_makes_owner_and_drops_others(open_enquiry, make_staff, support, events, clock):
    a = make_staff(tags=[support], name="Alice")
    b = make_staff(tags=[support])
    c = make_staff(tags=[support])
    e = open_enquiry()
    events.clear()
    clock.advance(5)

    result = services.enquiry_pick_up(actor=a, enquiry_id=e.pk)

    e.refresh_from_db()
    assert result.pk == e.pk
    assert e.status == Enquiry.Status.HANDLING and e.owner_id == a.pk
    assert e.picked_up_at == clock.now and e.deadline_at is None and e.broadcast_at is None
    member = RoomMember.objects.get(room=e.room, staff=a)
    assert member.role == RoomMember.Role.OWNER
    assert list(RoomMember.objects.filter(room=e.room).values_list("staff_id", flat=True)) == [a.pk]
    assert panel(a) == [] and panel(b) == [] and panel(c) == []
    assert [x.pk for x in enquiry_list(a, status="handling")] == [e.pk]

    taken = events.of_type("enquiry.taken")
    assert len(taken) == 1
    groups, payload = taken[0]
    assert groups == sorted([f"staff.{b.pk}", f"staff.{c.pk}"])
    assert payload["data"] == {"enquiry_id": e.pk, "owner_id": a.pk, "owner_name": "Alice"}
    picked = events.of_type("enquiry.picked_up")
    assert len(picked) == 2
    assert set(picked[0][0]) == {f"room.{e.room.pk}", "admins", f"staff.{a.pk}"}
    assert picked[0][1]["data"]["enquiry"]["owner"] == {"id": a.pk, "display_name": "Alice"}
    assert picked[0][1]["data"]["enquiry"]["status"] == "handling"
    # The visitor's copy: who answers, nothing of the staff's view (channel name, ids).
    assert picked[1][0] == [f"visitor.{e.visitor_id}"]
    assert picked[1][1]["data"]["enquiry"] == {"id": e.pk, "status": "handling", "owner": {"display_name": "Alice"}}

    row = log_rows(e, "picked_up")[0]
    assert row.actor_id == a.pk and row.created_at == clock.now
    assert Message.objects.filter(room=e.room, text="Alice joined the conversation.").exists()


def test_second_pick_up_is_409(open_enquiry, make_staff, support, events):
    a = make_staff(tags=[support], name="Alice")
    b = make_staff(tags=[support])
    e = open_enquiry()
    services.enquiry_pick_up(actor=a, enquiry_id=e.pk)
    events.clear()
    with pytest.raises(Conflict) as info:
        services.enquiry_pick_up(actor=b, enquiry_id=e.pk)
    assert info.value.status_code == 409 and info.value.code == "taken"
    assert "already been taken by Alice" in info.value.message
    e.refresh_from_db()
    assert e.owner_id == a.pk
    assert events.sent == []
    assert len(log_rows(e, "picked_up")) == 1
    # The owner picking up again is refused as well: nothing changes.
    with pytest.raises(Conflict):
        services.enquiry_pick_up(actor=a, enquiry_id=e.pk)


def test_pick_up_by_staff_not_alerted_is_403(open_enquiry, make_staff, support, make_tag):
    make_staff(tags=[support])
    outsider = make_staff(tags=[make_tag("Sales")])
    away = make_staff(tags=[support], availability=Staff.Availability.AWAY)
    e = open_enquiry()
    for who in (outsider, away):
        with pytest.raises(NotAuthorized) as info:
            services.enquiry_pick_up(actor=who, enquiry_id=e.pk)
        assert info.value.status_code == 403
    e.refresh_from_db()
    assert e.status == Enquiry.Status.OPEN and e.owner_id is None


def test_pick_up_unknown_enquiry_is_404(make_staff):
    with pytest.raises(NotFound):
        services.enquiry_pick_up(actor=make_staff(), enquiry_id=999999)


def test_pick_up_after_rejecting_is_409(open_enquiry, make_staff, support):
    make_staff(tags=[support])
    b = make_staff(tags=[support])
    e = open_enquiry()
    services.enquiry_reject(actor=b, enquiry_id=e.pk)
    with pytest.raises(Conflict) as info:
        services.enquiry_pick_up(actor=b, enquiry_id=e.pk)
    assert info.value.code == "rejected"
    e.refresh_from_db()
    assert e.status == Enquiry.Status.OPEN


def test_pick_up_at_concurrent_limit_is_409(open_enquiry, make_staff, support, events):
    a = make_staff(tags=[support], max_concurrent=2)
    make_staff(tags=[support])
    e1, e2, e3 = open_enquiry(), open_enquiry(), open_enquiry()
    services.enquiry_pick_up(actor=a, enquiry_id=e1.pk)
    services.enquiry_pick_up(actor=a, enquiry_id=e2.pk)
    events.clear()
    with pytest.raises(Conflict) as info:
        services.enquiry_pick_up(actor=a, enquiry_id=e3.pk)
    assert info.value.code == "over_limit" and "limit of 2" in info.value.message
    e3.refresh_from_db()
    assert e3.status == Enquiry.Status.OPEN and e3.owner_id is None
    assert events.sent == []
    # Resolving one frees a place: the limit counts enquiries being handled.
    services.enquiry_resolve(actor=a, enquiry_id=e1.pk)
    services.enquiry_pick_up(actor=a, enquiry_id=e3.pk)
    assert Enquiry.objects.filter(owner=a, status=Enquiry.Status.HANDLING).count() == 2


def test_pick_up_after_missed_is_409_with_clear_message(open_enquiry, make_staff, support, clock):
    a = make_staff(tags=[support])
    e = open_enquiry()
    clock.advance(60)
    services.timers_sweep()
    with pytest.raises(Conflict) as info:
        services.enquiry_pick_up(actor=a, enquiry_id=e.pk)
    assert info.value.status_code == 409 and info.value.code == "missed"
    assert "nobody picked it up in time" in info.value.message
    e.refresh_from_db()
    assert e.status == Enquiry.Status.MISSED and e.owner_id is None
    assert not RoomMember.objects.filter(room=e.room).exists()


def test_pick_up_on_the_deadline_but_before_the_sweep_wins(open_enquiry, make_staff, support, clock):
    # The deadline is enforced by the sweep; until it runs, the enquiry is still open.
    a = make_staff(tags=[support])
    e = open_enquiry()
    clock.advance(60)
    services.enquiry_pick_up(actor=a, enquiry_id=e.pk)
    assert services.timers_sweep()["missed"] == 0
    e.refresh_from_db()
    assert e.status == Enquiry.Status.HANDLING


def test_pick_up_of_direct_enquiry(make_channel, make_staff, make_visitor, events):
    target = make_staff()
    channel = make_channel(staff=target)
    e = services.enquiry_open(channel=channel, visitor=make_visitor(channel), message="hi")
    events.clear()
    services.enquiry_pick_up(actor=target, enquiry_id=e.pk)
    e.refresh_from_db()
    assert e.owner_id == target.pk
    assert events.of_type("enquiry.taken") == []


# ---------------------------------------------------------------------------- reject


def test_reject_removes_from_that_panel_only(open_enquiry, make_staff, support, events):
    a = make_staff(tags=[support])
    b = make_staff(tags=[support])
    e = open_enquiry()
    events.clear()
    services.enquiry_reject(actor=a, enquiry_id=e.pk)
    e.refresh_from_db()
    assert e.status == Enquiry.Status.OPEN
    assert panel(a) == [] and panel(b) == [e.pk]
    assert events.types() == ["enquiry.rejected"]
    assert events.of_type("enquiry.rejected")[0] == (
        [f"staff.{a.pk}"],
        {
            "type": "enquiry.rejected",
            "data": {"enquiry_id": e.pk},
        },
    )
    row = log_rows(e, "rejected")[0]
    assert row.actor_id == a.pk and row.data == {"transfer": None}
    services.enquiry_pick_up(actor=b, enquiry_id=e.pk)
    # The rejecter is not told "taken": its panel already dropped it (and b was the only other).
    assert events.of_type("enquiry.taken") == []


def test_reject_twice_is_409(open_enquiry, make_staff, support):
    a = make_staff(tags=[support])
    make_staff(tags=[support])
    e = open_enquiry()
    services.enquiry_reject(actor=a, enquiry_id=e.pk)
    with pytest.raises(Conflict) as info:
        services.enquiry_reject(actor=a, enquiry_id=e.pk)
    assert info.value.code == "rejected"


def test_reject_not_offered_is_403(open_enquiry, make_staff, support, make_tag):
    make_staff(tags=[support])
    outsider = make_staff(tags=[make_tag("Sales")])
    e = open_enquiry()
    with pytest.raises(NotAuthorized):
        services.enquiry_reject(actor=outsider, enquiry_id=e.pk)


def test_reject_after_pick_up_is_409(open_enquiry, make_staff, support):
    a = make_staff(tags=[support])
    b = make_staff(tags=[support])
    e = open_enquiry()
    services.enquiry_pick_up(actor=a, enquiry_id=e.pk)
    with pytest.raises(Conflict):
        services.enquiry_reject(actor=b, enquiry_id=e.pk)


def test_all_alerted_reject_then_missed(open_enquiry, make_staff, support, events):
    a = make_staff(tags=[support])
    b = make_staff(tags=[support])
    e = open_enquiry()
    services.enquiry_reject(actor=a, enquiry_id=e.pk)
    events.clear()
    services.enquiry_reject(actor=b, enquiry_id=e.pk)
    e.refresh_from_db()
    assert e.status == Enquiry.Status.MISSED and e.missed_reason == Enquiry.MissedReason.ALL_REJECTED
    assert e.deadline_at is None
    missed = events.of_type("enquiry.missed")
    assert len(missed) == 1
    # Everyone the destination serves sees it arrive in their Missed list (not only the alerted).
    served = {f"staff.{a.pk}", f"staff.{b.pk}"}
    assert set(missed[0][0]) == {f"visitor.{e.visitor_id}", f"room.{e.room.pk}", "admins", *served}
    assert missed[0][1]["data"]["reason"] == "all_rejected"
    row = log_rows(e, "missed")[0]
    assert row.actor_id is None and row.data == {"reason": "all_rejected"}
    # Missed enquiries are in the missed list of staff serving the destination.
    assert [x.pk for x in enquiry_list(a, status="missed")] == [e.pk]


# ---------------------------------------------------------------------------- 60 s maximum wait


def test_missed_at_exactly_60_seconds(open_enquiry, make_staff, support, events, clock):
    a = make_staff(tags=[support])
    b = make_staff(tags=[support])
    e = open_enquiry()
    events.clear()
    clock.advance(59.9)
    assert services.timers_sweep()["missed"] == 0
    e.refresh_from_db()
    assert e.status == Enquiry.Status.OPEN
    assert events.sent == []

    clock.advance(0.1)
    assert services.timers_sweep()["missed"] == 1
    e.refresh_from_db()
    assert e.status == Enquiry.Status.MISSED and e.missed_reason == Enquiry.MissedReason.TIMEOUT
    assert e.missed_at == clock.now
    assert panel(a) == [] and panel(b) == []
    missed = events.of_type("enquiry.missed")
    assert len(missed) == 1
    assert set(missed[0][0]) == {
        f"visitor.{e.visitor_id}",
        f"room.{e.room.pk}",
        "admins",
        f"staff.{a.pk}",
        f"staff.{b.pk}",
    }
    notice = Message.objects.get(room=e.room, data__bot="missed")
    assert notice.data == {"bot": "missed", "reason": "timeout", "text_code": "missed_nobody", "text_params": {}}
    assert "Leave a note" in notice.text

    # Idempotent: a second sweep (or a second process) changes nothing.
    events.clear()
    assert services.timers_sweep() == dict.fromkeys(
        ("broadcast", "missed", "transfers_lapsed", "closed", "sessions_expired"), 0
    )
    assert services.enquiries_expire_overdue(clock.now) == 0
    assert events.sent == []
    assert len(log_rows(e, "missed")) == 1
    assert Message.objects.filter(room=e.room, data__bot="missed").count() == 1


def test_missed_timeout_tells_every_staff_member_the_destination_serves(
    open_enquiry, make_staff, make_tag, support, events, clock
):
    # The one who still had it drops it from their panel; the one who rejected it (and
    # anyone else serving the destination) sees it arrive in their Missed list at once.
    a = make_staff(tags=[support])
    b = make_staff(tags=[support])
    elsewhere = make_staff(tags=[make_tag("Sales")])
    e = open_enquiry()
    services.enquiry_reject(actor=a, enquiry_id=e.pk)
    clock.advance(60)
    services.timers_sweep()
    groups = events.of_type("enquiry.missed")[0][0]
    assert f"staff.{b.pk}" in groups and f"staff.{a.pk}" in groups and f"staff.{elsewhere.pk}" not in groups


def test_max_wait_is_a_setting(open_enquiry, make_staff, support, clock, settings):
    settings.CC_ENQUIRY_MAX_WAIT_SECONDS = 5
    make_staff(tags=[support])
    e = open_enquiry()
    clock.advance(4.9)
    assert services.timers_sweep()["missed"] == 0
    clock.advance(0.1)
    assert services.timers_sweep()["missed"] == 1
    e.refresh_from_db()
    assert e.status == Enquiry.Status.MISSED


def test_direct_enquiry_also_missed_after_60_seconds(make_channel, make_staff, make_visitor, clock):
    target = make_staff()
    channel = make_channel(staff=target)
    e = services.enquiry_open(channel=channel, visitor=make_visitor(channel), message="hi")
    clock.advance(60)
    assert services.timers_sweep()["missed"] == 1
    e.refresh_from_db()
    assert e.missed_reason == "timeout"


def test_sweep_is_not_fooled_by_a_late_alert(open_enquiry, make_staff, support, clock):
    # A staff member alerted at 50 s (by becoming active) does not extend the 60 s.
    make_staff(tags=[support])
    late = make_staff(tags=[support], availability=Staff.Availability.OFFLINE)
    e = open_enquiry()
    clock.advance(50)
    org_services.staff_set_availability(actor=late, staff=late, availability=Staff.Availability.ACTIVE)
    assert panel(late) == [e.pk]
    clock.advance(10)
    assert services.timers_sweep()["missed"] == 1


def test_missed_enquiry_cannot_be_rejected(open_enquiry, make_staff, support, clock):
    a = make_staff(tags=[support])
    e = open_enquiry()
    clock.advance(60)
    services.timers_sweep()
    with pytest.raises(Conflict) as info:
        services.enquiry_reject(actor=a, enquiry_id=e.pk)
    assert info.value.code == "missed"
