"""A small rubric and finished conversations for the quality review tests: two admins, two
agents (Alice, Bob), three criteria (Courtesy weight 2, Accuracy 1, Speed 1), and a helper
that opens, picks up and finishes an enquiry at a given time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from analytics import reviews
from analytics.reviews_models import ReviewCriterion
from channels_adapters.models import Channel
from contactcenter.org.models import Staff, Tag
from enquiries import services as enquiry_services
from enquiries.models import Enquiry

WEDNESDAY = dt.datetime(2026, 3, 4, 10, 0, tzinfo=dt.UTC)


@dataclass
class Rubric:
    admin: Staff
    admin2: Staff
    alice: Staff
    bob: Staff
    courtesy: ReviewCriterion
    accuracy: ReviewCriterion
    speed: ReviewCriterion
    # finish(owner, at=..., close=True, topic="") -> a resolved (close=False) or closed enquiry
    finish: Callable[..., Enquiry]
    # An open enquiry (nobody picked it up yet).
    open_one: Callable[..., Enquiry]


@pytest.fixture(name="rubric")
def rubric_fixture(
    clock: Any,
    admin: Staff,
    make_staff: Callable[..., Staff],
    open_enquiry: Callable[..., Enquiry],
    support: Tag,
    widget: Channel,
) -> Rubric:
    clock.set(WEDNESDAY)
    # Abe serves Support too (an admin's own conversations are not theirs to review).
    admin2 = make_staff(role=Staff.Role.ADMIN, name="Abe Admin", tags=[support])
    alice = make_staff(tags=[support], name="Alice Agent")
    bob = make_staff(tags=[support], name="Bob Agent")
    courtesy = reviews.criterion_create(actor=admin, name="Courtesy", description="Polite and warm", weight=2)
    accuracy = reviews.criterion_create(actor=admin, name="Accuracy", weight=1)
    speed = reviews.criterion_create(actor=admin, name="Speed", weight=1)

    def finish(owner: Staff, *, at: dt.datetime | None = None, close: bool = True, topic: str = "") -> Enquiry:
        if at is not None:
            clock.set(at)
        enquiry = open_enquiry(message=f"Help me, {owner.display_name}")
        enquiry_services.enquiry_pick_up(actor=owner, enquiry_id=enquiry.pk)
        if topic:
            enquiry_services.enquiry_topic_set(actor=owner, enquiry_id=enquiry.pk, topic=topic)
        enquiry_services.enquiry_resolve(actor=owner, enquiry_id=enquiry.pk)
        if close:
            enquiry_services.enquiry_close(actor=owner, enquiry_id=enquiry.pk)
        enquiry.refresh_from_db()
        return enquiry

    def open_one() -> Enquiry:
        return open_enquiry(message="Still waiting")

    return Rubric(
        admin=admin,
        admin2=admin2,
        alice=alice,
        bob=bob,
        courtesy=courtesy,
        accuracy=accuracy,
        speed=speed,
        finish=finish,
        open_one=open_one,
    )


def all_scores(r: Rubric, courtesy: int = 5, accuracy: int = 4, speed: int = 3) -> dict[str, int]:
    return {str(r.courtesy.pk): courtesy, str(r.accuracy.pk): accuracy, str(r.speed.pk): speed}
