"""Concurrent batches on PostgreSQL (several daphne processes' socket writers plus REST
posts): no deadlock, no lost or doubled message, and ids in each room follow commit order."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest

from contactcenter.org.models import Staff, Tag
from enquiries.models import Enquiry
from rooms.models import Message
from rooms.services import PostRequest, message_post, messages_post
from tests.concurrency import race
from tests.conftest import require_postgres

ROOMS = 6
WRITERS = 6
ROUNDS = 15


@pytest.fixture
def rooms(
    transactional_db: Any, make_staff: Callable[..., Staff], support: Tag, picked_up: Callable[..., Enquiry]
) -> tuple[Staff, list[Enquiry]]:
    require_postgres()
    agent = make_staff(tags=[support], name="Alice Agent", max_concurrent=ROOMS)
    return agent, [picked_up(agent) for _ in range(ROOMS)]


def test_concurrent_batches_over_the_same_rooms(rooms: tuple[Staff, list[Enquiry]]) -> None:
    agent, enquiries = rooms
    before = Message.objects.count()

    def writer(w: int) -> Callable[[], list[Any]]:
        def run() -> list[Any]:
            answers: list[Any] = []
            shuffled = random.Random(w)
            for r in range(ROUNDS):
                order = list(enquiries)
                shuffled.shuffle(order)  # every batch names the rooms in another order
                if w == 0:  # one REST-like poster, one message per transaction
                    e = order[0]
                    answers.append(message_post(room_id=e.room.pk, text=f"{w}/{r}", client_id=f"{w}-{r}", staff=agent))
                    continue
                batch = [PostRequest(e.room.pk, f"{w}/{r}/{e.pk}", f"{w}-{r}-{e.pk}", visitor=e.visitor) for e in order]
                batch.append(PostRequest(order[0].room.pk, "retry", f"{w}-{r}-{order[0].pk}", visitor=order[0].visitor))
                answers += messages_post(batch)
            return answers

        return run

    results = race([writer(w) for w in range(WRITERS)])
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == []
    answers = [a for r in results for a in r]
    assert all(isinstance(a, tuple) for a in answers), [a for a in answers if not isinstance(a, tuple)]
    created = [m for m, is_new in answers if is_new]
    expected = ROUNDS + (WRITERS - 1) * ROUNDS * ROOMS
    assert len(created) == expected  # each retry in a batch answered with the first message
    assert Message.objects.count() == before + expected
    assert len({m.pk for m in created}) == expected
    # Each room's ids follow the order its messages were stamped (commit order under the
    # room lock): the ids in a room are unique and last_message_at never goes backwards.
    for e in enquiries:
        stamps = list(Message.objects.filter(room=e.room).order_by("id").values_list("created_at", flat=True))
        assert stamps == sorted(stamps)
