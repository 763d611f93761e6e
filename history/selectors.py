"""Reads of History: the list of finished enquiries (keyset pages) and one enquiry's
read-only transcript, within the caller's rights (``history.filters.visible_enquiries``).

The list is ordered newest first by (created_at, id) and paged by a cursor holding the
last row's pair, never by OFFSET: page 10,000 costs what page 1 costs (see the indexes
``enquiry_history_*`` on ``enquiries.Enquiry``).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from contactcenter.org.errors import InvalidInput, NotFound
from contactcenter.org.models import Staff
from contactcenter.org.services import org_settings_get
from enquiries.models import ConversationTag, Enquiry
from enquiries.selectors import conversation_end, duration_seconds, staff_may_see
from history.filters import Filters, agent_history_rows, apply_filters, parse_filters, visible_enquiries
from rooms.models import Message
from rooms.selectors import message_data

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass(frozen=True)
class HistoryQuery:
    filters: Filters
    cursor: tuple[dt.datetime, int] | None
    limit: int


def cursor_encode(enquiry: Enquiry) -> str:
    """The opaque cursor after ``enquiry`` (its created_at and id)."""
    raw = json.dumps([enquiry.created_at.isoformat(), enquiry.pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_decode(raw: str) -> tuple[dt.datetime, int]:
    message = _("This cursor is not one a History page gave.")
    try:
        decoded = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        moment = parse_datetime(decoded[0])
        pk = decoded[1]
    except (ValueError, TypeError, IndexError, KeyError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput.field("cursor", message) from None
    if moment is None or moment.tzinfo is None or not isinstance(pk, int) or isinstance(pk, bool) or pk < 0:
        raise InvalidInput.field("cursor", message)
    return moment, pk


def history_query_parse(staff: Staff, params: Mapping[str, Any]) -> HistoryQuery:
    """The filters, cursor and page size of a History request; raises InvalidInput with
    the field for a bad one. Agents may filter by rating only when they may see ratings."""
    filters = parse_filters(params)
    if filters.rating is not None and not ratings_visible(staff):
        raise InvalidInput.field("rating", _("Only admins can see ratings."))
    raw_cursor = params.get("cursor")
    cursor = cursor_decode(str(raw_cursor)) if raw_cursor not in (None, "") else None
    raw_limit = params.get("limit")
    limit = DEFAULT_LIMIT
    if raw_limit not in (None, ""):
        text = str(raw_limit)
        if not (text.isascii() and text.isdigit()) or len(text) > 6 or not 1 <= int(text) <= MAX_LIMIT:
            raise InvalidInput.field("limit", _("Use a number from 1 to %(max)d.") % {"max": MAX_LIMIT})
        limit = int(text)
    return HistoryQuery(filters=filters, cursor=cursor, limit=limit)


def ratings_visible(staff: Staff) -> bool:
    return staff.is_admin or org_settings_get().ratings_visible_to_agents


def _message_count() -> Coalesce:
    # Text and file messages, as the enquiry lists count them; through the room's id (the
    # (room, id) index of messages), one short index range per row of the page.
    counted = (
        Message.objects.filter(room_id=OuterRef("room__id"), kind__in=[Message.Kind.TEXT, Message.Kind.FILE])
        .order_by()
        .values("room_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def history_enquiries(staff: Staff, filters: Filters) -> QuerySet[Enquiry]:
    """Every enquiry of ``staff``'s History with ``filters``, newest first (not paged)."""
    return apply_filters(visible_enquiries(staff), filters).order_by("-created_at", "-id")


def history_page(staff: Staff, query: HistoryQuery) -> tuple[list[Enquiry], str | None]:
    """One page of History and the cursor of the next (None: this is the last).

    Two steps, three queries whatever the page size: the page's ids, then those rows with
    what a row shows (channel, destination and tag, owner, visitor and customer joined;
    message counts; conversation tags prefetched). The ids: for admins, the enquiries
    table with the filters (its ``enquiry_history_*`` indexes); for agents, their own
    ``RoomParticipant`` rows (``agent_history_rows``: the enquiry and its created_at are on
    the row) walked newest first, each joined to its enquiry for the filters. One query
    doing both steps joins nine tables, past PostgreSQL's join_collapse_limit, and was
    measured planning the rights filter last (seconds on 300k enquiries)."""
    ids: QuerySet[Any]
    if staff.is_admin:
        ids = apply_filters(Enquiry.objects.all(), query.filters).order_by("-created_at", "-id")
        created, key = "created_at", "id"
    else:
        ids = apply_filters(agent_history_rows(staff), query.filters, via="enquiry")
        ids = ids.order_by("-enquiry_created_at", "-enquiry_id")
        created, key = "enquiry_created_at", "enquiry_id"
    if query.cursor is not None:
        moment, pk = query.cursor
        # "created_at <= x" is the index range; the OR only settles the ties at x.
        ids = ids.filter(**{f"{created}__lte": moment}).filter(
            Q(**{f"{created}__lt": moment}) | Q(**{f"{key}__lt": pk})
        )
    page_ids = list(ids.values_list(key, flat=True)[: query.limit + 1])
    more = len(page_ids) > query.limit
    page_ids = page_ids[: query.limit]
    rows = (
        Enquiry.objects.filter(pk__in=page_ids)
        .select_related("channel", "destination", "destination__tag", "owner", "visitor", "visitor__customer", "room")
        .prefetch_related(Prefetch("tags", queryset=ConversationTag.objects.select_related("parent")))
        .annotate(message_count=_message_count())
        .order_by()
    )
    by_id = {e.pk: e for e in rows}
    found: list[Enquiry] = [by_id[pk] for pk in page_ids if pk in by_id]
    return found, (cursor_encode(found[-1]) if more and found else None)


