"""The enquiry lifecycle (SPEC section 3): open, alert, pick up, reject, miss, transfer,
resolve, reopen, close, leave, rate, note; supervision (join, take over); and the timer
sweep that enforces deadlines.

Lock order everywhere: staff row, then enquiry row, then room row. Every row lock is
``select_for_update(no_key=True)`` (FOR NO KEY UPDATE; we never change a key): it still
serialises the writers of a row, but not the foreign-key checks PostgreSQL runs at commit
(FOR KEY SHARE on each referenced row, e.g. the staff row behind an event's ``actor``),
which would otherwise wait on a staff row locked by a pick-up after the enquiry row, against
the order above, and deadlock.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from contactcenter.org import clock, heartbeat, metrics
from contactcenter.org.errors import Conflict, DomainError, InvalidInput, NotAuthorized, NotFound
from contactcenter.org.events import (
    ADMINS_GROUP,
    EnquiryClosed,
    EnquiryFollowUp,
    EnquiryMissed,
    EnquiryNoteLeft,
    EnquiryOpened,
    EnquiryPickedUp,
    EnquiryRated,
    EnquiryRatingInvited,
    EnquiryRejected,
    EnquiryReopened,
    EnquiryResolved,
    EnquiryTaken,
    EnquiryTransferred,
    EnquiryUpdated,
    QueuePosition,
    RoomTakenOver,
    SessionEnded,
    room_group,
    staff_group,
    visitor_group,
)
from contactcenter.org.geoip import country_for_address
from contactcenter.org.models import ChannelKind, Destination, Staff, Tag
from contactcenter.org.realtime import send_event_on_commit
from contactcenter.org.services import (
    destination_for,
    org_settings_get,
    org_work_hours,
    staff_sessions_expire_due,
    within_work_hours,
)
from contactcenter.org.text import text_check, text_problem
from customers import services as customer_services
from customers.models import Customer
from enquiries import timers
from enquiries.hooks import enquiry_event_append, enquiry_held_by_hook
from enquiries.models import Enquiry, EnquiryAlert, EnquiryEvent, EnquiryNote, Transfer, Visitor
from enquiries.selectors import enquiry_data, may_follow_up, queue_positions, rating_open
from rooms import files as room_files
from rooms import services as room_services
from rooms.models import Room, RoomMember
from rooms.system_texts import system_message_fields

if TYPE_CHECKING:
    from channels_adapters.models import Channel

logger = logging.getLogger(__name__)

UTM_STANDARD = ("utm_campaign", "utm_content", "utm_medium", "utm_source", "utm_term")


# ---------------------------------------------------------------------------- helpers


def _log(
    enquiry: Enquiry,
    type_: str,
    *,
    actor: Staff | None = None,
    by_visitor: bool = False,
    data: dict[str, Any] | None = None,
) -> None:
    enquiry_event_append(enquiry, type_, actor=actor, by_visitor=by_visitor, data=data)


def _seconds(value: float) -> dt.timedelta:
    return dt.timedelta(seconds=value)


def staff_load(staff_ids: Iterable[int]) -> dict[int, int]:
    """Enquiries each staff member is handling now (what the concurrent limit counts)."""
    rows = (
        Enquiry.objects.filter(owner_id__in=list(staff_ids), status=Enquiry.Status.HANDLING)
        .values("owner_id")
        .annotate(n=Count("id"))
    )
    return {row["owner_id"]: row["n"] for row in rows}


def _available(candidates: Sequence[Staff]) -> list[Staff]:
    """ACTIVE, enabled staff below their concurrent limit."""
    staff = [s for s in candidates if s.is_active and s.availability == Staff.Availability.ACTIVE]
    load = staff_load(s.pk for s in staff)
    return [s for s in staff if load.get(s.pk, 0) < s.max_concurrent]


def destination_staff(destination: Destination) -> list[Staff]:
    """Everyone the destination serves (available or not)."""
    if destination.type == Destination.Type.TAG:
        if destination.tag_id is None:  # its tag was deleted (tag_delete): nobody serves it
            return []
        return list(Staff.objects.filter(tags=destination.tag_id, is_active=True).order_by("id"))
    return list(Staff.objects.filter(destination=destination, is_active=True))


def available_staff_ids(destination: Destination) -> list[int]:
    """The ids of the destination's ACTIVE, enabled staff below their concurrent limit,
    in id order: one statement, no model instances. Routing runs it on every open, for
    every candidate: written as SQL, which the ORM took longer to build than the database
    to run (1.9 of 2.2 ms, bench/RESULTS.md "Session 12 (rtopen)")."""
    candidates = _available_sql(destination)
    if candidates is None:
        return []
    sql, params = candidates
    with connection.cursor() as cursor:
        cursor.execute(sql + " ORDER BY s.id", params)
        return [row[0] for row in cursor.fetchall()]


def available_staff_and_queue(destination: Destination) -> tuple[list[int], list[tuple[int, int, int]]]:
    """``available_staff_ids`` and ``selectors.queue_positions`` of the destination, in one
    statement (one round trip fewer for every opening: bench/RESULTS.md, "Session 12
    (rtopen2)"). The queue is numbered as ``queue_positions`` numbers it (oldest first)."""
    candidates = _available_sql(destination)
    queue = (
        f"SELECT 1, e.id, e.visitor_id, e.created_at FROM {Enquiry._meta.db_table} e"  # noqa: S608 - names from _meta
        " WHERE e.destination_id = %s AND e.status = %s AND e.robot_held = %s"
    )
    queue_params: list[Any] = [destination.pk, Enquiry.Status.OPEN, False]
    if candidates is None:
        sql, params = queue, queue_params
    else:
        staff_sql, staff_params = candidates
        sql = staff_sql.replace("SELECT s.id FROM", "SELECT 0, s.id, NULL, NULL FROM", 1) + " UNION ALL " + queue
        params = [*staff_params, *queue_params]
    available: list[int] = []
    positions: list[tuple[int, int, int]] = []
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM ({sql}) AS u ORDER BY 1, 4, 2", params)  # noqa: S608 - built above
        for part, pk, visitor_id, _created_at in cursor.fetchall():
            if part == 0:
                available.append(pk)
            else:
                positions.append((pk, visitor_id, len(positions) + 1))
    return available, positions


def _available_sql(destination: Destination) -> tuple[str, list[Any]] | None:
    """The SQL (without ORDER BY) and parameters of ``available_staff_ids``; None when
    nobody can serve the destination (its tag or staff member deleted)."""
    staff_table = Staff._meta.db_table
    tags = Staff._meta.get_field("tags")
    through = Staff.tags.through._meta
    params: list[Any] = []
    if destination.type == Destination.Type.TAG:
        if destination.tag_id is None:  # its tag was deleted (tag_delete): nobody serves it
            return None
        served = (
            f" JOIN {through.db_table} st ON st.{tags.m2m_column_name()} = s.id"  # type: ignore[attr-defined]
            f" AND st.{tags.m2m_reverse_name()} = %s"  # type: ignore[attr-defined]
        )
        params.append(destination.tag_id)
        only = ""
    else:
        if destination.staff_id is None:
            return None
        served, only = "", " AND s.id = %s"
    params += [True, Staff.Availability.ACTIVE]
    if only:
        params.append(destination.staff_id)
    params.append(Enquiry.Status.HANDLING)
    # The models' table and column names; every value is a parameter.
    sql = (
        f"SELECT s.id FROM {staff_table} s{served} WHERE s.is_active = %s AND s.availability = %s{only}"  # noqa: S608
        f" AND (SELECT COUNT(*) FROM {Enquiry._meta.db_table} e WHERE e.owner_id = s.id AND e.status = %s)"
        " < s.max_concurrent"
    )
    return sql, params


def _alert(
    enquiry: Enquiry,
    staff_ids: Sequence[int],
    *,
    transfer: Transfer | None = None,
    data: dict[str, Any] | None = None,
    fresh: bool = False,
) -> list[int]:
    """Alert the staff ``staff_ids`` of ``enquiry`` (those not alerted yet); the ids alerted.
    ``data``: the enquiry's JSON if the caller has it (``enquiry_data``); ``fresh``: the
    enquiry was created in this transaction, so nobody has been alerted yet (no query for
    earlier alerts). The rows are written by one INSERT ... SELECT, without model instances."""
    now = clock.now()
    existing: set[int] = set()
    if not fresh:
        existing = set(
            EnquiryAlert.objects.filter(enquiry=enquiry, transfer=transfer, staff__in=staff_ids).values_list(
                "staff_id", flat=True
            )
        )
    alerted = [i for i in dict.fromkeys(staff_ids) if i not in existing]
    rows: tuple[str, list[Any]] | None = None
    if alerted and connection.vendor == "postgresql":
        # Sent with the "alerted" row below: one round trip for both.
        rows = (
            "INSERT INTO enquiries_enquiryalert (enquiry_id, staff_id, transfer_id, created_at)"
            " SELECT %s, s, %s, %s FROM unnest(%s::bigint[]) AS s",
            [enquiry.pk, transfer.pk if transfer else None, now, alerted],
        )
    elif alerted:
        EnquiryAlert.objects.bulk_create(
            [EnquiryAlert(enquiry=enquiry, staff_id=i, transfer=transfer, created_at=now) for i in alerted]
        )
    if alerted:
        enquiry_event_append(
            enquiry,
            EnquiryEvent.Type.ALERTED,
            data={"staff": alerted, "transfer": transfer.pk if transfer else None},
            sent_with=rows,
        )
        # As GET /enquiries?status=open says it.
        offered = {**(data if data is not None else enquiry_data(enquiry)), "offered": True}
        event = EnquiryOpened(enquiry=offered, transfer_id=transfer.pk if transfer else None)
        send_event_on_commit([staff_group(i) for i in alerted], event)
    return alerted


def _live_alert_staff_ids(enquiry: Enquiry, *, transfer: Transfer | None = None) -> list[int]:
    return list(
        EnquiryAlert.objects.filter(enquiry=enquiry, transfer=transfer, rejected_at__isnull=True).values_list(
            "staff_id", flat=True
        )
    )


def _send_queue_positions(destination_id: int, positions: list[tuple[int, int, int]] | None = None) -> None:
    """queue.position to each waiting visitor of the destination (``positions``: from
    ``queue_positions`` in this transaction, if the caller has them)."""
    for enquiry_id, visitor_id, position in positions if positions is not None else queue_positions(destination_id):
        send_event_on_commit([visitor_group(visitor_id)], QueuePosition(enquiry_id=enquiry_id, position=position))


def _lock_enquiry(enquiry_id: int) -> Enquiry:
    enquiry = Enquiry.objects.select_for_update(no_key=True).filter(pk=enquiry_id).first()
    if enquiry is None:
        raise NotFound("Enquiry not found.")
    return enquiry


def _room_id(enquiry: Enquiry) -> int:
    return Room.objects.filter(enquiry=enquiry).values_list("id", flat=True).get()


def _audience(enquiry: Enquiry, *, staff_ids: Iterable[int] = ()) -> list[str]:
    """Groups that follow an enquiry: its visitor, its room, admins, and given staff."""
    groups = [visitor_group(enquiry.visitor_id), room_group(_room_id(enquiry)), ADMINS_GROUP]
    groups += [staff_group(i) for i in staff_ids]
    return groups


# ---------------------------------------------------------------------------- open


def _clean_visitor_fields(fields: dict[str, Any]) -> dict[str, str]:
    limits = {"first_name": 100, "last_name": 100, "email": 254, "phone": 40}
    clean: dict[str, str] = {}
    for key, limit in limits.items():
        value = fields.get(key) or ""
        if not isinstance(value, str):
            raise InvalidInput.field(key, f"{key} must be text.")
        value = text_check(value.strip(), field=key)
        if len(value) > limit:
            raise InvalidInput.field(key, f"{key} is limited to {limit} characters.")
        clean[key] = value
    if clean["email"]:
        try:
            validate_email(clean["email"])
        except ValidationError:
            raise InvalidInput.field("email", "Enter a valid email address.") from None
    return clean


def _clean_map(name: str, value: Any, *, max_keys: int = 30, max_len: int = 500) -> dict[str, Any]:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict) or len(value) > max_keys:
        raise InvalidInput.field(name, f"{name} must be an object of at most {max_keys} entries.")
    clean: dict[str, Any] = {}
    for key, item in value.items():
        if not isinstance(key, str) or len(key) > 64 or text_problem(key):
            raise InvalidInput.field(name, f"{name} keys must be short text of valid characters.")
        if isinstance(item, str):
            text_check(item, field=f"{name}.{key}")
        if isinstance(item, bool | int | float) or item is None:
            clean[key] = item
        elif isinstance(item, str) and len(item) <= max_len:
            clean[key] = item
        else:
            raise InvalidInput.field(name, f"{name}.{key} must be text of at most {max_len} characters or a number.")
    return clean


