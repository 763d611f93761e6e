"""The rollups kept live by the hooks (analytics.facts) against hand-computed values, and
equal to what the rebuild computes from the raw rows."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from analytics.facts import analytics_rebuild
from analytics.facts_models import AvailabilitySpan, EnquiryFact, EnquiryFactTag, HandlingSpan
from tests.analytics.scenario import Day, at

pytestmark = pytest.mark.django_db


def fact(enquiry_id: int) -> dict[str, Any]:
    return EnquiryFact.objects.filter(enquiry_id=enquiry_id).values().get()


def snapshot() -> dict[str, Any]:
    facts = {f["enquiry_id"]: f for f in EnquiryFact.objects.values()}
    tags = sorted(EnquiryFactTag.objects.values_list("enquiry_id", "tag_id"))
    spans = sorted(HandlingSpan.objects.values_list("enquiry_id", "staff_id", "started_at", "ended_at"))
    return {"facts": facts, "tags": tags, "spans": spans}


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
    spans = sorted(HandlingSpan.objects.values_list("enquiry_id", "staff_id", "started_at", "ended_at"))
    a, b = day.alice.pk, day.bob.pk
    assert spans == sorted(
        [
            (day.e1.pk, a, at(2, 0, 30), at(2, 5)),
            (day.e1.pk, a, at(2, 6), at(2, 10)),
            (day.e2.pk, a, at(2, 2, 10), at(2, 3, 40)),
            (day.e2.pk, b, at(2, 3, 40), at(2, 6, 30)),
            (day.e7.pk, a, at(16, 30, 40), None),
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
    assert counts == {"facts": 7, "tags": 2, "handling_spans": 5}
    assert snapshot() == live
    # Idempotent, and by the command; --since rebuilds only the later ones.
    call_command("analytics_rebuild", verbosity=0)
    assert snapshot() == live
    EnquiryFact.objects.filter(enquiry_id=day.e7.pk).delete()
    HandlingSpan.objects.filter(enquiry_id=day.e7.pk).delete()
    call_command("analytics_rebuild", "--since", "2026-03-05", verbosity=0)
    assert snapshot() == live
    assert analytics_rebuild(since=at(16)) == {"facts": 1, "tags": 0, "handling_spans": 1}
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
