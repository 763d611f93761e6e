"""Transfer to a staff member or a tag (SPEC 3.6): offered, accepted, rejected, lapsed."""

from __future__ import annotations

import datetime as dt

import pytest

from contactcenter.org.errors import Conflict, InvalidInput, NotAuthorized
from contactcenter.org.models import Staff
from enquiries import services
from enquiries.models import Enquiry, EnquiryAlert, EnquiryEvent, Transfer
from enquiries.selectors import enquiry_list
from rooms.models import Message
from rooms.services import message_post
from tests.conftest import room_members


def panel(staff: Staff) -> list[int]:
    return [e.pk for e in enquiry_list(staff, status="open")]


# ---------------------------------------------------------------------------- to a staff member


def test_transfer_to_staff_offers_and_owner_keeps_it(handled, make_staff, events, clock):
    e, owner = handled
    target = make_staff(name="Tom Target")
    events.clear()

    transfer = services.enquiry_transfer(actor=owner, enquiry_id=e.pk, to_staff=target)

    assert transfer.status == Transfer.Status.PENDING and transfer.to_staff_id == target.pk
    assert transfer.deadline_at == clock.now + dt.timedelta(seconds=60)
    e.refresh_from_db()
    assert e.owner_id == owner.pk and e.status == Enquiry.Status.HANDLING
    assert room_members(e) == {owner.pk: "owner"}
    assert panel(target) == [e.pk]
    opened = events.of_type("enquiry.opened")
    assert [g for g, _ in opened] == [[f"staff.{target.pk}"]]
    assert opened[0][1]["data"]["transfer_id"] == transfer.pk
    assert opened[0][1]["data"]["enquiry"]["transfer"]["to_staff"] == target.pk
    offered = events.of_type("enquiry.transferred")
    assert offered[0][0] == sorted(["admins", f"staff.{owner.pk}"])
    assert offered[0][1]["data"]["state"] == "offered" and offered[0][1]["data"]["owner_id"] == owner.pk
    row = EnquiryEvent.objects.get(enquiry=e, type="transfer_started")
    assert row.actor_id == owner.pk and row.data == {"transfer": transfer.pk, "to": "Tom Target"}
    note = Message.objects.filter(room=e.room, text__contains="is transferring this enquiry to Tom Target").get()
    assert note.data == {"visibility": "staff"}
    # The customer still chats with the owner meanwhile.
    message_post(room_id=e.room.pk, text="still here", staff=owner)
    with pytest.raises(NotAuthorized):
        message_post(room_id=e.room.pk, text="not yet", staff=target)


def test_transfer_accept_by_pick_up(handled, make_staff, events):
    e, owner = handled
    target = make_staff(name="Tom Target")
    transfer = services.enquiry_transfer(actor=owner, enquiry_id=e.pk, to_staff=target)
    events.clear()

    services.enquiry_pick_up(actor=target, enquiry_id=e.pk)

    e.refresh_from_db()
    transfer.refresh_from_db()
    assert e.owner_id == target.pk and e.status == Enquiry.Status.HANDLING
    assert transfer.status == Transfer.Status.ACCEPTED and transfer.accepted_by_id == target.pk
    assert room_members(e) == {target.pk: "owner"}
    assert panel(target) == []
    left = events.of_type("room.member_left")
    assert left == [
        (
            [f"room.{e.room.pk}", f"staff.{owner.pk}"],
            {"type": "room.member_left", "data": {"room_id": e.room.pk, "staff_id": owner.pk}},
        )
    ]
    accepted = events.of_type("enquiry.transferred")
    assert len(accepted) == 1
    assert set(accepted[0][0]) == {
        f"visitor.{e.visitor_id}",
        f"room.{e.room.pk}",
        "admins",
        f"staff.{target.pk}",
        f"staff.{owner.pk}",
    }
    assert accepted[0][1]["data"]["state"] == "accepted" and accepted[0][1]["data"]["owner_id"] == target.pk
    row = EnquiryEvent.objects.get(enquiry=e, type="transferred")
    assert row.actor_id == target.pk and row.data == {"transfer": transfer.pk, "from": owner.pk}
    assert Message.objects.filter(room=e.room, text="Transferred from Olive Owner to Tom Target.").exists()
    # New owner chats; old owner can no longer post.
    message_post(room_id=e.room.pk, text="I'll take it from here", staff=target)
    with pytest.raises(NotAuthorized):
        message_post(room_id=e.room.pk, text="bye", staff=owner)


def test_transfer_target_at_limit_cannot_accept(handled, make_staff, open_enquiry, support):
    e, owner = handled
    target = make_staff(tags=[support], max_concurrent=2)
    transfer = services.enquiry_transfer(actor=owner, enquiry_id=e.pk, to_staff=target)
    # Target fills up meanwhile.
    for _ in range(2):
        other = open_enquiry()
        services.enquiry_pick_up(actor=target, enquiry_id=other.pk)
    with pytest.raises(Conflict) as info:
        services.enquiry_pick_up(actor=target, enquiry_id=e.pk)
    assert info.value.code == "over_limit"
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.PENDING