# What a browser reports about its visitor (navigator.language, the Intl time zone): a
# BCP 47 language tag and an IANA zone name. Anything else came from a client that lies or
# is broken, and is not kept (the enquiry is not refused for it).
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8}){0,4}")


def _clean_device(device: Any) -> dict[str, Any]:
    """The device facts a widget reports (``_clean_map``: at most 30 entries of at most 500
    characters), with ``language`` and ``time_zone`` kept only when they are a language tag
    of at most 35 characters and a known time zone."""
    clean = _clean_map("device", device)
    language = clean.get("language")
    if language is not None and not (
        isinstance(language, str) and len(language) <= 35 and _LANGUAGE_TAG.fullmatch(language)
    ):
        del clean["language"]
    zone = clean.get("time_zone")
    if zone is not None and not (isinstance(zone, str) and zone in _time_zones()):
        del clean["time_zone"]
    return clean


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def visitor_create(
    *,
    channel: Channel | None = None,
    fields: dict[str, Any] | None = None,
    device: Any = None,
    utm: Any = None,
    channel_identity: str = "",
    language: str = "",
    customer: Customer | None = None,
    savepoint: bool = True,
    seen_at: dt.datetime | None = None,
) -> Visitor:
    """A new visitor and its customer: ``customer`` when the caller proved it (a host site's
    verified identifier), else the customer of a proven platform identity, else a new one
    (customers.services.customer_for_new_visitor). ``savepoint=False``: the caller's
    transaction rolls back as a whole on any error (the widget's opening). ``seen_at``:
    when the visitor's first enquiry opens, for a new customer's ``last_seen_at``."""
    clean = _clean_visitor_fields(fields or {})
    utm_clean = _clean_map("utm", utm)
    bad = [k for k in utm_clean if not k.startswith("utm_")]
    if bad:
        raise InvalidInput.field("utm", f"UTM keys must start with 'utm_': {', '.join(sorted(bad))}.")
    with transaction.atomic(savepoint=savepoint):
        if customer is None:
            name = f"{clean.get('first_name', '')} {clean.get('last_name', '')}".strip()
            customer = customer_services.customer_for_new_visitor(
                proven=proven_customer(channel, channel_identity),
                name=name,
                email=clean.get("email", ""),
                phone=clean.get("phone", ""),
                seen_at=seen_at,
            )
        return Visitor.objects.create(
            channel=channel,
            channel_identity=channel_identity,
            device=_clean_device(device),
            utm=utm_clean,
            chat_language=language[:20],
            customer=customer,
            **clean,
        )


# Platform identities that are the same person on every channel of their kind: the same
# WhatsApp number, LINE user, Messenger PSID, WeChat openid or email address.
PROVEN_KINDS = (ChannelKind.MESSENGER, ChannelKind.WHATSAPP, ChannelKind.LINE, ChannelKind.WECHAT, ChannelKind.EMAIL)


def proven_customer(channel: Channel | None, identity: str) -> Customer | None:
    """The customer already behind ``identity`` on a channel of ``channel``'s kind (email
    addresses compared ignoring case), or None: a proven identity links a new visitor to
    them (customers.services.customer_for_new_visitor)."""
    if channel is None or not identity or channel.kind not in PROVEN_KINDS:
        return None
    same = Visitor.objects.filter(channel__kind=channel.kind, customer__isnull=False)
    if channel.kind == ChannelKind.EMAIL:
        same = same.filter(channel_identity__iexact=identity)
    else:
        same = same.filter(channel_identity=identity)
    earlier = same.select_related("customer").order_by("pk").first()
    return earlier.customer if earlier is not None else None


CUSTOM_FIELDS_MAX = 20
CUSTOM_FIELD_NAME_MAX = 60
CUSTOM_FIELD_VALUE_MAX = 500


def _clean_custom_fields(value: Any) -> list[dict[str, str]]:
    """Staff's name/value pairs about a visitor: at most CUSTOM_FIELDS_MAX, each name 1 to
    CUSTOM_FIELD_NAME_MAX characters and unique (ignoring case), each value at most
    CUSTOM_FIELD_VALUE_MAX characters; surrounding spaces dropped."""
    if not isinstance(value, list):
        raise InvalidInput.field("custom_fields", "Custom fields must be a list of {name, value}.")
    if len(value) > CUSTOM_FIELDS_MAX:
        raise InvalidInput.field("custom_fields", f"A visitor has at most {CUSTOM_FIELDS_MAX} custom fields.")
    clean: list[dict[str, str]] = []
    seen: set[str] = set()
    for item in value:
        if not isinstance(item, dict) or set(item) - {"name", "value"}:
            raise InvalidInput.field("custom_fields", "Each custom field is {name, value}.")
        name, text = item.get("name"), item.get("value", "")
        if not isinstance(name, str) or not isinstance(text, str):
            raise InvalidInput.field("custom_fields", "A custom field's name and value are text.")
        name = text_check(name.strip(), field="custom_fields")
        text = text_check(text.strip(), field="custom_fields")
        if not name or len(name) > CUSTOM_FIELD_NAME_MAX:
            raise InvalidInput.field(
                "custom_fields", f"A custom field's name is 1 to {CUSTOM_FIELD_NAME_MAX} characters."
            )
        if len(text) > CUSTOM_FIELD_VALUE_MAX:
            raise InvalidInput.field(
                "custom_fields", f"A custom field's value is limited to {CUSTOM_FIELD_VALUE_MAX} characters."
            )
        if name.casefold() in seen:
            raise InvalidInput.field("custom_fields", f"The custom field {name!r} is given twice.")
        seen.add(name.casefold())
        clean.append({"name": name, "value": text})
    return clean


def visitor_update(*, actor: Staff, visitor: Visitor, changes: dict[str, Any]) -> Visitor:
    """Staff add and edit visitor information: the form's fields, and the custom fields
    (``custom_fields``, the whole list, replacing the one kept). Everything is checked
    before anything is written."""
    fields = {k: v for k, v in changes.items() if k != "custom_fields"}
    clean: dict[str, Any] = _clean_visitor_fields(
        {**{k: getattr(visitor, k) for k in ("first_name", "last_name", "email", "phone")}, **fields}
    )
    if "custom_fields" in changes:
        clean["custom_fields"] = _clean_custom_fields(changes["custom_fields"])
    for key, value in clean.items():
        setattr(visitor, key, value)
    with transaction.atomic():
        visitor.save(update_fields=list(clean))
        # Every room where staff see this visitor now (not the closed ones: read-only).
        live = Enquiry.objects.filter(visitor=visitor, room__isnull=False).exclude(status=Enquiry.Status.CLOSED)
        _send_updated(live.values_list("id", "room__id"), ["visitor"])
    return visitor


def _send_updated(enquiries: Iterable[tuple[int, int]], fields: list[str]) -> None:
    """enquiry.updated for (enquiry id, room id) pairs, on commit, to the staff in each room
    and to admins (monitors); never to the visitor: topic and custom fields are staff's."""
    for enquiry_id, room_id in enquiries:
        staff_ids = RoomMember.objects.filter(room_id=room_id).values_list("staff_id", flat=True)
        groups = [ADMINS_GROUP, *(staff_group(pk) for pk in staff_ids)]
        send_event_on_commit(groups, EnquiryUpdated(enquiry_id=enquiry_id, room_id=room_id, fields=fields))


def send_enquiry_updated(enquiry: Enquiry, fields: list[str]) -> None:
    """enquiry.updated (``fields`` changed) on commit, to the room's staff and admins."""
    _send_updated([(enquiry.pk, _room_id(enquiry))], fields)


def conversation_tag_required_check(enquiry: Enquiry, action: str) -> None:
    """Refuse (409, code ``conversation_tag_required``) to end an enquiry without a
    conversation tag while the admin setting requires one. Caller holds the enquiry lock."""
    if not org_settings_get().require_conversation_tag or enquiry.tags.exists():
        return
    if action == "resolve":
        message = _("Add a conversation tag before resolving: your admin requires one.")
    else:
        message = _("Add a conversation tag before closing: your admin requires one.")
    raise Conflict(message, code="conversation_tag_required")


def enquiry_topic_set(*, actor: Staff, enquiry_id: int, topic: Any) -> Enquiry:
    """The owner of an enquiry, or an admin, sets its topic: a short text (at most 200
    characters; empty clears it). Locks the enquiry row."""
    if not isinstance(topic, str):
        raise InvalidInput.field("topic", "The topic must be text.")
    topic = text_check(" ".join(topic.split()), field="topic")
    limit = Enquiry._meta.get_field("topic").max_length or 200
    if len(topic) > limit:
        raise InvalidInput.field("topic", f"The topic is limited to {limit} characters.")
    with transaction.atomic():
        enquiry = _lock_enquiry(enquiry_id)
        if not actor.is_admin and enquiry.owner_id != actor.pk:
            raise NotAuthorized("Only the enquiry's owner or an admin can set its topic.")
        enquiry.topic = topic
        enquiry.save(update_fields=["topic"])
        _send_updated([(enquiry.pk, _room_id(enquiry))], ["topic"])
    return enquiry


def visitor_tokens_revoke(*, actor: Staff, visitor_id: int) -> Visitor:
    """Revoke every token of a visitor (a leaked link, an abusive visitor): tokens issued
    before no longer authenticate (401), and the visitor's open sockets are told
    (``session.ended``, reason ``revoked``) and closed at once. Admins, and staff who are
    members of one of the visitor's rooms, may. Locks the visitor row."""
    with transaction.atomic():
        visitor = Visitor.objects.select_for_update(no_key=True).filter(pk=visitor_id).first()
        if visitor is None:
            raise NotFound("Visitor not found.")
        if not actor.is_admin and not RoomMember.objects.filter(staff=actor, room__enquiry__visitor=visitor).exists():
            raise NotAuthorized("Only admins and staff in this visitor's conversations can revoke its tokens.")
        visitor.token_epoch += 1
        visitor.save(update_fields=["token_epoch"])
        send_event_on_commit([visitor_group(visitor.pk)], SessionEnded(reason="revoked"))
    return visitor


