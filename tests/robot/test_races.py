"""Races settled in the database (PostgreSQL, real threads): the customer's button and the
robot's own decision at once hand over exactly once; two runs of one message's task answer it
once."""

from __future__ import annotations

import pytest

from enquiries.models import EnquiryAlert, EnquiryEvent
from robot import services
from robot.models import RobotTurn
from tests.concurrency import race
from tests.conftest import require_postgres
from tests.robot.conftest import bot_messages, last_visitor_message


@pytest.mark.django_db(transaction=True)
def test_button_and_robot_hand_over_once(robot_channel, kb, open_enquiry, make_staff, support):
    require_postgres()
    agent = make_staff(tags=[support])
    enquiry = open_enquiry(message="agent please")
    message = last_visitor_message(enquiry)
    results = race(
        [
            lambda: services.robot_handover_request(visitor=enquiry.visitor, enquiry_id=enquiry.pk),
            lambda: services.robot_reply(message_id=message.pk),
        ],
        what="a handover",
    )
    assert not any(isinstance(r, BaseException) for r in results), results
    assert EnquiryEvent.objects.filter(enquiry=enquiry, type="handed_over").count() == 1
    assert list(EnquiryAlert.objects.filter(enquiry=enquiry).values_list("staff_id", flat=True)) == [agent.pk]
    assert len(bot_messages(enquiry, "handover")) == 1


@pytest.mark.django_db(transaction=True)
def test_one_message_answered_once_by_two_runs(robot_channel, kb, open_enquiry):
    require_postgres()
    enquiry = open_enquiry(message="How do I reset my password?")
    message = last_visitor_message(enquiry)
    results = race([lambda: services.robot_reply(message_id=message.pk)] * 3, what="a robot reply")
    assert sorted(results, key=str) == ["", "", "answered"], results
    assert RobotTurn.objects.filter(message=message).count() == 1
    assert len(bot_messages(enquiry, "answer")) == 1
