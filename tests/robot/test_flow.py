"""The robot's flow through the services: hold and welcome, answers, the customer asking for
a person, low confidence, N turns, out of hours, the handover opening the enquiry (alerts,
the 60 s wait from the handover, the transcript in the room), the AI path, idle end."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings

from ai import client as ai_client
from contactcenter.org import services as org_services
from contactcenter.org.events import staff_group
from enquiries import services as enquiry_services
from enquiries.models import Enquiry, EnquiryAlert, EnquiryEvent
from enquiries.selectors import enquiry_list, queue_position
from robot import services
from robot.models import RobotConversation, RobotTurn
from rooms.models import Message
from tests.robot.conftest import bot_messages, last_visitor_message


def alerted(enquiry: Enquiry) -> set[int]:
    return set(EnquiryAlert.objects.filter(enquiry=enquiry).values_list("staff_id", flat=True))


def conversation(enquiry: Enquiry) -> RobotConversation:
    return RobotConversation.objects.get(enquiry=enquiry)


def test_new_enquiry_is_held_by_the_robot_with_its_welcome(robot_channel, open_enquiry, make_staff, support, events):
    agent = make_staff(tags=[support])
    enquiry = open_enquiry(message="Hello")
    enquiry.refresh_from_db()
    assert enquiry.status == Enquiry.Status.OPEN and enquiry.robot_held
    assert enquiry.deadline_at is None
    assert alerted(enquiry) == set()
    assert events.of_type("enquiry.opened") == []
    assert enquiry_list(agent, status="open").count() == 0
    assert queue_position(enquiry) is None
    welcome = bot_messages(enquiry, "welcome")
    assert [m.text for m in welcome] == ["Hi, I'm the robot."]
    # The channel's own welcome ("an agent will answer") waits for the handover.
    assert not Message.objects.filter(room__enquiry=enquiry, data__bot="welcome").exists()
    assert conversation(enquiry).state == RobotConversation.State.ACTIVE


def test_channel_without_robot_opens_as_today(widget, open_enquiry, make_staff, support):
    agent = make_staff(tags=[support])
    enquiry = open_enquiry()
    assert not enquiry.robot_held and enquiry.deadline_at is not None
    assert alerted(enquiry) == {agent.pk}
    assert not RobotConversation.objects.exists()


def test_disabled_robot_does_not_hold(robot_channel, admin, open_enquiry):
    services.robot_settings_update(actor=admin, channel=robot_channel, changes={"enabled": False})
    assert not open_enquiry().robot_held


def test_robot_answers_from_the_knowledge_base(robot_channel, kb, open_enquiry, say, make_staff, support):
    make_staff(tags=[support])
    enquiry = open_enquiry(message="How do I reset my password?")
    # The first message (posted by enquiry_open) is answered like any other.
    assert services.robot_reply(message_id=last_visitor_message(enquiry).pk) == "answered"
    assert say(enquiry, "when are you open") == "answered"
    answers = bot_messages(enquiry, "answer")
    assert [m.text for m in answers] == [
        "Open Settings > Security and choose Reset password.",
        "We are open 9:00-17:00, Monday to Friday.",
    ]
    assert answers[0].kind == Message.Kind.SYSTEM and answers[0].data["ai"] is False
    assert answers[0].data["articles"] == [kb[0].pk] and answers[0].data["score"] == 1.0
    enquiry.refresh_from_db()
    assert enquiry.robot_held and alerted(enquiry) == set()
    assert conversation(enquiry).turns == 2


def test_each_message_is_handled_once(robot_channel, kb, open_enquiry):
    enquiry = open_enquiry(message="How do I reset my password?")
    message = last_visitor_message(enquiry)
    assert services.robot_reply(message_id=message.pk) == "answered"
    assert services.robot_reply(message_id=message.pk) == ""
    assert len(bot_messages(enquiry, "answer")) == 1
    assert services.robot_reply(message_id=999999) == ""


@pytest.mark.parametrize(
    "text", ["agent please", "Can I talk to a human?", "转人工", "オペレーターと話したい", "ขอคุยกับพนักงาน"]
)
def test_customer_asks_for_a_person(robot_channel, kb, open_enquiry, say, make_staff, support, clock, text):
    agent = make_staff(tags=[support])
    enquiry = open_enquiry(message="Hello")
    clock.advance(30)
    assert say(enquiry, text) == "asked"
    enquiry.refresh_from_db()
    assert not enquiry.robot_held and enquiry.status == Enquiry.Status.OPEN
    assert alerted(enquiry) == {agent.pk}
    conv = conversation(enquiry)
    assert conv.state == RobotConversation.State.HANDED_OVER and conv.handover_reason == "asked"
    event = EnquiryEvent.objects.get(enquiry=enquiry, type="handed_over")
    assert event.data == {"reason": "asked"} and event.by_visitor


def test_handover_starts_the_wait_and_broadcasts(
    robot_channel, kb, open_enquiry, say, make_staff, support, clock, events
):
    agent = make_staff(tags=[support])
    enquiry = open_enquiry(message="How do I reset my password?")
    services.robot_reply(message_id=last_visitor_message(enquiry).pk)
    clock.advance(300)  # five minutes with the robot
    events.clear()
    assert say(enquiry, "I need a human") == "asked"
    enquiry.refresh_from_db()
    assert enquiry.deadline_at == clock.now + dt.timedelta(seconds=settings.CC_ENQUIRY_MAX_WAIT_SECONDS)
    opened = {g for gs, _ in events.of_type("enquiry.opened") for g in gs}
    assert staff_group(agent.pk) in opened
    # The channel's welcome now, after the robot's transcript; the transcript stays.
    texts = list(Message.objects.filter(room__enquiry=enquiry).order_by("id").values_list("data__bot", flat=True))
    assert texts.index("welcome") > texts.index("robot")
    # 59 s later it still waits; at 60 s after the handover (not the opening) it is missed.
    clock.advance(settings.CC_ENQUIRY_MAX_WAIT_SECONDS - 1)
    enquiry_services.timers_sweep()
    enquiry.refresh_from_db()
    assert enquiry.status == Enquiry.Status.OPEN
    clock.advance(2)
    enquiry_services.timers_sweep()
    enquiry.refresh_from_db()
    assert enquiry.status == Enquiry.Status.MISSED and enquiry.missed_reason == "timeout"


def test_agent_picks_up_after_handover_and_sees_the_robots_answers(
    robot_channel, kb, open_enquiry, say, make_staff, support
):
    agent = make_staff(tags=[support])
    enquiry = open_enquiry(message="How do I reset my password?")
    services.robot_reply(message_id=last_visitor_message(enquiry).pk)
    # Not offered to anyone while the robot holds it.
    with pytest.raises(Exception, match="not offered"):
        enquiry_services.enquiry_pick_up(actor=agent, enquiry_id=enquiry.pk)
    say(enquiry, "agent")
    enquiry_services.enquiry_pick_up(actor=agent, enquiry_id=enquiry.pk)
    from rooms.selectors import message_data

    shown = [message_data(m) for m in Message.objects.filter(room__enquiry=enquiry).order_by("id")]
    robot = [m for m in shown if m["data"].get("bot") == "robot"]
    assert [m["data"]["robot"] for m in robot] == ["welcome", "answer", "handover"]
    # The customer's messages are all there too.
    assert [m["text"] for m in shown if m.get("author", {}) and m["author"].get("type") == "visitor"] == [
        "How do I reset my password?",
        "agent",
    ]


def test_low_confidence_hands_over(robot_channel, kb, open_enquiry, say, make_staff, support):
    agent = make_staff(tags=[support])
    enquiry = open_enquiry(message="Hello")
    assert say(enquiry, "Do you ship to Mars?") == "unsure"
    enquiry.refresh_from_db()
    assert not enquiry.robot_held and alerted(enquiry) == {agent.pk}
    assert conversation(enquiry).handover_reason == "low_confidence"
    turn = RobotTurn.objects.get(question="Do you ship to Mars?")
    assert turn.outcome == "unsure" and turn.score < 0.3
    assert "not sure" in bot_messages(enquiry, "handover")[0].text


def test_threshold_is_the_channels_setting(robot_channel, kb, admin, open_enquiry, say):
    services.robot_settings_update(actor=admin, channel=robot_channel, changes={"confidence_threshold": 1.0})
    enquiry = open_enquiry(message="Hello")
    assert say(enquiry, "I forgot my password, can you help?") == "unsure"


def test_hands_over_after_n_turns(robot_channel, kb, open_enquiry, say, make_staff, support):
    agent = make_staff(tags=[support])
    enquiry = open_enquiry(message="Hello")
    assert say(enquiry, "password reset") == "answered"
    assert say(enquiry, "when are you open") == "answered"
    enquiry.refresh_from_db()
    assert enquiry.robot_held
    assert say(enquiry, "refund my order") == "answered"  # the third answer, then the handover
    enquiry.refresh_from_db()
    assert not enquiry.robot_held and alerted(enquiry) == {agent.pk}
    assert conversation(enquiry).handover_reason == "turns"
    assert len(bot_messages(enquiry, "answer")) == 3
    # Later messages are for people: the robot stays quiet.
    assert say(enquiry, "password reset") == ""


def test_out_of_hours_robot_answers_and_handover_offers_the_note(
    robot_channel, kb, admin, open_enquiry, say, make_staff, support, api
):
    make_staff(tags=[support])
    # The clock's day is a Wednesday; the business works Mondays only.
    org_services.org_settings_update(
        actor=admin, changes={"work_hours": {"timezone": "UTC", "days": {"mon": [["09:00", "17:00"]]}}}
    )
    enquiry = open_enquiry(message="Hello")
    enquiry.refresh_from_db()
    assert enquiry.status == Enquiry.Status.OPEN and enquiry.robot_held
    assert say(enquiry, "when are you open") == "answered"
    assert say(enquiry, "agent") == "asked"
    enquiry.refresh_from_db()
    assert enquiry.status == Enquiry.Status.MISSED and enquiry.missed_reason == "out_of_hours"
    body = api(enquiry.visitor).get(f"/api/v1/widget/enquiries/{enquiry.pk}").json()
    assert body["can_leave_note"] is True and body["with_robot"] is False
    enquiry_services.enquiry_leave_note(visitor=enquiry.visitor, enquiry_id=enquiry.pk, text="Call me back", contact="")
    enquiry.refresh_from_db()
    assert enquiry.note.text == "Call me back"


def test_nobody_available_at_handover_is_missed_at_once(robot_channel, kb, open_enquiry, say):
    enquiry = open_enquiry(message="Hello")
    say(enquiry, "agent")
    enquiry.refresh_from_db()
    assert enquiry.status == Enquiry.Status.MISSED and enquiry.missed_reason == "nobody_available"


def test_widget_button_hands_over_once(robot_channel, kb, open_enquiry, api, make_staff, support, make_visitor):
    agent = make_staff(tags=[support])
    enquiry = open_enquiry(message="Hello")
    client = api(enquiry.visitor)
    r = client.post(f"/api/v1/widget/enquiries/{enquiry.pk}/robot/handover")
    assert r.status_code == 200, r.content
    assert r.json() == {"id": enquiry.pk, "status": "open", "with_robot": False}
    assert alerted(enquiry) == {agent.pk}
    again = client.post(f"/api/v1/widget/enquiries/{enquiry.pk}/robot/handover")
    assert again.status_code == 200 and again.json()["with_robot"] is False
    assert EnquiryEvent.objects.filter(enquiry=enquiry, type="handed_over").count() == 1
    # Another visitor: not found; staff: refused.
    other = make_visitor(robot_channel)
    assert api(other).post(f"/api/v1/widget/enquiries/{enquiry.pk}/robot/handover").status_code == 404
    assert api(agent).post(f"/api/v1/widget/enquiries/{enquiry.pk}/robot/handover").status_code in (401, 403)
    assert api().post(f"/api/v1/widget/enquiries/{enquiry.pk}/robot/handover").status_code in (401, 403)


def test_handover_button_without_robot_is_409(widget, open_enquiry, api):
    enquiry = open_enquiry()
    r = api(enquiry.visitor).post(f"/api/v1/widget/enquiries/{enquiry.pk}/robot/handover")
    assert r.status_code == 409 and r.json()["detail"]


def test_ai_writes_the_answer_from_the_matching_articles(robot_channel, kb, open_enquiry, say, monkeypatch):
    calls = []

    def fake_chat(messages, *, purpose, enquiry_id=None, **kw):
        calls.append((messages, purpose, enquiry_id))
        return ai_client.AIResult(text=f"Go to Settings > Security > Reset password. [#{kb[0].pk}]")

    monkeypatch.setattr(ai_client, "ai_configured", lambda: True)
    monkeypatch.setattr(ai_client, "ai_chat", fake_chat)
    enquiry = open_enquiry(message="Hello")
    assert say(enquiry, "I forgot my password, can you help?") == "answered"
    answer = bot_messages(enquiry, "answer")[0]
    assert answer.text.startswith("Go to Settings") and answer.data["ai"] is True
    assert kb[0].pk in answer.data["articles"]
    messages, purpose, enquiry_id = calls[0]
    assert purpose == "robot" and enquiry_id == enquiry.pk
    assert "ONLY" in messages[0]["content"] and kb[0].answer in messages[0]["content"]
    assert messages[1] == {"role": "user", "content": "I forgot my password, can you help?"}
    # Only the matching articles go to the provider.
    assert "Refunds are paid" not in messages[0]["content"] or kb[2].pk in answer.data["articles"]


def test_ai_error_falls_back_to_the_article(robot_channel, kb, open_enquiry, say, monkeypatch):
    def failing(messages, **kw):
        raise ai_client.AIError("timeout", status=504)

    monkeypatch.setattr(ai_client, "ai_configured", lambda: True)
    monkeypatch.setattr(ai_client, "ai_chat", failing)
    enquiry = open_enquiry(message="Hello")
    assert say(enquiry, "password reset") == "answered"
    answer = bot_messages(enquiry, "answer")[0]
    assert answer.text == kb[0].answer and answer.data["ai"] is False


def test_ai_refusing_to_invent_hands_over(robot_channel, kb, open_enquiry, say, monkeypatch, make_staff, support):
    make_staff(tags=[support])
    monkeypatch.setattr(ai_client, "ai_configured", lambda: True)
    monkeypatch.setattr(ai_client, "ai_chat", lambda messages, **kw: ai_client.AIResult(text="NO_ANSWER"))
    enquiry = open_enquiry(message="Hello")
    assert say(enquiry, "password reset") == "unsure"
    assert conversation(enquiry).handover_reason == "low_confidence"


def test_no_provider_call_without_configuration(robot_channel, kb, open_enquiry, say, monkeypatch):
    def never(*a, **kw):
        raise AssertionError("called")

    monkeypatch.setattr(ai_client, "ai_chat", never)
    enquiry = open_enquiry(message="Hello")
    assert say(enquiry, "password reset") == "answered"


def test_idle_conversation_ends_resolved_by_the_robot(robot_channel, kb, open_enquiry, say, clock):
    enquiry = open_enquiry(message="password reset")
    assert services.robot_reply(message_id=last_visitor_message(enquiry).pk) == "answered"
    clock.advance(settings.CC_ROBOT_IDLE_SECONDS - 5)
    assert services.robot_sweep()["ended"] == 0
    clock.advance(10)
    assert services.robot_sweep()["ended"] == 1
    enquiry.refresh_from_db()
    assert enquiry.status == Enquiry.Status.CLOSED
    assert conversation(enquiry).state == RobotConversation.State.ENDED
    assert services.robot_sweep()["ended"] == 0


def test_customer_ending_the_conversation_ends_the_robots(robot_channel, kb, open_enquiry, say):
    enquiry = open_enquiry(message="Hello")
    say(enquiry, "password reset")
    enquiry_services.enquiry_end_by_visitor(visitor=enquiry.visitor, enquiry_id=enquiry.pk)
    assert conversation(enquiry).state == RobotConversation.State.ENDED


def test_sweep_answers_a_message_whose_task_was_lost(robot_channel, kb, open_enquiry, clock):
    enquiry = open_enquiry(message="How do I reset my password?")  # its task never ran
    assert services.robot_sweep()["answered"] == 0  # too recent: its task may still come
    clock.advance(15)
    assert services.robot_sweep()["answered"] == 1
    assert len(bot_messages(enquiry, "answer")) == 1


def test_direct_choice_of_a_person_skips_the_robot(robot_channel, open_enquiry, make_staff, support):
    agent = make_staff(tags=[support])
    enquiry = open_enquiry(staff=agent)
    assert not enquiry.robot_held and alerted(enquiry) == {agent.pk}


def test_new_staff_becoming_active_is_not_alerted_of_held_enquiries(robot_channel, open_enquiry, make_staff, support):
    from contactcenter.org.models import Staff

    enquiry = open_enquiry(message="Hello")
    agent = make_staff(tags=[support], availability=Staff.Availability.AWAY)
    org_services.staff_availability_set(actor=agent, availability=Staff.Availability.ACTIVE) if hasattr(
        org_services, "staff_availability_set"
    ) else enquiry_services.enquiries_alert_newly_active(staff=agent)
    assert alerted(enquiry) == set()