def enquiry_via(enquiry: Enquiry) -> str:
    """What the customer came through: "weblink" for a web link's page, else the channel's
    kind (the enquiry is loaded with its channel)."""
    return enquiry.via or enquiry.channel.kind


def _custom_info(enquiry: Enquiry, channel: Channel) -> str:
    """The custom info staff see when the enquiry starts: the tag's for an enquiry to a tag
    that has one, else the channel's; never on a staff member's personal web link."""
    dest = enquiry.destination
    if dest.type == Destination.Type.TAG and dest.tag_id is not None:
        # Read now (the destination may come cached with the channel, its tag with it),
        # unless the caller read the channel for this request with its destination's tag's
        # custom info (``destination_tag_custom_info``: the widget's opening).
        if dest.pk == channel.destination_id and hasattr(channel, "destination_tag_custom_info"):
            tag_info = channel.destination_tag_custom_info
        else:
            tag_info = Tag.objects.filter(pk=dest.tag_id).values_list("custom_info", flat=True).first()
        if tag_info:
            return tag_info
    if enquiry_via(enquiry) == ChannelKind.WEBLINK and dest.type == Destination.Type.STAFF:
        return ""
    return channel.custom_info


def _intro_text(enquiry: Enquiry, channel: Channel, visitor: Visitor) -> str:
    dest = enquiry.destination
    via = enquiry_via(enquiry)
    label = "web link" if via == ChannelKind.WEBLINK else ChannelKind(via).label
    lines = [f"New {label} enquiry via {channel.name} to {dest.type} {dest.name}."]
    form = {k: getattr(visitor, k) for k in ("first_name", "last_name", "email", "phone") if getattr(visitor, k)}
    if form:
        lines.append("Visitor: " + ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in form.items()))
    if visitor.utm:
        lines.append("UTM: " + ", ".join(f"{k}={v}" for k, v in sorted(visitor.utm.items())))
    return "\n".join(lines)


def _sticky_staff(visitor: Visitor, available: Sequence[int]) -> int | None:
    """The id of the staff member who handled this customer last, if among ``available``
    (the destination's available staff ids)."""
    last = (
        Enquiry.objects.filter(visitor=visitor, owner__isnull=False)
        .exclude(status=Enquiry.Status.OPEN)
        .order_by("-created_at", "-id")
        .values_list("owner_id", flat=True)
        .first()
    )
    return last if last in available else None


def enquiry_open(
    *,
    channel: Channel,
    visitor: Visitor,
    message: str = "",
    tag: Tag | None = None,
    staff: Staff | None = None,
    message_data: dict[str, Any] | None = None,
    posted_as: str = "visitor",
    via: str = "",
    client_country: str = "",
    note_only: bool = False,
    new_visitor: bool = False,
    now: dt.datetime | None = None,
) -> Enquiry:
    """Open an enquiry from ``visitor`` on ``channel`` and route it (SPEC 3.1, 3.3, 3.4).
    ``message`` (the first) is posted as a message of kind ``posted_as`` ("visitor" from
    the widget, "platform" from the intake: rooms.services.POST_POLICIES).

    ``tag`` / ``staff`` are the visitor's choice in the widget's directories; otherwise the
    channel's destination. Nobody available or out of hours: missed at once. ``via``: what
    the customer came through when not the channel's kind ("weblink"); ``client_country``:
    the country of the customer's address (``contactcenter.org.geoip``). ``note_only``: a
    note left without chatting (``widget_note_leave``): nobody is alerted, it is missed at
    once (reason "note_left") for the destination's staff to follow up.
    Locks the visitor row first (before any enquiry or room row). ``new_visitor``: the
    caller created ``visitor`` in its transaction (uncommitted, so nobody else sees the row
    and it has no enquiry yet): no lock, no conversation in progress, no earlier agent.
    ``now``: the opening's moment if the caller took it (the new visitor's customer was
    written seen then); else the clock's.
    """
    if message and len(message) > settings.CC_MESSAGE_MAX_CHARS:
        raise InvalidInput.field("message", f"The message is limited to {settings.CC_MESSAGE_MAX_CHARS} characters.")
    text_check(message, field="message")
    if tag is not None:
        destination = destination_for(tag=tag)
    elif staff is not None:
        if not staff.is_active:
            raise InvalidInput.field("staff", "This staff member is not available.")
        destination = destination_for(staff=staff)
    else:
        destination = channel.destination
    now = now or clock.now()
    # A new visitor's caller rolls back its whole transaction on any error (the visitor
    # with it): no savepoint of our own.
    with transaction.atomic(savepoint=not new_visitor):
        # The visitor's row lock makes "one conversation at a time" hold under simultaneous
        # opens (two tabs, a double click): the second waits here, then sees the first.
        if not new_visitor and _visitor_busy(visitor):
            raise Conflict(
                "You already have a conversation in progress; continue it instead.",
                code="enquiry_in_progress",
            )
        enquiry = Enquiry.objects.create(
            channel=channel,
            destination=destination,
            kind=Enquiry.Kind.BROADCAST if destination.type == Destination.Type.TAG else Enquiry.Kind.DIRECT,
            visitor=visitor,
            status=Enquiry.Status.OPEN,
            first_message=(message or "")[:1000],
            via=via if via and via != channel.kind else "",
            client_country=client_country,
            created_at=now,
            deadline_at=now + _seconds(settings.CC_ENQUIRY_MAX_WAIT_SECONDS),
        )
        # A new visitor's customer comes from this transaction, its last_seen_at as written
        # (a new one: seen ``now`` already, no UPDATE).
        customer = visitor.customer if new_visitor and Visitor.customer.is_cached(visitor) else None
        known = customer.last_seen_at if customer is not None else None
        customer_services.customer_seen(customer_id=visitor.customer_id, when=now, known=known)
        room = room_services.room_create_for_enquiry(enquiry_id=enquiry.pk)
        enquiry.room = room  # for enquiry_data, without reading it back
        _log(enquiry, EnquiryEvent.Type.OPENED, by_visitor=True, data={"channel": channel.kind})
        # The staff's intro, the custom info and the first message: one batch of the posting
        # service (the room read, stamped and written once), in this order.
        intro = _intro_text(enquiry, channel, visitor)
        posts = [room_services.PostRequest(room.pk, intro, kind="system", data={"bot": "intro", "visibility": "staff"})]
        custom_info = _custom_info(enquiry, channel)
        if custom_info:
            data = {"bot": "custom_info", "visibility": "staff"}
            posts.append(room_services.PostRequest(room.pk, custom_info, kind="system", data=data))
        if message:
            first = room_services.PostRequest(room.pk, message, visitor=visitor, kind=posted_as, data=message_data)
            posts.append(first)
        # In this transaction, which any failure or refusal rolls back: no savepoint.
        for result in room_services.messages_post(posts, savepoint=False):
            if isinstance(result, DomainError):
                raise result
        if note_only:
            _miss(enquiry, Enquiry.MissedReason.NOTE_LEFT)
            return enquiry
        if staff is None and enquiry_held_by_hook(enquiry, channel):
            # A robot answers first (robot app): no alert and no deadline until it hands over.
            Enquiry.objects.filter(pk=enquiry.pk).update(robot_held=True, deadline_at=None)
            enquiry.robot_held, enquiry.deadline_at = True, None
            return enquiry
        if channel.welcome_message:
            room_services.system_message_post(room_id=room.pk, text=channel.welcome_message, data={"bot": "welcome"})
        _route(enquiry, now, fresh=True, new_visitor=new_visitor)
    return enquiry


def _visitor_busy(visitor: Visitor) -> bool:
    """Lock the visitor's row, then: has it a conversation open or handled?"""
    Visitor.objects.select_for_update(no_key=True).filter(pk=visitor.pk).first()
    return Enquiry.objects.filter(visitor=visitor, status__in=[Enquiry.Status.OPEN, Enquiry.Status.HANDLING]).exists()


def _route(enquiry: Enquiry, now: dt.datetime, *, fresh: bool = False, new_visitor: bool = False) -> None:
    """Route an open enquiry whose 60 s wait starts ``now`` (SPEC 3.1, 3.3, 3.4): alert the
    destination's available staff (a returning customer's agent first), or miss it at once
    out of hours or with nobody available. Caller holds the enquiry's lock (or created it:
    ``fresh``, nobody alerted yet, no tags, no pending transfer; ``new_visitor``: its
    visitor too, so it has no earlier agent).

    The enquiry's JSON and the queue are read once for all its events (the admins' copy,
    the alerted staff's, the visitors' positions): the fewer statements before the commit,
    the sooner the alerts go out (bench/RESULTS.md, "Round 5 (rtfanout)"; the staff as ids,
    bench/open_profile.py)."""
    destination = enquiry.destination
    open_hours = within_work_hours(now, org_work_hours())
    positions: list[tuple[int, int, int]] | None = None
    if open_hours:
        # The candidates and the queue read together (the queue is used only with candidates).
        available, positions = available_staff_and_queue(destination)
    else:
        available = []
    sticky = _sticky_staff(enquiry.visitor, available) if available and not new_visitor else None
    head_start = settings.CC_STICKY_HEAD_START_SECONDS
    with_head_start = sticky is not None and head_start > 0 and len(available) > 1
    alerted = [sticky] if with_head_start and sticky is not None else available
    if not available:
        positions = None
    if positions is not None:
        mine = next((p for e, _v, p in positions if e == enquiry.pk), None)
        enquiry.opened_position = mine
        if fresh:  # no pending transfer to look up, no tags yet
            data = enquiry_data(enquiry, position=mine, transfer=None, tags=[])
        else:
            data = enquiry_data(enquiry, position=mine)
    else:
        data = enquiry_data(enquiry, tags=[]) if fresh else enquiry_data(enquiry)
    # Every admin sees it (read-only), except those alerted below, who get it offered:
    # one enquiry.opened per socket.
    send_event_on_commit(
        [ADMINS_GROUP],
        EnquiryOpened(enquiry={**data, "offered": False}),
        except_staff=alerted,
    )
    if not open_hours:
        _miss(enquiry, Enquiry.MissedReason.OUT_OF_HOURS)
        return
    if not available:
        _miss(enquiry, Enquiry.MissedReason.NOBODY_AVAILABLE)
        return
    if with_head_start and sticky is not None:
        enquiry.broadcast_at = now + _seconds(head_start)
        enquiry.save(update_fields=["broadcast_at"])
        _alert(enquiry, [sticky], data=data, fresh=fresh)
        timers.schedule_sweep(enquiry.broadcast_at)
    else:
        _alert(enquiry, available, data=data, fresh=fresh)
    timers.schedule_sweep(enquiry.deadline_at)
    # It joined the queue: only its position and those behind it changed (an enquiry
    # opened later may have committed first); those ahead are told nothing new.
    changed = [row for row in positions if mine is None or row[2] >= mine] if positions is not None else None
    _send_queue_positions(destination.pk, changed)


