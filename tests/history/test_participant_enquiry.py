"""``rooms.RoomParticipant`` carries the room's enquiry, its created_at and status (an
agent's History reads its own rows from them): written by every way into a room (pick-up,
transfer, join, take-over, missed follow-up; none for direct rooms and spaces), the status
kept by a trigger on every change, and backfilled for rows from before (migration rooms
0004)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from contactcenter.org.models import Staff
from enquiries import services as enquiry_services
from enquiries.models import Enquiry
from history.filters import FINISHED, visible_enquiries
from rooms import services as room_services
from rooms import spaces
from rooms.models import RoomParticipant
from tests.api.conftest import _check_responses_against_schema, ok  # noqa: F401
from tests.history.history_fixtures import World, finish, world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def rows_of(enquiry: Enquiry) -> dict[int, tuple[int | None, Any]]:
    return {p.staff_id: (p.enquiry_id, p.enquiry_created_at) for p in RoomParticipant.objects.filter(room=enquiry.room)}


def history_ids(client: APIClient, **params: Any) -> list[int]:
    return [row["id"] for row in ok(client.get("/api/v1/history", params))["results"]]


def expected_ids(staff: Staff) -> list[int]:
    rows = visible_enquiries(staff).filter(status__in=FINISHED).order_by("-created_at", "-id")
    return list(rows.values_list("id", flat=True))


def statuses_of(enquiry: Enquiry) -> set[str | None]:
    return set(RoomParticipant.objects.filter(room=enquiry.room).values_list("enquiry_status", flat=True))


def test_the_status_follows_every_change(
    world: World, open_enquiry: Callable[..., Enquiry], api: Any, clock: Any
) -> None:
    assert statuses_of(world.e1) == {"closed"} and statuses_of(world.e2) == {"resolved"}
    assert statuses_of(world.e3) == {"closed"}  # both rows, Alice's and Bob's
    enquiry = open_enquiry(message="Status please")
    enquiry_services.enquiry_pick_up(actor=world.alice, enquiry_id=enquiry.pk)
    assert statuses_of(enquiry) == {"handling"}
    enquiry_services.enquiry_resolve(actor=world.alice, enquiry_id=enquiry.pk)
    assert statuses_of(enquiry) == {"resolved"}
    assert history_ids(api(world.alice), status="resolved") == expected_ids_with(world.alice, "resolved")
    # The customer writes again: reopened.
    room_services.message_post(room_id=enquiry.room.pk, text="One more thing", visitor=enquiry.visitor)
    enquiry.refresh_from_db()
    assert enquiry.status == "handling" and statuses_of(enquiry) == {"handling"}
    assert enquiry.pk not in history_ids(api(world.alice))
    enquiry_services.enquiry_resolve(actor=world.alice, enquiry_id=enquiry.pk)
    enquiry_services.enquiry_close(actor=world.alice, enquiry_id=enquiry.pk)
    assert statuses_of(enquiry) == {"closed"}
    assert history_ids(api(world.alice))[0] == enquiry.pk
    # Any write of the status, a bulk one too.
    Enquiry.objects.filter(pk=enquiry.pk).update(status=Enquiry.Status.RESOLVED)
    assert statuses_of(enquiry) == {"resolved"}
    assert history_ids(api(world.alice), status="closed") == expected_ids_with(world.alice, "closed")


def expected_ids_with(staff: Staff, status: str) -> list[int]:
    rows = visible_enquiries(staff).filter(status=status).order_by("-created_at", "-id")
    return list(rows.values_list("id", flat=True))


def test_pick_up_and_transfer_write_the_enquiry_on_the_row(world: World) -> None:
    e1, e3 = world.e1, world.e3
    assert rows_of(e1) == {world.alice.pk: (e1.pk, e1.created_at)}
    # Alice picked e3 up and transferred it to Bob: both rows carry it.
    assert rows_of(e3) == {world.alice.pk: (e3.pk, e3.created_at), world.bob.pk: (e3.pk, e3.created_at)}


def test_join_and_take_over_write_the_enquiry_on_the_row(
    world: World, open_enquiry: Callable[..., Enquiry], make_staff: Callable[..., Staff], api: Any
) -> None:
    enquiry = open_enquiry(message="Help")
    enquiry_services.enquiry_pick_up(actor=world.alice, enquiry_id=enquiry.pk)
    supervisor = make_staff(role=Staff.Role.ADMIN, name="Sam Supervisor")
    enquiry_services.enquiry_join(actor=supervisor, enquiry_id=enquiry.pk)
    enquiry_services.enquiry_take_over(actor=world.admin, enquiry_id=enquiry.pk)
    assert rows_of(enquiry) == {
        world.alice.pk: (enquiry.pk, enquiry.created_at),
        supervisor.pk: (enquiry.pk, enquiry.created_at),
        world.admin.pk: (enquiry.pk, enquiry.created_at),
    }
    finish(enquiry, world.admin)
    # The previous owner still finds it, first (the newest).
    assert history_ids(api(world.alice))[0] == enquiry.pk
    assert history_ids(api(world.alice)) == expected_ids(world.alice)


def test_missed_follow_up_join_writes_the_enquiry_on_the_row(
    world: World, open_enquiry: Callable[..., Enquiry], api: Any
) -> None:
    enquiry = open_enquiry(message="Anyone?")
    for agent in (world.alice, world.bob, world.carol):
        enquiry_services.enquiry_reject(actor=agent, enquiry_id=enquiry.pk)
    enquiry.refresh_from_db()
    assert enquiry.status == Enquiry.Status.MISSED
    enquiry_services.missed_follow_up_join(actor=world.bob, enquiry_id=enquiry.pk)
    assert rows_of(enquiry) == {world.bob.pk: (enquiry.pk, enquiry.created_at)}
    assert enquiry.pk in history_ids(api(world.bob), status="missed")


def test_direct_rooms_and_spaces_have_no_enquiry(world: World, api: Any) -> None:
    room, _created = spaces.direct_room_open(actor=world.alice, staff=world.bob)
    space = spaces.space_create(actor=world.alice, name="Team", members=[world.carol.pk])
    for r in (room, space):
        rows = list(RoomParticipant.objects.filter(room=r).values_list("enquiry_id", "enquiry_created_at"))
        assert rows and all(row == (None, None) for row in rows)
    # They are in nobody's History.
    for staff in (world.alice, world.bob, world.carol):
        assert history_ids(api(staff)) == expected_ids(staff)


def test_backfill_fills_old_rows_and_adds_missing_owners(world: World, api: Any) -> None:
    before = {s.pk: history_ids(api(s)) for s in (world.alice, world.bob, world.carol)}
    # Rows as they were before the migration: no enquiry on them; and an owner whose
    # participant row is missing (written before RoomParticipant existed).
    RoomParticipant.objects.update(enquiry=None, enquiry_created_at=None, enquiry_status=None)
    RoomParticipant.objects.filter(room=world.e5.room, staff=world.carol).delete()
    assert history_ids(api(world.carol)) == []
    backfill = importlib.import_module("rooms.migrations.0004_participant_enquiry").BACKFILL
    with connection.cursor() as cursor:
        for statement in backfill:
            cursor.execute(statement)
    assert rows_of(world.e5) == {world.carol.pk: (world.e5.pk, world.e5.created_at)}
    assert statuses_of(world.e5) == {"closed"} and statuses_of(world.e2) == {"resolved"}
    assert rows_of(world.e3)[world.alice.pk] == (world.e3.pk, world.e3.created_at)
    assert {s.pk: history_ids(api(s)) for s in (world.alice, world.bob, world.carol)} == before


def test_agent_pages_follow_the_rows_with_every_filter(world: World, api: Any) -> None:
    # Each filter narrows the agent's own rows exactly as it narrows visible_enquiries.
    cases: list[dict[str, Any]] = [
        {},
        {"channel": world.sales_channel.pk},
        {"conversation_tag": world.billing.pk},
        {"owner": world.bob.pk},
        {"customer": world.customer.pk},
        {"from": "2026-03-04", "to": "2026-03-05"},
        {"status": "resolved,closed"},
        {"status": "missed"},
    ]
    for staff in (world.alice, world.bob):
        for params in cases:
            got = [row["id"] for row in ok(api(staff).get("/api/v1/history", {**params, "limit": 1}))["results"]]
            every = history_ids(api(staff), **params)
            assert got == every[:1], params
