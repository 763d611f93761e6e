"""Reads of enquiries, with permission checks, and their JSON shape."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext, ngettext

from contactcenter.org import clock
from contactcenter.org.errors import InvalidInput, NotAuthorized, NotFound
from contactcenter.org.models import ChannelKind, Staff, Tag
from contactcenter.org.services import TagUsage
from enquiries.models import ConversationTag, Enquiry, EnquiryAlert, EnquiryNote, Transfer, Visitor
from rooms.models import Message, Room
from rooms.selectors import message_data, visitor_transcript_messages


def visitor_data(visitor: Visitor) -> dict[str, Any]:
    return {
        "id": visitor.pk,
        "name": visitor.display_name,
        "first_name": visitor.first_name,
        "last_name": visitor.last_name,
        "email": visitor.email,
        "phone": visitor.phone,
        # The server's copy (rooms.files_api.VisitorPhotoView): browsers load no third-party image.
        "photo_url": f"/api/v1/visitors/{visitor.pk}/photo" if visitor.photo_url else "",
        "language": visitor.language,
        "channel_identity": visitor.channel_identity,
        "device": visitor.device,
        "utm": visitor.utm,
        "custom_fields": visitor.custom_fields,
        # The customer behind the visitor (GET /api/v1/customers/{id}); None for rows older
        # than customers.
        "customer": visitor.customer_id,
    }


def follow_up_data(enquiry: Enquiry) -> dict[str, Any]:
    """A missed enquiry's follow-up: handled (when, by whom) and its assignee."""
    assignee, handler = enquiry.followup_assignee, enquiry.followup_handled_by
    return {
        "handled": enquiry.followup_handled_at is not None,
        "handled_at": enquiry.followup_handled_at.isoformat() if enquiry.followup_handled_at else None,
        "handled_by": {"id": handler.pk, "display_name": handler.display_name} if handler else None,
        "assignee": {"id": assignee.pk, "display_name": assignee.display_name} if assignee else None,
    }


def queue_position(enquiry: Enquiry) -> int | None:
    """1-based position among the destination's open enquiries, oldest first."""
    if enquiry.status != Enquiry.Status.OPEN or enquiry.robot_held:
        return None
    waiting = Enquiry.objects.filter(
        destination_id=enquiry.destination_id, status=Enquiry.Status.OPEN, robot_held=False
    )
    ahead = waiting.filter(Q(created_at__lt=enquiry.created_at) | Q(created_at=enquiry.created_at, id__lt=enquiry.pk))
    return ahead.count() + 1


def queue_positions(*destination_ids: int) -> list[tuple[int, int, int]]:
    """(enquiry id, visitor id, position) for every open enquiry of the destinations, each
    destination's open enquiries numbered from 1, oldest first. One query."""
    rows = (
        Enquiry.objects.filter(destination_id__in=destination_ids, status=Enquiry.Status.OPEN, robot_held=False)
        .order_by("destination_id", "created_at", "id")
        .values_list("id", "visitor_id", "destination_id")
    )
    found: list[tuple[int, int, int]] = []
    counts: dict[int, int] = {}
    for enquiry_id, visitor_id, destination_id in rows:
        counts[destination_id] = counts.get(destination_id, 0) + 1
        found.append((enquiry_id, visitor_id, counts[destination_id]))
    return found


# ------------------------------------------------------------------------ figures
# One definition of each, for the lists, the room's information panel and the overview.


def first_response_seconds(enquiry: Enquiry) -> int | None:
    """How long the customer waited for a person's first reply: from the customer's first
    message (the enquiry is opened by it: ``created_at``) to the first staff message, not
    from the pick-up (the time waited in the queue counts). None while unanswered."""
    if enquiry.first_response_at is None:
        return None
    return max(0, int((enquiry.first_response_at - enquiry.created_at) / dt.timedelta(seconds=1)))


def conversation_end(enquiry: Enquiry) -> dt.datetime | None:
    """When the conversation stopped (None: it goes on). Resolved: at the resolve (the
    auto-close later changes nothing); closed without a resolve (the owner left): at the
    close; missed: then. A reopened enquiry is handled again (its ``resolved_at`` was
    cleared by the reopen): it goes on, and so does its duration."""
    if enquiry.status in (Enquiry.Status.OPEN, Enquiry.Status.HANDLING):
        return None
    if enquiry.status == Enquiry.Status.MISSED:
        return enquiry.missed_at or enquiry.created_at
    return enquiry.resolved_at or enquiry.closed_at or enquiry.created_at


