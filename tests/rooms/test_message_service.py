"""rooms.services.message_post (SPEC 4, 3.5): who may post, idempotency, ids, first response."""

from __future__ import annotations

import pytest
from django.db import transaction

from contactcenter.org.errors import Conflict, InvalidInput, NotAuthorized
from enquiries import services
from enquiries.models import Enquiry
from rooms.models import Message
from rooms.selectors import room_messages
from rooms.services import message_post, system_message_post


def test_staff_message_is_created_and_sent(handled, events, clock):
    e, owner = handled
    events.clear()
    message, created = message_post(room_id=e.room.pk, text="  Hello, how can I help?  ", client_id="c-1", staff=owner)
    assert created
    assert message.text == "Hello, how can I help?" and message.kind == Message.Kind.TEXT
    assert message.author_staff_id == owner.pk and message.created_at == clock.now and message.client_id == "c-1"
    sent = events.of_type("message.created")
    assert [g for g, _ in sent] == [[f"room.{e.room.pk}"], [f"visitor.{e.visitor_id}"]]
    data = sent[0][1]["data"]["message"]
    assert data["id"] == message.pk and data["text"] == "Hello, how can I help?"
    assert data["author"] == {"type": "staff", "id": owner.pk, "name": "Olive Owner"}
    e.room.refresh_from_db()
    assert e.room.last_message_at == clock.now


def test_visitor_message_is_created_and_sent(handled, events):
    e, owner = handled
    events.clear()
    message, created = message_post(room_id=e.room.pk, text="Thanks", visitor=e.visitor)
    assert created and message.author_visitor_id == e.visitor_id
    assert events.of_type("message.created")[0][1]["data"]["message"]["author"]["type"] == "visitor"


def test_visitor_may_write_while_waiting(open_enquiry, make_staff, support):
    make_staff(tags=[support])
    e = open_enquiry()
    message, created = message_post(room_id=e.room.pk, text="Anyone there?", visitor=e.visitor)
    assert created
    e.refresh_from_db()
    assert e.status == Enquiry.Status.OPEN


# ---------------------------------------------------------------------------- idempotency


def test_same_client_id_returns_the_same_message(handled, events):
    e, owner = handled
    first, created = message_post(room_id=e.room.pk, text="hi", client_id="abc", staff=owner)
    events.clear()
    again, created_again = message_post(room_id=e.room.pk, text="hi (retry)", client_id="abc", staff=owner)
    assert created and not created_again
    assert again.pk == first.pk and again.text == "hi"
    assert Message.objects.filter(room=e.room, client_id="abc").count() == 1
    assert events.sent == []


def test_same_client_id_for_visitor(handled):
    e, owner = handled
    first, _ = message_post(room_id=e.room.pk, text="hi", client_id="v1", visitor=e.visitor)
    again, created = message_post(room_id=e.room.pk, text="hi", client_id="v1", visitor=e.visitor)
    assert not created and again.pk == first.pk
    assert Message.objects.filter(room=e.room, client_id="v1").count() == 1


def test_client_id_is_per_author(handled):
    e, owner = handled
    a, _ = message_post(room_id=e.room.pk, text="staff", client_id="same", staff=owner)
    b, created = message_post(room_id=e.room.pk, text="visitor", client_id="same", visitor=e.visitor)
    assert created and a.pk != b.pk


def test_no_client_id_means_no_deduplication(handled):
    e, owner = handled
    a, _ = message_post(room_id=e.room.pk, text="ok", staff=owner)
    b, created = message_post(room_id=e.room.pk, text="ok", staff=owner)
    assert created and a.pk != b.pk


def test_bad_client_id_is_400(handled):
    e, owner = handled
    for bad in ("x" * 65, 12):
        with pytest.raises(InvalidInput) as info:
            message_post(room_id=e.room.pk, text="hi", client_id=bad, staff=owner)
        assert "client_id" in info.value.fields


# ---------------------------------------------------------------------------- who may post


def test_non_member_staff_is_403(handled, make_staff, support, admin, events):
    e, owner = handled
    colleague = make_staff(tags=[support])
    count = e.room.messages.count()
    events.clear()
    for who in (colleague, admin):  # admins monitor read-only until they join
        with pytest.raises(NotAuthorized) as info:
            message_post(room_id=e.room.pk, text="hi", staff=who)
        assert info.value.status_code == 403
    assert e.room.messages.count() == count
    assert events.sent == []


def test_staff_not_yet_picked_up_is_403(open_enquiry, make_staff, support):
    a = make_staff(tags=[support])
    e = open_enquiry()
    with pytest.raises(NotAuthorized):
        message_post(room_id=e.room.pk, text="hi", staff=a)


def test_joined_admin_may_post(handled, admin):
    e, owner = handled
    services.enquiry_join(actor=admin, enquiry_id=e.pk)
    _, created = message_post(room_id=e.room.pk, text="supervisor here", staff=admin)
    assert created


def test_visitor_of_another_enquiry_is_403(handled, make_visitor):
    e, owner = handled
    with pytest.raises(NotAuthorized):
        message_post(room_id=e.room.pk, text="hi", visitor=make_visitor())
    # Even with a client_id that the real visitor used.
    message_post(room_id=e.room.pk, text="mine", client_id="k", visitor=e.visitor)
    with pytest.raises(NotAuthorized):
        message_post(room_id=e.room.pk, text="hi", client_id="k", visitor=make_visitor())


