"""Observers of the enquiry event log (SPEC 2: every state change of an enquiry is a row).

Apps above enquiries (analytics' rollups, notifications) learn of every state change here
instead of being imported by the services: they register a function in their
``AppConfig.ready`` and it is called, inside the writing transaction, for each event row
appended. Every row goes through ``enquiry_event_append`` (the one place that writes
``EnquiryEvent``), so no state change escapes the observers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
) -> EnquiryEvent:
    """Append one row to the enquiry's event log and tell the observers."""
    event = EnquiryEvent.objects.create(
        enquiry=enquiry, type=type_, actor=actor, by_visitor=by_visitor, data=data or {}, created_at=clock.now()
    )
    for observer in _observers:
        observer(event)
    return event