def duration_seconds(enquiry: Enquiry, now: dt.datetime | None = None) -> int:
    """From the customer's first message to the end of the conversation, or to ``now``
    while it goes on."""
    end = conversation_end(enquiry) or now or clock.now()
    return max(0, int((end - enquiry.created_at) / dt.timedelta(seconds=1)))


def tag_data(tag: ConversationTag) -> dict[str, Any]:
    """The JSON of a tag as enquiries carry it (``tag.parent`` loaded)."""
    parent = tag.parent if tag.parent_id else None
    return {
        "id": tag.pk,
        "name": tag.name,
        "parent": tag.parent_id,
        "parent_name": parent.name if parent else None,
        "label": f"{parent.name} > {tag.name}" if parent else tag.name,
    }


def conversation_tags_of(enquiry_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """Each enquiry's tags (parent first, then name), in one query."""
    ids = list(enquiry_ids)
    out: dict[int, list[dict[str, Any]]] = {pk: [] for pk in ids}
    if not ids:
        return out
    rows = (
        Enquiry.tags.through.objects.filter(enquiry_id__in=ids)
        .select_related("conversationtag__parent")
        .order_by("conversationtag__parent__name", "conversationtag__name", "conversationtag_id")
    )
    for row in rows:
        out[row.enquiry_id].append(tag_data(row.conversationtag))
    return out


_LOOK_UP: Any = object()  # enquiry_data: "query it for this enquiry"


def enquiry_data(
    enquiry: Enquiry,
    *,
    include_rating: bool = True,
    position: int | None = _LOOK_UP,
    transfer: Transfer | None = _LOOK_UP,
    tags: list[dict[str, Any]] | None = _LOOK_UP,
) -> dict[str, Any]:
    """The JSON of one enquiry. ``position`` (queue position) and ``transfer`` (the pending
    transfer) are queried unless given: lists use ``enquiries_data``, which gives them."""
    dest = enquiry.destination
    owner = enquiry.owner
    room = getattr(enquiry, "room", None)
    data: dict[str, Any] = {
        "id": enquiry.pk,
        "status": enquiry.status,
        "kind": enquiry.kind,
        "channel": enquiry.channel_id,
        "channel_kind": enquiry.channel.kind,
        "channel_name": enquiry.channel.name,
        # What the customer came through: "weblink" for a web link's page, else channel_kind.
        "via": enquiry.via or enquiry.channel.kind,
        "destination": {"id": dest.pk, "name": dest.name, "type": dest.type},
        "visitor": visitor_data(enquiry.visitor),
        "owner": {"id": owner.pk, "display_name": owner.display_name} if owner else None,
        "room": room.pk if room else None,
        "first_message": enquiry.first_message,
        "topic": enquiry.topic,
        "tags": conversation_tags_of([enquiry.pk])[enquiry.pk] if tags is _LOOK_UP else (tags or []),
        "missed_reason": enquiry.missed_reason or None,
        "created_at": enquiry.created_at.isoformat(),
        "picked_up_at": enquiry.picked_up_at.isoformat() if enquiry.picked_up_at else None,
        "first_response_at": enquiry.first_response_at.isoformat() if enquiry.first_response_at else None,
        "first_response_seconds": first_response_seconds(enquiry),
        "duration_seconds": duration_seconds(enquiry),
        "resolved_at": enquiry.resolved_at.isoformat() if enquiry.resolved_at else None,
        "closed_at": enquiry.closed_at.isoformat() if enquiry.closed_at else None,
        "missed_at": enquiry.missed_at.isoformat() if enquiry.missed_at else None,
        "deadline_at": enquiry.deadline_at.isoformat() if enquiry.deadline_at else None,
        "auto_close_at": enquiry.auto_close_at.isoformat() if enquiry.auto_close_at else None,
        "queue_position": queue_position(enquiry) if position is _LOOK_UP else position,
        # Open but still with the channel's robot (nobody alerted yet).
        "with_robot": enquiry.robot_held,
    }
    if include_rating:
        data["rating"] = (
            {"score": enquiry.rating_score, "comment": enquiry.rating_comment} if enquiry.rating_score else None
        )
    note = getattr(enquiry, "note", None) if enquiry.status == Enquiry.Status.MISSED else None
    data["note"] = note_data(note) if note else None
    data["follow_up"] = follow_up_data(enquiry) if enquiry.status == Enquiry.Status.MISSED else None
    pending = _pending_transfers().filter(enquiry=enquiry).order_by("id").first() if transfer is _LOOK_UP else transfer
    data["transfer"] = transfer_data(pending) if pending else None
    if hasattr(enquiry, "message_count"):  # annotated by enquiry_list
        data["message_count"] = enquiry.message_count
    return data


def note_data(note: EnquiryNote) -> dict[str, Any]:
    """A note, with its files as the room's file messages serve them (to those who may see
    the room: the staff following the missed enquiry up, and the visitor)."""
    files = [
        {
            "message_id": f["message"],
            "name": f["name"],
            "category": f["category"],
            "content_type": f["content_type"],
            "size": f["size"],
            "url": f"/api/v1/messages/{f['message']}/file",
            "thumbnail_url": f"/api/v1/messages/{f['message']}/thumbnail" if f["category"] == "image" else None,
        }
        for f in note.files or []
    ]
    return {"text": note.text, "contact": note.contact, "files": files}


def rating_open(enquiry: Enquiry) -> bool:
    """May the visitor rate this enquiry now? Once, after resolve or after staff ended it
    (closed: resolved then closed, or the owner left), or while it is handled when staff
    asked for a rating or the channel lets visitors rate any time. Reads ``enquiry.channel``."""
    if enquiry.rating_score is not None:
        return False
    if enquiry.status in (Enquiry.Status.RESOLVED, Enquiry.Status.CLOSED):
        return True
    if enquiry.status == Enquiry.Status.HANDLING:
        return enquiry.rating_invited_at is not None or enquiry.channel.visitor_may_rate_anytime
    return False


def _pending_transfers() -> QuerySet[Transfer]:
    return Transfer.objects.filter(status=Transfer.Status.PENDING).select_related("from_staff", "to_staff", "to_tag")


def transfer_data(transfer: Transfer) -> dict[str, Any]:
    """A pending transfer as the offer card shows it: who transfers, to whom (a person or
    a tag), and the server's deadline."""
    return {
        "id": transfer.pk,
        "from_staff": transfer.from_staff_id,
        "from_staff_name": transfer.from_staff.display_name,
        "to_staff": transfer.to_staff_id,
        "to_staff_name": transfer.to_staff.display_name if transfer.to_staff else None,
        "to_tag": transfer.to_tag_id,
        "to_tag_name": transfer.to_tag.name if transfer.to_tag else None,
        "created_at": transfer.created_at.isoformat(),
        "deadline_at": transfer.deadline_at.isoformat(),
    }


def enquiries_data(enquiries: list[Enquiry], *, include_rating: bool = True) -> list[dict[str, Any]]:
    """``enquiry_data`` for a list, in three queries whatever its length (queue positions of
    the open ones, pending transfers, conversation tags) besides what ``enquiry_base`` already joins."""
    open_destinations = {e.destination_id for e in enquiries if e.status == Enquiry.Status.OPEN}
    positions = {eid: pos for eid, _vid, pos in queue_positions(*open_destinations)} if open_destinations else {}
    transfers: dict[int, Transfer] = {}
    tags = conversation_tags_of(e.pk for e in enquiries)
    if enquiries:
        # Lowest id wins, as .first() in enquiry_data.
        for t in _pending_transfers().filter(enquiry__in=enquiries).order_by("-id"):
            transfers[t.enquiry_id] = t
    return [
        enquiry_data(
            e,
            include_rating=include_rating,
            position=positions.get(e.pk) if e.status == Enquiry.Status.OPEN else None,
            transfer=transfers.get(e.pk),
            tags=tags[e.pk],
        )
        for e in enquiries
    ]


def _serves(staff: Staff) -> Q:
    return Q(destination__staff=staff) | Q(destination__tag__in=staff.tags.all())


def enquiry_base() -> QuerySet[Enquiry]:
    return Enquiry.objects.select_related(
        "destination", "owner", "visitor", "channel", "room", "note", "followup_assignee", "followup_handled_by"
    )


def staff_may_see(staff: Staff, enquiry: Enquiry) -> bool:
    if staff.is_admin or enquiry.owner_id == staff.pk:
        return True
    # An offer lets its receiver look while it is still offered, not after someone took it.
    live_offer = EnquiryAlert.objects.filter(enquiry=enquiry, staff=staff, rejected_at__isnull=True).filter(
        Q(transfer__isnull=True, enquiry__status=Enquiry.Status.OPEN) | Q(transfer__status=Transfer.Status.PENDING)
    )
    if live_offer.exists():
        return True
    if enquiry.room.members.filter(staff=staff).exists():
        return True
    return may_follow_up(staff, enquiry)


def may_follow_up(staff: Staff, enquiry: Enquiry) -> bool:
    """Missed enquiries are followed up by the staff their destination serves, by the
    colleague one is assigned to, and by admins."""
    if enquiry.status != Enquiry.Status.MISSED or not staff.is_active:
        return False
    if staff.is_admin or enquiry.followup_assignee_id == staff.pk:
        return True
    return Enquiry.objects.filter(_serves(staff), pk=enquiry.pk).exists()


def staff_may_view_room(staff: Staff, enquiry_id: int) -> bool:
    """A staff member who is not a member of an enquiry's room may still look at it
    (read-only) while the enquiry is offered to them, or when it is missed and theirs to
    follow up (``rooms.hooks.register_room_viewer``)."""
    enquiry = Enquiry.objects.filter(pk=enquiry_id).only("id", "status", "owner_id", "followup_assignee_id").first()
    if enquiry is None or enquiry.status not in (Enquiry.Status.OPEN, Enquiry.Status.HANDLING, Enquiry.Status.MISSED):
        return False
    live_offer = EnquiryAlert.objects.filter(enquiry_id=enquiry_id, staff=staff, rejected_at__isnull=True).filter(
        Q(transfer__isnull=True, enquiry__status=Enquiry.Status.OPEN) | Q(transfer__status=Transfer.Status.PENDING)
    )
    return live_offer.exists() or may_follow_up(staff, enquiry)


def access_enquiry(principal: Staff | Visitor, enquiry_id: int) -> Enquiry:
    enquiry = enquiry_base().filter(pk=enquiry_id).first()
    if enquiry is None:
        raise NotFound("Enquiry not found.")
    if isinstance(principal, Visitor):
        if enquiry.visitor_id != principal.pk:
            raise NotFound("Enquiry not found.")
        return enquiry
    if not staff_may_see(principal, enquiry):
        raise NotAuthorized("You may not see this enquiry.")
    return enquiry


def enquiry_list(
    staff: Staff,
    *,
    status: str | None = None,
    channel: str | None = None,
    owner: str | None = None,
    handled: str | None = None,
) -> QuerySet[Enquiry]:
    """status=open is the caller's Open Enquiry panel: open enquiries offered to them and
    not rejected, plus transfers offered to them (admins: every open enquiry as well).
    Other statuses: the caller's own enquiries (missed: those of destinations they
    serve). Admins see every enquiry. ``channel`` is a channel kind, ``owner`` "me" or a
    staff id, ``handled`` "yes" / "no" (missed enquiries whose follow-up is or is not
    done; assigned ones count for their assignee too); with no status, the open
    enquiries offered to the caller are listed too (the Inbox). Bad values raise
    InvalidInput. Rows carry ``message_count`` (text and file
    messages of the room), annotated here so a page costs no query per row for it."""
    if status and status not in Enquiry.Status.values:
        raise InvalidInput.field("status", f"status must be one of {', '.join(Enquiry.Status.values)}.")
    if channel and channel not in ChannelKind.values:
        raise InvalidInput.field("channel", f"channel must be one of {', '.join(ChannelKind.values)}.")
    owner_id: int | None = None
    if owner:
        if owner == "me":
            owner_id = staff.pk
        elif owner.isascii() and owner.isdigit() and len(owner) < 19:
            owner_id = int(owner)
        else:
            raise InvalidInput.field("owner", 'owner must be "me" or a staff id.')
    if handled and handled not in ("yes", "no"):
        raise InvalidInput.field("handled", 'handled must be "yes" or "no".')
    query = _with_message_count(enquiry_base().order_by("-created_at", "-id"))
    if handled:
        query = query.filter(status=Enquiry.Status.MISSED, followup_handled_at__isnull=handled == "no")
    if channel:
        query = query.filter(channel__kind=channel)
    if owner_id is not None:
        query = query.filter(owner_id=owner_id)
    if status == Enquiry.Status.OPEN:
        live = EnquiryAlert.objects.filter(staff=staff, rejected_at__isnull=True)
        offered = Q(
            status=Enquiry.Status.OPEN,
            id__in=live.filter(transfer__isnull=True).values("enquiry_id"),
        ) | Q(
            status=Enquiry.Status.HANDLING,
            id__in=live.filter(transfer__status=Transfer.Status.PENDING).values("enquiry_id"),
        )
        panel = query.filter(offered)
        # Admins see every waiting enquiry, not those still with the robot (nobody waits yet).
        return panel if not staff.is_admin else query.filter(Q(status=Enquiry.Status.OPEN, robot_held=False) | offered)
    if status:
        query = query.filter(status=status)
    if staff.is_admin:
        return query
    mine = Q(owner=staff) | Q(room__members__staff=staff)
    if status in (None, Enquiry.Status.MISSED):
        mine |= Q(status=Enquiry.Status.MISSED) & (_serves(staff) | Q(followup_assignee=staff))
    if status is None:
        live = EnquiryAlert.objects.filter(staff=staff, rejected_at__isnull=True)
        mine |= Q(status=Enquiry.Status.OPEN, id__in=live.filter(transfer__isnull=True).values("enquiry_id"))
        mine |= Q(id__in=live.filter(transfer__status=Transfer.Status.PENDING).values("enquiry_id"))
    return query.filter(mine).distinct()


def _with_message_count(query: QuerySet[Enquiry]) -> QuerySet[Enquiry]:
    # A correlated subquery, not Count() over a join: the member filter of enquiry_list
    # joins room members, which would multiply a joined count.

    counted = (
        Message.objects.filter(room__enquiry_id=OuterRef("pk"), kind__in=[Message.Kind.TEXT, Message.Kind.FILE])
        .order_by()
        .values("room__enquiry_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return query.annotate(message_count=Coalesce(Subquery(counted, output_field=IntegerField()), Value(0)))


def enquiry_ids_offered(staff: Staff, enquiry_ids: list[int]) -> set[int]:
    """Which of ``enquiry_ids`` are offered to ``staff`` now: a live (not rejected) alert
    for an open enquiry or for a pending transfer. One query for a whole page."""
    if not enquiry_ids:
        return set()
    live = EnquiryAlert.objects.filter(staff=staff, rejected_at__isnull=True, enquiry_id__in=enquiry_ids).filter(
        Q(transfer__isnull=True, enquiry__status=Enquiry.Status.OPEN) | Q(transfer__status=Transfer.Status.PENDING)
    )
    return set(live.values_list("enquiry_id", flat=True))


# A missed enquiry this recent is still the team's to follow up (SPEC 3: the missed list
# where staff follow up): deleting its tag would take it out of the members' lists.
MISSED_FOLLOW_UP = dt.timedelta(days=7)


def tag_enquiries_usage(*, tag: Tag, usage: TagUsage) -> None:
    """For contactcenter.org.services.tag_usage: enquiries that wait on ``tag`` (open ones,
    transfers offered to it, recently missed ones) refuse its deletion; past ones keep its
    name in their history."""
    waiting = Enquiry.objects.filter(destination__tag=tag)
    open_count = waiting.filter(status=Enquiry.Status.OPEN).count()
    if open_count:
        usage.blockers.append(
            ngettext(
                "%(count)d open enquiry is waiting for its members to pick it up.",
                "%(count)d open enquiries are waiting for its members to pick them up.",
                open_count,
            )
            % {"count": open_count}
        )
    offers = Transfer.objects.filter(to_tag=tag, status=Transfer.Status.PENDING).count()
    if offers:
        usage.blockers.append(
            ngettext(
                "%(count)d enquiry is being transferred to it.",
                "%(count)d enquiries are being transferred to it.",
                offers,
            )
            % {"count": offers}
        )
    since = clock.now() - MISSED_FOLLOW_UP
    missed = waiting.filter(status=Enquiry.Status.MISSED, missed_at__gte=since).count()
    if missed:
        usage.blockers.append(
            ngettext(
                "%(count)d enquiry missed in the last 7 days is still to be followed up by its members.",
                "%(count)d enquiries missed in the last 7 days are still to be followed up by its members.",
                missed,
            )
            % {"count": missed}
        )
    past = waiting.exclude(status=Enquiry.Status.OPEN).count() - missed
    if past:
        usage.effects.append(
            ngettext(
                "%(count)d past enquiry keeps “%(name)s” as its destination in its history and reports.",
                "%(count)d past enquiries keep “%(name)s” as their destination in their history and reports.",
                past,
            )
            % {"count": past, "name": tag.name}
        )
    if not (open_count or offers or missed or past):
        usage.effects.append(gettext("No enquiry has gone to this tag."))


# ---------------------------------------------------------------- the visitor's earlier conversations

HISTORY_PAGE_DEFAULT = 3
HISTORY_PAGE_MAX = 10
HISTORY_MESSAGES_MAX = 300  # per conversation: its newest ones


# Visitor.extra key of the identifier a visitor proved with the host site's hash
# (channels_adapters.identity): its history is then its customer's on every device.
VISITOR_IDENTITY_KEY = "identity"


def visitor_history_scope(visitor: Visitor) -> Q:
    """Whose enquiries a visitor's history shows: its own; for a verified visitor, those of
    every visitor (device) that proved the same identifier and belongs to the same customer
    (one query to find those devices).
    Both must hold, so that neither a staff merge of an anonymous visitor into the customer
    nor a stale identifier on another customer's visitor shows them to this one."""
    identifier = (visitor.extra or {}).get(VISITOR_IDENTITY_KEY)
    if not identifier or visitor.customer_id is None:
        return Q(visitor=visitor)
    # The devices first (one query on the visitor's customer index), then the enquiries by
    # their visitor index: no OR across a join for the planner to scan a channel with.
    devices = Visitor.objects.filter(
        customer_id=visitor.customer_id, **{f"extra__{VISITOR_IDENTITY_KEY}": identifier}
    ).values_list("pk", flat=True)
    return Q(visitor_id__in={visitor.pk, *devices})


def visitor_reads_room(visitor: Any, room: Room) -> bool:
    """Whether a visitor may read the room of an enquiry that is not its own: one of its
    history's (a verified customer's other device), for the files of the widget's earlier
    conversations (``rooms.hooks.register_visitor_reader``)."""
    if not isinstance(visitor, Visitor) or room.enquiry_id is None:
        return False
    return Enquiry.objects.filter(visitor_history_scope(visitor), pk=room.enquiry_id).exists()


def visitor_history(
    visitor: Visitor, *, channel_id: int, before: int | None = None, limit: int = HISTORY_PAGE_DEFAULT
) -> tuple[list[dict[str, Any]], bool]:
    """The visitor's own enquiries of one channel with an id below ``before`` (all when
    None), newest first, ``limit`` of them, each with its transcript as the visitor saw it;
    and whether there are more. Two queries a page whatever its length."""
    if not 1 <= limit <= HISTORY_PAGE_MAX:
        raise InvalidInput.field("limit", f"limit must be 1 to {HISTORY_PAGE_MAX}.")
    query = Enquiry.objects.filter(visitor_history_scope(visitor), channel_id=channel_id).select_related(
        "owner", "destination", "room"
    )
    if before is not None:
        query = query.filter(pk__lt=before)
    enquiries = list(query.order_by("-id")[: limit + 1])
    has_more = len(enquiries) > limit
    enquiries = enquiries[:limit]
    by_room: dict[int, list[Message]] = {}
    rooms = [e.room.pk for e in enquiries if getattr(e, "room", None) is not None]
    for message in visitor_transcript_messages(rooms):
        by_room.setdefault(message.room_id, []).append(message)
    results = []
    for enquiry in enquiries:
        room = getattr(enquiry, "room", None)
        messages = by_room.get(room.pk, []) if room is not None else []
        owner = enquiry.owner
        end = conversation_end(enquiry)
        results.append(
            {
                "id": enquiry.pk,
                "status": enquiry.status,
                "room": room.pk if room is not None else None,
                "destination": enquiry.destination.name,
                "agent": {"display_name": owner.display_name, "avatar_url": owner.avatar_url} if owner else None,
                "created_at": enquiry.created_at.isoformat(),
                "ended_at": end.isoformat() if end else None,
                "messages_truncated": len(messages) > HISTORY_MESSAGES_MAX,
                "messages": [message_data(m, for_visitor=True) for m in messages[-HISTORY_MESSAGES_MAX:]],
            }
        )
    return results, has_more
