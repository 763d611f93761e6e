"""rooms.services.messages_post: several posts in one transaction (the socket writer's group
commit) with the rules of message_post for each, one answer per request."""

from __future__ import annotations

from typing import Any

from contactcenter.org.errors import Conflict, InvalidInput, NotAuthorized, NotFound
from enquiries import services
from enquiries.models import Enquiry
from rooms.models import Message
from rooms.services import PostRequest, message_post, messages_post


def _pair(open_enquiry: Any, owner: Any) -> Enquiry:
    enquiry = open_enquiry()
    services.enquiry_pick_up(actor=owner, enquiry_id=enquiry.pk)
    enquiry.refresh_from_db()
    return enquiry


def test_batch_posts_each_request_in_order_with_its_events(handled, open_enquiry, events, clock):
    e1, owner = handled
    e2 = _pair(open_enquiry, owner)
    events.clear()
    results = messages_post(
        [
            PostRequest(e1.room.pk, "one", "c1", visitor=e1.visitor),
            PostRequest(e2.room.pk, "two", "c2", visitor=e2.visitor),
            PostRequest(e1.room.pk, "three", "c3", staff=owner),
        ]
    )
    messages = [r[0] for r in results]  # type: ignore[index]
    assert all(created for _m, created in results)  # type: ignore[misc]
    assert [m.text for m in messages] == ["one", "two", "three"]
    assert messages[0].pk < messages[1].pk < messages[2].pk
    stored = {m.pk: m for m in Message.objects.filter(pk__in=[m.pk for m in messages])}
    assert [stored[m.pk].text for m in messages] == ["one", "two", "three"]
    assert stored[messages[0].pk].author_visitor_id == e1.visitor_id and stored[messages[0].pk].created_at == clock.now
    assert stored[messages[2].pk].author_staff_id == owner.pk
    created = events.of_type("message.created")
    assert [g for g, _ in created] == [
        [f"room.{e1.room.pk}"],
        [f"visitor.{e1.visitor_id}"],
        [f"room.{e2.room.pk}"],
        [f"visitor.{e2.visitor_id}"],
        [f"room.{e1.room.pk}"],
        [f"visitor.{e1.visitor_id}"],
    ]
    assert created[0][1]["data"]["message"]["author"] == {
        "type": "visitor",
        "id": e1.visitor_id,
        "name": "Vera " + e1.visitor.last_name,
    }
    for room in (e1.room, e2.room):
        room.refresh_from_db()
        assert room.last_message_at == clock.now


def test_one_refusal_does_not_sink_the_others(handled, open_enquiry, make_staff, events):
    e1, owner = handled
    e2 = _pair(open_enquiry, owner)
    services.enquiry_leave(actor=owner, enquiry_id=e2.pk)
    stranger = make_staff(name="Sam Stranger")
    before = Message.objects.count()
    events.clear()
    results = messages_post(
        [
            PostRequest(e1.room.pk, "fine", "a", visitor=e1.visitor),
            PostRequest(e2.room.pk, "closed", "b", visitor=e2.visitor),
            PostRequest(e1.room.pk, "not mine", "c", visitor=e2.visitor),
            PostRequest(e1.room.pk, "not a member", "d", staff=stranger),
            PostRequest(e1.room.pk, "   ", "e", visitor=e1.visitor),
            PostRequest(999_999, "nowhere", "f", visitor=e1.visitor),
            PostRequest(e1.room.pk, "also fine", "g", staff=owner),
        ]
    )
    assert isinstance(results[0], tuple) and results[0][1]
    assert isinstance(results[1], Conflict) and results[1].code == "closed"
    assert isinstance(results[2], NotAuthorized)
    assert isinstance(results[3], NotAuthorized)
    assert isinstance(results[4], InvalidInput) and "text" in results[4].fields
    assert isinstance(results[5], NotFound)
    assert isinstance(results[6], tuple) and results[6][1]
    assert Message.objects.count() == before + 2
    assert sorted(Message.objects.filter(client_id__in="abcdefg").values_list("text", flat=True)) == [
        "also fine",
        "fine",
    ]
    assert len(events.of_type("message.created")) == 4  # two messages, room + visitor each


