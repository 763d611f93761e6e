"""The rollups kept live by the hooks (analytics.facts) against hand-computed values, and
equal to what the rebuild computes from the raw rows."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from analytics.facts import analytics_rebuild
from analytics.facts_models import AvailabilitySpan, EnquiryFact, EnquiryFactTag, EnquiryFactTagGroup, HandlingSpan
from tests.analytics.scenario import Day, at

pytestmark = pytest.mark.django_db


def fact(enquiry_id: int) -> dict[str, Any]:
    return dict(EnquiryFact.objects.filter(enquiry_id=enquiry_id).values().get())


def snapshot() -> dict[str, Any]:
    facts = {f["enquiry_id"]: f for f in EnquiryFact.objects.values()}
    tags = sorted(EnquiryFactTag.objects.values_list("enquiry_id", "tag_id"))
    groups = sorted(EnquiryFactTagGroup.objects.values_list("enquiry_id", "group_id", "created_at"))
    spans = sorted(
        HandlingSpan.objects.values_list("enquiry_id", "staff_id", "started_at", "ended_at", "load_at_start")
    )
    return {"facts": facts, "tags": tags, "groups": groups, "spans": spans}


def test_facts_of_each_enquiry(day: Day) -> None:
    e1 = fact(day.e1.pk)
    assert e1["room_id"] == day.e1.room.pk
    assert e1["created_at"] == at(2)
    assert e1["channel_kind"] == "widget" and e1["owner_id"] == day.alice.pk
    assert e1["status"] == "closed" and e1["missed_at"] is None
    assert (e1["handled"], e1["resolved"], e1["reopened"], e1["transferred"]) == (True, True, True, False)
    assert (e1["wait_s"], e1["first_response_s"], e1["handle_s"]) == (30.0, 50.0, 570.0)
    assert (e1["messages_customer"], e1["messages_staff"]) == (3, 2)
    assert (e1["rating_score"], e1["rating_commented"]) == (5, True)
    assert e1["tagged"] is True and fact(day.e3.pk)["tagged"] is False

    e2 = fact(day.e2.pk)
    # Auto-closed by the 05:01:01 sweep (its resolve stays the end of its handling).
    assert e2["owner_id"] == day.bob.pk and e2["status"] == "closed"
    assert (e2["handled"], e2["resolved"], e2["reopened"], e2["transferred"]) == (True, True, False, True)
    assert (e2["wait_s"], e2["first_response_s"], e2["handle_s"]) == (10.0, 30.0, 260.0)
    assert (e2["messages_customer"], e2["messages_staff"]) == (1, 2)
    assert (e2["rating_score"], e2["rating_commented"]) == (3, False)

    for enquiry, reason, when in (
        (day.e3, "all_rejected", at(4, 0, 20)),
        (day.e4, "timeout", at(5, 1, 1)),
        (day.e5, "nobody_available", at(6)),
        (day.e6, "out_of_hours", at(15, 30)),
    ):
        f = fact(enquiry.pk)
        assert (f["status"], f["missed_reason"], f["missed_at"]) == ("missed", reason, when)
        assert not f["handled"] and f["wait_s"] is None and f["handle_s"] is None and f["owner_id"] is None
        assert (f["messages_customer"], f["messages_staff"]) == (1, 0)

    e7 = fact(day.e7.pk)
    assert (e7["status"], e7["wait_s"], e7["first_response_s"], e7["handle_s"]) == ("handling", 40.0, None, None)

    assert sorted(EnquiryFactTag.objects.values_list("enquiry_id", "tag_id")) == sorted(
        [(day.e1.pk, day.refund.pk), (day.e2.pk, day.billing.pk)]
    )


def test_handling_and_availability_spans(day: Day) -> None:
    spans = sorted(
        HandlingSpan.objects.values_list("enquiry_id", "staff_id", "started_at", "ended_at", "load_at_start")
    )
    a, b = day.alice.pk, day.bob.pk
    # Alice picked E2 up while handling E1: her load was 2 then.
    assert spans == sorted(
        [
            (day.e1.pk, a, at(2, 0, 30), at(2, 5), 1),
            (day.e1.pk, a, at(2, 6), at(2, 10), 1),
            (day.e2.pk, a, at(2, 2, 10), at(2, 3, 40), 2),
            (day.e2.pk, b, at(2, 3, 40), at(2, 6, 30), 1),
            (day.e7.pk, a, at(16, 30, 40), None, 1),
        ]
    )
    alice = list(
        AvailabilitySpan.objects.filter(staff=day.alice)
        .order_by("started_at")
        .values_list("state", "started_at", "ended_at")
    )
    assert alice == [("active", at(1), at(6)), ("away", at(6), at(6, 10)), ("active", at(6, 10), None)]
    bob = list(
        AvailabilitySpan.objects.filter(staff=day.bob)
        .order_by("started_at")
        .values_list("state", "started_at", "ended_at")
    )
    assert bob == [("active", at(1), at(6)), ("away", at(6), at(6, 20)), ("active", at(6, 20), None)]


def test_live_facts_equal_the_rebuilt_ones(day: Day) -> None:
    live = snapshot()
    assert len(live["facts"]) == 7
    counts = analytics_rebuild()
    assert counts == {"facts": 7, "tags": 2, "tag_groups": 3, "handling_spans": 5}
    assert snapshot() == live
    # Idempotent, and by the command; --since rebuilds only the later ones.
    call_command("analytics_rebuild", verbosity=0)
    assert snapshot() == live
    EnquiryFact.objects.filter(enquiry_id=day.e7.pk).delete()
    HandlingSpan.objects.filter(enquiry_id=day.e7.pk).delete()
    call_command("analytics_rebuild", "--since", "2026-03-05", verbosity=0)
    assert snapshot() == live
    assert analytics_rebuild(since=at(16)) == {"facts": 1, "tags": 0, "tag_groups": 0, "handling_spans": 1}
    assert snapshot() == live


def test_message_observer_is_one_statement_per_batch(day: Day, django_assert_num_queries: Any) -> None:
    from analytics.facts import messages_posted
    from rooms.models import Message

    m1 = Message.objects.filter(room=day.e7.room, author_visitor__isnull=False).first()
    assert m1 is not None
    batch = [m1, Message(room_id=day.e1.room.pk, kind="text", author_staff_id=day.alice.pk)]
    with django_assert_num_queries(1):
        messages_posted(batch)
    with django_assert_num_queries(0):
        messages_posted([Message(room_id=day.e1.room.pk, kind="system")])
    assert fact(day.e7.pk)["messages_customer"] == 2
    assert fact(day.e1.pk)["messages_staff"] == 3


def test_every_availability_change_is_recorded(clock: Any, make_staff: Any) -> None:
    from contactcenter.org import services as org_services
    from contactcenter.org.models import Staff

    clock.set(at(8))
    agent = make_staff(availability=Staff.Availability.BUSY)
    clock.set(at(9))
    org_services.staff_login(staff=agent)
    clock.set(at(10))
    org_services.staff_logout(staff=agent)  # the session ends: offline
    clock.set(at(11))
    org_services.staff_set_availability(actor=agent, staff=agent, availability=Staff.Availability.BUSY)
    org_services.staff_set_availability(actor=agent, staff=agent, availability=Staff.Availability.BUSY)  # no change
    spans = list(
        AvailabilitySpan.objects.filter(staff=agent)
        .order_by("started_at")
        .values_list("state", "started_at", "ended_at")
    )
    assert spans == [("busy", at(8), at(10)), ("offline", at(10), at(11)), ("busy", at(11), None)]


def test_event_observer_statements(day: Day, django_assert_num_queries: Any) -> None:
    from analytics.facts import enquiry_event_observed
    from enquiries.models import EnquiryEvent

    e1 = day.e1
    rated = EnquiryEvent(enquiry=e1, type=EnquiryEvent.Type.RATED, created_at=at(3))
    with django_assert_num_queries(1):  # the fact's upsert
        enquiry_event_observed(rated)
    tags = EnquiryEvent(enquiry=e1, type=EnquiryEvent.Type.TAGS_SET, created_at=at(3), data={"tags": [day.billing.pk]})
    with django_assert_num_queries(5):  # the tags and their groups: delete, delete, flag, insert, insert
        enquiry_event_observed(tags)
    alerted = EnquiryEvent(enquiry=e1, type=EnquiryEvent.Type.ALERTED, created_at=at(3))
    with django_assert_num_queries(0):
        enquiry_event_observed(alerted)
    assert list(EnquiryFactTag.objects.filter(enquiry_id=e1.pk).values_list("tag_id", flat=True)) == [day.billing.pk]


def test_a_span_ended_the_moment_it_started_rebuilds_as_it_was_kept(
    clock: Any, make_staff: Any, support: Any, open_enquiry: Any
) -> None:
    from enquiries import services as enquiry_services

    agent = make_staff(tags=[support])
    first, second = open_enquiry(), open_enquiry()
    enquiry_services.enquiry_pick_up(actor=agent, enquiry_id=first.pk)
    enquiry_services.enquiry_resolve(actor=agent, enquiry_id=first.pk)  # the same instant
    enquiry_services.enquiry_pick_up(actor=agent, enquiry_id=second.pk)
    live = snapshot()
    assert [s[-1] for s in live["spans"]] == [1, 1]
    analytics_rebuild()
    assert snapshot() == live


def _groups() -> dict[int, set[int]]:
    out: dict[int, set[int]] = {}
    for enquiry_id, group_id in EnquiryFactTagGroup.objects.values_list("enquiry_id", "group_id"):
        out.setdefault(enquiry_id, set()).add(group_id)
    return out


def test_tag_groups_follow_the_tag_tree(day: Day) -> None:
    """An enquiry counts under each of its tags and their parents, once; moving a tag to
    another parent or to the top, and deleting a child or a top-level tag, keep the groups
    and the facts' "tagged" equal to what a rebuild makes from the enquiries' tags."""
    from enquiries import conversation_tags

    e1, e2, e3 = day.e1.pk, day.e2.pk, day.e3.pk  # E1 [Refund (under Billing)], E2 [Billing]
    billing, refund = day.billing.pk, day.refund.pk
    invoice = conversation_tags.conversation_tag_create(actor=day.admin, name="Invoice", parent_id=billing).pk
    other = conversation_tags.conversation_tag_create(actor=day.admin, name="Other").pk
    conversation_tags.enquiry_classify(actor=day.admin, enquiry_id=e3, tag_ids=[refund, invoice])
    assert _groups() == {e1: {refund, billing}, e2: {billing}, e3: {refund, invoice, billing}}

    def rebuilt_equal() -> None:
        live = snapshot()
        analytics_rebuild()
        assert snapshot() == live

    rebuilt_equal()
    conversation_tags.conversation_tag_update(actor=day.admin, tag_id=refund, parent_id=other)
    assert _groups() == {e1: {refund, other}, e2: {billing}, e3: {refund, other, invoice, billing}}
    rebuilt_equal()
    conversation_tags.conversation_tag_update(actor=day.admin, tag_id=refund, parent_id=None)
    assert _groups() == {e1: {refund}, e2: {billing}, e3: {refund, invoice, billing}}
    rebuilt_equal()
    conversation_tags.conversation_tag_update(actor=day.admin, tag_id=refund, parent_id=billing)
    conversation_tags.conversation_tag_delete(actor=day.admin, tag_id=invoice)  # a child
    assert _groups() == {e1: {refund, billing}, e2: {billing}, e3: {refund, billing}}
    conversation_tags.conversation_tag_delete(actor=day.admin, tag_id=refund)
    assert _groups() == {e2: {billing}}
    assert (fact(e1)["tagged"], fact(e2)["tagged"], fact(e3)["tagged"]) == (False, True, False)
    rebuilt_equal()
    conversation_tags.conversation_tag_delete(actor=day.admin, tag_id=billing)  # a top-level tag
    assert _groups() == {} and not EnquiryFact.objects.filter(tagged=True).exists()
    rebuilt_equal()