def enquiry_robot_handover(*, enquiry_id: int, reason: str) -> bool:
    """The robot hands a held enquiry over to people: it opens as a new enquiry does (the
    channel's welcome message, alerts or a miss at once, the 60 s wait counted from now).
    False (nothing done) when it is no longer held: handed over already, or ended. Locks
    the enquiry row (the caller may hold it already)."""
    with transaction.atomic():
        enquiry = _lock_enquiry(enquiry_id)
        if enquiry.status != Enquiry.Status.OPEN or not enquiry.robot_held:
            return False
        now = clock.now()
        deadline = now + _seconds(settings.CC_ENQUIRY_MAX_WAIT_SECONDS)
        changed = Enquiry.objects.filter(pk=enquiry.pk, status=Enquiry.Status.OPEN, robot_held=True).update(
            robot_held=False, deadline_at=deadline
        )
        if changed != 1:  # Unreachable under the row lock; kept as the database's verdict.
            return False
        enquiry.robot_held, enquiry.deadline_at = False, deadline
        _log(enquiry, EnquiryEvent.Type.HANDED_OVER, by_visitor=reason == "asked", data={"reason": reason})
        room_id = _room_id(enquiry)
        welcome = enquiry.channel.welcome_message
        if welcome:
            room_services.system_message_post(room_id=room_id, text=welcome, data={"bot": "welcome"})
        # The widget reads its enquiry again: no longer with the robot, waiting (or missed).
        send_event_on_commit(
            [visitor_group(enquiry.visitor_id)],
            EnquiryUpdated(enquiry_id=enquiry.pk, room_id=room_id, fields=["with_robot"]),
        )
        _route(enquiry, now)
    return True


def enquiry_robot_close(*, enquiry_id: int) -> bool:
    """End a conversation the robot held to its end (the customer went quiet): closed, as
    when a customer ends it. False when it is no longer held. Locks the enquiry row."""
    with transaction.atomic():
        enquiry = _lock_enquiry(enquiry_id)
        if enquiry.status != Enquiry.Status.OPEN or not enquiry.robot_held:
            return False
        return _close(enquiry, actor=None, from_statuses=[Enquiry.Status.OPEN])


def enquiries_alert_newly_active(*, staff: Staff) -> int:
    """Alert ``staff`` (just become ACTIVE) of enquiries waiting at destinations it serves.

    Enquiries still in a returning customer's head start are left to that head start.
    Caller holds the staff row lock.
    """
    if not staff.is_active or staff_load([staff.pk]).get(staff.pk, 0) >= staff.max_concurrent:
        return 0
    served = Q(destination__staff=staff) | Q(destination__tag__in=staff.tags.all())
    waiting = (
        Enquiry.objects.filter(served, status=Enquiry.Status.OPEN, broadcast_at__isnull=True, robot_held=False)
        .exclude(alerts__staff=staff, alerts__transfer__isnull=True)
        .order_by("created_at")
    )
    count = 0
    for enquiry in waiting:
        count += len(_alert(enquiry, [staff.pk]))
    return count


# ---------------------------------------------------------------------------- pick up / reject


def enquiry_pick_up(*, actor: Staff, enquiry_id: int) -> Enquiry:
    """Pick up an enquiry offered to ``actor`` (or accept a transfer offered to it).

    Exactly one of any number of simultaneous pick-ups wins: the staff row is locked first
    (so nobody exceeds their limit), then the enquiry row, and the state change is a
    conditional UPDATE. Losers get Conflict (409).
    """
    with transaction.atomic():
        staff = Staff.objects.select_for_update(no_key=True).get(pk=actor.pk)
        enquiry = _lock_enquiry(enquiry_id)
        transfer = enquiry.transfers.filter(status=Transfer.Status.PENDING).first()
        if transfer is not None and EnquiryAlert.objects.filter(transfer=transfer, staff=staff).exists():
            return _transfer_accept(staff, enquiry, transfer)
        _refuse_ended_transfer_offer(enquiry, staff)
        if enquiry.status != Enquiry.Status.OPEN:
            raise Conflict(_not_open_message(enquiry), code="taken" if enquiry.owner_id else enquiry.status)
        alert = EnquiryAlert.objects.filter(enquiry=enquiry, staff=staff, transfer__isnull=True).first()
        if alert is None:
            raise NotAuthorized("This enquiry was not offered to you.")
        if alert.rejected_at is not None:
            raise Conflict("You rejected this enquiry.", code="rejected")
        if staff_load([staff.pk]).get(staff.pk, 0) >= staff.max_concurrent:
            raise Conflict(f"You are at your limit of {staff.max_concurrent} concurrent enquiries.", code="over_limit")
        now = clock.now()
        won = Enquiry.objects.filter(pk=enquiry.pk, status=Enquiry.Status.OPEN).update(
            status=Enquiry.Status.HANDLING, owner=staff, picked_up_at=now, deadline_at=None, broadcast_at=None
        )
        if won != 1:  # Unreachable under the row lock; kept as the database's verdict.
            raise Conflict("This enquiry has already been taken.", code="taken")
        enquiry.refresh_from_db()
        room_id = _room_id(enquiry)
        room_services.room_member_add(room=Room(pk=room_id), staff=staff, role=RoomMember.Role.OWNER)
        _log(enquiry, EnquiryEvent.Type.PICKED_UP, actor=staff)
        room_services.system_message_post(
            room_id=room_id, **system_message_fields("joined", {"name": staff.display_name})
        )
        others = [i for i in _live_alert_staff_ids(enquiry) if i != staff.pk]
        send_event_on_commit(
            [staff_group(i) for i in others],
            EnquiryTaken(enquiry_id=enquiry.pk, owner_id=staff.pk, owner_name=staff.display_name),
        )
        # Staff get the enquiry as their lists show it; the visitor only who answers (the
        # widget reads its enquiry again), not the channel's internal name and the like.
        audience = _audience(enquiry, staff_ids=[staff.pk])
        own = visitor_group(enquiry.visitor_id)
        send_event_on_commit([g for g in audience if g != own], EnquiryPickedUp(enquiry=enquiry_data(enquiry)))
        visitor_copy = {"id": enquiry.pk, "status": enquiry.status, "owner": {"display_name": staff.display_name}}
        send_event_on_commit([own], EnquiryPickedUp(enquiry=visitor_copy))
        _send_queue_positions(enquiry.destination_id)
    return enquiry


def _not_open_message(enquiry: Enquiry) -> str:
    if enquiry.status == Enquiry.Status.MISSED:
        return "This enquiry lapsed: nobody picked it up in time."
    if enquiry.owner_id is not None:
        name = Staff.objects.filter(pk=enquiry.owner_id).values_list("display_name", flat=True).first()
        return f"This enquiry has already been taken by {name}."
    return f"This enquiry is {enquiry.status}."


def _refuse_ended_transfer_offer(enquiry: Enquiry, staff: Staff) -> None:
    """A transfer was offered to ``staff`` and has ended (someone accepted it first, or it
    lapsed: the owner left, resolved, was taken over...) while no transfer is offered to
    them now: raise Conflict saying what happened, not that the enquiry "was taken". The
    caller holds the enquiry's lock and has found no live transfer offer for ``staff``."""
    if enquiry.status == Enquiry.Status.OPEN:
        return
    ended = (
        Transfer.objects.filter(enquiry=enquiry, alerts__staff=staff)
        .exclude(status=Transfer.Status.PENDING)
        .select_related("from_staff", "accepted_by")
        .order_by("-id")
        .first()
    )
    if ended is not None:
        raise Conflict(transfer_ended_message(ended, staff), code="transfer_ended")


def transfer_ended_message(transfer: Transfer, staff: Staff) -> str:
    """What ended a transfer, as told to ``staff``, who was offered it."""
    owner = transfer.from_staff.display_name
    if transfer.status == Transfer.Status.ACCEPTED:
        if transfer.accepted_by_id == staff.pk:
            return _("You have already accepted this transfer.")
        name = transfer.accepted_by.display_name if transfer.accepted_by else ""
        return _("%(name)s accepted this transfer first.") % {"name": name}
    lapse = (
        EnquiryEvent.objects.filter(
            enquiry_id=transfer.enquiry_id, type=EnquiryEvent.Type.TRANSFER_LAPSED, data__transfer=transfer.pk
        )
        .values_list("data", flat=True)
        .first()
    )
    reason = (lapse or {}).get("reason", "")
    texts = {
        "closed": _("%(owner)s left and closed the enquiry before you accepted: the transfer was cancelled."),
        "resolved": _("%(owner)s resolved the enquiry before you accepted: the transfer was cancelled."),
        "taken_over": _("An admin took over the conversation before you accepted: the transfer was cancelled."),
        "timeout": _("The transfer from %(owner)s was not accepted in time and has lapsed."),
        "rejected": _("The transfer from %(owner)s was declined."),
    }
    return texts.get(reason, _("The transfer from %(owner)s was cancelled.")) % {"owner": owner}


def enquiry_reject(*, actor: Staff, enquiry_id: int) -> Enquiry:
    """Remove an offered enquiry (or transfer) from ``actor``'s panel only. When everyone
    alerted has rejected, a new enquiry is missed at once and a transfer lapses."""
    with transaction.atomic():
        enquiry = _lock_enquiry(enquiry_id)
        transfer = enquiry.transfers.filter(status=Transfer.Status.PENDING).first()
        alert = None
        if transfer is not None:
            alert = EnquiryAlert.objects.filter(transfer=transfer, staff=actor).first()
        if alert is None:
            _refuse_ended_transfer_offer(enquiry, actor)
            if enquiry.status != Enquiry.Status.OPEN:
                raise Conflict(_not_open_message(enquiry), code=enquiry.status)
            alert = EnquiryAlert.objects.filter(enquiry=enquiry, staff=actor, transfer__isnull=True).first()
            transfer = None
        if alert is None:
            raise NotAuthorized("This enquiry was not offered to you.")
        if alert.rejected_at is not None:
            raise Conflict("You have already rejected this enquiry.", code="rejected")
        alert.rejected_at = clock.now()
        alert.save(update_fields=["rejected_at"])
        _log(enquiry, EnquiryEvent.Type.REJECTED, actor=actor, data={"transfer": transfer.pk if transfer else None})
        send_event_on_commit([staff_group(actor.pk)], EnquiryRejected(enquiry_id=enquiry.pk))
        if not _live_alert_staff_ids(enquiry, transfer=transfer):
            if transfer is not None:
                _transfer_lapse(enquiry, transfer, reason="rejected")
            elif enquiry.broadcast_at is not None:
                # The returning customer's agent declined: the rest need not wait.
                _broadcast_rest(enquiry)
            else:
                _miss(enquiry, Enquiry.MissedReason.ALL_REJECTED)
    return enquiry


def _broadcast_rest(enquiry: Enquiry) -> None:
    """End a head start: alert the rest of the destination. Caller holds the enquiry lock."""
    Enquiry.objects.filter(pk=enquiry.pk).update(broadcast_at=None)
    enquiry.broadcast_at = None
    available = available_staff_ids(enquiry.destination)
    _alert(enquiry, available)
    if not _live_alert_staff_ids(enquiry):
        _miss(enquiry, Enquiry.MissedReason.ALL_REJECTED if available else Enquiry.MissedReason.NOBODY_AVAILABLE)