@pytest.mark.parametrize("text", ["", "   ", "\n\t", None, 5])
def test_empty_or_non_text_is_400(handled, text):
    e, owner = handled
    with pytest.raises(InvalidInput) as info:
        message_post(room_id=e.room.pk, text=text, staff=owner)
    assert "text" in info.value.fields


def test_too_long_is_400(handled, settings):
    e, owner = handled
    settings.CC_MESSAGE_MAX_CHARS = 20
    message_post(room_id=e.room.pk, text="x" * 20, staff=owner)
    with pytest.raises(InvalidInput) as info:
        message_post(room_id=e.room.pk, text="x" * 21, staff=owner)
    assert "text" in info.value.fields and "20" in info.value.message


def test_reply_to_must_be_in_the_room(handled, open_enquiry, make_staff, support):
    e, owner = handled
    first, _ = message_post(room_id=e.room.pk, text="question?", visitor=e.visitor)
    reply, _ = message_post(room_id=e.room.pk, text="answer", staff=owner, reply_to_id=first.pk)
    assert reply.reply_to_id == first.pk
    other = open_enquiry()
    elsewhere = other.room.messages.first()
    with pytest.raises(InvalidInput) as info:
        message_post(room_id=e.room.pk, text="answer", staff=owner, reply_to_id=elsewhere.pk)
    assert "reply_to" in info.value.fields


def test_exactly_one_author(handled):
    e, owner = handled
    with pytest.raises(ValueError):
        message_post(room_id=e.room.pk, text="hi")
    with pytest.raises(ValueError):
        message_post(room_id=e.room.pk, text="hi", staff=owner, visitor=e.visitor)


# ---------------------------------------------------------------------------- ids, first response


def test_ids_strictly_increase(handled):
    e, owner = handled
    ids = [m.pk for m in e.room.messages.order_by("id")]
    for i in range(5):
        m, _ = message_post(room_id=e.room.pk, text=f"s{i}", staff=owner)
        ids.append(m.pk)
        ids.append(system_message_post(room_id=e.room.pk, text=f"sys{i}").pk)
        m, _ = message_post(room_id=e.room.pk, text=f"v{i}", visitor=e.visitor)
        ids.append(m.pk)
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    after = ids[3]
    assert [m.pk for m in room_messages(e.room, after=after)] == [i for i in ids if i > after]


def test_visitor_sees_everything_but_staff_only_messages(handled):
    e, owner = handled
    hidden = system_message_post(room_id=e.room.pk, text="internal", data={"visibility": "staff"})
    shown, _ = message_post(room_id=e.room.pk, text="hello", staff=owner)
    for_visitor = [m.pk for m in room_messages(e.room, for_visitor=True)]
    assert shown.pk in for_visitor and hidden.pk not in for_visitor
    assert all(m.data.get("visibility") != "staff" for m in room_messages(e.room, for_visitor=True))
    # The visitor's own first message and the welcome message are there too.
    assert e.room.messages.filter(author_visitor=e.visitor).first().pk in for_visitor
    expected = [m.pk for m in e.room.messages.order_by("id") if m.data.get("visibility") != "staff"]
    assert for_visitor == expected and len(expected) == e.room.messages.count() - 3


def test_first_response_at_set_by_first_staff_message(handled, clock):
    e, owner = handled
    clock.advance(3)
    message_post(room_id=e.room.pk, text="visitor first", visitor=e.visitor)
    e.refresh_from_db()
    assert e.first_response_at is None
    clock.advance(7)
    first, _ = message_post(room_id=e.room.pk, text="staff answer", staff=owner)
    e.refresh_from_db()
    assert e.first_response_at == first.created_at == clock.now
    answered_at = clock.now
    clock.advance(30)
    message_post(room_id=e.room.pk, text="another", staff=owner)
    e.refresh_from_db()
    assert e.first_response_at == answered_at


def test_system_messages_do_not_set_first_response(handled):
    e, owner = handled
    # The pick-up left a system message ("... joined the conversation"): not a response.
    e.refresh_from_db()
    assert e.first_response_at is None


def test_message_events_wait_for_commit(handled, events):
    e, owner = handled
    events.clear()

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        message_post(room_id=e.room.pk, text="never sent", client_id="r1", staff=owner)
        raise Boom
    assert events.sent == []
    assert not Message.objects.filter(client_id="r1").exists()
    # The retry after the rollback creates the message for real.
    _, created = message_post(room_id=e.room.pk, text="sent", client_id="r1", staff=owner)
    assert created and events.types() == ["message.created", "message.created"]


def test_resolved_enquiry_reopens_on_visitor_message_only_once(handled, events):
    e, owner = handled
    services.enquiry_resolve(actor=owner, enquiry_id=e.pk)
    message_post(room_id=e.room.pk, text="wait", client_id="w1", visitor=e.visitor)
    message_post(room_id=e.room.pk, text="wait", client_id="w1", visitor=e.visitor)
    message_post(room_id=e.room.pk, text="also", visitor=e.visitor)
    assert events.types().count("enquiry.reopened") == 1


def test_closed_room_refuses_posts(handled):
    e, owner = handled
    services.enquiry_leave(actor=owner, enquiry_id=e.pk)
    with pytest.raises(Conflict):
        message_post(room_id=e.room.pk, text="hi", visitor=e.visitor)
