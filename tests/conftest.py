"""Shared fixtures: a controlled clock, event capture, and factories that go through
the services (never raw .save())."""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from channels_adapters import services as channel_services
from channels_adapters.models import Channel
from contactcenter.org import clock as cc_clock
from contactcenter.org import realtime
from contactcenter.org import services as org_services
from contactcenter.org.cache import LocalTTLCache
from contactcenter.org.models import Staff, Tag
from enquiries import services as enquiry_services
from enquiries.auth import visitor_token_for
from enquiries.models import Enquiry, Visitor

PASSWORD = "correct-horse-42"
_seq = itertools.count(1)

IN_CI = os.environ.get("CI", "").lower() == "true"
ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def require_postgres() -> None:
    """Skip without PostgreSQL, except in CI, where it must be there."""
    if not ON_POSTGRES:
        if IN_CI:
            pytest.fail("CI=true but the tests are not running on PostgreSQL (set DATABASE_URL).")
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")


def require_redis() -> None:
    if not settings.REDIS_URL:
        if IN_CI:
            pytest.fail("CI=true but REDIS_URL is not set.")
        pytest.skip("needs Redis (set REDIS_URL)")


class Clock:
    """Frozen time that tests move explicitly."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 3, 4, 10, 0, tzinfo=dt.UTC)  # a Wednesday
        cc_clock.freeze(self.now)

    def advance(self, seconds: float) -> dt.datetime:
        self.now = cc_clock.advance(seconds)
        return self.now

    def set(self, when: dt.datetime) -> None:
        self.now = when
        cc_clock.freeze(when)


@pytest.fixture
def clock() -> Iterator[Clock]:
    c = Clock()
    yield c
    cc_clock.reset()


@pytest.fixture(autouse=True)
def _reset_clock() -> Iterator[None]:
    # Settings kept per process (contactcenter.org.cache.LocalTTLCache) come from each
    # test's own database.
    LocalTTLCache.clear_all()
    yield
    cc_clock.reset()
    LocalTTLCache.clear_all()


class EventLog:
    """Events actually sent. Tests run inside a transaction that never commits, so reading
    the log first runs the on-commit callbacks queued so far (as a commit would); callbacks
    of rolled-back savepoints are already gone and never run."""

    def __init__(self) -> None:
        self._sent: list[tuple[list[str], dict[str, Any]]] = []
        self._ran: set[int] = set()

    def __call__(self, groups: list[str], payload: dict[str, Any]) -> None:
        self._sent.append((groups, payload))

    def flush(self) -> None:
        for entry in list(connection.run_on_commit):
            func = entry[1]
            if id(func) not in self._ran:
                self._ran.add(id(func))
                func()

    @property
    def sent(self) -> list[tuple[list[str], dict[str, Any]]]:
        self.flush()
        return self._sent

    def of_type(self, type_: str) -> list[tuple[list[str], dict[str, Any]]]:
        return [(g, p) for g, p in self.sent if p["type"] == type_]

    def types(self) -> list[str]:
        return [p["type"] for _, p in self.sent]

    def to_group(self, group: str) -> list[dict[str, Any]]:
        return [p for g, p in self.sent if group in g]

    def clear(self) -> None:
        self.flush()
        self._sent.clear()


@pytest.fixture
def events(db: Any) -> Iterator[EventLog]:
    log = EventLog()
    realtime.sinks.append(log)
    yield log
    realtime.sinks.remove(log)


@pytest.fixture
def make_tag(db: Any) -> Callable[..., Tag]:
    def make(name: str | None = None) -> Tag:
        return Tag.objects.create(name=name or f"Tag {next(_seq)}")

    return make


@pytest.fixture
def make_staff(db: Any) -> Callable[..., Staff]:
    def make(
        *,
        role: str = Staff.Role.AGENT,
        tags: list[Tag] | None = None,
        availability: str = Staff.Availability.ACTIVE,
        max_concurrent: int = 5,
        email: str | None = None,
        name: str | None = None,
    ) -> Staff:
        n = next(_seq)
        return org_services.staff_create(
            actor=None,
            email=email or f"staff{n}@example.com",
            password=PASSWORD,
            display_name=name or f"Staff {n}",
            role=role,
            tags=tags or [],
            max_concurrent=max_concurrent,
            availability=availability,
        )

    return make


@pytest.fixture
def admin(make_staff: Callable[..., Staff]) -> Staff:
    return make_staff(role=Staff.Role.ADMIN, name="Ada Admin", availability=Staff.Availability.OFFLINE)


@pytest.fixture
def support(make_tag: Callable[..., Tag]) -> Tag:
    return make_tag("Support")


@pytest.fixture
def make_channel(admin: Staff) -> Callable[..., Channel]:
    def make(*, tag: Tag | None = None, staff: Staff | None = None, kind: str = "widget", **extra: Any) -> Channel:
        return channel_services.channel_create(
            actor=admin,
            kind=kind,
            name=f"Channel {next(_seq)}",
            destination_tag=tag,
            destination_staff=staff,
            **extra,
        )

    return make


@pytest.fixture
def widget(make_channel: Callable[..., Channel], support: Tag) -> Channel:
    return make_channel(tag=support, welcome_message="Welcome!", custom_info="Internal: VIP desk")


@pytest.fixture
def make_visitor(db: Any) -> Callable[..., Visitor]:
    def make(channel: Channel | None = None, **fields: Any) -> Visitor:
        fields.setdefault("first_name", "Vera")
        fields.setdefault("last_name", f"Visitor{next(_seq)}")
        return enquiry_services.visitor_create(channel=channel, fields=fields)

    return make


@pytest.fixture
def open_enquiry(make_visitor: Callable[..., Visitor], widget: Channel) -> Callable[..., Enquiry]:
    def make(
        *, channel: Channel | None = None, visitor: Visitor | None = None, message: str = "Hello?", **kw: Any
    ) -> Enquiry:
        channel = channel or widget
        visitor = visitor or make_visitor(channel)
        return enquiry_services.enquiry_open(channel=channel, visitor=visitor, message=message, **kw)

    return make


def api_client_for(principal: Staff | Visitor | None = None) -> APIClient:
    client = APIClient()
    if isinstance(principal, Staff):
        token = org_services.token_issue(staff=principal)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    elif isinstance(principal, Visitor):
        client.credentials(HTTP_AUTHORIZATION=f"Visitor {visitor_token_for(principal.pk)}")
    return client


@pytest.fixture
def api() -> Callable[..., APIClient]:
    return api_client_for


def db_vendor() -> str:
    return connection.vendor


@pytest.fixture
def handled(
    open_enquiry: Callable[..., Enquiry], make_staff: Callable[..., Staff], support: Tag
) -> tuple[Enquiry, Staff]:
    """An enquiry picked up by ``owner`` (an ACTIVE agent of Support): (enquiry, owner)."""
    owner = make_staff(tags=[support], name="Olive Owner")
    enquiry = open_enquiry()
    enquiry_services.enquiry_pick_up(actor=owner, enquiry_id=enquiry.pk)
    enquiry.refresh_from_db()
    return enquiry, owner


def room_members(enquiry: Enquiry) -> dict[int, str]:
    """{staff id: role} of an enquiry's room."""
    from rooms.models import RoomMember

    return dict(RoomMember.objects.filter(room=enquiry.room).values_list("staff_id", "role"))