# ---------------------------------------------------------------------------- to a tag


def test_transfer_to_tag_alerts_available_members_and_drops_the_rest(handled, make_staff, make_tag, events):
    e, owner = handled
    sales = make_tag("Sales")
    s1 = make_staff(tags=[sales])
    s2 = make_staff(tags=[sales])
    s3 = make_staff(tags=[sales])
    make_staff(tags=[sales], availability=Staff.Availability.AWAY)
    events.clear()
    transfer = services.enquiry_transfer(actor=owner, enquiry_id=e.pk, to_tag=sales)
    targets = set(EnquiryAlert.objects.filter(transfer=transfer).values_list("staff_id", flat=True))
    assert targets == {s1.pk, s2.pk, s3.pk}
    assert panel(s1) == panel(s2) == panel(s3) == [e.pk]
    services.enquiry_reject(actor=s3, enquiry_id=e.pk)
    events.clear()

    services.enquiry_pick_up(actor=s1, enquiry_id=e.pk)

    taken = events.of_type("enquiry.taken")
    assert [g for g, _ in taken] == [[f"staff.{s2.pk}"]]
    assert taken[0][1]["data"]["owner_id"] == s1.pk
    assert panel(s2) == [] and panel(s3) == []
    with pytest.raises(Conflict):
        services.enquiry_pick_up(actor=s2, enquiry_id=e.pk)
    e.refresh_from_db()
    assert e.owner_id == s1.pk


def test_transfer_to_own_tag_excludes_the_owner(handled, make_staff, support):
    e, owner = handled
    colleague = make_staff(tags=[support])
    transfer = services.enquiry_transfer(actor=owner, enquiry_id=e.pk, to_tag=support)
    targets = set(EnquiryAlert.objects.filter(transfer=transfer).values_list("staff_id", flat=True))
    assert targets == {colleague.pk}


# ---------------------------------------------------------------------------- lapse


def test_transfer_lapses_after_60_seconds(handled, make_staff, events, clock):
    e, owner = handled
    target = make_staff()
    transfer = services.enquiry_transfer(actor=owner, enquiry_id=e.pk, to_staff=target)
    events.clear()
    clock.advance(59.9)
    assert services.timers_sweep()["transfers_lapsed"] == 0
    assert events.sent == []
    clock.advance(0.1)
    assert services.timers_sweep()["transfers_lapsed"] == 1

    transfer.refresh_from_db()
    e.refresh_from_db()
    assert transfer.status == Transfer.Status.LAPSED and transfer.ended_at == clock.now
    assert e.owner_id == owner.pk and e.status == Enquiry.Status.HANDLING
    assert room_members(e) == {owner.pk: "owner"}
    assert panel(target) == []
    lapsed = events.of_type("enquiry.transferred")
    # The target too: its panel says why the offer went.
    assert lapsed[0][0] == sorted(["admins", f"staff.{owner.pk}", f"staff.{target.pk}"])
    assert lapsed[0][1]["data"]["state"] == "lapsed" and lapsed[0][1]["data"]["owner_id"] == owner.pk
    assert lapsed[0][1]["data"]["reason"] == "timeout"
    assert events.of_type("enquiry.taken")[0][0] == [f"staff.{target.pk}"]
    row = EnquiryEvent.objects.get(enquiry=e, type="transfer_lapsed")
    assert row.actor_id is None and row.data == {"transfer": transfer.pk, "reason": "timeout"}
    notice = Message.objects.get(room=e.room, text__contains="was not accepted in time")
    assert notice.data == {"visibility": "staff"}

    events.clear()
    assert services.timers_sweep()["transfers_lapsed"] == 0
    assert events.sent == []
    with pytest.raises(Conflict):
        services.enquiry_pick_up(actor=target, enquiry_id=e.pk)
    # A new transfer may start once the old one lapsed.
    services.enquiry_transfer(actor=owner, enquiry_id=e.pk, to_staff=target)


def test_transfer_wait_is_a_setting(handled, make_staff, clock, settings):
    settings.CC_TRANSFER_MAX_WAIT_SECONDS = 10
    e, owner = handled
    services.enquiry_transfer(actor=owner, enquiry_id=e.pk, to_staff=make_staff())
    clock.advance(10)
    assert services.timers_sweep()["transfers_lapsed"] == 1