def _miss(enquiry: Enquiry, reason: str) -> bool:
    """open -> missed, once. Caller holds the enquiry lock (or has just created it)."""
    now = clock.now()
    changed = Enquiry.objects.filter(pk=enquiry.pk, status=Enquiry.Status.OPEN).update(
        status=Enquiry.Status.MISSED, missed_reason=reason, missed_at=now, deadline_at=None, broadcast_at=None
    )
    if changed != 1:
        return False
    enquiry.status, enquiry.missed_reason, enquiry.missed_at = Enquiry.Status.MISSED, reason, now
    enquiry.deadline_at = enquiry.broadcast_at = None
    _log(enquiry, EnquiryEvent.Type.MISSED, data={"reason": reason})
    room_id = _room_id(enquiry)
    if reason != Enquiry.MissedReason.NOTE_LEFT:  # the note itself is what the visitor left
        code = "missed_closed" if reason == Enquiry.MissedReason.OUT_OF_HOURS else "missed_nobody"
        room_services.system_message_post(
            room_id=room_id, **system_message_fields(code, data={"bot": "missed", "reason": reason})
        )
    alerted = _live_alert_staff_ids(enquiry)
    # The alerted drop it from their panel; everyone the destination serves (alerted or
    # not) sees it arrive in their Missed list.
    served = [s.pk for s in destination_staff(enquiry.destination)]
    send_event_on_commit(
        _audience(enquiry, staff_ids=sorted({*alerted, *served})), EnquiryMissed(enquiry_id=enquiry.pk, reason=reason)
    )
    _send_queue_positions(enquiry.destination_id)
    return True


# ---------------------------------------------------------------------------- transfer


def enquiry_transfer(
    *, actor: Staff, enquiry_id: int, to_staff: Staff | None = None, to_tag: Tag | None = None
) -> Transfer:
    """Offer the enquiry to a staff member or a tag; the owner keeps it until one accepts."""
    if (to_staff is None) == (to_tag is None):
        raise InvalidInput("Transfer to exactly one of a staff member or a tag.")
    with transaction.atomic():
        enquiry = _lock_enquiry(enquiry_id)
        if enquiry.owner_id != actor.pk:
            raise NotAuthorized("Only the owner can transfer this enquiry.")
        if enquiry.status != Enquiry.Status.HANDLING:
            raise Conflict(f"Only an enquiry being handled can be transferred; this one is {enquiry.status}.")
        if enquiry.transfers.filter(status=Transfer.Status.PENDING).exists():
            raise Conflict("A transfer of this enquiry is already waiting for acceptance.", code="transfer_pending")
        if to_staff is not None:
            if to_staff.pk == actor.pk:
                raise InvalidInput.field("staff", "You cannot transfer an enquiry to yourself.")
            candidates = [to_staff]
        else:
            candidates = list(Staff.objects.filter(tags=to_tag, is_active=True).exclude(pk=actor.pk))
        targets = _available(candidates)
        if not targets:
            target_name = to_staff.display_name if to_staff else to_tag.name  # type: ignore[union-attr]
            raise Conflict(f"Nobody at {target_name} is available to take this enquiry now.", code="nobody_available")
        now = clock.now()
        transfer = Transfer.objects.create(
            enquiry=enquiry,
            from_staff=actor,
            to_staff=to_staff,
            to_tag=to_tag,
            created_at=now,
            deadline_at=now + _seconds(settings.CC_TRANSFER_MAX_WAIT_SECONDS),
        )
        target = to_staff.display_name if to_staff else f"tag {to_tag.name}"  # type: ignore[union-attr]
        _log(enquiry, EnquiryEvent.Type.TRANSFER_STARTED, actor=actor, data={"transfer": transfer.pk, "to": target})
        room_services.system_message_post(
            room_id=_room_id(enquiry),
            text=f"{actor.display_name} is transferring this enquiry to {target}.",
            data={"visibility": "staff"},
        )
        _alert(enquiry, [s.pk for s in targets], transfer=transfer)
        send_event_on_commit(
            [staff_group(actor.pk), ADMINS_GROUP],
            EnquiryTransferred(
                enquiry_id=enquiry.pk,
                transfer_id=transfer.pk,
                state="offered",
                owner_id=actor.pk,
                owner_name=actor.display_name,
            ),
        )
        timers.schedule_sweep(transfer.deadline_at)
    return transfer


def _transfer_accept(staff: Staff, enquiry: Enquiry, transfer: Transfer) -> Enquiry:
    """Caller holds the staff then enquiry locks."""
    alert = EnquiryAlert.objects.get(transfer=transfer, staff=staff)
    if alert.rejected_at is not None:
        raise Conflict("You rejected this transfer.", code="rejected")
    if staff_load([staff.pk]).get(staff.pk, 0) >= staff.max_concurrent:
        raise Conflict(f"You are at your limit of {staff.max_concurrent} concurrent enquiries.", code="over_limit")
    now = clock.now()
    if (
        Transfer.objects.filter(pk=transfer.pk, status=Transfer.Status.PENDING).update(
            status=Transfer.Status.ACCEPTED, accepted_by=staff, ended_at=now
        )
        != 1
    ):
        raise Conflict("This transfer is no longer waiting.", code="transfer_ended")
    previous_id = enquiry.owner_id
    enquiry.owner = staff
    enquiry.save(update_fields=["owner"])
    room = Room(pk=_room_id(enquiry))
    previous = Staff.objects.get(pk=previous_id) if previous_id else None
    if previous is not None:
        room_services.room_member_remove(room=room, staff_id=previous.pk)
    room_services.room_member_add(room=room, staff=staff, role=RoomMember.Role.OWNER)
    _log(enquiry, EnquiryEvent.Type.TRANSFERRED, actor=staff, data={"transfer": transfer.pk, "from": previous_id})
    room_services.system_message_post(
        room_id=room.pk,
        text=f"Transferred from {previous.display_name if previous else 'nobody'} to {staff.display_name}.",
        data=system_message_fields("joined", {"name": staff.display_name})["data"],
    )
    others = [i for i in _live_alert_staff_ids(enquiry, transfer=transfer) if i != staff.pk]
    send_event_on_commit(
        [staff_group(i) for i in others],
        EnquiryTaken(enquiry_id=enquiry.pk, owner_id=staff.pk, owner_name=staff.display_name),
    )
    send_event_on_commit(
        _audience(enquiry, staff_ids=[staff.pk] + ([previous.pk] if previous else [])),
        EnquiryTransferred(
            enquiry_id=enquiry.pk,
            transfer_id=transfer.pk,
            state="accepted",
            owner_id=staff.pk,
            owner_name=staff.display_name,
            from_id=previous_id,
        ),
    )
    return enquiry


def _transfer_lapse(enquiry: Enquiry, transfer: Transfer, *, reason: str) -> bool:
    """pending -> lapsed, once; the owner keeps the enquiry and is told."""
    if (
        Transfer.objects.filter(pk=transfer.pk, status=Transfer.Status.PENDING).update(
            status=Transfer.Status.LAPSED, ended_at=clock.now()
        )
        != 1
    ):
        return False
    _log(enquiry, EnquiryEvent.Type.TRANSFER_LAPSED, data={"transfer": transfer.pk, "reason": reason})
    texts = {
        "rejected": _("The transfer was declined; the enquiry stays with its owner."),
        "timeout": _("The transfer was not accepted in time; the enquiry stays with its owner."),
        "closed": _("The transfer was cancelled: the enquiry was closed."),
        "resolved": _("The transfer was cancelled: the enquiry was resolved."),
        "taken_over": _("The transfer was cancelled: an admin took over the conversation."),
    }
    room_services.system_message_post(
        room_id=_room_id(enquiry),
        text=texts.get(reason, _("The transfer was cancelled; the enquiry stays with its owner.")),
        data={"visibility": "staff"},
    )
    targets = _live_alert_staff_ids(enquiry, transfer=transfer)
    owner_name = enquiry.owner.display_name if enquiry.owner else ""
    # The targets too: their panel says why the offer went (the owner left, resolved...).
    # Before enquiry.taken, which drops the offer from their panel without a word.
    send_event_on_commit(
        [ADMINS_GROUP, *[staff_group(i) for i in targets]]
        + ([staff_group(enquiry.owner_id)] if enquiry.owner_id else []),
        EnquiryTransferred(
            enquiry_id=enquiry.pk,
            transfer_id=transfer.pk,
            state="lapsed",
            owner_id=enquiry.owner_id,
            owner_name=owner_name,
            reason=reason,
        ),
    )
    send_event_on_commit(
        [staff_group(i) for i in targets],
        EnquiryTaken(enquiry_id=enquiry.pk, owner_id=enquiry.owner_id, owner_name=owner_name),
    )
    return True


def _end_pending_transfer(enquiry: Enquiry, *, reason: str) -> None:
    """Lapse the pending transfer, if any, because of ``reason`` ("closed", "resolved",
    "taken_over"): what ended it first. Caller holds the enquiry's lock."""
    transfer = enquiry.transfers.filter(status=Transfer.Status.PENDING).first()
    if transfer is not None:
        _transfer_lapse(enquiry, transfer, reason=reason)


# ---------------------------------------------------------------------------- resolve / reopen / close


def _require_owner(enquiry: Enquiry, actor: Staff, action: str) -> None:
    if enquiry.owner_id != actor.pk:
        raise NotAuthorized(f"Only the enquiry's owner can {action} it.")


def _auto_close_delay() -> dt.timedelta | None:
    org = org_settings_get()
    if not org.auto_close_enabled:
        return None
    if settings.CC_RESOLVED_AUTO_CLOSE_SECONDS:
        return _seconds(float(settings.CC_RESOLVED_AUTO_CLOSE_SECONDS))
    return dt.timedelta(minutes=org.auto_close_minutes)


def enquiry_resolve(*, actor: Staff, enquiry_id: int) -> Enquiry:
    with transaction.atomic():
        enquiry = _lock_enquiry(enquiry_id)
        _require_owner(enquiry, actor, "resolve")
        if enquiry.status != Enquiry.Status.HANDLING:
            raise Conflict(f"Only an enquiry being handled can be resolved; this one is {enquiry.status}.")
        conversation_tag_required_check(enquiry, "resolve")
        _end_pending_transfer(enquiry, reason="resolved")
        now = clock.now()
        delay = _auto_close_delay()
        enquiry.status = Enquiry.Status.RESOLVED
        enquiry.resolved_at = now
        enquiry.auto_close_at = now + delay if delay else None
        enquiry.save(update_fields=["status", "resolved_at", "auto_close_at"])
        _log(enquiry, EnquiryEvent.Type.RESOLVED, actor=actor)
        room_services.system_message_post(
            room_id=_room_id(enquiry),
            **system_message_fields("resolved", {"name": actor.display_name}, data={"bot": "resolved"}),
        )
        send_event_on_commit(
            _audience(enquiry, staff_ids=[actor.pk]),
            EnquiryResolved(
                enquiry_id=enquiry.pk,
                auto_close_at=enquiry.auto_close_at.isoformat() if enquiry.auto_close_at else None,
            ),
        )
        if enquiry.auto_close_at:
            timers.schedule_sweep(enquiry.auto_close_at)
    return enquiry


