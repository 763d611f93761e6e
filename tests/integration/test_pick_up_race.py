"""Simultaneous pick-ups, for real, on PostgreSQL (SPEC 3.2): exactly one owner per
enquiry, every loser gets Conflict (409), and nobody goes over their concurrent limit.

Each thread has its own database connection; a barrier releases them together."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from contactcenter.org.errors import Conflict
from contactcenter.org.models import Staff, Tag
from enquiries import services as enquiry_services
from enquiries.models import Enquiry, EnquiryEvent
from tests.concurrency import race

THREADS = 20


def _pick_up(staff: Staff, enquiry_id: int) -> Callable[[], Enquiry]:
    return lambda: enquiry_services.enquiry_pick_up(actor=staff, enquiry_id=enquiry_id)


def _handling_counts() -> dict[int, int]:
    return enquiry_services.staff_load(Staff.objects.values_list("id", flat=True))


def test_many_agents_one_enquiry_exactly_one_owner(
    race_setup: None,
    make_staff: Callable[..., Staff],
    support: Tag,
    open_enquiry: Callable[..., Enquiry],
) -> None:
    agents = [make_staff(tags=[support]) for _ in range(THREADS)]
    enquiry = open_enquiry()
    assert enquiry.status == Enquiry.Status.OPEN

    results = race([_pick_up(a, enquiry.pk) for a in agents], what="a pick-up thread")

    winners = [r for r in results if isinstance(r, Enquiry)]
    losers = [r for r in results if isinstance(r, Conflict)]
    unexpected = [r for r in results if not isinstance(r, Enquiry | Conflict)]
    assert unexpected == []
    assert len(winners) == 1
    assert len(losers) == THREADS - 1
    assert {c.code for c in losers} == {"taken"}
    enquiry.refresh_from_db()
    assert enquiry.status == Enquiry.Status.HANDLING
    assert enquiry.owner_id == winners[0].owner_id
    assert EnquiryEvent.objects.filter(enquiry=enquiry, type=EnquiryEvent.Type.PICKED_UP).count() == 1
    assert enquiry.room.members.count() == 1


def test_one_agent_many_enquiries_never_over_limit(
    race_setup: None,
    make_staff: Callable[..., Staff],
    support: Tag,
    open_enquiry: Callable[..., Enquiry],
) -> None:
    agent = make_staff(tags=[support], max_concurrent=2)
    enquiries = [open_enquiry() for _ in range(THREADS)]
    assert all(e.status == Enquiry.Status.OPEN for e in enquiries)

    results = race([_pick_up(agent, e.pk) for e in enquiries], what="a pick-up thread")

    winners = [r for r in results if isinstance(r, Enquiry)]
    losers = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 2, results
    assert len(losers) == THREADS - 2
    assert {c.code for c in losers} == {"over_limit"}
    assert Enquiry.objects.filter(owner=agent, status=Enquiry.Status.HANDLING).count() == 2
    assert Enquiry.objects.filter(status=Enquiry.Status.OPEN).count() == THREADS - 2


def test_many_agents_many_enquiries(
    race_setup: None,
    make_staff: Callable[..., Staff],
    support: Tag,
    open_enquiry: Callable[..., Enquiry],
) -> None:
    # Capacity 26 for 20 enquiries: every enquiry finds an owner, and the limits bind.
    limits = [2 if i % 3 == 2 else 1 for i in range(THREADS)]
    agents = [make_staff(tags=[support], max_concurrent=n) for n in limits]
    enquiries = [open_enquiry() for _ in range(THREADS)]
    ids = [e.pk for e in enquiries]

    def agent_worker(agent: Staff, seed: int) -> Callable[[], list[Any]]:
        def work() -> list[Any]:
            order = list(ids)
            random.Random(seed).shuffle(order)
            outcome: list[Any] = []
            for enquiry_id in order:
                try:
                    outcome.append(enquiry_services.enquiry_pick_up(actor=agent, enquiry_id=enquiry_id).pk)
                except Conflict as exc:
                    outcome.append(exc.code)
            return outcome

        return work

    results = race([agent_worker(a, i) for i, a in enumerate(agents)], what="a pick-up thread")

    for r in results:
        assert isinstance(r, list), r
        assert set(x for x in r if isinstance(x, str)) <= {"taken", "over_limit"}
    won = [x for r in results for x in r if isinstance(x, int)]
    assert sorted(won) == sorted(ids), "each enquiry exactly one owner"
    load = _handling_counts()
    for agent, limit in zip(agents, limits, strict=True):
        assert load.get(agent.pk, 0) <= limit
    assert sum(load.values()) == THREADS
    assert Enquiry.objects.filter(status=Enquiry.Status.HANDLING).count() == THREADS
    assert EnquiryEvent.objects.filter(type=EnquiryEvent.Type.PICKED_UP).count() == THREADS
