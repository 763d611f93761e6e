"""PostgreSQL reads a frequent word's newest matches from a slice of the newest ids first
(``history.search._recent_bounds``), then every id if the slice holds too few: the same
results as one pass over every id, for a word found everywhere, in old messages only, or
nowhere, as an agent and as an admin."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from contactcenter.org.errors import NotAuthorized
from contactcenter.org.models import Staff, Tag
from enquiries import services as enquiry_services
from enquiries.models import Enquiry
from history import search
from rooms import services as room_services
from tests.api.conftest import _check_responses_against_schema, ok  # noqa: F401
from tests.conftest import require_postgres

pytestmark = pytest.mark.django_db


def found(api: Callable[..., Any], staff: Staff, q: str) -> list[int]:
    return [
        r["message"]
        for r in ok(api(staff).get("/api/v1/search", {"q": q, "scope": "messages", "limit": 50}))["results"]
    ]


def test_slices_give_the_rows_of_one_pass(
    api: Callable[..., Any],
    open_enquiry: Callable[..., Enquiry],
    make_staff: Callable[..., Staff],
    admin: Staff,
    support: Tag,
    monkeypatch: pytest.MonkeyPatch,
    clock: Any,
) -> None:
    agent = make_staff(tags=[support], name="Alice Agent")
    other = make_staff(tags=[support], name="Bob Agent")
    posted: list[int] = []
    for i in range(12):
        clock.advance(60)
        enquiry = open_enquiry(message=f"hello {i}")
        owner = agent if i % 3 else other
        try:
            enquiry_services.enquiry_pick_up(actor=owner, enquiry_id=enquiry.pk)
        except NotAuthorized:  # offered to the other one
            owner = other if owner == agent else agent
            enquiry_services.enquiry_pick_up(actor=owner, enquiry_id=enquiry.pk)
        for j in range(4):
            # "walnut" everywhere; "pecan" only in the oldest enquiries.
            text = f"walnut {i}.{j}" + (" pecan" if i < 2 else "")
            message, _ = room_services.message_post(room_id=enquiry.room.pk, text=text, staff=owner)
            posted.append(message.pk)
        enquiry_services.enquiry_resolve(actor=owner, enquiry_id=enquiry.pk)  # a free seat for the next
    monkeypatch.setattr(search, "CANDIDATES", 5)
    queries = ["walnut", "pecan", "walnut pecan", "hazelnut"]
    cases = [(staff, q) for staff in (agent, other, admin) for q in queries]
    monkeypatch.setattr(search, "SLICE_MAX", 0.0)  # never a slice
    one_pass = {(s.pk, q): found(api, s, q) for s, q in cases}
    assert len(one_pass[(admin.pk, "walnut")]) == 5 and one_pass[(admin.pk, "hazelnut")] == []
    assert one_pass[(agent.pk, "pecan")]  # the agent owned enquiry 1
    # Slices of every width, from a few ids (too few matches: one pass follows) to half.
    monkeypatch.setattr(search, "SLICE_MAX", 1.0)
    for margin in (0.0001, 0.01, 0.2, 1.0):
        monkeypatch.setattr(search, "SLICE_MARGIN", margin)
        assert {(s.pk, q): found(api, s, q) for s, q in cases} == one_pass, margin
    # Several words the planner expects too few of for the widest slice (up to
    # SLICE_UNDERESTIMATE times too few) try the widest slice first: the same rows.
    monkeypatch.setattr(search, "SLICE_MAX", 0.25)
    for underestimate in (0, 4, 1000):
        monkeypatch.setattr(search, "SLICE_UNDERESTIMATE", underestimate)
        for margin in (0.5, 2.0, 50.0):
            monkeypatch.setattr(search, "SLICE_MARGIN", margin)
            assert {(s.pk, q): found(api, s, q) for s, q in cases} == one_pass, (underestimate, margin)


def test_recent_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    require_postgres()
    where, params = "i.vector @@ to_tsquery('simple', %s)", ["walnut"]
    # The planner expects a few matches: one pass.
    assert search._recent_bounds("history_messageindex", "message_id", where, params, 200) == [None]
    monkeypatch.setattr(search, "SLICE_MAX", 1.0)
    monkeypatch.setattr(search, "SLICE_MARGIN", 1e-9)
    # An empty index: one pass whatever the estimate.
    assert search._recent_bounds("history_messageindex", "message_id", where, params, 200) == [None]
