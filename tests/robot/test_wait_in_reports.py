"""Reports' wait for a robot-held enquiry: from the robot's handover to people until the
pick-up (as its deadline counts), not from its opening; live facts, the rebuild and the
summary agree. Enquiries the robot never held still wait from their opening."""

from __future__ import annotations

from typing import Any

import pytest

from analytics.facts import analytics_rebuild
from analytics.facts_models import EnquiryFact
from enquiries import services as enquiry_services
from robot import services
from tests.conftest import api_client_for
from tests.robot.conftest import last_visitor_message

pytestmark = pytest.mark.django_db


def waits() -> dict[int, float | None]:
    return dict(EnquiryFact.objects.values_list("enquiry_id", "wait_s"))


def test_wait_counts_from_the_handover(
    robot_channel: Any, kb: Any, open_enquiry: Any, say: Any, make_staff: Any, support: Any, clock: Any, admin: Any
) -> None:
    agent = make_staff(tags=[support], max_concurrent=5)
    held = open_enquiry(message="How do I reset my password?")
    services.robot_reply(message_id=last_visitor_message(held).pk)
    clock.advance(300)  # five minutes with the robot
    assert say(held, "I need a human") == "asked"
    clock.advance(12)  # then 12 s waiting for a person
    enquiry_services.enquiry_pick_up(actor=agent, enquiry_id=held.pk)

    # The robot off: a new enquiry waits from its opening.
    services.robot_settings_update(actor=admin, channel=robot_channel, changes={"enabled": False})
    plain = open_enquiry(message="Hello")
    clock.advance(20)
    enquiry_services.enquiry_pick_up(actor=agent, enquiry_id=plain.pk)

    live = waits()
    assert live == {held.pk: 12.0, plain.pk: 20.0}
    analytics_rebuild()
    assert waits() == live

    # The clock's 10:00 UTC is 18:00 of the same day in the business's time zone.
    body = api_client_for(admin).get("/api/v1/analytics/summary", {"from": "2026-03-04", "to": "2026-03-04"}).json()
    assert (body["total"]["wait_p50_s"], body["total"]["wait_p90_s"]) == (12.0, 20.0)
