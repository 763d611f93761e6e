"""The rules other apps plug into posting (``rooms.services.messages_post``, the one way a
message enters a room). Apps above rooms register them in their ``AppConfig.ready()``;
rooms imports none of those apps.

- ``register_rooms_locker``: one function that locks the records owning the rooms about to
  be posted in (enquiries: the enquiry rows, in id order; SPEC lock order: enquiry, then
  room) and returns those rooms with what the rules below read loaded. It runs on the hot
  path of the socket writer's group commit, so it is expected to be one statement.
- ``register_owner_info``: the owner's part of a room's information panel (a read).
- ``register_room_list_extras``: the owner's part of a room list row (channel, avatar,
  whether the customer awaits a reply); called per row on what the list loaded, so it
  must run no query.
- ``register_room_viewer``: may a staff member who is not a member look at an owned room
  (read-only, as an admin monitors)? Enquiries: an enquiry offered to them (to look before
  picking it up) or a missed one they follow up.
- ``register_visitor_reader``: may a visitor read (never write) a message of a room that
  is not its own enquiry's? Enquiries: one of a verified customer's other devices (widget
  identity verification), for the files of the widget's earlier conversations.
- ``register_post_rules``: ``check`` (may this author post in this room now? raise a
  DomainError to refuse; it may write, e.g. close an enquiry whose auto-close time has
  passed), ``before_insert`` (for an accepted message, before it is inserted: reopen a
  resolved enquiry, whose system message then goes first) and ``after_post`` (after the
  insert, in the same transaction: first response time, queueing the send to a platform);
  ``change_check`` (may the author edit or recall a message now: not in a closed enquiry).
- ``register_message_observers``: ``posted`` (the messages a batch inserted, once per
  batch, inside its transaction) and ``changed`` (a message edited, recalled or whose file
  settled, inside that transaction): history keeps its search index with them. A
  ``posted`` observer that only writes rows gives its statement to ``batch_statement``
  instead of executing it: the batch sends every observer's statements to the database in
  one round trip, after the last observer (on the 2-core benchmark machine each round trip
  of the writer thread cost more CPU than the statement: bench/RESULTS.md, session 11).

Which rules run for which kind of message is ``rooms.services.POST_POLICIES``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Model
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init

from contactcenter.org.models import Staff
from rooms.models import Message, Room


@dataclass(frozen=True)
class Post:
    """One message going through the pipeline, as the hooks see it. ``message`` is not
    saved yet in ``check`` and ``before_insert``. ``kind`` is the posting kind (a key of
    ``rooms.services.POST_POLICIES``: "visitor", "staff", "file", "forward", "platform",
    "system"). ``room`` comes from the rooms locker, with what it loaded."""

    kind: str
    room: Room
    message: Message
    staff: Staff | None
    visitor_id: int | None


RoomsLocker = Callable[[list[int]], dict[int, Room]]
OwnerInfo = Callable[[Room], dict[str, Any]]
RoomListExtras = Callable[[Room], dict[str, Any]]
RoomViewer = Callable[[Staff, Room], bool]
# (visitor, room): the visitor is a model of the enquiries app, which rooms does not import.
VisitorReader = Callable[[Any, Room], bool]
PostHook = Callable[[Post], None]
# May the author edit or recall this message of this room now (raise a DomainError)?
ChangeHook = Callable[[Room, Message], None]


@dataclass(frozen=True)
class PostRules:
    check: PostHook | None = None
    before_insert: PostHook | None = None
    after_post: PostHook | None = None
    change_check: ChangeHook | None = None


_locker: RoomsLocker | None = None
_owner_info: OwnerInfo | None = None
_room_list_extras: RoomListExtras | None = None
_viewer: RoomViewer | None = None
_visitor_reader: VisitorReader | None = None
_rules: list[PostRules] = []
MessagesPosted = Callable[[Sequence[Message]], None]
MessageChanged = Callable[[Message], None]
_posted_observers: list[MessagesPosted] = []
_changed_observers: list[MessageChanged] = []


def register_rooms_locker(locker: RoomsLocker) -> None:
    """Set the function that locks the owners of rooms (one app owns rooms: enquiries).
    It takes the room ids (sorted) and returns the rooms it knows by id; the others
    (direct rooms, spaces) are loaded by rooms without a lock of their owner."""
    global _locker  # noqa: PLW0603 - set once at startup
    _locker = locker


def register_post_rules(
    *,
    check: PostHook | None = None,
    before_insert: PostHook | None = None,
    after_post: PostHook | None = None,
    change_check: ChangeHook | None = None,
) -> None:
    """Add one app's rules; they run in the order registered (app order in INSTALLED_APPS).
    Registering the same functions twice (a second ``ready()``) adds nothing."""
    rules = PostRules(check=check, before_insert=before_insert, after_post=after_post, change_check=change_check)
    if rules not in _rules:
        _rules.append(rules)


def register_owner_info(info: OwnerInfo) -> None:
    """Set the function that gives the owner's part of an owned room's information panel
    (``rooms.selectors.room_info``: the enquiry, its visitor...)."""
    global _owner_info  # noqa: PLW0603 - set once at startup
    _owner_info = info


def owner_info(room: Room) -> dict[str, Any]:
    return _owner_info(room) if _owner_info is not None else {}


def register_room_list_extras(extras: RoomListExtras) -> None:
    """Set the function that gives the owner's part of a room list row
    (``rooms.selectors.room_list_data``): ``channel`` (kind), ``avatar_url`` and
    ``awaits_reply`` (the customer's unanswered messages count as waiting). It gets a room
    loaded with its enquiry, the enquiry's visitor and channel, and must run no query."""
    global _room_list_extras  # noqa: PLW0603 - set once at startup
    _room_list_extras = extras


def room_list_extras(room: Room) -> dict[str, Any]:
    return _room_list_extras(room) if _room_list_extras is not None and room.enquiry_id is not None else {}


def register_room_viewer(viewer: RoomViewer) -> None:
    """Set the function that says whether a staff member who is not a member of an owned
    room may still see it read-only (``rooms.selectors.access_room``)."""
    global _viewer  # noqa: PLW0603 - set once at startup
    _viewer = viewer


def room_viewer_allowed(staff: Staff, room: Room) -> bool:
    return _viewer is not None and room.enquiry_id is not None and _viewer(staff, room)


def register_visitor_reader(reader: VisitorReader) -> None:
    """Set the function that says whether a visitor may read a message of a room that is
    not its own enquiry's (``rooms.selectors.access_message_to_read``)."""
    global _visitor_reader  # noqa: PLW0603 - set once at startup
    _visitor_reader = reader


def visitor_reader_allowed(visitor: Any, room: Room) -> bool:
    return _visitor_reader is not None and room.enquiry_id is not None and _visitor_reader(visitor, room)


def rooms_lock(room_ids: list[int]) -> dict[int, Room]:
    return _locker(room_ids) if _locker is not None else {}


def post_rules() -> Sequence[PostRules]:
    return _rules


def register_message_observers(*, posted: MessagesPosted | None = None, changed: MessageChanged | None = None) -> None:
    """Add functions told of every message posted (``posted``: the batch's inserted messages,
    with ``room`` set, once per batch) and of every change of one (``changed``: an edit, a
    recall, a file settled). Both run inside the writing transaction, so they must be
    cheap and must not fail; registering the same function twice adds nothing."""
    if posted is not None and posted not in _posted_observers:
        _posted_observers.append(posted)
    if changed is not None and changed not in _changed_observers:
        _changed_observers.append(changed)


# The statements ``posted`` observers gave ``batch_statement`` while ``messages_posted`` runs.
_batch_statements = threading.local()


def batch_statement(sql: str, params: Sequence[Any]) -> None:
    """Execute ``sql`` (with ``%s`` placeholders and ``params``, not empty) in the posting
    transaction: inside ``messages_posted`` it is kept and sent with the batch's other
    observers' statements in one round trip once every observer has run (so an observer
    must not read what it writes this way); elsewhere at once."""
    pending: list[tuple[str, Sequence[Any]]] | None = getattr(_batch_statements, "pending", None)
    if pending is not None:
        pending.append((sql, params))
        return
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def messages_posted(messages: Sequence[Message]) -> None:
    pending: list[tuple[str, Sequence[Any]]] = []
    _batch_statements.pending = pending
    try:
        for observer in _posted_observers:
            observer(messages)
    finally:
        _batch_statements.pending = None
    statements_execute(pending)


def statements_execute(statements: Sequence[tuple[str, Sequence[Any]]]) -> None:
    """Execute ``statements`` (each with its parameters) in order: on PostgreSQL in one
    round trip (one ``execute`` of the statements joined by ";"; the driver binds the
    parameters client-side), elsewhere one by one."""
    if not statements:
        return
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql" or len(statements) == 1:
            for sql, params in statements:
                cursor.execute(sql, params)
            return
        # A statement without parameters has its "%" as they are: doubled for the binding.
        joined = ";\n".join(sql if params else sql.replace("%", "%%") for sql, params in statements)
        cursor.execute(joined, [p for _, params in statements for p in params])


def message_changed(message: Message) -> None:
    for observer in _changed_observers:
        observer(message)


# Helpers for a locker that speaks raw SQL (the hot path: see rooms.services on why).


def sql_placeholders(values: Sequence[Any]) -> str:
    """ "%s, %s, ..." for an IN list of ``values``."""
    return ", ".join(["%s"] * len(values))


def loaded_instance(model: Any, values: dict[str, Any], db: str | None = None) -> Any:
    """An instance as loaded from the database with only ``values`` (by attname, each a
    concrete field's); other fields are deferred.

    What ``Model.from_db`` builds, without its cost (on the socket writer's hot path three
    instances per room cost more than the locking statement: bench/RESULTS.md, session 13):
    when the model keeps Django's ``__init__`` and ``from_db``, nothing listens to its
    ``pre_init``/``post_init`` and every field's attribute is a plain one (``__init__``
    would only store the value in the instance's ``__dict__``), the instance is made
    without ``__init__``: its state (not adding, this database) and its values. Otherwise
    through ``from_db``. ``db``: the connection's
    alias (default: the default connection's; a caller building many passes it once)."""
    db = connection.alias if db is None else db
    if instances_plain(model):
        instance = model.__new__(model)
        state = instance._state = ModelState()
        state.adding = False
        state.db = db
        instance.__dict__.update(values)
        return instance
    attnames = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(db, attnames, [values[a] for a in attnames])


def _init_listened(model: Any) -> bool:
    """Does a receiver of ``pre_init`` or ``post_init`` listen to ``model``? (Mostly none is
    connected at all: no lookup then.)"""
    return bool(pre_init.receivers or post_init.receivers) and (
        pre_init.has_listeners(model) or post_init.has_listeners(model)
    )


def instances_plain(model: Any) -> bool:
    """May an instance of ``model`` be made now without ``Model.__init__``, its values put in
    its ``__dict__`` (``loaded_instance``; ``rooms.services`` for a new message)? When the
    model keeps Django's ``__init__``/``from_db``, its fields' attributes are plain ones and
    no ``pre_init``/``post_init`` receiver listens to it."""
    return _plain_model(model) and not _init_listened(model)


_plain_models: dict[Any, bool] = {}


def _plain_model(model: Any) -> bool:
    """May ``loaded_instance`` build ``model`` without ``__init__`` (see there)? Once per model."""
    plain = _plain_models.get(model)
    if plain is None:
        plain = (
            model.__init__ is Model.__init__
            and model.__new__ is Model.__new__
            and getattr(model.from_db, "__func__", None) is getattr(Model.from_db, "__func__", False)
            and all(
                type(model.__dict__.get(f.attname)) in (DeferredAttribute, ForeignKeyDeferredAttribute)
                for f in model._meta.concrete_fields
            )
        )
        _plain_models[model] = plain
    return plain