def test_all_targets_reject_then_lapse(handled, make_staff, make_tag, events):
    e, owner = handled
    sales = make_tag("Sales")
    s1 = make_staff(tags=[sales])
    s2 = make_staff(tags=[sales])
    transfer = services.enquiry_transfer(actor=owner, enquiry_id=e.pk, to_tag=sales)
    services.enquiry_reject(actor=s1, enquiry_id=e.pk)
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.PENDING
    events.clear()
    services.enquiry_reject(actor=s2, enquiry_id=e.pk)
    transfer.refresh_from_db()
    e.refresh_from_db()
    assert transfer.status == Transfer.Status.LAPSED
    assert e.owner_id == owner.pk and e.status == Enquiry.Status.HANDLING
    assert events.of_type("enquiry.rejected")[0][0] == [f"staff.{s2.pk}"]
    assert events.of_type("enquiry.transferred")[0][1]["data"]["state"] == "lapsed"
    assert EnquiryEvent.objects.get(enquiry=e, type="transfer_lapsed").data["reason"] == "rejected"
    assert Message.objects.filter(room=e.room, text__contains="was declined").exists()
    rejected = EnquiryEvent.objects.filter(enquiry=e, type="rejected").order_by("id")
    assert [(r.actor_id, r.data["transfer"]) for r in rejected] == [(s1.pk, transfer.pk), (s2.pk, transfer.pk)]


def test_resolve_ends_a_pending_transfer(handled, make_staff, events):
    e, owner = handled
    target = make_staff()
    transfer = services.enquiry_transfer(actor=owner, enquiry_id=e.pk, to_staff=target)
    services.enquiry_resolve(actor=owner, enquiry_id=e.pk)
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.LAPSED
    assert panel(target) == []
    with pytest.raises(Conflict):
        services.enquiry_pick_up(actor=target, enquiry_id=e.pk)


# ---------------------------------------------------------------------------- refusals


def test_transfer_by_non_owner_is_403(handled, make_staff, support):
    e, owner = handled
    other = make_staff(tags=[support])
    with pytest.raises(NotAuthorized) as info:
        services.enquiry_transfer(actor=other, enquiry_id=e.pk, to_staff=make_staff())
    assert info.value.status_code == 403
    assert not Transfer.objects.exists()


def test_transfer_of_enquiry_not_handling_is_409(handled, make_staff, open_enquiry):
    e, owner = handled
    services.enquiry_resolve(actor=owner, enquiry_id=e.pk)
    with pytest.raises(Conflict) as info:
        services.enquiry_transfer(actor=owner, enquiry_id=e.pk, to_staff=make_staff())
    assert info.value.status_code == 409


def test_transfer_of_open_enquiry_is_refused(open_enquiry, make_staff, support):
    a = make_staff(tags=[support])
    e = open_enquiry()
    with pytest.raises(NotAuthorized):
        services.enquiry_transfer(actor=a, enquiry_id=e.pk, to_staff=make_staff())


def test_second_pending_transfer_is_409(handled, make_staff):
    e, owner = handled
    services.enquiry_transfer(actor=owner, enquiry_id=e.pk, to_staff=make_staff())
    with pytest.raises(Conflict) as info:
        services.enquiry_transfer(actor=owner, enquiry_id=e.pk, to_staff=make_staff())
    assert info.value.code == "transfer_pending"
    assert Transfer.objects.filter(enquiry=e).count() == 1


def test_transfer_to_self_is_400(handled):
    e, owner = handled
    with pytest.raises(InvalidInput) as info:
        services.enquiry_transfer(actor=owner, enquiry_id=e.pk, to_staff=owner)
    assert info.value.status_code == 400 and "staff" in info.value.fields


def test_transfer_needs_exactly_one_target(handled, make_staff, support):
    e, owner = handled
    with pytest.raises(InvalidInput):
        services.enquiry_transfer(actor=owner, enquiry_id=e.pk)
    with pytest.raises(InvalidInput):
        services.enquiry_transfer(actor=owner, enquiry_id=e.pk, to_staff=make_staff(), to_tag=support)


@pytest.mark.parametrize("availability", [Staff.Availability.BUSY, Staff.Availability.AWAY, Staff.Availability.OFFLINE])
def test_transfer_to_unavailable_staff_is_409(handled, make_staff, events, availability):
    e, owner = handled
    target = make_staff(availability=availability)
    events.clear()
    with pytest.raises(Conflict) as info:
        services.enquiry_transfer(actor=owner, enquiry_id=e.pk, to_staff=target)
    assert info.value.code == "nobody_available"
    assert not Transfer.objects.exists() and events.sent == []
    assert not EnquiryEvent.objects.filter(enquiry=e, type="transfer_started").exists()


def test_transfer_to_tag_with_nobody_available_is_409(handled, make_tag, make_staff):
    e, owner = handled
    empty = make_tag("Empty")
    make_staff(tags=[empty], availability=Staff.Availability.AWAY)
    with pytest.raises(Conflict) as info:
        services.enquiry_transfer(actor=owner, enquiry_id=e.pk, to_tag=empty)
    assert info.value.code == "nobody_available"


def test_transfer_to_staff_at_limit_is_409(handled, make_staff, make_channel, make_visitor):
    e, owner = handled
    target = make_staff(max_concurrent=1)
    channel = make_channel(staff=target)
    other = services.enquiry_open(channel=channel, visitor=make_visitor(channel), message="hi")
    services.enquiry_pick_up(actor=target, enquiry_id=other.pk)
    with pytest.raises(Conflict) as info:
        services.enquiry_transfer(actor=owner, enquiry_id=e.pk, to_staff=target)
    assert info.value.code == "nobody_available"