def _lock_own_resolved(enquiry_id: int, actor: Staff, action: str, refusal: str) -> Enquiry:
    """Lock an enquiry ``actor`` owns (else NotAuthorized for ``action``) that is resolved
    (else Conflict with ``refusal``, a text with a %(status)s placeholder)."""
    enquiry = _lock_enquiry(enquiry_id)
    _require_owner(enquiry, actor, action)
    if enquiry.status != Enquiry.Status.RESOLVED:
        raise Conflict(refusal % {"status": enquiry.status}, code=enquiry.status)
    return enquiry


def enquiry_keep_open(*, actor: Staff, enquiry_id: int) -> Enquiry:
    """The owner keeps a resolved enquiry open: it will not close by itself (until the
    customer writes and it is resolved again, or the owner closes it). Agents may when the
    admin setting ``agents_may_keep_open`` allows it; admins always may. Idempotent."""
    with transaction.atomic():
        enquiry = _lock_own_resolved(
            enquiry_id, actor, "keep open", _("Only a resolved enquiry can be kept open; this one is %(status)s.")
        )
        if not actor.is_admin and not org_settings_get().agents_may_keep_open:
            raise NotAuthorized(_("Your admin does not allow agents to keep resolved enquiries open."))
        if enquiry.auto_close_at is None:
            return enquiry
        enquiry.auto_close_at = None
        enquiry.save(update_fields=["auto_close_at"])
        _log(enquiry, EnquiryEvent.Type.KEPT_OPEN, actor=actor)
        room_services.system_message_post(
            room_id=_room_id(enquiry),
            text=_("%(name)s kept this resolved enquiry open: it will not close automatically.")
            % {"name": actor.display_name},
            data={"visibility": "staff"},
        )
        send_event_on_commit(
            _audience(enquiry, staff_ids=[actor.pk]), EnquiryResolved(enquiry_id=enquiry.pk, auto_close_at=None)
        )
    return enquiry


def enquiry_close(*, actor: Staff, enquiry_id: int) -> Enquiry:
    """The owner closes a resolved enquiry now instead of waiting for its auto-close (the
    owner stays in the room, which becomes read-only)."""
    with transaction.atomic():
        enquiry = _lock_own_resolved(
            enquiry_id, actor, "close", _("Only a resolved enquiry can be closed; this one is %(status)s.")
        )
        conversation_tag_required_check(enquiry, "close")
        _close(enquiry, actor=actor, from_statuses=[Enquiry.Status.RESOLVED])
    return enquiry


def enquiry_reopen(*, enquiry: Enquiry) -> Enquiry:
    """The customer wrote again before close: back to the same owner. Caller holds the lock."""
    if enquiry.status != Enquiry.Status.RESOLVED:
        return enquiry
    enquiry.status = Enquiry.Status.HANDLING
    enquiry.auto_close_at = None
    # Handled again, not resolved: its duration goes on ("Resolved today" counts it when
    # it is resolved again, once).
    enquiry.resolved_at = None
    enquiry.save(update_fields=["status", "auto_close_at", "resolved_at"])
    _log(enquiry, EnquiryEvent.Type.REOPENED, by_visitor=True)
    room_services.system_message_post(room_id=_room_id(enquiry), **system_message_fields("reopened"))
    send_event_on_commit(
        _audience(enquiry, staff_ids=[enquiry.owner_id] if enquiry.owner_id else []),
        EnquiryReopened(enquiry_id=enquiry.pk),
    )
    return enquiry


def _close(
    enquiry: Enquiry,
    *,
    actor: Staff | None,
    from_statuses: Sequence[str],
    by_visitor: bool = False,
    staff_ids: Iterable[int] = (),
) -> bool:
    """-> closed, once, from one of ``from_statuses``; ``staff_ids``: more staff told (the
    alerted, when a waiting enquiry is ended by its visitor). Caller holds the enquiry lock."""
    now = clock.now()
    changed = Enquiry.objects.filter(pk=enquiry.pk, status__in=list(from_statuses)).update(
        status=Enquiry.Status.CLOSED, closed_at=now, auto_close_at=None, deadline_at=None, broadcast_at=None
    )
    if changed != 1:
        return False
    _end_pending_transfer(enquiry, reason="closed")
    enquiry.status, enquiry.closed_at, enquiry.auto_close_at = Enquiry.Status.CLOSED, now, None
    enquiry.deadline_at = enquiry.broadcast_at = None
    _log(enquiry, EnquiryEvent.Type.CLOSED, actor=actor, by_visitor=by_visitor)
    room_services.system_message_post(
        room_id=_room_id(enquiry), **system_message_fields("closed", data={"bot": "closed"})
    )
    told = {*staff_ids, *([enquiry.owner_id] if enquiry.owner_id else [])}
    send_event_on_commit(_audience(enquiry, staff_ids=sorted(told)), EnquiryClosed(enquiry_id=enquiry.pk))
    return True


VISITOR_ENDABLE = (Enquiry.Status.OPEN, Enquiry.Status.HANDLING, Enquiry.Status.RESOLVED)


def enquiry_end_by_visitor(*, visitor: Visitor, enquiry_id: int) -> Enquiry:
    """The visitor ends its own conversation (the widget's "Start a new conversation" while
    one is going on): a waiting enquiry leaves the alerted staff's panels, a handled or
    resolved one closes for its owner; a system message tells staff. Ending one that has
    already ended changes nothing (the answer is the same), so a retry is harmless.
    Locks the visitor row, then the enquiry row."""
    with transaction.atomic():
        Visitor.objects.select_for_update(no_key=True).filter(pk=visitor.pk).first()
        enquiry = Enquiry.objects.select_for_update(no_key=True).filter(pk=enquiry_id, visitor=visitor).first()
        if enquiry is None:
            raise NotFound(_("Conversation not found."))
        if enquiry.status not in VISITOR_ENDABLE:
            return enquiry
        was_open = enquiry.status == Enquiry.Status.OPEN
        alerted = _live_alert_staff_ids(enquiry) if was_open else []
        room_services.system_message_post(
            room_id=_room_id(enquiry), text=_("The customer ended the conversation."), data={"bot": "visitor_ended"}
        )
        _close(enquiry, actor=None, from_statuses=VISITOR_ENDABLE, by_visitor=True, staff_ids=alerted)
        if was_open:
            _send_queue_positions(enquiry.destination_id)
    return enquiry


def enquiry_leave(*, actor: Staff, enquiry_id: int) -> Enquiry:
    """Leave the enquiry's room. The owner leaving closes the enquiry at once; a joined
    participant just leaves."""
    with transaction.atomic():
        enquiry = _lock_enquiry(enquiry_id)
        room_id = _room_id(enquiry)
        member = RoomMember.objects.filter(room_id=room_id, staff=actor).first()
        if member is None:
            handed = (
                enquiry.transfers.filter(status=Transfer.Status.ACCEPTED, from_staff=actor)
                .select_related("accepted_by")
                .order_by("-id")
                .first()
            )
            if handed is not None and handed.accepted_by is not None and enquiry.owner_id != actor.pk:
                # The transfer's target accepted a moment before this Leave: nothing to
                # leave any more, and the enquiry stays open with them.
                raise Conflict(
                    _(
                        "%(name)s accepted your transfer before you left: the enquiry is theirs now "
                        "and stays open, and you are no longer in its room."
                    )
                    % {"name": handed.accepted_by.display_name},
                    code="transferred",
                )
            raise NotAuthorized("You are not in this enquiry's room.")
        if enquiry.owner_id == actor.pk:
            if enquiry.status not in (Enquiry.Status.HANDLING, Enquiry.Status.RESOLVED):
                raise Conflict(f"This enquiry is already {enquiry.status}.")
            conversation_tag_required_check(enquiry, "close")
            _log(enquiry, EnquiryEvent.Type.LEFT, actor=actor)
            _close(enquiry, actor=actor, from_statuses=[Enquiry.Status.HANDLING, Enquiry.Status.RESOLVED])
        else:
            room_services.room_member_remove(room=Room(pk=room_id), staff_id=actor.pk)
            _log(enquiry, EnquiryEvent.Type.LEFT, actor=actor)
            room_services.system_message_post(
                room_id=room_id, **system_message_fields("left", {"name": actor.display_name})
            )
    return enquiry


# ---------------------------------------------------------------------------- supervision (SPEC 5): join, take over


def _require_supervisor(actor: Staff) -> None:
    if not actor.is_admin:
        raise NotAuthorized("Only admins can supervise enquiries.")


def enquiry_join(*, actor: Staff, enquiry_id: int) -> Enquiry:
    """Become a participant (not owner) of an enquiry's room."""
    _require_supervisor(actor)
    with transaction.atomic():
        enquiry = _lock_enquiry(enquiry_id)
        if enquiry.status not in (Enquiry.Status.HANDLING, Enquiry.Status.RESOLVED):
            raise Conflict(f"Only an enquiry being handled can be joined; this one is {enquiry.status}.")
        room = Room.objects.get(enquiry=enquiry)
        if RoomMember.objects.filter(room=room, staff=actor).exists():
            raise Conflict("You are already in this room.", code="already_member")
        also = [ADMINS_GROUP]
        if enquiry.owner_id:
            also.append(staff_group(enquiry.owner_id))
        room_services.room_member_add(
            room=room, staff=actor, role=RoomMember.Role.PARTICIPANT, also=also, enquiry_id=enquiry.pk
        )
        _log(enquiry, EnquiryEvent.Type.JOINED, actor=actor)
        room_services.system_message_post(
            room_id=room.pk,
            text=f"{actor.display_name} (admin) joined the conversation.",
            data=system_message_fields("joined", {"name": actor.display_name})["data"],
        )
    return enquiry


def enquiry_take_over(*, actor: Staff, enquiry_id: int) -> Enquiry:
    """Become the owner; the previous owner stays as a participant and is told."""
    _require_supervisor(actor)
    with transaction.atomic():
        enquiry = _lock_enquiry(enquiry_id)
        if enquiry.status not in (Enquiry.Status.HANDLING, Enquiry.Status.RESOLVED):
            raise Conflict(f"Only an enquiry being handled can be taken over; this one is {enquiry.status}.")
        if enquiry.owner_id == actor.pk:
            raise Conflict("You already own this enquiry.", code="already_owner")
        room = Room.objects.get(enquiry=enquiry)
        previous_id = enquiry.owner_id
        if enquiry.transfers.filter(status=Transfer.Status.PENDING).exists():
            _end_pending_transfer(enquiry, reason="taken_over")
        enquiry.owner = actor
        enquiry.save(update_fields=["owner"])
        if previous_id:
            RoomMember.objects.filter(room=room, staff_id=previous_id).update(role=RoomMember.Role.PARTICIPANT)
        # The visitor hears of a new person, or (one already in the room) of whom they now talk to.
        was_member = RoomMember.objects.filter(room=room, staff=actor).exists()
        room_services.room_member_add(room=room, staff=actor, role=RoomMember.Role.OWNER)
        _log(enquiry, EnquiryEvent.Type.TAKEN_OVER, actor=actor, data={"previous_owner": previous_id})
        room_services.system_message_post(
            room_id=room.pk,
            text=f"{actor.display_name} (admin) took over this conversation.",
            data=system_message_fields("looks_after" if was_member else "joined", {"name": actor.display_name})["data"],
        )
        groups = [room_group(room.pk), staff_group(actor.pk), ADMINS_GROUP, visitor_group(enquiry.visitor_id)]
        if previous_id:
            groups.append(staff_group(previous_id))
        send_event_on_commit(
            groups,
            RoomTakenOver(
                room_id=room.pk,
                enquiry_id=enquiry.pk,
                by_id=actor.pk,
                by_name=actor.display_name,
                previous_owner_id=previous_id,
            ),
        )
    return enquiry


