"""The filters History, Search and Exports share, and who may see which enquiry.

``parse_filters`` reads them from a query string (or an export's ``filters`` object) and
refuses bad ones with a field-level 400; ``visible_enquiries`` is every enquiry a staff
member may find after the conversation: admins all; agents those they owned or whose room
they were ever a member of (``rooms.RoomParticipant``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from contactcenter.org.errors import InvalidInput
from contactcenter.org.models import Staff
from enquiries.models import Enquiry
from rooms.models import RoomParticipant

# Enquiries History lists by default: the conversation is over.
FINISHED = (Enquiry.Status.RESOLVED, Enquiry.Status.CLOSED, Enquiry.Status.MISSED)


@dataclasses.dataclass(frozen=True)
class Filters:
    """``since``/``until``: the enquiry's created_at (inclusive/exclusive); ``status``: a
    list of statuses (default: FINISHED)."""

    since: dt.datetime | None = None
    until: dt.datetime | None = None
    channel: int | None = None
    tag: int | None = None  # the destination's tag (who it was routed to)
    conversation_tag: int | None = None  # a conversation tag; a parent matches its children
    owner: int | None = None
    rating: int | None = None
    customer: int | None = None
    status: tuple[str, ...] = tuple(FINISHED)

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe, for storing with an export."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            out[f.name] = value.isoformat() if isinstance(value, dt.datetime) else value
        out["status"] = list(self.status)
        return out


INT_FIELDS = ("channel", "tag", "conversation_tag", "owner", "rating", "customer")


def _moment(name: str, raw: Any, *, end: bool) -> dt.datetime:
    """A date (the whole day in the current time zone: ``to`` includes it) or an ISO time."""
    if not isinstance(raw, str):
        raise InvalidInput.field(name, "Use a date (2026-12-01) or an ISO time.")
    try:
        # A bare date first: parse_datetime also reads "2026-12-01" (as its midnight), which
        # would cut the last day off a ``to`` range.
        day = parse_date(raw) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw.strip()) else None
        moment = None if day else parse_datetime(raw)
    except ValueError:
        moment, day = None, None
    if moment is None and day is None:
        raise InvalidInput.field(name, "Use a date (2026-12-01) or an ISO time.")
    if moment is None:
        assert day is not None
        start = dt.datetime.combine(day + dt.timedelta(days=1) if end else day, dt.time())
        return timezone.make_aware(start)
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def parse_filters(params: Mapping[str, Any]) -> Filters:
    """``from``, ``to``, ``channel``, ``tag``, ``conversation_tag``, ``owner``, ``rating``
    (1-5), ``customer``, ``status`` (comma-separated). Unknown keys are ignored; a bad
    value raises InvalidInput for its field."""
    values: dict[str, Any] = {}
    if params.get("from") not in (None, ""):
        values["since"] = _moment("from", params["from"], end=False)
    if params.get("to") not in (None, ""):
        values["until"] = _moment("to", params["to"], end=True)
    if "since" in values and "until" in values and values["since"] >= values["until"]:
        raise InvalidInput.field("to", "The end of the range must be after its start.")
    for name in INT_FIELDS:
        raw = params.get(name)
        if raw in (None, ""):
            continue
        try:
            number = int(raw)
        except (TypeError, ValueError):
            raise InvalidInput.field(name, "Use a number.") from None
        if number < 1 or number > 2**62:
            raise InvalidInput.field(name, "Use a positive number.")
        if name == "rating" and number > 5:
            raise InvalidInput.field(name, "A rating is 1 to 5.")
        values[name] = number
    raw_status = params.get("status")
    if raw_status not in (None, ""):
        items = raw_status if isinstance(raw_status, list) else str(raw_status).split(",")
        known = set(Enquiry.Status.values)
        status = tuple(dict.fromkeys(str(s).strip() for s in items if str(s).strip()))
        unknown = [s for s in status if s not in known]
        if unknown or not status:
            raise InvalidInput.field("status", f"Use any of: {', '.join(sorted(known))}.")
        values["status"] = status
    return Filters(**values)


def visible_enquiry_ids(staff: Staff) -> QuerySet[Any]:
    """The ids of the enquiries an agent owned or whose room they were ever a member of:
    one index scan of each (``room_participant_history``, which carries the room's
    enquiry, and ``enquiry_history_owner``). Its cost grows with what the agent served,
    never with the size of the whole history. (Every owner is also a participant: the
    services add them as a member; the owned half keeps the rule whatever the rows say.)"""
    served = RoomParticipant.objects.filter(staff_id=staff.pk, enquiry__isnull=False).order_by().values("enquiry_id")
    owned = Enquiry.objects.filter(owner_id=staff.pk).order_by().values("id")
    return served.union(owned, all=True)


def visible_enquiries(staff: Staff) -> QuerySet[Enquiry]:
    """Every enquiry ``staff`` may find after the conversation (not filtered by status).

    Agents: a semi-join on ``visible_enquiry_ids`` (PostgreSQL plans it from the agent's
    own rows, with real estimates). An ``owner = x OR EXISTS (...)`` filter instead would
    walk the whole history's index for an agent who served few of its enquiries (measured:
    1.3 s on 300k enquiries; README, "History")."""
    enquiries = Enquiry.objects.all()
    if staff.is_admin:
        return enquiries
    return enquiries.filter(pk__in=visible_enquiry_ids(staff))


def agent_history_rows(staff: Staff) -> QuerySet[RoomParticipant]:
    """An agent's History as rows of ``rooms.RoomParticipant`` (one per enquiry whose room
    they were ever a member of, owners included), to filter with ``apply_filters(...,
    via="enquiry")`` and read newest first by (``enquiry_created_at``, ``enquiry_id``):
    a range of the index ``room_participant_history``, so a page costs the same whatever
    the page and however many enquiries the whole history holds."""
    return RoomParticipant.objects.filter(staff_id=staff.pk, enquiry__isnull=False)


def apply_filters(rows: QuerySet[Any], filters: Filters, *, via: str = "") -> QuerySet[Any]:
    """``rows`` narrowed by ``filters``: enquiries, or (``via``: the name of a foreign key to
    the enquiry, e.g. "enquiry" on ``agent_history_rows``) rows pointing at one, whose
    dates and status are then read from their copies (``<via>_created_at``,
    ``<via>_status``)."""
    e = f"{via}__" if via else ""
    created = f"{via}_created_at" if via else "created_at"
    q = Q(**{f"{via}_status__in" if via else "status__in": filters.status})
    if filters.since is not None:
        q &= Q(**{f"{created}__gte": filters.since})
    if filters.until is not None:
        q &= Q(**{f"{created}__lt": filters.until})
    if filters.channel is not None:
        q &= Q(**{f"{e}channel_id": filters.channel})
    if filters.tag is not None:
        q &= Q(**{f"{e}destination__tag_id": filters.tag})
    if filters.owner is not None:
        q &= Q(**{f"{e}owner_id": filters.owner})
    if filters.rating is not None:
        q &= Q(**{f"{e}rating_score": filters.rating})
    if filters.customer is not None:
        q &= Q(**{f"{e}visitor__customer_id": filters.customer})
    rows = rows.filter(q)
    if filters.conversation_tag is not None:
        tagged = Enquiry.tags.through.objects.filter(enquiry_id=OuterRef(f"{via}_id" if via else "pk")).filter(
            Q(conversationtag_id=filters.conversation_tag) | Q(conversationtag__parent_id=filters.conversation_tag)
        )
        rows = rows.filter(Exists(tagged))
    return rows
