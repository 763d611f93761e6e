"""Resolve, reopen, auto-close, leave, rating and the missed note (SPEC 3.7, 3.8, 3.3)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from contactcenter.org import services as org_services
from contactcenter.org.errors import Conflict, InvalidInput, NotAuthorized, NotFound
from enquiries import services
from enquiries.models import Enquiry, EnquiryEvent, EnquiryNote
from rooms.models import Message, RoomMember
from rooms.services import message_post


def log(enquiry: Enquiry) -> list[tuple[str, int | None, bool]]:
    return [(r.type, r.actor_id, r.by_visitor) for r in EnquiryEvent.objects.filter(enquiry=enquiry)]


# ---------------------------------------------------------------------------- resolve


def test_resolve_by_owner(handled, events, clock):
    e, owner = handled
    events.clear()
    services.enquiry_resolve(actor=owner, enquiry_id=e.pk)
    e.refresh_from_db()
    assert e.status == Enquiry.Status.RESOLVED and e.resolved_at == clock.now
    assert e.auto_close_at == clock.now + dt.timedelta(minutes=15)
    resolved = events.of_type("enquiry.resolved")
    assert len(resolved) == 1
    assert set(resolved[0][0]) == {f"visitor.{e.visitor_id}", f"room.{e.room.pk}", "admins", f"staff.{owner.pk}"}
    assert log(e)[-1] == ("resolved", owner.pk, False)
    assert Message.objects.filter(room=e.room, data__bot="resolved").count() == 1


def test_resolve_by_non_owner_is_403(handled, make_staff, support, admin):
    e, owner = handled
    for who in (make_staff(tags=[support]), admin):
        with pytest.raises(NotAuthorized):
            services.enquiry_resolve(actor=who, enquiry_id=e.pk)
    e.refresh_from_db()
    assert e.status == Enquiry.Status.HANDLING


def test_resolve_twice_is_409(handled):
    e, owner = handled
    services.enquiry_resolve(actor=owner, enquiry_id=e.pk)
    with pytest.raises(Conflict):
        services.enquiry_resolve(actor=owner, enquiry_id=e.pk)
    assert EnquiryEvent.objects.filter(enquiry=e, type="resolved").count() == 1


# ---------------------------------------------------------------------------- reopen


def test_visitor_message_reopens_to_same_owner(handled, events, clock):
    e, owner = handled
    services.enquiry_resolve(actor=owner, enquiry_id=e.pk)
    clock.advance(60)
    events.clear()
    message, created = message_post(room_id=e.room.pk, text="One more thing", visitor=e.visitor)
    assert created
    e.refresh_from_db()
    assert e.status == Enquiry.Status.HANDLING and e.owner_id == owner.pk and e.auto_close_at is None
    reopened = events.of_type("enquiry.reopened")
    assert len(reopened) == 1
    assert set(reopened[0][0]) == {f"visitor.{e.visitor_id}", f"room.{e.room.pk}", "admins", f"staff.{owner.pk}"}
    assert log(e)[-1] == ("reopened", None, True)
    # The reopen notice comes before the visitor's message.
    last_two = list(e.room.messages.order_by("-id")[:2])
    assert last_two[0].pk == message.pk and "reopened" in last_two[1].text
    # No auto-close any more.
    clock.advance(16 * 60)
    assert services.timers_sweep()["closed"] == 0
    e.refresh_from_db()
    assert e.status == Enquiry.Status.HANDLING


def test_staff_message_does_not_reopen(handled):
    e, owner = handled
    services.enquiry_resolve(actor=owner, enquiry_id=e.pk)
    message_post(room_id=e.room.pk, text="Glad to help", staff=owner)
    e.refresh_from_db()
    assert e.status == Enquiry.Status.RESOLVED


def test_visitor_message_while_handling_does_not_reopen(handled, events):
    e, owner = handled
    message_post(room_id=e.room.pk, text="hi", visitor=e.visitor)
    assert events.of_type("enquiry.reopened") == []
    assert not EnquiryEvent.objects.filter(enquiry=e, type="reopened").exists()


# ---------------------------------------------------------------------------- auto-close


def test_auto_close_after_15_minutes(handled, events, clock):
    e, owner = handled
    services.enquiry_resolve(actor=owner, enquiry_id=e.pk)
    events.clear()
    clock.advance(15 * 60 - 0.1)
    assert services.timers_sweep()["closed"] == 0
    clock.advance(0.1)
    assert services.timers_sweep()["closed"] == 1
    e.refresh_from_db()
    assert e.status == Enquiry.Status.CLOSED and e.closed_at == clock.now and e.auto_close_at is None
    closed = events.of_type("enquiry.closed")
    assert len(closed) == 1
    assert set(closed[0][0]) == {f"visitor.{e.visitor_id}", f"room.{e.room.pk}", "admins", f"staff.{owner.pk}"}
    assert log(e)[-1] == ("closed", None, False)
    assert services.timers_sweep()["closed"] == 0
    assert EnquiryEvent.objects.filter(enquiry=e, type="closed").count() == 1


def test_auto_close_minutes_setting(handled, admin, clock):
    e, owner = handled
    org_services.org_settings_update(actor=admin, changes={"auto_close_minutes": 2})
    services.enquiry_resolve(actor=owner, enquiry_id=e.pk)
    clock.advance(119)
    assert services.timers_sweep()["closed"] == 0
    clock.advance(1)
    assert services.timers_sweep()["closed"] == 1


def test_auto_close_seconds_environment_override(handled, clock, settings):
    settings.CC_RESOLVED_AUTO_CLOSE_SECONDS = "3"
    e, owner = handled
    services.enquiry_resolve(actor=owner, enquiry_id=e.pk)
    clock.advance(3)
    assert services.timers_sweep()["closed"] == 1


def test_auto_close_disabled_never_closes(handled, admin, clock):
    e, owner = handled
    org_services.org_settings_update(actor=admin, changes={"auto_close_enabled": False})
    services.enquiry_resolve(actor=owner, enquiry_id=e.pk)
    e.refresh_from_db()
    assert e.auto_close_at is None
    clock.advance(7 * 24 * 3600)
    assert services.timers_sweep()["closed"] == 0
    e.refresh_from_db()
    assert e.status == Enquiry.Status.RESOLVED


# ---------------------------------------------------------------------------- leave, closed is read-only


def test_owner_leaving_closes_at_once(handled, events, clock):
    e, owner = handled
    events.clear()
    services.enquiry_leave(actor=owner, enquiry_id=e.pk)
    e.refresh_from_db()
    assert e.status == Enquiry.Status.CLOSED and e.closed_at == clock.now
    assert [t for t, _, _ in log(e)][-2:] == ["left", "closed"]
    assert log(e)[-1] == ("closed", owner.pk, False)
    assert events.of_type("enquiry.closed")[0][1]["data"] == {"enquiry_id": e.pk}
    with pytest.raises(Conflict):
        services.enquiry_leave(actor=owner, enquiry_id=e.pk)


def test_owner_leaving_resolved_closes_at_once(handled, clock):
    e, owner = handled
    services.enquiry_resolve(actor=owner, enquiry_id=e.pk)
    services.enquiry_leave(actor=owner, enquiry_id=e.pk)
    e.refresh_from_db()
    assert e.status == Enquiry.Status.CLOSED
    clock.advance(15 * 60)
    assert services.timers_sweep()["closed"] == 0


def test_closed_is_read_only(handled, events):
    e, owner = handled
    services.enquiry_leave(actor=owner, enquiry_id=e.pk)
    count = e.room.messages.count()
    events.clear()
    with pytest.raises(Conflict) as info:
        message_post(room_id=e.room.pk, text="hello?", visitor=e.visitor)
    assert info.value.code == "closed"
    with pytest.raises(Conflict) as info:
        message_post(room_id=e.room.pk, text="hello?", staff=owner)
    assert info.value.code == "closed"
    assert e.room.messages.count() == count
    assert events.sent == []
    e.refresh_from_db()
    assert e.status == Enquiry.Status.CLOSED
    with pytest.raises(Conflict):
        services.enquiry_resolve(actor=owner, enquiry_id=e.pk)


def test_joined_participant_leaving_only_removes_them(handled, admin, events):
    e, owner = handled
    services.enquiry_join(actor=admin, enquiry_id=e.pk)
    events.clear()
    services.enquiry_leave(actor=admin, enquiry_id=e.pk)
    e.refresh_from_db()
    assert e.status == Enquiry.Status.HANDLING and e.owner_id == owner.pk
    assert list(RoomMember.objects.filter(room=e.room).values_list("staff_id", flat=True)) == [owner.pk]
    left = events.of_type("room.member_left")
    assert left[0][0] == sorted([f"room.{e.room.pk}", f"staff.{admin.pk}"])
    assert events.of_type("enquiry.closed") == []
    assert log(e)[-1] == ("left", admin.pk, False)
    assert Message.objects.filter(room=e.room, text="Ada Admin left the conversation.").exists()


def test_leave_by_non_member_is_403(handled, make_staff, support):
    e, owner = handled
    with pytest.raises(NotAuthorized):
        services.enquiry_leave(actor=make_staff(tags=[support]), enquiry_id=e.pk)


# ---------------------------------------------------------------------------- rating


def _resolved(handled):
    e, owner = handled
    services.enquiry_resolve(actor=owner, enquiry_id=e.pk)
    return e, owner


def test_rate_after_resolve(handled, events, clock):
    e, owner = _resolved(handled)
    events.clear()
    services.enquiry_rate(visitor=e.visitor, enquiry_id=e.pk, score=4, comment="  Quick, thanks  ")
    e.refresh_from_db()
    assert (e.rating_score, e.rating_comment, e.rated_at) == (4, "Quick, thanks", clock.now)
    # Ratings go to admins only unless the setting shows them to agents.
    assert events.of_type("enquiry.rated") == [
        (["admins"], {"type": "enquiry.rated", "data": {"enquiry_id": e.pk, "score": 4}})
    ]
    row = EnquiryEvent.objects.get(enquiry=e, type="rated")
    assert row.by_visitor and row.actor_id is None and row.data == {"score": 4}


def test_rate_event_to_owner_when_ratings_visible_to_agents(handled, admin, events):
    e, owner = _resolved(handled)
    org_services.org_settings_update(actor=admin, changes={"ratings_visible_to_agents": True})
    events.clear()
    services.enquiry_rate(visitor=e.visitor, enquiry_id=e.pk, score=5)
    assert events.of_type("enquiry.rated")[0][0] == sorted(["admins", f"staff.{owner.pk}"])


@pytest.mark.parametrize("score", [1, 5])
def test_rate_bounds_accepted(handled, score):
    e, owner = _resolved(handled)
    services.enquiry_rate(visitor=e.visitor, enquiry_id=e.pk, score=score)
    e.refresh_from_db()
    assert e.rating_score == score


@pytest.mark.parametrize("score", [0, 6, -1, 3.5, "4", True, None])
def test_rate_bad_score_is_400(handled, score):
    e, owner = _resolved(handled)
    with pytest.raises(InvalidInput) as info:
        services.enquiry_rate(visitor=e.visitor, enquiry_id=e.pk, score=score)
    assert "score" in info.value.fields
    e.refresh_from_db()
    assert e.rating_score is None


def test_rate_comment_limit(handled):
    e, owner = _resolved(handled)
    with pytest.raises(InvalidInput) as info:
        services.enquiry_rate(visitor=e.visitor, enquiry_id=e.pk, score=3, comment="x" * 2001)
    assert "comment" in info.value.fields
    services.enquiry_rate(visitor=e.visitor, enquiry_id=e.pk, score=3, comment="x" * 2000)


def test_rate_only_once(handled):
    e, owner = _resolved(handled)
    services.enquiry_rate(visitor=e.visitor, enquiry_id=e.pk, score=5)
    with pytest.raises(Conflict) as info:
        services.enquiry_rate(visitor=e.visitor, enquiry_id=e.pk, score=1)
    assert info.value.code == "rated"
    e.refresh_from_db()
    assert e.rating_score == 5


def test_rate_after_auto_close_is_allowed(handled, clock):
    e, owner = _resolved(handled)
    clock.advance(15 * 60)
    services.timers_sweep()
    services.enquiry_rate(visitor=e.visitor, enquiry_id=e.pk, score=2)


def test_rate_before_resolve_is_409(handled, open_enquiry):
    e, owner = handled
    with pytest.raises(Conflict):
        services.enquiry_rate(visitor=e.visitor, enquiry_id=e.pk, score=5)
    # Closed by the owner's Leave, never resolved: the visitor may rate it (issue 13), once.
    services.enquiry_leave(actor=owner, enquiry_id=e.pk)
    services.enquiry_rate(visitor=e.visitor, enquiry_id=e.pk, score=5)
    with pytest.raises(Conflict):
        services.enquiry_rate(visitor=e.visitor, enquiry_id=e.pk, score=4)


def test_rate_by_another_visitor_is_404(handled, make_visitor):
    e, owner = _resolved(handled)
    with pytest.raises(NotFound):
        services.enquiry_rate(visitor=make_visitor(), enquiry_id=e.pk, score=5)


# ---------------------------------------------------------------------------- note on a missed enquiry


@pytest.fixture
def missed(open_enquiry, make_staff, support, clock):
    a = make_staff(tags=[support])
    e = open_enquiry()
    clock.advance(60)
    services.timers_sweep()
    e.refresh_from_db()
    assert e.status == Enquiry.Status.MISSED
    return e, a


def test_note_on_missed(missed, events, admin):
    e, a = missed
    events.clear()
    note = services.enquiry_leave_note(visitor=e.visitor, enquiry_id=e.pk, text=" Call me back ", contact="0123")
    assert (note.text, note.contact) == ("Call me back", "0123")
    assert events.of_type("enquiry.note_left") == [
        (sorted(["admins", f"staff.{a.pk}"]), {"type": "enquiry.note_left", "data": {"enquiry_id": e.pk}})
    ]
    row = EnquiryEvent.objects.get(enquiry=e, type="note_left")
    assert row.by_visitor and row.actor_id is None
    msg = Message.objects.get(room=e.room, data__bot="note")
    assert "Call me back" in msg.text and "0123" in msg.text and msg.data["visibility"] == "staff"


def test_note_limit_2000(missed):
    e, a = missed
    with pytest.raises(InvalidInput) as info:
        services.enquiry_leave_note(visitor=e.visitor, enquiry_id=e.pk, text="x" * 2001)
    assert "text" in info.value.fields and "2,000" in info.value.message
    assert not EnquiryNote.objects.exists()
    services.enquiry_leave_note(visitor=e.visitor, enquiry_id=e.pk, text="x" * 2000)


@pytest.mark.parametrize("text", ["", "   ", None, 42])
def test_note_empty_is_400(missed, text):
    e, a = missed
    with pytest.raises(InvalidInput):
        services.enquiry_leave_note(visitor=e.visitor, enquiry_id=e.pk, text=text)


def test_note_contact_limit(missed):
    e, a = missed
    with pytest.raises(InvalidInput) as info:
        services.enquiry_leave_note(visitor=e.visitor, enquiry_id=e.pk, text="hi", contact="x" * 256)
    assert "contact" in info.value.fields


def test_note_only_once(missed):
    e, a = missed
    services.enquiry_leave_note(visitor=e.visitor, enquiry_id=e.pk, text="first")
    with pytest.raises(Conflict) as info:
        services.enquiry_leave_note(visitor=e.visitor, enquiry_id=e.pk, text="second")
    assert info.value.code == "note_left"
    assert EnquiryNote.objects.get(enquiry=e).text == "first"


def test_note_only_on_missed(handled, open_enquiry):
    e, owner = handled
    with pytest.raises(Conflict):
        services.enquiry_leave_note(visitor=e.visitor, enquiry_id=e.pk, text="hi")
    assert not EnquiryNote.objects.exists()


def test_note_by_another_visitor_is_404(missed, make_visitor):
    e, a = missed
    with pytest.raises(NotFound):
        services.enquiry_leave_note(visitor=make_visitor(), enquiry_id=e.pk, text="hi")


def test_visitor_cannot_chat_on_missed(missed):
    e, a = missed
    with pytest.raises(Conflict) as info:
        message_post(room_id=e.room.pk, text="anyone?", visitor=e.visitor)
    assert info.value.code == "missed"


# ---------------------------------------------------------------------------- transactions


def test_events_are_not_sent_when_the_transaction_rolls_back(handled, events):
    e, owner = handled
    events.clear()

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        services.enquiry_resolve(actor=owner, enquiry_id=e.pk)
        raise Boom
    assert events.sent == []
    e.refresh_from_db()
    assert e.status == Enquiry.Status.HANDLING
    assert not EnquiryEvent.objects.filter(enquiry=e, type="resolved").exists()
    # The same call, committed, does send.
    services.enquiry_resolve(actor=owner, enquiry_id=e.pk)
    assert events.types().count("enquiry.resolved") == 1