# ---------------------------------------------------------------------------- visitor: rating and note


def enquiry_rate(*, visitor: Visitor, enquiry_id: int, score: Any, comment: Any = "") -> Enquiry:
    """The visitor rates the conversation, once: after resolve, after staff ended it (closed,
    the owner's Leave included), or while it goes on when staff asked for a rating or the
    channel lets visitors rate any time (``enquiries.selectors.rating_open``)."""
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        raise InvalidInput.field("score", _("The score must be a whole number from 1 to 5."))
    comment = comment or ""
    if not isinstance(comment, str) or len(comment) > 2000:
        raise InvalidInput.field("comment", _("The comment is limited to 2,000 characters."))
    text_check(comment, field="comment")
    with transaction.atomic():
        enquiry = _lock_enquiry(enquiry_id)
        if enquiry.visitor_id != visitor.pk:
            raise NotFound("Enquiry not found.")
        if enquiry.rating_score is not None:
            raise Conflict(_("You have already rated this conversation."), code="rated")
        if not rating_open(enquiry):
            raise Conflict(_("You can rate a conversation once it has been resolved."), code=enquiry.status)
        enquiry.rating_score, enquiry.rating_comment, enquiry.rated_at = score, comment.strip(), clock.now()
        enquiry.save(update_fields=["rating_score", "rating_comment", "rated_at"])
        _log(enquiry, EnquiryEvent.Type.RATED, by_visitor=True, data={"score": score})
        # Ratings are for admins; the owner (an agent) sees them only if the setting says so.
        groups = [ADMINS_GROUP]
        if enquiry.owner_id is not None and org_settings_get().ratings_visible_to_agents:
            groups.append(staff_group(enquiry.owner_id))
        send_event_on_commit(groups, EnquiryRated(enquiry_id=enquiry.pk, score=score))
    return enquiry


def enquiry_rating_invite(*, actor: Staff, enquiry_id: int) -> Enquiry:
    """The owner (or an admin) asks the visitor to rate: a system message in the room and
    ``enquiry.rating_invited`` to the visitor, whose widget then shows the rating card.
    Refused (409) once rated, or for an enquiry nobody handled (open, missed). Asking
    again posts the request again."""
    with transaction.atomic():
        enquiry = _lock_enquiry(enquiry_id)
        if not actor.is_admin and enquiry.owner_id != actor.pk:
            raise NotAuthorized(_("Only the enquiry's owner or an admin can ask for a rating."))
        if enquiry.rating_score is not None:
            raise Conflict(_("The customer has already rated this conversation."), code="rated")
        if enquiry.status not in (Enquiry.Status.HANDLING, Enquiry.Status.RESOLVED, Enquiry.Status.CLOSED):
            raise Conflict(
                _("Only a conversation someone handled can be rated; this one is %(status)s.")
                % {"status": enquiry.status},
                code=enquiry.status,
            )
        enquiry.rating_invited_at = clock.now()
        enquiry.save(update_fields=["rating_invited_at"])
        _log(enquiry, EnquiryEvent.Type.RATING_INVITED, actor=actor)
        # Worded in the visitor's language when they read it (rooms.system_texts).
        room_services.system_message_post(
            room_id=_room_id(enquiry),
            **system_message_fields("rating_invite", {"name": actor.display_name}, data={"bot": "rating_invite"}),
        )
        send_event_on_commit(_audience(enquiry, staff_ids=[actor.pk]), EnquiryRatingInvited(enquiry_id=enquiry.pk))
    return enquiry


# A note carries at most this many files (each within CC_MAX_UPLOAD_BYTES).
NOTE_MAX_FILES = 5


def _note_clean(text: Any, contact: Any) -> tuple[str, str]:
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput.field("text", _("The note cannot be empty."))
    if len(text) > settings.CC_NOTE_MAX_CHARS:
        raise InvalidInput.field(
            "text", _("The note is limited to %(limit)s characters.") % {"limit": f"{settings.CC_NOTE_MAX_CHARS:,}"}
        )
    contact = contact or ""
    if not isinstance(contact, str) or len(contact) > 255:
        raise InvalidInput.field("contact", _("Contact details are limited to 255 characters."))
    return text_check(text.strip(), field="text"), text_check(contact.strip(), field="contact")


def _note_files_store(uploads: Sequence[UploadedFile]) -> list[dict[str, Any]]:
    """Check and store a note's files as chat uploads are (``rooms.files.file_store``: by
    content, CC_MAX_UPLOAD_BYTES); on any refusal, those already stored are deleted and the
    refusal names the field "files"."""
    if len(uploads) > NOTE_MAX_FILES:
        raise InvalidInput.field("files", _("A note carries at most %(n)s files.") % {"n": NOTE_MAX_FILES})
    infos: list[dict[str, Any]] = []
    try:
        for upload in uploads:
            try:
                infos.append(room_files.file_store(upload=upload))
            except InvalidInput as exc:
                name = upload.name or "file"
                detail = f"{name}: {exc.message}"
                raise type(exc)(detail, code=exc.code, fields={"files": [detail]}) from None
    except BaseException:
        for info in infos:
            room_files.file_discard(info=info)
        raise
    return infos


def _note_attach(
    enquiry: Enquiry, visitor: Visitor, text: str, contact: str, infos: list[dict[str, Any]]
) -> EnquiryNote:
    """The note on a missed enquiry, its stored files posted in the room as the visitor's
    file messages (posting kind "note_file"), and staff told. Caller holds the enquiry's
    lock inside its transaction and has checked the note may be left."""
    room_id = _room_id(enquiry)
    files: list[dict[str, Any]] = []
    for info in infos:
        message, _created = room_services.message_post_request(
            room_services.PostRequest(room_id, "", visitor=visitor, kind="note_file", data={"file": info})
        )
        files.append({k: info[k] for k in ("name", "category", "content_type", "size")} | {"message": message.pk})
    note = EnquiryNote.objects.create(enquiry=enquiry, text=text, contact=contact, files=files, created_at=clock.now())
    _log(enquiry, EnquiryEvent.Type.NOTE_LEFT, by_visitor=True, data={"files": len(files)} if files else None)
    shown = f"Note from the customer: {note.text}" + (f"\nContact: {note.contact}" if note.contact else "")
    if files:
        shown += "\nFiles: " + ", ".join(f["name"] for f in files)
    room_services.system_message_post(room_id=room_id, text=shown, data={"bot": "note", "visibility": "staff"})
    served = [s.pk for s in destination_staff(enquiry.destination)]
    send_event_on_commit([ADMINS_GROUP] + [staff_group(i) for i in served], EnquiryNoteLeft(enquiry_id=enquiry.pk))
    return note


def enquiry_leave_note(
    *, visitor: Visitor, enquiry_id: int, text: Any, contact: Any = "", uploads: Sequence[UploadedFile] = ()
) -> EnquiryNote:
    """The visitor leaves a note (with up to NOTE_MAX_FILES files) on their missed
    enquiry, once. The files are stored before the transaction and deleted again if the
    note is refused."""
    text, contact = _note_clean(text, contact)
    infos = _note_files_store(uploads)
    try:
        with transaction.atomic():
            enquiry = _lock_enquiry(enquiry_id)
            if enquiry.visitor_id != visitor.pk:
                raise NotFound("Enquiry not found.")
            if enquiry.status != Enquiry.Status.MISSED:
                raise Conflict(_("A note can be left only when nobody could answer."), code=enquiry.status)
            if EnquiryNote.objects.filter(enquiry=enquiry).exists():
                raise Conflict(_("You have already left a note."), code="note_left")
            return _note_attach(enquiry, visitor, text, contact, infos)
    except BaseException:
        for info in infos:
            room_files.file_discard(info=info)
        raise


# ---------------------------------------------------------------------------- missed: follow-up


def _follow_up_lock(actor: Staff, enquiry_id: int) -> Enquiry:
    enquiry = _lock_enquiry(enquiry_id)
    if enquiry.status != Enquiry.Status.MISSED:
        raise Conflict(
            _("Only a missed enquiry is followed up; this one is %(status)s.") % {"status": enquiry.status},
            code=enquiry.status,
        )
    if not may_follow_up(actor, enquiry):
        raise NotAuthorized(
            _(
                "Only the staff this enquiry's destination serves, the colleague it is assigned to and admins "
                "may follow it up."
            )
        )
    return enquiry


def _follow_up_announce(enquiry: Enquiry, *also: int | None) -> None:
    ids = {s.pk for s in destination_staff(enquiry.destination)}
    ids.update(i for i in (enquiry.followup_assignee_id, *also) if i)
    send_event_on_commit(
        [ADMINS_GROUP, room_group(_room_id(enquiry))] + [staff_group(i) for i in sorted(ids)],
        EnquiryFollowUp(
            enquiry_id=enquiry.pk,
            handled=enquiry.followup_handled_at is not None,
            assignee_id=enquiry.followup_assignee_id,
        ),
    )


def missed_follow_up_join(*, actor: Staff, enquiry_id: int) -> Enquiry:
    """Take part in a missed enquiry's room to follow it up: ``actor`` (who may follow it
    up) becomes a participant, so that they can write to the customer (by the channel the
    customer came from: rooms' posting and the outbound send with its reply window).
    Joining twice changes nothing."""
    with transaction.atomic():
        enquiry = _follow_up_lock(actor, enquiry_id)
        room_id = _room_id(enquiry)
        if not RoomMember.objects.filter(room_id=room_id, staff=actor).exists():
            room_services.room_member_add(room=Room(pk=room_id), staff=actor, also=[ADMINS_GROUP])
            _log(enquiry, EnquiryEvent.Type.FOLLOW_UP_JOINED, actor=actor)
            room_services.system_message_post(
                room_id=room_id,
                text=_("%(name)s is following up this missed enquiry.") % {"name": actor.display_name},
                data={"visibility": "staff"},
            )
    return enquiry


_UNCHANGED: Any = object()


