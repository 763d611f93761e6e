"""The enquiries' rules for posting in an enquiry's room, plugged into the rooms' posting
pipeline (``rooms.hooks``) by ``EnquiriesConfig.ready()``:

- the locker: the enquiry rows of the rooms posted in, locked in id order before the
  rooms' rows (SPEC lock order), with what the rules read loaded in the same statement;
- ``post_check``: staff may not post in a closed enquiry; a customer only in their own
  enquiry, neither closed nor missed (a platform message placed in a recently missed
  enquiry by the intake excepted), nor resolved past its auto-close time (closed here,
  as the sweep would a moment later);
- ``post_before_insert``: a customer writing to a resolved enquiry reopens it;
- ``post_after``: the first staff message sets ``first_response_at``;
- ``change_check``: no edit or recall in a closed enquiry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils.translation import gettext

from contactcenter.org.errors import Conflict, NotAuthorized
from enquiries import services
from enquiries.models import Enquiry
from rooms.hooks import Post, loaded_instance, sql_placeholders
from rooms.models import Message, Room


@dataclass(frozen=True)
class _LockSQL:
    before: str  # SELECT ... WHERE room id IN (
    after: str  # ) ORDER BY enquiry id FOR NO KEY UPDATE OF e
    # The attnames of a row's values: the room's, the enquiry's, then the channel's (after
    # the "unanswered" column).
    room: tuple[str, ...]
    enquiry: tuple[str, ...]
    channel: tuple[str, ...]


_lock_sql_built: _LockSQL | None = None


def _channel_model() -> Any:
    """The channel model, as the enquiry's foreign key names it: it belongs to
    channels_adapters, above this app, and the lock query reads two of its columns."""
    return Enquiry._meta.get_field("channel").related_model


def lock_sql() -> _LockSQL:
    """The locking SELECT, built once from the models' metadata (as the rooms' INSERT is:
    see ``rooms.services``; on the socket writer's hot path the ORM's compile time costs
    more than the statement)."""
    global _lock_sql_built  # noqa: PLW0603 - built once, on first use (the apps must be loaded)
    if _lock_sql_built is None:
        _lock_sql_built = lock_sql_build()
    return _lock_sql_built


# What the locker loads, by model: the columns posting reads (the rest is deferred and
# loads on first use). tests/rooms/test_hot_sql.py checks each is a field of its model.
LOCKED_COLUMNS: dict[str, tuple[str, ...]] = {
    "room": ("id", "kind", "enquiry"),
    "enquiry": ("status", "visitor", "owner", "channel"),
    "channel": ("kind",),
}


def lock_sql_build() -> _LockSQL:
    Channel = _channel_model()  # noqa: N806 - a model class
    q = connection.ops.quote_name
    no_key = connection.features.has_select_for_no_key_update

    def col(model: Any, name: str) -> str:
        return q(model._meta.get_field(name).column)

    room, enquiry, channel = (q(m._meta.db_table) for m in (Room, Enquiry, Channel))
    r_id, e_id, c_id = col(Room, "id"), col(Enquiry, "id"), col(Channel, "id")
    selected = [
        *(f"r.{col(Room, name)}" for name in LOCKED_COLUMNS["room"]),
        *(f"e.{col(Enquiry, name)}" for name in LOCKED_COLUMNS["enquiry"]),
        f"e.{col(Enquiry, 'first_response_at')} IS NULL",
        *(f"c.{col(Channel, name)}" for name in LOCKED_COLUMNS["channel"]),
    ]
    return _LockSQL(
        before=f"SELECT {', '.join(selected)} "  # noqa: S608 - names from _meta, values are parameters
        f"FROM {room} r JOIN {enquiry} e ON e.{e_id} = r.{col(Room, 'enquiry')} "
        f"JOIN {channel} c ON c.{c_id} = e.{col(Enquiry, 'channel')} "
        f"WHERE r.{r_id} IN (",
        after=f") ORDER BY e.{e_id}" + (" FOR NO KEY UPDATE OF e" if no_key else ""),
        room=tuple(_attname(Room, n) for n in LOCKED_COLUMNS["room"]),
        enquiry=tuple(_attname(Enquiry, n) for n in LOCKED_COLUMNS["enquiry"]),
        channel=tuple(_attname(Channel, n) for n in LOCKED_COLUMNS["channel"]),
    )


def _attname(model: Any, name: str) -> str:
    return str(model._meta.get_field(name).attname)


def rooms_lock(room_ids: list[int]) -> dict[int, Room]:
    """The enquiry rooms among ``room_ids``, their enquiry rows locked in id order (one
    order for every batch, so batches cannot deadlock), each room with its enquiry and the
    enquiry's channel loaded with what posting reads; ``first_response_at`` is loaded (as
    None) only while no staff has answered, else deferred (``post_after``)."""
    Channel = _channel_model()  # noqa: N806 - a model class
    sql = lock_sql()
    n_room, n_enquiry = len(sql.room), len(sql.enquiry)
    n_unanswered = n_room + n_enquiry
    rooms: dict[int, Room] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql.before + sql_placeholders(room_ids) + sql.after, room_ids)
        rows = cursor.fetchall()
    db = connection.alias
    for row in rows:
        room_values = dict(zip(sql.room, row[:n_room], strict=True))
        enquiry_values = dict(zip(sql.enquiry, row[n_room:n_unanswered], strict=True))
        channel_values = dict(zip(sql.channel, row[n_unanswered + 1 :], strict=True))
        enquiry_values["id"] = room_values["enquiry_id"]
        if row[n_unanswered]:
            enquiry_values["first_response_at"] = None
        channel_values["id"] = enquiry_values["channel_id"]
        room = loaded_instance(Room, room_values, db)
        enquiry = loaded_instance(Enquiry, enquiry_values, db)
        enquiry.channel = loaded_instance(Channel, channel_values, db)
        # The room's cache of its enquiry, and not the enquiry's of its room, which the
        # descriptor (``room.enquiry = enquiry``) sets too: that cycle left each batch's
        # instances (with their states and dicts, ~15 containers per room) to the cyclic
        # garbage collector, most of its young generation under chat load (bench/RESULTS.md,
        # session 13). Nothing on the posting path reads ``enquiry.room``.
        Room.enquiry.field.set_cached_value(room, enquiry)
        rooms[room.pk] = room
    return rooms


def _enquiry(post: Post) -> Enquiry | None:
    return post.room.enquiry if post.room.enquiry_id is not None else None


def post_check(post: Post) -> None:
    """Who may post in an enquiry's room now (raises the refusal). Caller (the pipeline)
    holds the enquiry's lock."""
    enquiry = _enquiry(post)
    if post.staff is not None:
        if enquiry is not None and enquiry.status == Enquiry.Status.CLOSED:
            raise Conflict("This enquiry is closed and read-only.", code="closed")
        return
    if post.visitor_id is None:
        return
    if enquiry is None or enquiry.visitor_id != post.visitor_id:
        raise NotAuthorized(gettext("This is not your conversation."))
    if enquiry.status == Enquiry.Status.CLOSED:
        raise Conflict(gettext("This conversation is closed. Start a new one to write again."), code="closed")
    # A platform customer has no note form: the intake adds their message to an enquiry
    # missed a moment ago (enquiries.intake), where staff following up read it. A note's
    # files go in with the note (enquiries.services.note_files_post).
    if enquiry.status == Enquiry.Status.MISSED and post.kind not in ("platform", "note_file"):
        raise Conflict(gettext("Nobody could answer this enquiry. Leave a note instead."), code="missed")
    # A customer writing to a resolved enquiry whose auto-close time has passed (the sweep
    # has not got to it yet) finds it closed, as a moment later: no reopening.
    if enquiry.status == Enquiry.Status.RESOLVED and services.enquiry_close_if_due(enquiry=enquiry):
        raise Conflict(gettext("This conversation is closed. Start a new one to write again."), code="closed")


def post_before_insert(post: Post) -> None:
    """A customer writing to a resolved enquiry reopens it to the same owner (its system
    message goes before the customer's)."""
    enquiry = _enquiry(post)
    if enquiry is not None and post.visitor_id is not None and enquiry.status == Enquiry.Status.RESOLVED:
        services.enquiry_reopen(enquiry=enquiry)


def post_after(post: Post) -> None:
    """The first staff message of an enquiry sets its ``first_response_at``. The locker
    loads that field only while it is empty; the first staff message of a batch sets it on
    the shared instance, so later ones leave it alone."""
    enquiry = _enquiry(post)
    if (
        enquiry is None
        or post.staff is None
        or "first_response_at" in enquiry.get_deferred_fields()
        or enquiry.first_response_at is not None
    ):
        return
    enquiry.first_response_at = post.message.created_at
    enquiry.save(update_fields=["first_response_at"])


def change_check(room: Room, message: Message) -> None:
    """A closed enquiry is read-only: its messages can no longer be edited or recalled."""
    if room.enquiry_id is not None and room.enquiry is not None and room.enquiry.status == Enquiry.Status.CLOSED:
        raise Conflict(gettext("This conversation is closed and read-only."), code="closed")
