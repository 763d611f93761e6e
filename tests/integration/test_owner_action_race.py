"""The owner doing several things to one enquiry at once (a double click, two tabs), for
real on PostgreSQL through the REST API: nothing deadlocks, nothing answers 500, every lost
race answers 409, and the enquiry ends in a consistent state.

Each round hands a fresh enquiry to the owner, then releases a burst of concurrent
requests on it at once (threads, each with its own database connection): the owner picks
up, resolves, transfers, posts, changes availability, leaves; the visitor posts (which
reopens a resolved enquiry) and rates; the transfer's target accepts."""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from contactcenter.org import services as org_services
from contactcenter.org.errors import lost_race
from contactcenter.org.models import Staff, Tag
from enquiries.models import Enquiry, EnquiryEvent, Transfer, Visitor
from rooms.models import RoomMember
from tests.concurrency import race
from tests.conftest import api_client_for

ROUNDS = 10
BURST = 30
TIME_BUDGET = 180.0  # the whole test, on a busy 2-core machine


def _deadlocks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return int(cursor.fetchone()[0])


def _client(principal: Staff | Visitor) -> APIClient:
    client = api_client_for(principal)
    client.raise_request_exception = False  # a server error is a 500 response, as for real
    return client


def _check_consistent(enquiry: Enquiry) -> None:
    enquiry.refresh_from_db()
    events = Counter(EnquiryEvent.objects.filter(enquiry=enquiry).values_list("type", flat=True))
    assert events[EnquiryEvent.Type.CLOSED] == (1 if enquiry.status == Enquiry.Status.CLOSED else 0)
    assert events[EnquiryEvent.Type.RATED] == (0 if enquiry.rating_score is None else 1)
    # Each resolve is undone by one reopen, except the last one of a resolved enquiry (and
    # of a closed one closed while resolved).
    open_resolves = events[EnquiryEvent.Type.RESOLVED] - events[EnquiryEvent.Type.REOPENED]
    expected: dict[str, set[int]] = {"handling": {0}, "resolved": {1}, "closed": {0, 1}}
    assert open_resolves in expected[enquiry.status], (enquiry.status, events)
    assert Transfer.objects.filter(enquiry=enquiry, status=Transfer.Status.PENDING).count() <= (
        1 if enquiry.status == Enquiry.Status.HANDLING else 0
    )
    accepted = Transfer.objects.filter(enquiry=enquiry, status=Transfer.Status.ACCEPTED).count()
    assert events[EnquiryEvent.Type.TRANSFERRED] == accepted
    owners = list(
        RoomMember.objects.filter(room=enquiry.room, role=RoomMember.Role.OWNER).values_list("staff_id", flat=True)
    )
    assert owners == [enquiry.owner_id]


Call = tuple[str, Callable[[], Any]]  # (who, the request)


def _menu(
    owner_http: APIClient, colleague_http: APIClient, visitor_http: APIClient, enquiry: Enquiry, colleague: Staff
) -> tuple[Call, Call, list[Call]]:
    """Resolve, leave, and the requests a round draws from."""
    base = f"/api/v1/enquiries/{enquiry.pk}"
    room_id = enquiry.room.pk

    def post(http: APIClient, url: str, body: dict[str, Any] | None = None) -> Callable[[], Any]:
        return lambda: http.post(url, body or {}, format="json")

    def message(http: APIClient) -> Callable[[], Any]:
        return lambda: http.post(
            f"/api/v1/rooms/{room_id}/messages", {"text": "hi", "client_id": uuid.uuid4().hex}, format="json"
        )

    def availability(value: str) -> Callable[[], Any]:
        return lambda: owner_http.patch("/api/v1/me", {"availability": value}, format="json")

    resolve = ("owner", post(owner_http, f"{base}/resolve"))
    menu = [
        ("owner", post(owner_http, f"{base}/pick-up")),
        resolve,
        resolve,
        ("owner", post(owner_http, f"{base}/transfer", {"staff": colleague.pk})),
        ("colleague", post(colleague_http, f"{base}/pick-up")),  # accepts a pending transfer
        ("owner", message(owner_http)),
        ("owner", message(owner_http)),
        ("visitor", message(visitor_http)),  # reopens a resolved enquiry
        ("visitor", post(visitor_http, f"/api/v1/widget/enquiries/{enquiry.pk}/rating", {"score": 5})),
        ("owner", availability("busy")),
        ("owner", availability("active")),
        ("owner", lambda: owner_http.patch(f"{base}/visitor", {"first_name": "Vic"}, format="json")),
    ]
    leave = ("owner", post(owner_http, f"{base}/leave"))
    return resolve, leave, menu


