"""State changes of rooms and messages."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, OperationalError, connection, transaction

from contactcenter import clock
from contactcenter.errors import Conflict, DomainError, InvalidInput, NotAuthorized, NotFound, timed_out
from contactcenter.events import (
    MessageCreated,
    MessageEdited,
    MessageRecalled,
    Read,
    RoomMemberJoined,
    RoomMemberLeft,
    room_group,
    staff_group,
    visitor_group,
)
from contactcenter.models import Staff
from contactcenter.realtime import send_event_on_commit
from contactcenter.text import text_check
from rooms.models import Message, Room, RoomMember
from rooms.selectors import message_data, message_visible_to_visitor

if TYPE_CHECKING:
    from enquiries.models import Enquiry, Visitor

logger = logging.getLogger(__name__)


def room_create_for_enquiry(*, enquiry: Enquiry) -> Room:
    return Room.objects.create(kind=Room.Kind.ENQUIRY, enquiry=enquiry)


def room_member_add(
    *,
    room: Room,
    staff: Staff,
    role: str | None = None,
    also: Sequence[str] = (),
    enquiry_id: int | None = None,
) -> RoomMember:
    """Make ``staff`` a member of ``room`` (the one way in; call inside the caller's
    transaction). A new member is announced by one ``room.member_joined`` on commit, to the
    room, to the staff member (their sockets join the room's group on it) and to ``also``;
    ``enquiry_id`` is set when a supervisor joins an enquiry's room (the dashboard tells the
    room). ``role``: the new member's (participant by default); for an existing member, a
    role given replaces theirs and no event is sent."""
    member, created = RoomMember.objects.get_or_create(
        room=room, staff=staff, defaults={"role": role or RoomMember.Role.PARTICIPANT}
    )
    if not created and role is not None and member.role != role:
        member.role = role
        member.save(update_fields=["role"])
    if created:
        send_event_on_commit(
            [room_group(room.pk), staff_group(staff.pk), *also],
            RoomMemberJoined(room_id=room.pk, staff_id=staff.pk, staff_name=staff.display_name, enquiry_id=enquiry_id),
        )
    return member


def room_member_remove(*, room: Room, staff_id: int) -> RoomMember | None:
    """Remove ``staff_id`` from ``room`` (the one way out; call inside the caller's
    transaction): one ``room.member_left`` on commit, to the room and to the staff member
    (their sockets leave the room's group on it). Returns the removed member, or None when
    they were not one (no event)."""
    member = RoomMember.objects.filter(room=room, staff_id=staff_id).first()
    if member is None:
        return None
    member.delete()
    send_event_on_commit(
        [room_group(room.pk), staff_group(staff_id)], RoomMemberLeft(room_id=room.pk, staff_id=staff_id)
    )
    return member


def _events_for_message(room: Room, message: Message, event_cls: type = MessageCreated) -> None:
    data = message_data(message)
    groups = [room_group(room.pk)]
    send_event_on_commit(groups, event_cls(message=data))
    # Visitors have their own group so that a visitor socket needs no room lookups.
    if room.enquiry_id is not None and message_visible_to_visitor(message):
        visitor_id = room.enquiry.visitor_id  # type: ignore[union-attr]
        send_event_on_commit([visitor_group(visitor_id)], event_cls(message=data))


def _insert(
    *,
    room_id: int,
    kind: str,
    text: str,
    author_staff: Staff | None = None,
    author_visitor: Visitor | None = None,
    client_id: str = "",
    reply_to: Message | None = None,
    data: dict[str, Any] | None = None,
    forwarded_from: Message | None = None,
    room: Room | None = None,
) -> Message:
    """Insert a message while holding the room's row lock until commit.

    Holding the lock makes commit order equal id order within a room, so a client that
    asks for messages ``after`` the last id it has can never skip one that commits late.
    The lock is taken by the UPDATE of ``last_message_at``, before the message gets its id,
    so a post costs one statement for both. ``room`` (with its enquiry) saves a re-read.
    """
    now = clock.now()
    with transaction.atomic(savepoint=False):
        if not Room.objects.filter(pk=room_id).update(last_message_at=now):
            raise NotFound("Room not found.")
        if room is None or room.pk != room_id:
            room = Room.objects.select_related("enquiry").get(pk=room_id)
        message = Message.objects.create(
            room=room,
            kind=kind,
            text=text,
            author_staff=author_staff,
            author_visitor=author_visitor,
            client_id=client_id,
            reply_to=reply_to,
            data=data or {},
            forwarded_from=forwarded_from,
            created_at=now,
        )
        _events_for_message(room, message)
    return message


def system_message_post(*, room_id: int, text: str, data: dict[str, Any] | None = None) -> Message:
    """A system/bot message. ``data["visibility"] == "staff"`` hides it from the visitor."""
    return _insert(room_id=room_id, kind=Message.Kind.SYSTEM, text=text, data=data)


def _clean_text(text: Any) -> str:
    if not isinstance(text, str):
        raise InvalidInput.field("text", "Text must be a string.")
    text = text.strip()
    if not text:
        raise InvalidInput.field("text", "Message text cannot be empty.")
    if len(text) > settings.CC_MESSAGE_MAX_CHARS:
        raise InvalidInput.field("text", f"Message text is limited to {settings.CC_MESSAGE_MAX_CHARS} characters.")
    return text_check(text, field="text")


def _clean_client_id(client_id: Any) -> str:
    if client_id is None:
        return ""
    if not isinstance(client_id, str) or len(client_id) > 64:
        raise InvalidInput.field("client_id", "client_id must be a string of at most 64 characters.")
    return text_check(client_id, field="client_id")


def _existing(room_id: int, client_id: str, staff: Staff | None, visitor: Visitor | None) -> Message | None:
    if not client_id:
        return None
    query = Message.objects.filter(room_id=room_id, client_id=client_id)
    query = query.filter(author_staff=staff) if staff is not None else query.filter(author_visitor=visitor)
    return query.first()


@dataclass(frozen=True)
class PostRequest:
    """One text message to post (see ``messages_post``). Exactly one of staff/visitor."""

    room_id: int
    text: Any
    client_id: Any = ""
    staff: Staff | None = None
    visitor: Visitor | None = None
    reply_to_id: int | None = None


class PostFailed(DomainError):
    """A post the database refused for a reason no check foresaw (its batch's others
    went in); the client may try again."""

    status_code = 500
    default_message = "Something went wrong. Try again."


# What ``messages_post`` gives back for each request: (message, created) or the refusal.
PostResult = tuple[Message, bool] | DomainError


def message_post(
    *,
    room_id: int,
    text: Any,
    client_id: Any = "",
    staff: Staff | None = None,
    visitor: Visitor | None = None,
    reply_to_id: int | None = None,
) -> tuple[Message, bool]:
    """Post a text message as ``staff`` or ``visitor``. Returns (message, created).

    A retry with the same ``client_id`` returns the first message and creates nothing.
    A visitor writing to a resolved enquiry reopens it to the same owner. Locks: the
    enquiry row, then the room row (SPEC lock order). Raises the refusal as a DomainError.
    """
    if (staff is None) == (visitor is None):
        raise ValueError("exactly one author")
    request = PostRequest(room_id, text, client_id, staff, visitor, reply_to_id)
    result = messages_post([request])[0]
    if isinstance(result, DomainError):
        raise result
    return result


def messages_post(requests: Sequence[PostRequest]) -> list[PostResult]:
    """Post several text messages in one transaction: the same rules, locks and events as
    ``message_post`` for each, with one answer per request in order.

    This is the group commit of the socket writer (``contactcenter/socket_writer.py``): the
    statements are per batch, not per message (lock the enquiries, check memberships,
    stamp and lock the rooms, one multi-row INSERT, one COMMIT). A refusal of one request
    (closed enquiry, not a member, ...) does not affect the others. If the batch fails as a
    whole (a client_id racing in from another connection, a deadlock, a lock timeout), each
    request is retried in a transaction of its own, so one bad request never sinks another.
    A request that times out on its own (the connection's lock_timeout/statement_timeout)
    is answered ``Busy`` (503, nothing stored).
    """
    results: list[PostResult | None] = [None] * len(requests)
    cleaned: dict[int, tuple[str, str]] = {}
    for i, request in enumerate(requests):
        if (request.staff is None) == (request.visitor is None):
            raise ValueError("exactly one author")
        try:
            cleaned[i] = (_clean_text(request.text), _clean_client_id(request.client_id))
        except DomainError as exc:
            results[i] = exc
    if cleaned:
        try:
            with transaction.atomic():
                _post_batch(requests, cleaned, results)
        except (DatabaseError, ValueError) as exc:
            # ValueError: a value the driver refuses to send (checked above, but one bad
            # request must never sink the others however it fails).
            if len(cleaned) > 1:
                for i in cleaned:
                    try:
                        results[i] = messages_post([requests[i]])[0]
                    except (DatabaseError, ValueError):
                        logger.exception("posting a message to room %s failed", requests[i].room_id)
                        results[i] = PostFailed()
            elif not isinstance(exc, IntegrityError | OperationalError):
                raise
            else:
                # A retry of a stored message (or the same client_id racing in from another
                # connection): the first one.
                (i,) = cleaned
                existing = _existing(requests[i].room_id, cleaned[i][1], requests[i].staff, requests[i].visitor)
                if existing is not None:
                    results[i] = (existing, False)
                elif (busy := timed_out(exc)) is not None:
                    # The connection's lock or statement timeout (the socket writer sets
                    # them): nothing stored, the client tries again later (503).
                    logger.warning("posting a message to room %s timed out: %s", requests[i].room_id, exc)
                    results[i] = busy
                else:
                    raise exc
    # A retry of a stored message returns the first one even if the room has since been
    # closed (so the refusal is not the answer to a message that is there).
    for i, result in enumerate(results):
        if isinstance(result, DomainError) and i in cleaned and cleaned[i][1]:
            existing = _existing(requests[i].room_id, cleaned[i][1], requests[i].staff, requests[i].visitor)
            if existing is not None:
                results[i] = (existing, False)
    return results  # type: ignore[return-value]


def _post_batch(
    requests: Sequence[PostRequest], cleaned: dict[int, tuple[str, str]], results: list[PostResult | None]
) -> None:
    """The body of ``messages_post``, inside its transaction. Fills ``results``."""
    from channels_adapters.outbound import outbound_queue, outbound_refusal
    from rooms.mentions import mention_events, mentions_parse
    from rooms.previews import preview_queue_on_commit

    room_ids = sorted({requests[i].room_id for i in cleaned})
    rooms = _rooms_locked(room_ids)
    now = clock.now()  # under the enquiry locks: created_at follows id order within a room
    staff_pairs = {(r.room_id, r.staff.pk) for r in (requests[i] for i in cleaned) if r.staff is not None}
    members: set[tuple[int, int]] = set()
    if staff_pairs:
        members = set(
            RoomMember.objects.filter(
                room_id__in={r for r, _ in staff_pairs}, staff_id__in={s for _, s in staff_pairs}
            ).values_list("room_id", "staff_id")
        )

    # Checks first (each may refuse its own request), then the writes, which cannot.
    accepted: list[tuple[int, Message, Room, Any]] = []
    for i, (text, client_id) in cleaned.items():
        request = requests[i]
        try:
            room = rooms.get(request.room_id)
            if room is None:
                raise NotFound("Room not found.")
            staff, visitor = request.staff, request.visitor
            is_member = staff is not None and (room.pk, staff.pk) in members
            _post_allowed(room, staff=staff, visitor=visitor, is_member=is_member)
            reply_to = _reply_target(room_id=room.pk, reply_to_id=request.reply_to_id, visitor=visitor)
            channel = None
            if staff is not None and room.enquiry_id is not None:
                channel = room.enquiry.channel  # type: ignore[union-attr]
                refusal = outbound_refusal(channel, room.enquiry.visitor_id)  # type: ignore[union-attr]
                if refusal:
                    raise Conflict(refusal, code="reply_window_closed")
            # Mentions come from staff only: a visitor does not address staff by @name.
            mentions = mentions_parse(text=text, room=room, author_id=staff.pk) if staff is not None else {}
        except DomainError as exc:
            results[i] = exc
            continue
        message = Message(
            room=room,
            kind=Message.Kind.TEXT,
            text=text,
            author_staff=staff,
            author_visitor=visitor,
            client_id=client_id,
            reply_to=reply_to,
            data=mentions or {},
            created_at=now,
        )
        accepted.append((i, message, room, channel))
    if not accepted:
        return

    # A visitor writing to a resolved enquiry reopens it (its system message goes first).
    for _i, message, room, _channel in accepted:
        enquiry = room.enquiry if room.enquiry_id is not None else None
        if enquiry is not None and enquiry.status == "resolved" and message.author_visitor is not None:
            from enquiries import services as enquiry_services

            enquiry_services.enquiry_reopen(enquiry=enquiry)

    _rooms_stamp(sorted({room.pk for _i, _m, room, _c in accepted}), now)
    # A client_id seen before raises IntegrityError, which sends the whole batch back to
    # messages_post for one-by-one retries.
    _messages_insert([message for _i, message, _r, _c in accepted])
    for i, message, room, channel in accepted:
        _events_for_message(room, message)
        mention_events(room=room, message=message)
        preview_queue_on_commit(message)
        if channel is not None:  # Platform/email enquiries: send it to the customer.
            outbound_queue(message=message, channel=channel)
        enquiry = room.enquiry if room.enquiry_id is not None else None
        # first_response_at is loaded only while unanswered (_rooms_locked); the first staff
        # message sets it on the shared instance, so later ones in the batch leave it alone.
        if enquiry is not None and "first_response_at" not in enquiry.get_deferred_fields():
            _record_first_response(enquiry, message.author_staff, message)
        results[i] = (message, True)


# The hot path of messages_post speaks SQL itself: on a 2-core machine like the benchmark's,
# the ORM spent about 1 ms of CPU compiling each of these statements, more than PostgreSQL
# spent running them (bench/RESULTS.md). The statements are built once, at first use, from
# the models' metadata (table and column names from ``_meta``, the INSERT's columns from
# Message's concrete fields), so a renamed or added column cannot be missed; per call only
# the number of "%s" placeholders varies (hence the S608 waivers: every value is a
# parameter). Plain SQL for PostgreSQL and SQLite.

# Message columns the INSERT leaves out: the primary key (RETURNING gives it) and the
# columns a post never sets (NULL until an edit or a recall). Any other field is inserted
# with the instance's value (tests/rooms/test_hot_sql.py keeps this list honest).
MESSAGE_INSERT_EXCLUDED = frozenset({"id", "edited_at", "recalled_at"})


@dataclass(frozen=True)
class _HotSQL:
    rooms_locked: tuple[str, str]  # SELECT before and after the IN list
    rooms_stamp: tuple[str, str]  # UPDATE before and after the IN list
    message_insert: str  # INSERT ... VALUES (without the rows)
    message_row: str  # one row's "(%s, ...)"
    message_returning: str  # " RETURNING id"
    # Per inserted column: the Message attname and how its value is made a parameter.
    message_values: tuple[tuple[str, Any], ...]


def _json_param(field: Any) -> Any:
    return lambda value: json.dumps(value, cls=field.encoder)


def _datetime_param(value: Any) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _generic_param(field: Any) -> Any:
    return lambda value: field.get_db_prep_save(value, connection)


def _param_of(field: Any) -> Any:
    """How a value of ``field`` becomes a query parameter: None (as it is) for the plain
    types, a cheap converter for JSON and datetimes, the field's own (slower) preparation
    for anything else."""
    from django.db import models

    if isinstance(field, models.ForeignKey | models.CharField | models.TextField | models.IntegerField):
        return None
    if isinstance(field, models.BooleanField):
        return None
    if isinstance(field, models.JSONField):
        return _json_param(field)
    if isinstance(field, models.DateTimeField):
        return _datetime_param
    return _generic_param(field)


_hot_sql_built: _HotSQL | None = None


def _hot_sql() -> _HotSQL:
    global _hot_sql_built  # noqa: PLW0603 - built once, on first use (the apps must be loaded)
    if _hot_sql_built is None:
        _hot_sql_built = _hot_sql_build()
    return _hot_sql_built


def _hot_sql_build() -> _HotSQL:
    from channels_adapters.models import Channel
    from enquiries.models import Enquiry

    q = connection.ops.quote_name
    no_key = connection.features.has_select_for_no_key_update

    def col(model: Any, name: str) -> str:
        return q(model._meta.get_field(name).column)

    room, enquiry, channel = (q(m._meta.db_table) for m in (Room, Enquiry, Channel))
    r_id, e_id, c_id = col(Room, "id"), col(Enquiry, "id"), col(Channel, "id")
    rooms_locked = (
        f"SELECT r.{r_id}, r.{col(Room, 'kind')}, e.{e_id}, e.{col(Enquiry, 'status')}, "  # noqa: S608 - names from _meta
        f"e.{col(Enquiry, 'visitor')}, e.{col(Enquiry, 'owner')}, e.{col(Enquiry, 'first_response_at')} IS NULL, "
        f"c.{c_id}, c.{col(Channel, 'kind')} "
        f"FROM {room} r JOIN {enquiry} e ON e.{e_id} = r.{col(Room, 'enquiry')} "
        f"JOIN {channel} c ON c.{c_id} = e.{col(Enquiry, 'channel')} "
        f"WHERE r.{r_id} IN (",
        f") ORDER BY e.{e_id}" + (" FOR NO KEY UPDATE OF e" if no_key else ""),
    )
    stamp = f"UPDATE {room} SET {col(Room, 'last_message_at')} = %s WHERE {r_id} IN ("  # noqa: S608
    if no_key:
        stamp += f"SELECT {r_id} FROM {room} WHERE {r_id} IN ("  # noqa: S608
        rooms_stamp = (stamp, f") ORDER BY {r_id} FOR NO KEY UPDATE)")
    else:
        rooms_stamp = (stamp, ")")
    fields = [f for f in Message._meta.concrete_fields if f.name not in MESSAGE_INSERT_EXCLUDED]
    columns = ", ".join(q(str(f.column)) for f in fields)
    return _HotSQL(
        rooms_locked=rooms_locked,
        rooms_stamp=rooms_stamp,
        message_insert=f"INSERT INTO {q(Message._meta.db_table)} ({columns}) VALUES ",  # noqa: S608
        message_row=f"({_in(fields)})",
        message_returning=f" RETURNING {col(Message, 'id')}",
        message_values=tuple((f.attname, _param_of(f)) for f in fields),
    )


def _in(values: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(values))


def _loaded(model: Any, values: dict[str, Any]) -> Any:
    """An instance as loaded from the database with only ``values`` (by attname); other
    fields are deferred. (``Model.from_db`` takes the values in field order.)"""
    attnames = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(connection.alias, attnames, [values[a] for a in attnames])


def _rooms_locked(room_ids: list[int]) -> dict[int, Room]:
    """The rooms by id, with the enquiry rows of enquiry rooms locked in id order (SPEC lock
    order: enquiries before rooms; one order for every batch, so batches cannot deadlock).

    Loads what posting needs (room kind; enquiry status, visitor, owner, channel and its
    kind; ``first_response_at`` only while it is empty); other fields are deferred and load
    on first use."""
    from channels_adapters.models import Channel
    from enquiries.models import Enquiry

    before, after = _hot_sql().rooms_locked
    rooms: dict[int, Room] = {}
    with connection.cursor() as cursor:
        cursor.execute(before + _in(room_ids) + after, room_ids)
        for row in cursor.fetchall():
            room_id, kind, enquiry_id, status, visitor_id, owner_id, unanswered, channel_id, channel_kind = row
            room = _loaded(Room, {"id": room_id, "kind": kind, "enquiry_id": enquiry_id})
            values = {"id": enquiry_id, "status": status, "visitor_id": visitor_id, "owner_id": owner_id}
            values["channel_id"] = channel_id
            if unanswered:  # loaded (as None) only while no staff has answered yet
                values["first_response_at"] = None
            enquiry = _loaded(Enquiry, values)
            enquiry.channel = _loaded(Channel, {"id": channel_id, "kind": channel_kind})
            room.enquiry = enquiry
            rooms[room_id] = room
    missing = [room_id for room_id in room_ids if room_id not in rooms]
    if missing:  # direct rooms and spaces (no enquiry to lock)
        rooms.update({room.pk: room for room in Room.objects.filter(pk__in=missing)})
    return rooms


def _rooms_stamp(room_ids: list[int], now: Any) -> None:
    """Take the rooms' row locks (in id order) by stamping ``last_message_at``; held until
    commit, they make commit order equal id order within a room (see ``_insert``)."""
    before, after = _hot_sql().rooms_stamp
    with connection.cursor() as cursor:
        cursor.execute(before + _in(room_ids) + after, [connection.ops.adapt_datetimefield_value(now), *room_ids])


def _messages_insert(messages: list[Message]) -> None:
    """One multi-row INSERT; sets each message's id (RETURNING keeps the VALUES order, as
    Django's bulk_create relies on). A client_id seen before raises IntegrityError."""
    sql = _hot_sql()
    params: list[Any] = []
    for m in messages:
        for attname, param in sql.message_values:
            value = getattr(m, attname)
            params.append(value if param is None else param(value))
    with connection.cursor() as cursor:
        cursor.execute(
            sql.message_insert + ", ".join([sql.message_row] * len(messages)) + sql.message_returning,
            params,
        )
        ids = [r[0] for r in cursor.fetchall()]
    for message, pk in zip(messages, ids, strict=True):
        message.pk = pk
        message._state.adding = False
        message._state.db = connection.alias


def _own_message_in_window(
    message_id: int, staff: Staff | None, visitor: Visitor | None, action: str
) -> tuple[Message, Room]:
    """Lock the message's room and return the message if the caller wrote it within the
    edit window. Caller is inside a transaction."""
    message = Message.objects.filter(pk=message_id).first()
    if message is None:
        raise NotFound("Message not found.")
    room = Room.objects.select_for_update(of=("self",), no_key=True).select_related("enquiry").get(pk=message.room_id)
    message.refresh_from_db()
    mine = (staff is not None and message.author_staff_id == staff.pk) or (
        visitor is not None and message.author_visitor_id == visitor.pk
    )
    if not mine:
        raise NotAuthorized(f"You can only {action} your own messages.")
    if message.recalled_at is not None:
        raise Conflict("This message has been recalled.", code="recalled")
    if room.enquiry is not None and room.enquiry.status == "closed":
        raise Conflict("This conversation is closed and read-only.", code="closed")
    window = settings.CC_MESSAGE_EDIT_WINDOW_SECONDS
    if (clock.now() - message.created_at).total_seconds() > window:
        raise Conflict(f"Messages can only be changed within {int(window // 60)} minutes of posting.", code="window")
    return message, room


def message_edit(*, message_id: int, text: Any, staff: Staff | None = None, visitor: Visitor | None = None) -> Message:
    """The author edits a text message within the edit window (5 minutes by default)."""
    text = _clean_text(text)
    with transaction.atomic():
        message, room = _own_message_in_window(message_id, staff, visitor, "edit")
        if message.kind != Message.Kind.TEXT:
            raise Conflict("Only text messages can be edited.", code="not_text")
        message.text = text
        message.edited_at = clock.now()
        message.save(update_fields=["text", "edited_at"])
        _events_for_message(room, message, MessageEdited)
    return message


def message_recall(*, message_id: int, staff: Staff | None = None, visitor: Visitor | None = None) -> Message:
    """The author recalls a message within the edit window: everyone sees a placeholder and
    an attached file is deleted once the transaction commits."""
    with transaction.atomic():
        message, room = _own_message_in_window(message_id, staff, visitor, "recall")
        message.recalled_at = clock.now()
        stored = message.data.get("file", {}).get("path") if isinstance(message.data.get("file"), dict) else None
        message.save(update_fields=["recalled_at"])
        if stored:
            from rooms.files import file_delete_on_commit

            file_delete_on_commit(message)
        _events_for_message(room, message, MessageRecalled)
    return message


def media_state(*, state: str, category: str, **internal: Any) -> dict[str, Any]:
    """``data["media"]`` of a platform message whose file is fetched after it was posted:
    ``state`` loading | loaded | failed, and the label clients show until (or instead of)
    the file, e.g. "image (loading…)". ``internal`` keys (the fetch's bookkeeping) are
    not shown by the API (``rooms.selectors.message_public_data``)."""
    labels = {"loading": f"{category} (loading…)", "failed": f"{category} (could not be loaded)"}
    return {"state": state, "category": category, "label": labels.get(state, category), **internal}


def message_media_settle(*, message_id: int, file_info: dict[str, Any] | None, error: str = "") -> bool:
    """Attach the fetched file to a message posted while its media was loading (or, with
    ``file_info`` None, mark it as not loaded with ``error``), and tell every open client
    with ``message.edited``. False when the message is gone or already settled (another
    try won): the caller discards its copy of the file. Locks the room row, then the
    message is re-read."""
    with transaction.atomic():
        room_id = Message.objects.filter(pk=message_id).values_list("room_id", flat=True).first()
        if room_id is None:
            return False
        room = Room.objects.select_for_update(of=("self",)).select_related("enquiry").get(pk=room_id)
        message = Message.objects.get(pk=message_id)
        media = message.data.get("media")
        if not isinstance(media, dict) or media.get("state") != "loading":
            return False
        category = str(media.get("category") or "file")
        data = dict(message.data)
        if file_info is not None:
            data["file"] = file_info
            data["media"] = media_state(state="loaded", category=category)
        else:
            data["media"] = media_state(state="failed", category=category)
            data["media_error"] = error
        message.data = data
        message.save(update_fields=["data"])
        _events_for_message(room, message, MessageEdited)
    return True


def room_mark_read(*, room_id: int, staff: Staff, message_id: int) -> RoomMember:
    """Move the member's read marker forward (never back)."""
    member = RoomMember.objects.filter(room_id=room_id, staff=staff).first()
    if member is None:
        raise NotAuthorized("You are not a member of this room.")
    if not Message.objects.filter(pk=message_id, room_id=room_id).exists():
        raise InvalidInput.field("message", "That message is not in this room.")
    if RoomMember.objects.filter(pk=member.pk, last_read_message_id__lt=message_id).update(
        last_read_message_id=message_id
    ):
        member.last_read_message_id = message_id
        send_event_on_commit(
            [room_group(room_id), staff_group(staff.pk)],
            Read(room_id=room_id, staff_id=staff.pk, message_id=message_id),
        )
    return member


# ------------------------------------------------------------------ files and forwards
# Posting rules shared by every way of posting (message_post, rooms.files.file_upload,
# message_forward).


def _room_post_guard(*, room_id: int, staff: Staff | None, visitor: Visitor | None) -> tuple[Room, Enquiry | None]:
    """Check that the author may post in the room now, as message_post does: staff must be
    members and the enquiry not closed; the visitor must own the enquiry, which must be
    neither closed nor missed, and a resolved one is reopened. Caller is inside a
    transaction; this locks the enquiry row (SPEC lock order: enquiry, then room)."""
    from enquiries import services as enquiry_services

    room = _rooms_locked([room_id]).get(room_id)
    if room is None:
        raise NotFound("Room not found.")
    is_member = staff is not None and RoomMember.objects.filter(room=room, staff=staff).exists()
    _post_allowed(room, staff=staff, visitor=visitor, is_member=is_member)
    enquiry: Enquiry | None = room.enquiry if room.enquiry_id is not None else None
    if visitor is not None and enquiry is not None and enquiry.status == "resolved":
        enquiry_services.enquiry_reopen(enquiry=enquiry)
    return room, enquiry


def _closed_if_due(room: Room) -> None:
    """A visitor writing to a resolved enquiry whose auto-close time has passed (the sweep
    has not got to it yet) finds it closed, as a moment later: no reopening. Caller holds
    the enquiry's lock."""
    from enquiries import services as enquiry_services

    enquiry = room.enquiry if room.enquiry_id is not None else None
    if enquiry is not None and enquiry.status == "resolved" and enquiry_services.enquiry_close_if_due(enquiry=enquiry):
        raise Conflict("This conversation is closed. Start a new one to write again.", code="closed")


def _post_allowed(room: Room, *, staff: Staff | None, visitor: Visitor | None, is_member: bool) -> None:
    """The rules of who may post in ``room`` now (raises the refusal): staff must be members
    and the enquiry not closed; the visitor must own the enquiry, which must be neither
    closed nor missed, nor resolved past its auto-close time (closed here, as the sweep
    would; a resolved one before that is reopened by the caller). Caller holds the
    enquiry's lock."""
    from enquiries.models import Enquiry

    enquiry: Enquiry | None = room.enquiry if room.enquiry_id is not None else None
    if staff is not None:
        if not is_member:
            raise NotAuthorized("Only members of this room can post. Join it first.")
        if enquiry is not None and enquiry.status == Enquiry.Status.CLOSED:
            raise Conflict("This enquiry is closed and read-only.", code="closed")
        return
    if enquiry is None or visitor is None or enquiry.visitor_id != visitor.pk:
        raise NotAuthorized("This is not your conversation.")
    if enquiry.status == Enquiry.Status.CLOSED:
        raise Conflict("This conversation is closed. Start a new one to write again.", code="closed")
    if enquiry.status == Enquiry.Status.MISSED:
        raise Conflict("Nobody could answer this enquiry. Leave a note instead.", code="missed")
    _closed_if_due(room)


def _reply_target(*, room_id: int, reply_to_id: int | None, visitor: Visitor | None) -> Message | None:
    if reply_to_id is None:
        return None
    reply_to = Message.objects.filter(pk=reply_to_id, room_id=room_id).first()
    # A visitor cannot reply to (and so learn of) a staff-only message.
    if reply_to is None or (visitor is not None and not message_visible_to_visitor(reply_to)):
        raise InvalidInput.field("reply_to", "The message replied to is not in this room.")
    return reply_to


def _record_first_response(enquiry: Enquiry | None, staff: Staff | None, message: Message) -> None:
    if enquiry is not None and staff is not None and enquiry.first_response_at is None:
        enquiry.first_response_at = message.created_at
        enquiry.save(update_fields=["first_response_at"])


def message_forward(*, message_id: int, room_id: int, staff: Staff, client_id: Any = "") -> tuple[Message, bool]:
    """Forward a text or file message into a room ``staff`` is a member of. Returns
    (message, created); a retry with the same ``client_id`` creates nothing.

    The sender must be able to see the source (member of its room, or an admin). The new
    message has ``forwarded_from`` set and a copy of the text and of the stored file, so
    recalling either message leaves the other intact. Locks as message_post: the target's
    enquiry row, then the target room row.
    """
    from channels_adapters.outbound import outbound_queue_for_message
    from rooms import files
    from rooms.selectors import access_room

    client_id = _clean_client_id(client_id)
    existing = _existing(room_id, client_id, staff, None)
    if existing is not None:
        return existing, False
    source = Message.objects.filter(pk=message_id).first()
    if source is None:
        raise NotFound("Message not found.")
    access_room(staff, source.room_id)
    if source.recalled_at is not None:
        raise Conflict("This message has been recalled.", code="recalled")
    if source.kind not in (Message.Kind.TEXT, Message.Kind.FILE):
        raise InvalidInput("Only text and file messages can be forwarded.")
    if not Room.objects.filter(pk=room_id).exists():
        raise NotFound("Room not found.")
    # Checked again under the locks below; checking first avoids copying a file for nothing.
    if not RoomMember.objects.filter(room_id=room_id, staff=staff).exists():
        raise NotAuthorized("You can only forward to rooms you are a member of.")

    data: dict[str, Any] = {}
    if source.kind == Message.Kind.FILE:
        data["file"] = files.file_copy(info=source.data.get("file"))
    try:
        with transaction.atomic():
            room, enquiry = _room_post_guard(room_id=room_id, staff=staff, visitor=None)
            if Message.objects.filter(pk=source.pk, recalled_at__isnull=False).exists():
                raise Conflict("This message has been recalled.", code="recalled")
            message = _insert(
                room_id=room.pk,
                kind=source.kind,
                text=source.text,
                author_staff=staff,
                client_id=client_id,
                data=data,
                forwarded_from=source,
            )
            _record_first_response(enquiry, staff, message)
            # Forwarded into a platform or email enquiry: it goes out to the customer too.
            outbound_queue_for_message(message=message)
    except IntegrityError:
        files.file_discard(info=data.get("file"))
        existing = _existing(room_id, client_id, staff, None)
        if existing is None:
            raise
        return existing, False
    except BaseException:
        files.file_discard(info=data.get("file"))
        raise
    return message, True
