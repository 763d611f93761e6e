"""The statements of a posted batch, pinned: the socket writer's CPU per message is mostly
per round trip to the database (bench/RESULTS.md, session 11), so a new statement on the
hot path is a decision, made here."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics.voc_models import VocPending
from history.search_models import MessageIndex
from rooms import hooks
from rooms.models import Message
from rooms.services import PostRequest, messages_post


def _statements(ctx: CaptureQueriesContext) -> list[str]:
    """The round trips, without the test transaction's savepoints."""
    return [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]


def test_a_visitor_batch_is_three_round_trips(handled: Any) -> None:
    enquiry, _owner = handled
    room = enquiry.room.pk
    requests = [PostRequest(room, f"hello {i}", f"c{i}", visitor=enquiry.visitor) for i in range(3)]
    with CaptureQueriesContext(connection) as ctx:
        results = messages_post(requests)
    ids = [r[0].pk for r in results if isinstance(r, tuple)]
    assert len(ids) == 3
    statements = _statements(ctx)
    # The owners' lock; the rooms' stamp and the INSERT; the observers' rows (search index,
    # analytics facts, VOC pending) together.
    assert len(statements) == 3, statements
    assert statements[1].startswith('UPDATE "rooms_room"') and 'INSERT INTO "rooms_message"' in statements[1]
    observers = statements[2]
    for table in ("history_messageindex", "analytics_enquiryfact", "analytics_vocpending"):
        assert table in observers, table
    # Every row went in.
    assert set(Message.objects.filter(pk__in=ids).values_list("room_id", flat=True)) == {room}
    assert set(MessageIndex.objects.filter(message_id__in=ids).values_list("message_id", flat=True)) == set(ids)
    assert set(VocPending.objects.filter(message_id__in=ids).values_list("message_id", flat=True)) == set(ids)


def test_a_staff_batch_adds_the_membership_check(handled: Any) -> None:
    enquiry, owner = handled
    messages_post([PostRequest(enquiry.room.pk, "first", "s0", staff=owner)])  # the first response's stamp
    with CaptureQueriesContext(connection) as ctx:
        [result] = messages_post([PostRequest(enquiry.room.pk, "hi", "s1", staff=owner)])
    assert isinstance(result, tuple)
    assert len(_statements(ctx)) == 4, _statements(ctx)


def test_batch_statements_are_kept_in_a_batch_and_executed_at_once_elsewhere(db: Any) -> None:
    table = connection.ops.quote_name(VocPending._meta.db_table)
    seen: list[int] = []

    def observer(messages: Any) -> None:
        # A statement without parameters may hold a "%": it is doubled for the binding.
        hooks.batch_statement(f"SELECT 1 WHERE 'a%' LIKE 'a%%'", [])  # noqa: F541
        hooks.batch_statement(f"SELECT %s FROM {table} WHERE 1 = 0", [7])  # noqa: S608
        seen.append(len(messages))

    saved = list(hooks._posted_observers)
    hooks._posted_observers[:] = [observer]
    try:
        with CaptureQueriesContext(connection) as ctx:
            hooks.messages_posted([])
        assert seen == [0]
        assert len(ctx.captured_queries) == 1  # two statements, one round trip
        with CaptureQueriesContext(connection) as ctx:
            hooks.batch_statement(f"SELECT %s FROM {table} WHERE 1 = 0", [7])  # noqa: S608
        assert len(ctx.captured_queries) == 1
    finally:
        hooks._posted_observers[:] = saved
