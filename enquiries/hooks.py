"""Observers of the enquiry event log (SPEC 2: every state change of an enquiry is a row).

Apps above enquiries (analytics' rollups, notifications) learn of every state change here
instead of being imported by the services: they register a function in their
``AppConfig.ready`` and it is called, inside the writing transaction, for each event row
appended. Every row goes through ``enquiry_event_append`` (the one place that writes
``EnquiryEvent``), so no state change escapes the observers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection

from contactcenter.org import clock
from contactcenter.org.models import Staff
from enquiries.models import Enquiry, EnquiryEvent

EventObserver = Callable[[EnquiryEvent], object]

_observers: list[EventObserver] = []


def register_enquiry_event_observer(observer: EventObserver) -> None:
    """Call ``observer(event)`` for every enquiry event appended, inside the transaction that
    writes it (``event.enquiry`` is the service's instance, already changed). It must be
    cheap, must not fail, and may queue work with ``transaction.on_commit``. Registering the
    same function twice adds nothing."""
    if observer not in _observers:
        _observers.append(observer)


def enquiry_event_append(
    enquiry: Enquiry,
    type_: str,
    *,
    actor: Staff | None = None,
    by_visitor: bool = False,
    data: dict[str, Any] | None = None,
    sent_with: tuple[str, Sequence[Any]] | None = None,
) -> EnquiryEvent:
    """Append one row to the enquiry's event log and tell the observers. ``sent_with``: a
    write-only statement (SQL, parameters) of the caller's to run first; on PostgreSQL the
    two go in one round trip (the routing's alerts with their "alerted" row)."""
    now = clock.now()
    if sent_with is not None and connection.vendor == "postgresql":
        event = EnquiryEvent(enquiry=enquiry, type=type_, actor=actor, by_visitor=by_visitor, data=data or {})
        event.created_at = now
        field = EnquiryEvent._meta.get_field("data")
        sql, params = sent_with
        with connection.cursor() as cursor:
            # Two statements in one execute: psycopg2 returns the last one's rows.
            cursor.execute(
                f"{sql}; INSERT INTO {EnquiryEvent._meta.db_table}"  # noqa: S608 - the caller's SQL, names from _meta
                " (enquiry_id, type, actor_id, by_visitor, data, created_at)"
                " VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
                [
                    *params,
                    enquiry.pk,
                    type_,
                    actor.pk if actor is not None else None,
                    by_visitor,
                    field.get_db_prep_save(event.data, connection),
                    now,
                ],
            )
            event.pk = cursor.fetchone()[0]
        event._state.adding = False
        event._state.db = connection.alias
    else:
        if sent_with is not None:
            with connection.cursor() as cursor:
                cursor.execute(*sent_with)
        event = EnquiryEvent.objects.create(
            enquiry=enquiry, type=type_, actor=actor, by_visitor=by_visitor, data=data or {}, created_at=now
        )
    for observer in _observers:
        observer(event)
    return event


# A conversation tag moved or went: (the parents it left or joined, whether tags were deleted).
TagTreeObserver = Callable[[list[int], bool], object]

_tag_tree_observers: list[TagTreeObserver] = []


def register_tag_tree_observer(observer: TagTreeObserver) -> None:
    """Call ``observer(parent_ids, deleted)`` when a conversation tag moves to another
    parent (``deleted`` False) or is deleted with its children (True; the enquiries have
    lost them already), inside the admin's transaction, after the change: ``parent_ids``
    are the top-level tags whose groups (themselves and their children) gained or lost
    tags (none when a top-level tag was deleted)."""
    if observer not in _tag_tree_observers:
        _tag_tree_observers.append(observer)


def tag_tree_changed(parent_ids: list[int], *, deleted: bool = False) -> None:
    """Tell the observers (``enquiries.conversation_tags`` calls this)."""
    for observer in _tag_tree_observers:
        observer([i for i in parent_ids if i is not None], deleted)


# (enquiry, channel) -> True to hold the new enquiry (a robot answers first). The enquiry is
# saved with its room and first message; the holder may post in its room.
OpenHolder = Callable[[Enquiry, Any], bool]

_open_holders: list[OpenHolder] = []


def register_open_holder(holder: OpenHolder) -> None:
    """Let ``holder`` keep a new enquiry from being routed (``enquiries.services.enquiry_open``
    calls it inside its transaction, with the visitor's and the new enquiry's rows locked).
    Returning True holds it: ``Enquiry.robot_held``, no alert, no deadline, until
    ``enquiry_robot_handover`` routes it. Registering the same function twice adds nothing."""
    if holder not in _open_holders:
        _open_holders.append(holder)


def enquiry_held_by_hook(enquiry: Enquiry, channel: Any) -> bool:
    """True when a registered holder takes the new enquiry (the first that does)."""
    return any(holder(enquiry, channel) for holder in _open_holders)