def test_retries_in_a_batch_return_the_first_message(handled, events):
    e, owner = handled
    first, _ = message_post(room_id=e.room.pk, text="first", client_id="x1", visitor=e.visitor)
    events.clear()
    results = messages_post(
        [
            PostRequest(e.room.pk, "first again", "x1", visitor=e.visitor),  # stored before
            PostRequest(e.room.pk, "new", "x2", visitor=e.visitor),
            PostRequest(e.room.pk, "new twice", "x2", visitor=e.visitor),  # same batch
            PostRequest(e.room.pk, "staff x1", "x1", staff=owner),  # another author: no clash
        ]
    )
    assert results[0] == (first, False)
    new, created = results[1]  # type: ignore[misc]
    assert created and new.text == "new"
    assert results[2] == (new, False)
    staff_message, created = results[3]  # type: ignore[misc]
    assert created and staff_message.author_staff_id == owner.pk
    assert Message.objects.filter(room=e.room, client_id="x2").count() == 1
    assert Message.objects.filter(room=e.room, client_id="x1").count() == 2
    ids = [m["data"]["message"]["id"] for _g, m in events.of_type("message.created")]
    assert sorted(set(ids)) == sorted({new.pk, staff_message.pk})


def test_retry_after_close_returns_the_stored_message(handled):
    e, owner = handled
    first, _ = message_post(room_id=e.room.pk, text="bye", client_id="z1", visitor=e.visitor)
    services.enquiry_leave(actor=owner, enquiry_id=e.pk)
    results = messages_post(
        [
            PostRequest(e.room.pk, "bye", "z1", visitor=e.visitor),
            PostRequest(e.room.pk, "more", "z2", visitor=e.visitor),
        ]
    )
    assert results[0] == (first, False)
    assert isinstance(results[1], Conflict)


def test_batch_reopens_a_resolved_enquiry_once_before_the_messages(handled, events):
    e, owner = handled
    services.enquiry_resolve(actor=owner, enquiry_id=e.pk)
    events.clear()
    results = messages_post(
        [
            PostRequest(e.room.pk, "wait", "r1", visitor=e.visitor),
            PostRequest(e.room.pk, "still there?", visitor=e.visitor),
        ]
    )
    assert all(isinstance(r, tuple) for r in results)
    e.refresh_from_db()
    assert e.status == Enquiry.Status.HANDLING
    assert events.types().count("enquiry.reopened") == 1
    last = list(Message.objects.filter(room=e.room).order_by("-id").values_list("kind", "text")[:3])
    assert last == [
        ("text", "still there?"),
        ("text", "wait"),
        ("system", "The customer wrote again: enquiry reopened."),
    ]


def test_first_response_is_the_first_staff_message_of_the_batch(open_enquiry, make_staff, support, clock):
    owner = make_staff(tags=[support], name="Olive Owner")
    e = _pair(open_enquiry, owner)
    assert e.first_response_at is None
    clock.advance(30)
    messages_post(
        [
            PostRequest(e.room.pk, "from the visitor", visitor=e.visitor),
            PostRequest(e.room.pk, "hello", staff=owner),
            PostRequest(e.room.pk, "how can I help?", staff=owner),
        ]
    )
    e.refresh_from_db()
    first = clock.now
    assert e.first_response_at == first
    clock.advance(30)
    messages_post([PostRequest(e.room.pk, "later", staff=owner)])
    e.refresh_from_db()
    assert e.first_response_at == first


