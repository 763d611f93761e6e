"""State changes of rooms and messages. Every message enters a room through
``messages_post`` (the posting pipeline; POST_POLICIES says how each kind differs, and
``rooms.hooks`` how other apps add their rules)."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.db import DatabaseError, IntegrityError, OperationalError, connection, connections, router, transaction
from django.db.models import Model
from django.db.models.base import ModelState
from django.utils import timezone, translation
from django.utils.translation import gettext

from contactcenter.org import clock, i18n, request_ids
from contactcenter.org.errors import Busy, Conflict, DomainError, InvalidInput, NotAuthorized, NotFound, timed_out
from contactcenter.org.events import (
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
from contactcenter.org.models import Staff
from contactcenter.org.realtime import send_event_on_commit
from contactcenter.org.text import text_check
from rooms.hooks import (
    Post,
    instances_plain,
    message_changed,
    messages_posted,
    post_rules,
    rooms_lock,
    sql_placeholders,
)
from rooms.mentions import mention_events, mentions_parse
from rooms.models import Message, Room, RoomMember, RoomParticipant
from rooms.previews import preview_queue_on_commit
from rooms.selectors import access_room, message_author, message_data, message_visible_to_visitor
from rooms.system_texts import has_system_text

logger = logging.getLogger(__name__)


def room_create_for_enquiry(*, enquiry_id: int) -> Room:
    return Room.objects.create(kind=Room.Kind.ENQUIRY, enquiry_id=enquiry_id)


def _participant_add(*, room_id: int, staff_id: int) -> None:
    """Record that ``staff_id`` was a member of the room (kept when they leave), with the
    room's enquiry, its created_at and status copied on the row (``RoomParticipant``; a
    trigger keeps the status): one statement, whatever the caller loaded of the room
    (pick-up passes only its id)."""
    participant = RoomParticipant._meta
    enquiry_model = Room._meta.get_field("enquiry").related_model
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {participant.db_table}"  # noqa: S608 - table names only
            " (room_id, staff_id, first_joined_at, enquiry_id, enquiry_created_at, enquiry_status)"
            f" SELECT r.id, %s, %s, r.enquiry_id, e.created_at, e.status FROM {Room._meta.db_table} r"
            f" LEFT JOIN {enquiry_model._meta.db_table} e ON e.id = r.enquiry_id"  # type: ignore[union-attr]
            " WHERE r.id = %s ON CONFLICT DO NOTHING",
            [staff_id, timezone.now(), room_id],
        )


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
        _participant_add(room_id=room.pk, staff_id=staff.pk)
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


def message_events_send(room: Room, message: Message, event_cls: type = MessageCreated) -> None:
    """Send ``event_cls`` (message.created, .edited, .recalled) about ``message`` on commit,
    to the room's group and, when the visitor may see it, to the visitor's group."""
    data = message_data(message)
    groups = [room_group(room.pk)]
    send_event_on_commit(groups, event_cls(message=data))
    # Visitors have their own group so that a visitor socket needs no room lookups.
    if room.enquiry_id is not None and message_visible_to_visitor(message):
        visitor_id = room.enquiry.visitor_id  # type: ignore[union-attr]
        public = data
        if has_system_text(message.data):
            # Worded in the visitor's language (the one their widget started in).
            visitor = room.enquiry.visitor  # type: ignore[union-attr]
            spoken = visitor.chat_language or visitor.language
            with translation.override(i18n.best_language(spoken, i18n.language_codes())):
                public = message_data(message, for_visitor=True)
        elif "forwarded" in data["data"]:
            public = message_data(message, for_visitor=True)
        send_event_on_commit([visitor_group(visitor_id)], event_cls(message=public))


# ------------------------------------------------------------------ the posting pipeline
# Every message enters a room through ``messages_post`` (``message_post``,
# ``system_message_post``, ``rooms.files.file_upload``, ``message_forward`` and the
# enquiries' intake are thin callers). What differs between kinds of message is this table
# and nothing else; the rules of other apps come in through ``rooms.hooks``.


@dataclass(frozen=True)
class PostPolicy:
    """How one kind of message is posted.

    author: who writes it ("staff", "visitor", "either", "none").
    message_kind: the stored ``Message.kind`` (a request may give another: a platform
      message with media is a file; "" means the request must say: a forward copies its
      source's).
    text: "required" (stripped; refused when empty or longer than CC_MESSAGE_MAX_CHARS),
      "optional" (the same, empty allowed: a caption), "cut" (cut to the limit and never
      refused: a customer's platform message must not be lost), "trusted" (ours, as is).
    rules: the author's rules apply: staff must be members, and the hooks' ``check``
      (closed, missed, not their conversation, reply window...) and ``before_insert``
      (reopen a resolved enquiry on a customer's message) run.
    mentions: @mentions are parsed and notified (from staff authors only: a visitor does
      not address staff by @name).
    preview: the first URL of the text gets a link preview (after commit).
    after_post: the hooks' ``after_post`` run (first response time, the send to a platform
      customer).
    idempotent: a retry with the same ``client_id`` from the same author returns the first
      message (platform messages are deduplicated before, on the provider's message id:
      ``channels_adapters.inbound.inbound_record``).
    """

    author: str
    message_kind: str
    text: str
    rules: bool
    mentions: bool
    preview: bool
    after_post: bool
    idempotent: bool


POST_POLICIES: dict[str, PostPolicy] = {
    # kind        author     stored kind          text        rules mentions preview after  idempotent
    "visitor": PostPolicy("visitor", Message.Kind.TEXT, "required", True, False, True, True, True),
    "staff": PostPolicy("staff", Message.Kind.TEXT, "required", True, True, True, True, True),
    "file": PostPolicy("either", Message.Kind.FILE, "optional", True, True, True, True, True),
    # A forward's text is someone else's words: its @names notify nobody again.
    "forward": PostPolicy("staff", "", "optional", True, False, True, True, True),
    "platform": PostPolicy("visitor", Message.Kind.TEXT, "cut", True, False, True, True, False),
    # A file of a visitor's note (enquiries.services): its service holds the enquiry's lock
    # and has decided; the rules still say whose conversation it is.
    "note_file": PostPolicy("visitor", Message.Kind.FILE, "optional", True, False, False, False, False),
    # System and bot messages (data["bot"]): posted by a service that holds its own locks
    # and has decided; no preview of a URL in a welcome text, no mentions.
    "system": PostPolicy("none", Message.Kind.SYSTEM, "trusted", False, False, False, False, False),
}


@dataclass(frozen=True)
class PostRequest:
    """One message to post (see ``messages_post``). ``kind``: a key of POST_POLICIES (""
    means "staff" or "visitor" by the author). ``message_kind`` overrides the policy's
    stored kind (forwards, platform media)."""

    room_id: int
    text: Any
    client_id: Any = ""
    staff: Staff | None = None
    visitor: Model | None = None
    reply_to_id: int | None = None
    kind: str = ""
    data: dict[str, Any] | None = None
    forwarded_from: Message | None = None
    message_kind: str = ""
    # The request id of what asked for this post (a socket frame: contactcenter.org.request_ids);
    # the tasks it causes carry it even when it is committed in a batch with others.
    request_id: str = ""
    # Posts of one sequence (a socket's channel name) keep the order sent: once one of them
    # is answered Busy in a batch, the later ones of that batch are answered Busy too,
    # unstored, and the client sends them again after it, in order ("" for none).
    sequence: str = ""

    def posting_kind(self) -> str:
        return self.kind or ("staff" if self.staff is not None else "visitor")


class PostFailed(DomainError):
    """A post the database refused for a reason no check foresaw (its batch's others
    went in); the client may try again."""

    status_code = 500
    default_message = "Something went wrong. Try again."


# What ``messages_post`` gives back for each request: (message, created) or the refusal.
PostResult = tuple[Message, bool] | DomainError


def _clean_text(text: Any, mode: str = "required") -> str:
    if mode == "trusted":
        return str(text)
    if text is None and mode != "required":
        return ""
    if not isinstance(text, str):
        raise InvalidInput.field("text", "Text must be a string.")
    text = text.strip()
    if not text and mode == "required":
        raise InvalidInput.field("text", gettext("Message text cannot be empty."))
    if len(text) > settings.CC_MESSAGE_MAX_CHARS:
        if mode == "cut":
            return text[: settings.CC_MESSAGE_MAX_CHARS]
        raise InvalidInput.field(
            "text",
            gettext("Message text is limited to %(limit)s characters.") % {"limit": settings.CC_MESSAGE_MAX_CHARS},
        )
    return text if mode == "cut" else text_check(text, field="text")


def _clean_client_id(client_id: Any) -> str:
    if client_id is None:
        return ""
    if not isinstance(client_id, str) or len(client_id) > 64:
        raise InvalidInput.field("client_id", "client_id must be a string of at most 64 characters.")
    return text_check(client_id, field="client_id")


def message_text_clean(*, kind: str, text: Any) -> str:
    """The text of a message of posting ``kind`` as it would be stored, or the refusal
    (InvalidInput): for callers that check before costly work (storing a file)."""
    return _clean_text(text, POST_POLICIES[kind].text)


def message_client_id_clean(client_id: Any) -> str:
    """A client's idempotency key, checked (InvalidInput)."""
    return _clean_client_id(client_id)


def message_existing(
    *, room_id: int, client_id: str, staff: Staff | None, visitor: Model | None = None
) -> Message | None:
    """The message this author already posted with ``client_id`` in the room (a retry)."""
    if not client_id:
        return None
    query = Message.objects.filter(room_id=room_id, client_id=client_id)
    query = (
        query.filter(author_staff=staff) if staff is not None else query.filter(author_visitor_id=visitor_pk(visitor))
    )
    return query.first()


def visitor_pk(visitor: Model | None) -> int | None:
    return visitor.pk if visitor is not None else None


def _existing(request: PostRequest, client_id: str) -> Message | None:
    return message_existing(room_id=request.room_id, client_id=client_id, staff=request.staff, visitor=request.visitor)


def message_post(
    *,
    room_id: int,
    text: Any,
    client_id: Any = "",
    staff: Staff | None = None,
    visitor: Model | None = None,
    reply_to_id: int | None = None,
) -> tuple[Message, bool]:
    """Post a text message as ``staff`` or ``visitor``. Returns (message, created).

    A retry with the same ``client_id`` returns the first message and creates nothing.
    A visitor writing to a resolved enquiry reopens it to the same owner. Locks: the
    enquiry row, then the room row (SPEC lock order). Raises the refusal as a DomainError.
    """
    if (staff is None) == (visitor is None):
        raise ValueError("exactly one author")
    return message_post_request(PostRequest(room_id, text, client_id, staff, visitor, reply_to_id))


def message_post_request(request: PostRequest) -> tuple[Message, bool]:
    """``messages_post`` for one request, raising its refusal. In the caller's
    transaction if there is one (a savepoint)."""
    result = messages_post([request])[0]
    if isinstance(result, DomainError):
        raise result
    return result


def system_message_post(*, room_id: int, text: str, data: dict[str, Any] | None = None) -> Message:
    """A system/bot message. ``data["visibility"] == "staff"`` hides it from the visitor; a
    text code in ``data`` (``rooms.system_texts.system_message_fields``) words it for the
    visitor in their language (staff by their public display name, no roles). The caller
    holds the locks its decision needs (it is inside its transaction)."""
    request = PostRequest(room_id, text, kind="system", data=data)
    with transaction.atomic(savepoint=False):
        results: list[PostResult | None] = [None]
        _post_batch([request], {0: (_clean_text(text, "trusted"), "")}, results)
    result = results[0]
    if isinstance(result, DomainError):
        raise result
    assert result is not None
    return result[0]


def _check_request(request: PostRequest, policy: PostPolicy) -> None:
    """A caller's mistake (not a refusal): the wrong author for the kind, or no kind to store."""
    authors = (request.staff is not None) + (request.visitor is not None)
    expected = {"none": 0, "either": 1, "staff": 1, "visitor": 1}[policy.author]
    wrong = (policy.author == "staff" and request.staff is None) or (
        policy.author == "visitor" and request.visitor is None
    )
    if authors != expected or wrong:
        raise ValueError(f"a {request.posting_kind()} message: wrong author")
    if not (request.message_kind or policy.message_kind):
        raise ValueError(f"a {request.posting_kind()} message: which Message.kind?")


def messages_post(requests: Sequence[PostRequest], *, savepoint: bool = True) -> list[PostResult]:
    """Post messages in one transaction: the one way a message enters a room. One answer
    per request, in order. The rules of each kind are POST_POLICIES; other apps' rules
    come from ``rooms.hooks``.

    This is the group commit of the socket writer (``contactcenter/gateway/socket_writer.py``): the
    statements are per batch, not per message (lock the owners of the rooms, check
    memberships, stamp and lock the rooms, one multi-row INSERT, one COMMIT). A refusal of
    one request (closed enquiry, not a member, ...) does not affect the others. If the
    batch fails as a whole (a client_id racing in from another connection, a deadlock, a
    lock timeout), each request is retried in a transaction of its own, so one bad request
    never sinks another. A request that times out on its own (the connection's
    lock_timeout/statement_timeout) is answered ``Busy`` (503, nothing stored).

    ``savepoint=False``: the caller's transaction fails as a whole if the batch fails (it
    rolls back on any refusal too, as ``enquiry_open`` does): no savepoint, two round trips
    fewer, and a failure is raised instead of retried request by request.
    """
    results: list[PostResult | None] = [None] * len(requests)
    cleaned: dict[int, tuple[str, str]] = {}
    for i, request in enumerate(requests):
        policy = POST_POLICIES[request.posting_kind()]
        _check_request(request, policy)
        try:
            client_id = _clean_client_id(request.client_id) if policy.idempotent else ""
            cleaned[i] = (_clean_text(request.text, policy.text), client_id)
        except DomainError as exc:
            results[i] = exc
    if cleaned:
        try:
            with transaction.atomic(savepoint=savepoint):
                _post_batch(requests, cleaned, results)
        except (DatabaseError, ValueError) as exc:
            if not savepoint:
                raise
            # ValueError: a value the driver refuses to send (checked above, but one bad
            # request must never sink the others however it fails).
            if len(cleaned) > 1:
                held: dict[str, Busy] = {}  # sequence -> the Busy of its first timed-out post
                for i in cleaned:
                    sequence = requests[i].sequence
                    if sequence in held:
                        results[i] = Busy(retry_after=held[sequence].retry_after)  # it must not overtake
                        continue
                    one: PostResult
                    try:
                        one = messages_post([requests[i]])[0]
                    except (DatabaseError, ValueError):
                        logger.exception("posting a message to room %s failed", requests[i].room_id)
                        one = PostFailed()
                    results[i] = one
                    if sequence and isinstance(one, Busy):
                        held[sequence] = one
            elif not isinstance(exc, IntegrityError | OperationalError):
                raise
            else:
                # A retry of a stored message (or the same client_id racing in from another
                # connection): the first one.
                (i,) = cleaned
                existing = _existing(requests[i], cleaned[i][1])
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
            existing = _existing(requests[i], cleaned[i][1])
            if existing is not None:
                results[i] = (existing, False)
    return results  # type: ignore[return-value]


def _post_batch(
    requests: Sequence[PostRequest], cleaned: dict[int, tuple[str, str]], results: list[PostResult | None]
) -> None:
    """The body of ``messages_post``, inside its transaction. Fills ``results``."""
    room_ids = sorted({requests[i].room_id for i in cleaned})
    rooms = _rooms_locked(room_ids)
    now = clock.now()  # under the owners' locks: created_at follows id order within a room
    staff_pairs = {(r.room_id, r.staff.pk) for r in (requests[i] for i in cleaned) if r.staff is not None}
    members: set[tuple[int, int]] = set()
    if staff_pairs:
        members = set(
            RoomMember.objects.filter(
                room_id__in={r for r, _ in staff_pairs}, staff_id__in={s for _, s in staff_pairs}
            ).values_list("room_id", "staff_id")
        )
    rules = post_rules()

    # Checks first (each may refuse its own request), then the writes, which cannot.
    accepted: list[tuple[int, Post, PostPolicy]] = []
    for i, (text, client_id) in cleaned.items():
        request = requests[i]
        kind = request.posting_kind()
        policy = POST_POLICIES[kind]
        staff, visitor = request.staff, request.visitor
        try:
            room = rooms.get(request.room_id)
            if room is None:
                raise NotFound("Room not found.")
            message = _message_new(
                {
                    "room": room,
                    "kind": request.message_kind or policy.message_kind,
                    "text": text,
                    "author_staff": staff,
                    "author_visitor": visitor,
                    "client_id": client_id,
                    "data": dict(request.data or {}),
                    "forwarded_from": request.forwarded_from,
                    "reply_to": None,
                    "created_at": now,
                }
            )
            post = Post(kind=kind, room=room, message=message, staff=staff, visitor_id=visitor_pk(visitor))
            if policy.rules:
                if staff is not None and (room.pk, staff.pk) not in members:
                    raise NotAuthorized("Only members of this room can post. Join it first.")
                if visitor is not None and room.kind != Room.Kind.ENQUIRY:
                    raise NotAuthorized("This is not your conversation.")
                for rule in rules:
                    if rule.check is not None:
                        rule.check(post)
            message.reply_to = _reply_target(room_id=room.pk, reply_to_id=request.reply_to_id, visitor=visitor)
            if policy.mentions and staff is not None:
                mentions = mentions_parse(text=text, room=room, author_id=staff.pk)
                if mentions:
                    message.data = {**message.data, **mentions}
        except DomainError as exc:
            results[i] = exc
            continue
        accepted.append((i, post, policy))
    if not accepted:
        return

    # E.g. a customer writing to a resolved enquiry reopens it (its system message first).
    for _i, post, policy in accepted:
        if policy.rules:
            for rule in rules:
                if rule.before_insert is not None:
                    rule.before_insert(post)

    # Stamp (and so lock) the rooms, then insert: one round trip. A client_id seen before
    # raises IntegrityError, which sends the whole batch back to messages_post for
    # one-by-one retries.
    _messages_insert(
        [post.message for _i, post, _p in accepted], sorted({post.room.pk for _i, post, _p in accepted}), now
    )
    messages_posted([post.message for _i, post, _p in accepted])
    for i, post, policy in accepted:
        with request_ids.bound(requests[i].request_id):
            message_events_send(post.room, post.message)
            if policy.mentions and post.staff is not None:
                mention_events(room=post.room, message=post.message)
            if policy.preview:
                preview_queue_on_commit(post.message)
            if policy.after_post:
                for rule in rules:
                    if rule.after_post is not None:
                        rule.after_post(post)
        results[i] = (post.message, True)


# How a new message's fields are set: (name, attname, the related model and the attname of
# the field it points to for a foreign key, else None, the field's default).
_MessagePlan = tuple[tuple[str, str, Any, str | None, Any], ...]
_message_plan_built: _MessagePlan | None = None


def _message_plan() -> _MessagePlan:
    global _message_plan_built  # noqa: PLW0603 - built once, on first use (the apps must be loaded)
    if _message_plan_built is None:
        fields: list[Any] = list(Message._meta.concrete_fields)
        _message_plan_built = tuple(
            (
                f.name,
                f.attname,
                f.remote_field.model._meta.concrete_model if f.many_to_one else None,
                f.target_field.attname if f.many_to_one else None,
                f.get_default,
            )
            for f in fields
        )
    return _message_plan_built


def _message_new(values: dict[str, Any]) -> Message:
    """``Message(**values)`` (each key a concrete field's name; a foreign key's value an
    instance or None): on the socket writer's hot path Django's ``__init__`` cost about as
    much as the message's INSERT (bench/RESULTS.md, session 13). When nothing can tell
    (``rooms.hooks.instances_plain``, no database router, every related instance of one
    database) the instance is made as ``__init__`` would make it: each field's value or
    default in its ``__dict__``, a related instance's key and the instance in the fields'
    cache, the related instances' database as its own. Otherwise through ``__init__``."""
    plan = _message_plan()
    if not instances_plain(Message) or router.routers:
        return Message(**values)
    message = Message.__new__(Message)
    state = message._state = ModelState()
    own, cache = message.__dict__, state.fields_cache
    given = 0
    for name, attname, related, target, default in plan:
        if name not in values:
            own[attname] = default()
            continue
        given += 1
        value = values[name]
        if related is None:
            own[attname] = value
        elif value is None:
            own[attname] = None
            cache[name] = None
        elif not isinstance(value, related) or value._state.db is None or state.db not in (None, value._state.db):
            return Message(**values)  # Django's checks and errors
        else:
            state.db = value._state.db
            own[attname] = getattr(value, cast(str, target))
            cache[name] = value
    if given != len(values):
        return Message(**values)  # a key that is no concrete field: Django's answer
    return message


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


def posting_warm_up() -> None:
    """Build the posting path's statements now (a web process's warm-up,
    contactcenter/warmup.py) instead of at the first post."""
    _hot_sql()


def _hot_sql_build() -> _HotSQL:
    q = connection.ops.quote_name
    no_key = connection.features.has_select_for_no_key_update

    def col(model: Any, name: str) -> str:
        return q(model._meta.get_field(name).column)

    room, r_id = q(Room._meta.db_table), col(Room, "id")
    stamp = f"UPDATE {room} SET {col(Room, 'last_message_at')} = %s WHERE {r_id} IN ("  # noqa: S608
    if no_key:
        stamp += f"SELECT {r_id} FROM {room} WHERE {r_id} IN ("  # noqa: S608
        rooms_stamp = (stamp, f") ORDER BY {r_id} FOR NO KEY UPDATE)")
    else:
        rooms_stamp = (stamp, ")")
    fields = [f for f in Message._meta.concrete_fields if f.name not in MESSAGE_INSERT_EXCLUDED]
    columns = ", ".join(q(str(f.column)) for f in fields)
    return _HotSQL(
        rooms_stamp=rooms_stamp,
        message_insert=f"INSERT INTO {q(Message._meta.db_table)} ({columns}) VALUES ",  # noqa: S608
        message_row=f"({_in(fields)})",
        message_returning=f" RETURNING {col(Message, 'id')}",
        message_values=tuple((f.attname, _param_of(f)) for f in fields),
    )


def _in(values: Sequence[Any]) -> str:
    return sql_placeholders(values)


def _rooms_locked(room_ids: list[int]) -> dict[int, Room]:
    """The rooms by id, their owners locked by the registered locker (``rooms.hooks``:
    the enquiry rows, in id order; SPEC lock order: enquiries before rooms; one order for
    every batch, so batches cannot deadlock). Rooms no locker knows (direct rooms, spaces)
    are read plainly."""
    rooms = rooms_lock(room_ids)
    missing = [room_id for room_id in room_ids if room_id not in rooms]
    if missing:
        rooms.update({room.pk: room for room in Room.objects.filter(pk__in=missing)})
    return rooms


def _messages_insert(messages: list[Message], room_ids: list[int], now: Any) -> None:
    """Take the rooms' row locks (in id order) by stamping ``last_message_at`` (held until
    commit, they make commit order equal id order within a room: see ``messages_post``),
    then one multi-row INSERT; sets each message's id (RETURNING keeps the VALUES order, as
    Django's bulk_create relies on). On PostgreSQL both statements go in one round trip
    (the driver returns the last one's rows). A client_id seen before raises IntegrityError."""
    sql = _hot_sql()
    db = connections[connection.alias]  # the proxy's lookup once, not per use
    adapt_datetime = db.ops.adapt_datetimefield_value
    before, after = sql.rooms_stamp
    stamp = before + _in(room_ids) + after
    stamp_params = [adapt_datetime(now), *room_ids]
    params: list[Any] = []
    for m in messages:
        for attname, param in sql.message_values:
            value = getattr(m, attname)
            if param is None:
                params.append(value)
            elif param is _datetime_param:
                params.append(adapt_datetime(value))
            else:
                params.append(param(value))
    insert = sql.message_insert + ", ".join([sql.message_row] * len(messages)) + sql.message_returning
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            cursor.execute(stamp + ";\n" + insert, stamp_params + params)
        else:
            cursor.execute(stamp, stamp_params)
            cursor.execute(insert, params)
        ids = [r[0] for r in cursor.fetchall()]
    for message, pk in zip(messages, ids, strict=True):
        message.pk = pk
        message._state.adding = False
        message._state.db = db.alias


def _own_message_in_window(
    message_id: int, staff: Staff | None, visitor: Model | None, action: str
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
    for rule in post_rules():
        if rule.change_check is not None:
            rule.change_check(room, message)
    window = settings.CC_MESSAGE_EDIT_WINDOW_SECONDS
    if (clock.now() - message.created_at).total_seconds() > window:
        raise Conflict(f"Messages can only be changed within {int(window // 60)} minutes of posting.", code="window")
    return message, room


def message_edit(*, message_id: int, text: Any, staff: Staff | None = None, visitor: Model | None = None) -> Message:
    """The author edits a text message within the edit window (5 minutes by default)."""
    text = _clean_text(text)
    with transaction.atomic():
        message, room = _own_message_in_window(message_id, staff, visitor, "edit")
        if message.kind != Message.Kind.TEXT:
            raise Conflict("Only text messages can be edited.", code="not_text")
        message.text = text
        message.edited_at = clock.now()
        message.save(update_fields=["text", "edited_at"])
        message_changed(message)
        message_events_send(room, message, MessageEdited)
    return message


def message_recall(*, message_id: int, staff: Staff | None = None, visitor: Model | None = None) -> Message:
    """The author recalls a message within the edit window: everyone sees a placeholder and
    an attached file is deleted once the transaction commits."""
    with transaction.atomic():
        message, room = _own_message_in_window(message_id, staff, visitor, "recall")
        message.recalled_at = clock.now()
        stored = message.data.get("file", {}).get("path") if isinstance(message.data.get("file"), dict) else None
        message.save(update_fields=["recalled_at"])
        message_changed(message)
        if stored:
            from rooms.files import file_delete_on_commit  # Imported here: rooms.files imports this module.

            file_delete_on_commit(message)
        message_events_send(room, message, MessageRecalled)
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
        message_changed(message)
        message_events_send(room, message, MessageEdited)
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


# ------------------------------------------------------------------ replies and forwards


def _reply_target(*, room_id: int, reply_to_id: int | None, visitor: Model | None) -> Message | None:
    if reply_to_id is None:
        return None
    reply_to = Message.objects.filter(pk=reply_to_id, room_id=room_id).first()
    # A visitor cannot reply to (and so learn of) a staff-only message.
    if reply_to is None or (visitor is not None and not message_visible_to_visitor(reply_to)):
        raise InvalidInput.field("reply_to", "The message replied to is not in this room.")
    return reply_to


def message_forward(*, message_id: int, room_id: int, staff: Staff, client_id: Any = "") -> tuple[Message, bool]:
    """Forward a text or file message into a room ``staff`` is a member of. Returns
    (message, created); a retry with the same ``client_id`` creates nothing.

    The sender must be able to see the source (member of its room, or an admin). The new
    message has ``forwarded_from`` set and a copy of the text and of the stored file, so
    recalling either message leaves the other intact. Posted by ``messages_post`` (kind
    "forward"): locks the target's owner (enquiry row), then the target room row.
    """
    from rooms import files  # Imported here: rooms.files imports this module.

    client_id = _clean_client_id(client_id)
    existing = message_existing(room_id=room_id, client_id=client_id, staff=staff)
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

    # Who wrote the original, kept with the copy (staff see it; visitors do not: see
    # selectors.message_data).
    author = message_author(source)
    data: dict[str, Any] = {"forwarded": {"author": author["name"], "author_type": author["type"]}}
    if source.kind == Message.Kind.FILE:
        data["file"] = files.file_copy(info=source.data.get("file"))
    request = PostRequest(
        room_id,
        source.text,
        client_id,
        staff=staff,
        kind="forward",
        data=data,
        forwarded_from=source,
        message_kind=source.kind,
    )
    try:
        with transaction.atomic():
            if Message.objects.filter(pk=source.pk, recalled_at__isnull=False).exists():
                raise Conflict("This message has been recalled.", code="recalled")
            message, created = message_post_request(request)
    except BaseException:
        files.file_discard(info=data.get("file"))
        raise
    if not created:  # The same client_id raced in from another connection: the first one stands.
        files.file_discard(info=data.get("file"))
    return message, created