def missed_follow_up_update(
    *, actor: Staff, enquiry_id: int, handled: bool | None = None, assignee: Staff | None = _UNCHANGED
) -> Enquiry:
    """Mark a missed enquiry's follow-up handled (or not handled again) and/or assign it to
    a colleague (``assignee`` None: to nobody). Allowed to whoever may follow it up; the
    assignee must be an active staff member. Announced (``enquiry.follow_up``) to admins,
    the destination's staff and the assignees old and new."""
    if assignee is not _UNCHANGED and assignee is not None and not assignee.is_active:
        raise InvalidInput.field("assignee", _("This staff member is not active."))
    with transaction.atomic():
        enquiry = _follow_up_lock(actor, enquiry_id)
        previous = enquiry.followup_assignee_id
        fields: list[str] = []
        if assignee is not _UNCHANGED and (assignee.pk if assignee else None) != previous:
            enquiry.followup_assignee = assignee
            fields.append("followup_assignee")
            _log(
                enquiry,
                EnquiryEvent.Type.FOLLOW_UP_ASSIGNED,
                actor=actor,
                data={"assignee": assignee.pk if assignee else None, "previous": previous},
            )
            text = (
                _("%(name)s assigned the follow-up to %(assignee)s.")
                % {"name": actor.display_name, "assignee": assignee.display_name}
                if assignee
                else _("%(name)s unassigned the follow-up.") % {"name": actor.display_name}
            )
            room_services.system_message_post(room_id=_room_id(enquiry), text=text, data={"visibility": "staff"})
        if handled is not None and handled != (enquiry.followup_handled_at is not None):
            enquiry.followup_handled_at = clock.now() if handled else None
            enquiry.followup_handled_by = actor if handled else None
            fields += ["followup_handled_at", "followup_handled_by"]
            _log(
                enquiry,
                EnquiryEvent.Type.FOLLOW_UP_HANDLED if handled else EnquiryEvent.Type.FOLLOW_UP_REOPENED,
                actor=actor,
            )
            text = (
                _("%(name)s marked the follow-up handled.") % {"name": actor.display_name}
                if handled
                else _("%(name)s marked the follow-up not handled.") % {"name": actor.display_name}
            )
            room_services.system_message_post(room_id=_room_id(enquiry), text=text, data={"visibility": "staff"})
        if fields:
            enquiry.save(update_fields=fields)
            _follow_up_announce(enquiry, previous)
    return enquiry


# ---------------------------------------------------------------------------- timers


def _overdue_ids(query: Any) -> list[int]:
    return list(query.order_by().values_list("id", flat=True)[:500])


def _sweep_enquiries(status: str, deadline_field: str, now: dt.datetime, act: Callable[[Enquiry], bool]) -> int:
    """Apply ``act`` once to each enquiry in ``status`` whose ``deadline_field`` is due.

    Each enquiry is re-read under its row lock and re-checked, so sweeps running at the same
    time in several processes (beat, the task at the deadline, the ticker) act exactly once.
    """
    count = 0
    query = Enquiry.objects.filter(status=status, **{f"{deadline_field}__lte": now})
    for enquiry_id in _overdue_ids(query):
        with transaction.atomic():
            enquiry = Enquiry.objects.select_for_update(no_key=True).filter(pk=enquiry_id).first()
            due = getattr(enquiry, deadline_field, None)
            if enquiry is not None and enquiry.status == status and due is not None and due <= now:
                count += int(act(enquiry))
                metrics.deadline_fired(deadline_field, due, clock.now())
    return count


def enquiries_expire_overdue(now: dt.datetime) -> int:
    """Miss every open enquiry past its 60 s deadline."""
    return _sweep_enquiries(Enquiry.Status.OPEN, "deadline_at", now, lambda e: _miss(e, Enquiry.MissedReason.TIMEOUT))


def enquiries_broadcast_due(now: dt.datetime) -> int:
    """End returning customers' head starts that are due."""

    def act(enquiry: Enquiry) -> bool:
        _broadcast_rest(enquiry)
        return True

    return _sweep_enquiries(Enquiry.Status.OPEN, "broadcast_at", now, act)


def transfers_lapse_overdue(now: dt.datetime) -> int:
    count = 0
    for transfer_id in _overdue_ids(Transfer.objects.filter(status=Transfer.Status.PENDING, deadline_at__lte=now)):
        with transaction.atomic():
            transfer = Transfer.objects.filter(pk=transfer_id).first()
            if transfer is None:
                continue
            enquiry = _lock_enquiry(transfer.enquiry_id)
            transfer.refresh_from_db()
            if transfer.status == Transfer.Status.PENDING and transfer.deadline_at <= now:
                count += _transfer_lapse(enquiry, transfer, reason="timeout")
    return count


def enquiry_close_if_due(*, enquiry: Enquiry) -> bool:
    """Close a resolved enquiry whose auto-close time has passed, as the sweep would a moment
    later; True if it did. Posting calls this first, so that a customer writing in that
    moment is told the conversation is closed instead of reopening it. Caller holds the
    enquiry's lock."""
    if enquiry.status != Enquiry.Status.RESOLVED or enquiry.auto_close_at is None:
        return False
    if enquiry.auto_close_at > clock.now():
        return False
    return _close(enquiry, actor=None, from_statuses=[Enquiry.Status.RESOLVED])


def enquiries_auto_close_due(now: dt.datetime) -> int:
    """Close resolved enquiries whose auto-close time has come."""
    return _sweep_enquiries(
        Enquiry.Status.RESOLVED,
        "auto_close_at",
        now,
        lambda e: _close(e, actor=None, from_statuses=[Enquiry.Status.RESOLVED]),
    )


def timers_sweep(now: dt.datetime | None = None) -> dict[str, int]:
    """Enforce every deadline that is due, idle staff sessions included. Called by the beat
    sweep (every second), by the task scheduled at each deadline, and by the embedded ticker."""
    now = now or clock.now()
    done = {
        "broadcast": enquiries_broadcast_due(now),
        "missed": enquiries_expire_overdue(now),
        "transfers_lapsed": transfers_lapse_overdue(now),
        "closed": enquiries_auto_close_due(now),
        "sessions_expired": staff_sessions_expire_due(now),
    }
    heartbeat.sweep_done()  # /readyz: the timers run
    return done


def widget_enquiry_open(
    *,
    channel: Channel,
    visitor: Visitor | None,
    fields: dict[str, Any],
    device: Any,
    utm: Any,
    message: str,
    tag: Tag | None = None,
    staff: Staff | None = None,
    client_address: str = "",
    entry: str = "",
    replaces: int | None = None,
    language: str = "",
) -> Enquiry:
    """A website visitor (new, or returning with its token) opens an enquiry. Visitor and
    enquiry are written together or not at all. ``replaces``: the visitor's conversation
    going on, which it ends first (``enquiry_end_by_visitor``), in the same transaction.
    ``client_address`` (the request's, under the declared proxies) gives the customer's
    country; ``entry`` is the page the widget says it runs in: "weblink" counts only for a
    channel that has a web link. ``language``: the widget's (one of settings.LANGUAGES),
    kept as the visitor's chat_language: their system messages, and what their socket says,
    are worded in it (rooms.system_texts)."""
    via = channel.kind
    if channel.kind == ChannelKind.WEBLINK or (entry == ChannelKind.WEBLINK and channel.weblink_slug):
        via = ChannelKind.WEBLINK
    if not isinstance(message, str) or not message.strip():
        raise InvalidInput.field("message", _("Write a message to start the conversation."))
    with transaction.atomic():
        if replaces is not None:
            if visitor is None:
                raise InvalidInput.field("replaces", _("Only a returning visitor can replace a conversation."))
            # Ended and opened in one transaction: never two open, never none on a refusal.
            if not Enquiry.objects.filter(pk=replaces, visitor=visitor).exists():
                raise InvalidInput.field("replaces", _("Unknown conversation."))
            enquiry_end_by_visitor(visitor=visitor, enquiry_id=replaces)
        new_visitor = visitor is None
        # One moment for the opening and a new customer's last_seen_at (written with it).
        now = clock.now()
        visitor = _widget_visitor(channel, visitor, fields, device, utm, language=language, seen_at=now)
        return enquiry_open(
            channel=channel,
            visitor=visitor,
            message=message.strip(),
            tag=tag,
            staff=staff,
            via=via,
            client_country=country_for_address(client_address),
            new_visitor=new_visitor,
            now=now,
        )


def _widget_visitor(
    channel: Channel,
    visitor: Visitor | None,
    fields: dict[str, Any],
    device: Any,
    utm: Any,
    *,
    language: str = "",
    seen_at: dt.datetime | None = None,
) -> Visitor:
    """A new visitor from the widget's form, or the returning one with what it typed now
    (``language``: the widget's, kept as the visitor's chat_language)."""
    if visitor is None:
        # The caller's transaction writes the visitor and the enquiry together or not at all.
        return visitor_create(
            channel=channel, fields=fields, device=device, utm=utm, language=language, savepoint=False, seen_at=seen_at
        )
    changes = {k: v for k, v in _clean_visitor_fields(fields).items() if v}
    for key, value in changes.items():
        setattr(visitor, key, value)
    visitor.device = _clean_device(device) or visitor.device
    new_utm = _clean_map("utm", utm)
    if any(not k.startswith("utm_") for k in new_utm):
        raise InvalidInput.field("utm", "UTM keys must start with 'utm_'.")
    visitor.utm = new_utm or visitor.utm
    visitor.chat_language = language[:20] or visitor.chat_language
    visitor.save(update_fields=[*changes, "device", "utm", "chat_language"])
    return visitor


_PHONE = re.compile(r"^\+?[0-9][0-9 ()./-]{4,38}$")


def _visitor_contact_keep(visitor: Visitor, contact: str) -> None:
    """A note's contact becomes the visitor's email or phone where it has none, so that the
    follow-up can reach them (a reply to a widget visitor also goes by email)."""
    field = ""
    if not contact or len(contact) > 254:  # the email column's length; a phone is shorter
        return
    try:
        validate_email(contact)
        field = "email"
    except ValidationError:
        if _PHONE.match(contact):
            field = "phone"
    if field and not getattr(visitor, field):
        setattr(visitor, field, contact)
        visitor.save(update_fields=[field])


def widget_note_leave(
    *,
    channel: Channel,
    visitor: Visitor | None,
    fields: dict[str, Any],
    device: Any,
    utm: Any,
    text: Any,
    contact: Any = "",
    uploads: Sequence[UploadedFile] = (),
    tag: Tag | None = None,
    staff: Staff | None = None,
    client_address: str = "",
) -> EnquiryNote:
    """A website visitor leaves a note without chatting (the widget's Note button): an
    enquiry of ``channel`` (to ``tag``/``staff`` or the channel's destination) missed at
    once (reason "note_left") with the note and its files, on the destination's missed list
    for follow-up. Refused (409) while the visitor has a conversation going on, or when the
    channel hides the Note button, except out of hours (when the widget offers the note
    form instead of a chat). Visitor, enquiry, note and file messages are written together
    or not at all; the files are stored first and deleted again on any refusal."""
    if not channel.note_button and within_work_hours(clock.now(), org_settings_get().work_hours):
        raise Conflict("Notes are not taken here; start a conversation instead.", code="note_button_off")
    text, contact = _note_clean(text, contact)
    infos = _note_files_store(uploads)
    try:
        with transaction.atomic():
            visitor = _widget_visitor(channel, visitor, fields, device, utm)
            _visitor_contact_keep(visitor, contact)
            enquiry = enquiry_open(
                channel=channel,
                visitor=visitor,
                tag=tag,
                staff=staff,
                via=channel.kind,
                client_country=country_for_address(client_address),
                note_only=True,
            )
            enquiry.first_message = text[:1000]
            enquiry.save(update_fields=["first_message"])
            return _note_attach(enquiry, visitor, text, contact, infos)
    except BaseException:
        for info in infos:
            room_files.file_discard(info=info)
        raise