def test_statements_per_batch_do_not_grow_with_the_batch(handled, open_enquiry, django_assert_max_num_queries):
    e1, owner = handled
    rooms = [e1] + [_pair(open_enquiry, owner) for _ in range(4)]
    one = [PostRequest(rooms[0].room.pk, "warm up", visitor=rooms[0].visitor)]
    messages_post(one)
    # Lock the enquiries, stamp the rooms, insert, index for search (history's observer),
    # count the messages and queue them for sentiment (analytics' observers): six statements
    # (plus the savepoint of the test's transaction and its release) whether one message or twenty.
    with django_assert_max_num_queries(8):
        messages_post([PostRequest(rooms[0].room.pk, "one", visitor=rooms[0].visitor)])
    many = [PostRequest(e.room.pk, f"m{i}", visitor=e.visitor) for i in range(4) for e in rooms]
    with django_assert_max_num_queries(8):
        results = messages_post(many)
    assert all(isinstance(r, tuple) and r[1] for r in results)


def test_writing_after_the_auto_close_time_finds_the_enquiry_closed(handled, events, clock):
    e, owner = handled
    services.enquiry_resolve(actor=owner, enquiry_id=e.pk)
    clock.advance(15 * 60)  # the auto-close time; the sweep has not run yet
    events.clear()
    (result,) = messages_post([PostRequest(e.room.pk, "one more thing", "late", visitor=e.visitor)])
    assert isinstance(result, Conflict) and result.code == "closed"
    e.refresh_from_db()
    assert e.status == Enquiry.Status.CLOSED
    assert "enquiry.reopened" not in events.types() and "enquiry.closed" in events.types()
    assert not Message.objects.filter(client_id="late").exists()


def test_writing_just_before_the_auto_close_time_reopens(handled, clock):
    e, owner = handled
    services.enquiry_resolve(actor=owner, enquiry_id=e.pk)
    clock.advance(15 * 60 - 1)
    (result,) = messages_post([PostRequest(e.room.pk, "one more thing", visitor=e.visitor)])
    assert isinstance(result, tuple)
    e.refresh_from_db()
    assert e.status == Enquiry.Status.HANDLING


def test_a_timed_out_post_holds_its_sequences_later_posts_of_the_batch(handled, open_enquiry, monkeypatch):
    """A batch that fails is retried one by one; a post answered Busy (its room's lock held
    elsewhere too long) must not be overtaken by a later post of the same socket (its
    ``sequence``): that one is answered Busy too, unstored; other sockets' posts go in."""
    from django.db import OperationalError

    from contactcenter.org.errors import Busy
    from rooms import services as room_services

    e1, owner = handled
    e2 = _pair(open_enquiry, owner)
    real = room_services._post_batch

    def locked(requests: Any, cleaned: Any, results: Any) -> None:
        if any(requests[i].room_id == e1.room.pk for i in cleaned):
            exc = OperationalError("canceling statement due to lock timeout")
            exc.pgcode = "55P03"  # type: ignore[attr-defined]
            raise exc
        real(requests, cleaned, results)

    monkeypatch.setattr(room_services, "_post_batch", locked)
    results = messages_post(
        [
            PostRequest(e1.room.pk, "stuck", "s0", visitor=e1.visitor, sequence="sock-a"),
            PostRequest(e2.room.pk, "after it", "s1", visitor=e2.visitor, sequence="sock-a"),
            PostRequest(e2.room.pk, "other socket", "t0", visitor=e2.visitor, sequence="sock-b"),
            PostRequest(e2.room.pk, "no sequence", "u0", visitor=e2.visitor),
        ]
    )
    assert isinstance(results[0], Busy) and isinstance(results[1], Busy)
    assert results[1].retry_after == results[0].retry_after
    assert isinstance(results[2], tuple) and isinstance(results[3], tuple)
    assert set(Message.objects.filter(client_id__in=["s0", "s1", "t0", "u0"]).values_list("client_id", flat=True)) == {
        "t0",
        "u0",
    }