def test_owner_actions_on_one_enquiry_at_once_never_deadlock(
    race_setup: None,
    make_staff: Callable[..., Staff],
    support: Tag,
    open_enquiry: Callable[..., Enquiry],
) -> None:
    owner = make_staff(tags=[support], name="Olive Owner", max_concurrent=100)
    colleague = make_staff(tags=[support], name="Colin Colleague", max_concurrent=100)
    owner_http = _client(owner)
    colleague_http = _client(colleague)
    started = time.monotonic()
    deadlocks_before = _deadlocks()
    codes: Counter[int] = Counter()
    failures: list[str] = []

    for round_ in range(ROUNDS):
        org_services.staff_set_availability(actor=owner, staff=owner, availability=Staff.Availability.ACTIVE)
        enquiry = open_enquiry()
        # Only the owner takes it; the colleague is alerted again by transfers.
        response = owner_http.post(f"/api/v1/enquiries/{enquiry.pk}/pick-up")
        assert response.status_code == 200, response.content

        resolve, leave, menu = _menu(owner_http, colleague_http, _client(enquiry.visitor), enquiry, colleague)
        rng = random.Random(round_)
        calls = [rng.choice(menu) for _ in range(BURST - 1)]
        # Half the rounds also end the conversation in the middle of it all.
        calls.append(leave if round_ % 2 else resolve)
        rng.shuffle(calls)
        results = race([call for _who, call in calls], what="a request")
        # Once the colleague has accepted a transfer, the owner is no longer the owner (nor
        # in the room): refusals of its later actions are right, and not races.
        handed_over = Transfer.objects.filter(enquiry=enquiry, status=Transfer.Status.ACCEPTED).exists()
        for (who, _call), result in zip(calls, results, strict=True):
            if isinstance(result, BaseException):
                failures.append(f"{who}: {result!r}")
                continue
            codes[result.status_code] += 1
            if result.status_code == 409 and result.json().get("code") == "retry":
                failures.append(f"{who}: a deadlock (answered 409)")
            refused = result.status_code in (403, 404) and who == "owner" and handed_over
            if result.status_code >= 500 or (result.status_code >= 400 and result.status_code != 409 and not refused):
                failures.append(f"{who}: {result.status_code} {result.content[:300]!r}")
        _check_consistent(enquiry)
        assert time.monotonic() - started < TIME_BUDGET, f"too slow: {codes}"

    assert failures == [], (codes, failures[:10])
    assert _deadlocks() == deadlocks_before, codes
    assert codes[409] > 0 and sum(codes.values()) == ROUNDS * BURST


class _Deadlock(Exception):
    """What psycopg raises when PostgreSQL breaks a deadlock by aborting this transaction."""

    pgcode = "40P01"


def test_a_deadlock_that_still_happens_answers_409_not_500(
    handled: tuple[Enquiry, Staff], monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import OperationalError

    from enquiries import services as enquiry_services

    enquiry, owner = handled

    def deadlocked(enquiry_id: int) -> Enquiry:
        raise OperationalError("deadlock detected") from _Deadlock("deadlock detected")

    monkeypatch.setattr(enquiry_services, "_lock_enquiry", deadlocked)
    response = _client(owner).post(f"/api/v1/enquiries/{enquiry.pk}/resolve")
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "retry"
    monkeypatch.undo()
    enquiry.refresh_from_db()
    assert enquiry.status == Enquiry.Status.HANDLING
    # Any other database error is still a server error.
    assert lost_race(OperationalError("server closed the connection")) is None