def conversation_tag_data(tag: ConversationTag) -> dict[str, Any]:
    return {
        "id": tag.pk,
        "name": tag.name,
        "parent": tag.parent_id,
        "path": f"{tag.parent.name} > {tag.name}" if tag.parent is not None else tag.name,
    }


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def history_row(enquiry: Enquiry, *, include_rating: bool) -> dict[str, Any]:
    """One row of History (``enquiry`` as ``history_page`` loads it)."""
    channel, destination, owner, visitor = enquiry.channel, enquiry.destination, enquiry.owner, enquiry.visitor
    customer = visitor.customer
    room = getattr(enquiry, "room", None)
    tag = destination.tag
    data: dict[str, Any] = {
        "id": enquiry.pk,
        "room": room.pk if room else None,
        "status": enquiry.status,
        "channel": {"id": channel.pk, "kind": channel.kind, "name": channel.name},
        "via": enquiry.via or channel.kind,
        "destination": {"id": destination.pk, "name": destination.name, "type": destination.type},
        "tag": {"id": tag.pk, "name": tag.name} if tag else None,
        "visitor": {"id": visitor.pk, "name": visitor.display_name},
        "customer": {"id": customer.pk, "name": customer.name or visitor.display_name} if customer else None,
        "owner": {"id": owner.pk, "name": owner.display_name} if owner else None,
        "created_at": enquiry.created_at.isoformat(),
        "picked_up_at": _iso(enquiry.picked_up_at),
        "ended_at": _iso(conversation_end(enquiry)),
        "resolved_at": _iso(enquiry.resolved_at),
        "closed_at": _iso(enquiry.closed_at),
        "missed_at": _iso(enquiry.missed_at),
        "duration_seconds": duration_seconds(enquiry),
        "topic": enquiry.topic,
        "first_message": enquiry.first_message,
        "tags": [conversation_tag_data(t) for t in enquiry.tags.all()],
        "message_count": getattr(enquiry, "message_count", None),
    }
    if include_rating:
        data["rating"] = (
            {"score": enquiry.rating_score, "comment": enquiry.rating_comment} if enquiry.rating_score else None
        )
    return data


# ---------------------------------------------------------------- one enquiry


def access_history_enquiry(staff: Staff, enquiry_id: int) -> Enquiry:
    """The enquiry if ``staff`` may read its transcript: it is in their History's reach
    (admins: all; agents: owned or ever a member), or they may see it now (an offer, a
    missed enquiry they follow up: ``enquiries.selectors.staff_may_see``). NotFound
    otherwise, so that nobody learns which ids exist."""
    base = Enquiry.objects.select_related(
        "channel", "destination", "destination__tag", "owner", "visitor", "visitor__customer", "room"
    ).prefetch_related(Prefetch("tags", queryset=ConversationTag.objects.select_related("parent")))
    enquiry = base.filter(pk=enquiry_id).filter(pk__in=visible_enquiries(staff).values("pk")).first()
    if enquiry is None:
        enquiry = base.filter(pk=enquiry_id).first()
        if enquiry is None or getattr(enquiry, "room", None) is None or not staff_may_see(staff, enquiry):
            raise NotFound(_("Enquiry not found."))
    return enquiry


def transcript_messages(enquiry: Enquiry) -> QuerySet[Message]:
    """Every message of the enquiry's room, oldest first (staff-only ones included)."""
    room = getattr(enquiry, "room", None)
    if room is None:
        return Message.objects.none()
    return room.messages.select_related("author_staff", "author_visitor").order_by("id")


def transcript_file_links(enquiry_id: int, message: Message, data: dict[str, Any]) -> dict[str, Any]:
    """A message's JSON with its file served through History (``history/{id}/files/...``):
    the room's own file links need a membership a former member no longer has."""
    info = data.get("data", {}).get("file") if isinstance(data.get("data"), dict) else None
    if not isinstance(info, dict):
        return data
    info = dict(info)
    info["url"] = f"/api/v1/history/{enquiry_id}/files/{message.pk}"
    if info.get("thumbnail_url"):
        info["thumbnail_url"] = f"/api/v1/history/{enquiry_id}/files/{message.pk}/thumbnail"
    return {**data, "data": {**data["data"], "file": info}}


def transcript_message_data(enquiry_id: int, message: Message) -> dict[str, Any]:
    """A message as the transcript shows it: the room's JSON for staff (system messages in
    staff wording, recalled ones without content, edited ones with their current text),
    plus ``staff_only`` and History's file links."""
    data = message_data(message)
    data["staff_only"] = message.data.get("visibility") == "staff" if isinstance(message.data, dict) else False
    return transcript_file_links(enquiry_id, message, data)


def transcript_file_message(staff: Staff, enquiry_id: int, message_id: int) -> Message:
    """A file message of an enquiry's transcript ``staff`` may read. NotFound otherwise."""
    enquiry = access_history_enquiry(staff, enquiry_id)
    room = getattr(enquiry, "room", None)
    message = Message.objects.filter(pk=message_id, room_id=room.pk).first() if room is not None else None
    if message is None or message.recalled_at is not None or not isinstance(message.data.get("file"), dict):
        raise NotFound(_("File not found."))
    return message


__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "HistoryQuery",
    "access_history_enquiry",
    "history_page",
    "history_query_parse",
    "history_row",
    "transcript_message_data",
    "transcript_messages",
]
