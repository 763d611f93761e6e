"""What notifications keep follows the messages and the customers they come from: a
mention's excerpt follows an edit and goes with a recall; a customer's erasure and
retention take the customer's name and words out of every notification about them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from contactcenter.org.models import Staff
from enquiries.models import Enquiry
from history import erasure, retention
from notifications.models import Notification
from rooms import spaces
from rooms.services import message_edit, message_post, message_recall

pytestmark = pytest.mark.django_db


def test_a_mentions_excerpt_follows_edits_and_goes_with_a_recall(make_staff: Any, events: Any) -> None:
    ann = make_staff(name="Ann Agent")
    bob = make_staff(name="Bob Builder", email="bob@example.com")
    room = spaces.space_create(actor=ann, name="Ops", members=[bob.pk])
    other = spaces.space_create(actor=ann, name="Other", members=[bob.pk])
    message, _ = message_post(room_id=room.pk, text="@bob the code is 1234", staff=ann)
    untouched, _ = message_post(room_id=other.pk, text="@bob unrelated", staff=ann)
    message_edit(message_id=message.pk, text="@bob the code is in the vault", staff=ann)
    item = Notification.objects.get(room=room)
    assert item.data["excerpt"] == "@bob the code is in the vault"
    message_recall(message_id=message.pk, staff=ann)
    item.refresh_from_db()
    assert item.data["excerpt"] == "" and item.data["recalled"] is True
    assert Notification.objects.get(room=other).data["excerpt"] == "@bob unrelated"


@pytest.fixture
def missed(open_enquiry: Any, make_staff: Any, support: Any, clock: Any) -> tuple[Enquiry, Staff]:
    """An enquiry missed at once (nobody ACTIVE at Support), and the one Support agent."""
    agent = make_staff(tags=[support], availability=Staff.Availability.AWAY)
    enquiry = open_enquiry(message="My card 4242 was charged twice")
    enquiry.refresh_from_db()
    assert enquiry.status == Enquiry.Status.MISSED
    item = Notification.objects.get(staff=agent, kind="missed")
    assert item.data["excerpt"] == "My card 4242 was charged twice" and item.data["visitor_name"]
    return enquiry, agent


def test_erasure_takes_the_customers_name_and_words_out(missed: Any, admin: Staff) -> None:
    enquiry, agent = missed
    erasure.customer_erase(actor=admin, customer_id=enquiry.visitor.customer_id, reason="Request")
    item = Notification.objects.get(staff=agent, kind="missed")
    assert item.data == {"reason": "nobody_available", "destination": "Support"}
    assert item.enquiry_id == enquiry.pk  # the enquiry stays (anonymised); so does the link


def test_retention_leaves_the_notification_without_its_link_or_the_customer(missed: Any, clock: Any) -> None:
    enquiry, agent = missed
    clock.advance(dt.timedelta(days=40).total_seconds())
    assert retention.retention_run(now=clock.now, days=30)["enquiries"] == 1
    item = Notification.objects.get(staff=agent, kind="missed")
    assert item.enquiry_id is None and item.room_id is None
    assert item.data == {"reason": "nobody_available", "destination": "Support"}
