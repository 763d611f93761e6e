"""Keeping the search index (``history.search_models``) in step with what it indexes.

- Messages: ``messages_index`` is told of every posted batch by the posting pipeline
  (``rooms.hooks.register_message_observers``, registered in ``HistoryConfig.ready``) and
  inserts the batch's rows in one statement, inside the posting transaction: a message is
  searchable as soon as it is committed. ``message_reindex`` follows an edit (new tokens),
  a recall (the row goes: a recalled message is never found) and a settled file.
- Enquiries and customers: database triggers queue a changed one in
  ``history_searchstale``; ``search_stale_flush`` rebuilds their rows (before each search
  of that scope, and from a sweep).
- ``search_reindex`` rebuilds everything, set-based (the management command).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection, connections, transaction

from customers.models import Customer
from enquiries.models import Enquiry, EnquiryNote, Visitor
from history.search_models import CustomerIndex, EnquiryIndex, MessageIndex, SearchStale
from history.search_tokens import STAFF_MARK, staff_token, token_string
from rooms import hooks as room_hooks
from rooms.models import Message, Room

logger = logging.getLogger(__name__)

INDEXED_KINDS = (Message.Kind.TEXT, Message.Kind.FILE)


def message_tokens(kind: str, text: str, data: Any, recalled: bool = False) -> str:
    """The token string of a message ("" when it is not indexed: system messages, recalled
    ones, a message with no words). A file message is found by its caption and file name."""
    if recalled or kind not in INDEXED_KINDS:
        return ""
    name = ""
    if kind == Message.Kind.FILE and isinstance(data, dict) and isinstance(data.get("file"), dict):
        name = str(data["file"].get("name") or "")
    return token_string(text, name)


def rooms_staff(room_ids: Iterable[int]) -> dict[int, set[int]]:
    """{room id: the staff who may find its messages}: everyone who was ever a member of the
    room, and the enquiry's owner (``history.filters.visible_enquiries``). One query."""
    ids = sorted(set(room_ids))
    found: dict[int, set[int]] = {room_id: set() for room_id in ids}
    if not ids:
        return found
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT room_id, staff_id FROM rooms_roomparticipant WHERE room_id IN ({marks})"  # noqa: S608
            " UNION SELECT r.id, e.owner_id FROM rooms_room r JOIN enquiries_enquiry e ON e.id = r.enquiry_id"
            f" WHERE r.id IN ({marks}) AND e.owner_id IS NOT NULL",
            ids + ids,
        )
        for room_id, staff_id in cursor.fetchall():
            found[room_id].add(staff_id)
    return found


def with_staff(tokens: str, staff_ids: Iterable[int]) -> str:
    """The document's tokens followed by the permission tokens of ``staff_ids``."""
    marks = " ".join(staff_token(s) for s in sorted(staff_ids))
    return f"{tokens} {marks}" if marks else tokens


# The permission tokens of a row, added by the database from the room's participants and
# the enquiry's owner (``rooms_staff`` in SQL), so that indexing a batch is one statement.
_STAFF_TOKENS = {
    "postgresql": (
        "COALESCE((SELECT string_agg(' ' || '{mark}' || s.staff_id, '' ORDER BY s.staff_id) FROM ("
        "SELECT p.staff_id FROM rooms_roomparticipant p WHERE p.room_id = {room}"
        " UNION SELECT e.owner_id FROM enquiries_enquiry e WHERE e.id = {enquiry} AND e.owner_id IS NOT NULL) s), '')"
    ),
    "sqlite": (
        "COALESCE((SELECT group_concat(' ' || '{mark}' || s.staff_id, '') FROM ("
        "SELECT p.staff_id FROM rooms_roomparticipant p WHERE p.room_id = {room}"
        " UNION SELECT e.owner_id FROM enquiries_enquiry e WHERE e.id = {enquiry} AND e.owner_id IS NOT NULL) s), '')"
    ),
}


def messages_index(messages: Sequence[Message]) -> None:
    """Index a posted batch: one INSERT ... SELECT in the posting transaction (sent with the
    batch's other observers' statements: ``rooms.hooks.batch_statement``), the permission
    tokens of each row read from the room by the database."""
    rows = []
    db = connections[connection.alias]  # the proxy's lookup once, not per message
    adapt_datetime = db.ops.adapt_datetimefield_value
    for m in messages:
        room = m.room
        tokens = message_tokens(m.kind, m.text, m.data) if room.enquiry_id is not None else ""
        if tokens:
            rows.append((m.pk, m.room_id, room.enquiry_id, adapt_datetime(m.created_at), tokens))
    if not rows:
        return
    params: list[Any] = [value for row in rows for value in row]
    table = db.ops.quote_name(MessageIndex._meta.db_table)
    if db.vendor == "postgresql":
        values = ", ".join(["(%s::bigint, %s::bigint, %s::bigint, %s::timestamptz, %s::text)"] * len(rows))
        source = f"(VALUES {values}) AS v (message_id, room_id, enquiry_id, created_at, tokens)"
        cols = ("v.message_id", "v.room_id", "v.enquiry_id", "v.created_at", "v.tokens")
    else:
        values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(rows))
        source = f"(VALUES {values}) AS v"
        cols = ("v.column1", "v.column2", "v.column3", "v.column4", "v.column5")
    staff = _STAFF_TOKENS.get(db.vendor, "''").format(mark=STAFF_MARK, room=cols[1], enquiry=cols[2])
    room_hooks.batch_statement(
        f"INSERT INTO {table} (message_id, room_id, enquiry_id, created_at, tokens)"  # noqa: S608
        f" SELECT {cols[0]}, {cols[1]}, {cols[2]}, {cols[3]}, {cols[4]} || {staff} FROM {source}",
        params,
    )


def message_reindex(message: Message) -> None:
    """After an edit, a recall or a settled file: the row follows the message's state."""
    tokens = message_tokens(message.kind, message.text, message.data, recalled=message.recalled_at is not None)
    enquiry_id = Room.objects.filter(pk=message.room_id).values_list("enquiry_id", flat=True).first()
    if not tokens or enquiry_id is None:
        MessageIndex.objects.filter(message_id=message.pk).delete()
        return
    tokens = with_staff(tokens, rooms_staff([message.room_id])[message.room_id])
    updated = MessageIndex.objects.filter(message_id=message.pk).update(tokens=tokens)
    if not updated:
        MessageIndex.objects.create(
            message_id=message.pk,
            room_id=message.room_id,
            enquiry_id=enquiry_id,
            created_at=message.created_at,
            tokens=tokens,
        )


def enquiries_messages_reindex(enquiry_ids: Sequence[int]) -> None:
    """Rebuild the message rows of these enquiries from the messages as they are now."""
    ids = list(enquiry_ids)
    if not ids:
        return
    MessageIndex.objects.filter(enquiry_id__in=ids).delete()
    messages = list(
        Message.objects.filter(
            room__enquiry_id__in=ids, kind__in=INDEXED_KINDS, recalled_at__isnull=True
        ).select_related("room")
    )
    for start in range(0, len(messages), 500):
        messages_index(messages[start : start + 500])


def search_erase(customer_id: int, visitor_ids: Sequence[int], enquiry_ids: Sequence[int]) -> None:
    """A customer was erased (``history.hooks.register_erasure_hook``, in the erasure's
    transaction, after their data was anonymised or deleted): nothing of theirs stays
    findable: their enquiries' message rows are rebuilt from what is left, their enquiries'
    and their own rows rebuilt (an erased customer has none)."""
    enquiries_messages_reindex(enquiry_ids)
    if enquiry_ids:
        _rows_replace(EnquiryIndex, "enquiry_id", list(enquiry_ids), _enquiry_rows(list(enquiry_ids)))
    _rows_replace(CustomerIndex, "customer_id", [customer_id], _customer_rows([customer_id]))


def search_retain(enquiry_ids: Sequence[int]) -> None:
    """Retention is about to delete these enquiries (``register_retention_hook``): their
    rows go first (the foreign keys cascade on PostgreSQL anyway; this also covers SQLite
    and keeps the delete from waiting on the cascade)."""
    ids = list(enquiry_ids)
    if ids:
        MessageIndex.objects.filter(enquiry_id__in=ids).delete()
        EnquiryIndex.objects.filter(enquiry_id__in=ids).delete()


# ------------------------------------------------------------------ enquiries, customers


def _enquiry_rows(ids: Iterable[int] | None, after: int = 0, limit: int = 0) -> list[tuple[int, str]]:
    """(enquiry id, tokens) of the given enquiries (or of a chunk of ids > ``after``)."""
    query = Enquiry.objects.order_by("pk")
    query = query.filter(pk__in=list(ids)) if ids is not None else query.filter(pk__gt=after)[:limit]
    found = list(query.values_list("pk", "topic", "first_message", "visitor__first_name", "visitor__last_name"))
    notes = dict(EnquiryNote.objects.filter(enquiry_id__in=[r[0] for r in found]).values_list("enquiry_id", "text"))
    rooms = dict(Room.objects.filter(enquiry_id__in=[r[0] for r in found]).values_list("enquiry_id", "pk"))
    staff = rooms_staff(rooms.values())
    rows = []
    for pk, topic, first, fn, ln in found:
        tokens = token_string(topic, first, f"{fn} {ln}", notes.get(pk, ""))
        rows.append((pk, with_staff(tokens, staff.get(rooms.get(pk, 0), set())) if tokens else ""))
    return rows


def _customer_rows(ids: Iterable[int] | None, after: int = 0, limit: int = 0) -> list[tuple[int, str]]:
    """(customer id, tokens) of the given customers (or a chunk of ids > ``after``); a
    merged or erased customer is not indexed (tokens "")."""
    query = Customer.objects.order_by("pk")
    query = query.filter(pk__in=list(ids)) if ids is not None else query.filter(pk__gt=after)[:limit]
    found = list(query.values_list("pk", "name", "email", "phone", "identifier", "merged_into_id", "erased_at"))
    identities: dict[int, list[str]] = {}
    for customer_id, identity in Visitor.objects.filter(customer_id__in=[r[0] for r in found]).values_list(
        "customer_id", "channel_identity"
    ):
        if identity:
            identities.setdefault(customer_id, []).append(identity)
    # Who served them: the staff of every room of their enquiries (the permission tokens).
    rooms: dict[int, list[int]] = {}
    for customer_id, room_id in Room.objects.filter(
        enquiry__visitor__customer_id__in=[r[0] for r in found]
    ).values_list("enquiry__visitor__customer_id", "pk"):
        rooms.setdefault(customer_id, []).append(room_id)
    staff = rooms_staff(room_id for ids in rooms.values() for room_id in ids)
    rows = []
    for pk, name, email, phone, identifier, merged_into, erased_at in found:
        if merged_into is not None or erased_at is not None:
            rows.append((pk, ""))
            continue
        # An email address also by its parts ("ann@example.com": "ann", "example", "com").
        tokens = token_string(name, email, phone, identifier or "", *identities.get(pk, []))
        served = {s for room_id in rooms.get(pk, []) for s in staff[room_id]}
        rows.append((pk, with_staff(tokens, served) if tokens else ""))
    return rows


def _rows_replace(model: Any, key: str, ids: list[int], rows: list[tuple[int, str]]) -> None:
    model.objects.filter(**{f"{key}__in": ids}).delete()
    model.objects.bulk_create([model(**{key: pk, "tokens": tokens}) for pk, tokens in rows if tokens])


def search_stale_flush(kind: str | None = None, *, limit: int = 5000) -> int:
    """Rebuild the index rows of queued enquiries ("e") and customers ("c"); the number
    done. Safe to run from several processes at once (the queue rows are taken with SKIP
    LOCKED on PostgreSQL)."""
    done = 0
    kinds = [kind] if kind else ["e", "c"]
    with transaction.atomic():
        queued = SearchStale.objects.filter(kind__in=kinds).order_by("pk")
        if connection.features.has_select_for_update_skip_locked:
            queued = queued.select_for_update(skip_locked=True)
        taken = list(queued.values_list("pk", "kind", "object_id")[:limit])
        if not taken:
            return 0
        for k, model, key, rows_of in (
            ("e", EnquiryIndex, "enquiry_id", _enquiry_rows),
            ("c", CustomerIndex, "customer_id", _customer_rows),
        ):
            ids = sorted({object_id for _pk, kk, object_id in taken if kk == k})
            if ids:
                _rows_replace(model, key, ids, rows_of(ids))
                done += len(ids)
        SearchStale.objects.filter(pk__in=[pk for pk, _k, _o in taken]).delete()
    return done


def search_stale_sweep() -> None:
    """The ticker's sweep (every few seconds)."""
    while search_stale_flush() >= 5000:
        pass


# ------------------------------------------------------------------ full rebuild


def _copy_value(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Load rows with PostgreSQL's COPY (text format, built in memory per chunk)."""
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(_copy_value(v) for v in row))
        buffer.write("\n")
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)


def _insert_rows(table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    if not rows:
        return
    marks = "(" + ", ".join(["%s"] * len(columns)) + ")"
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES {marks}", rows)  # noqa: S608


def _write(table: str, columns: Sequence[str], rows: list[Sequence[Any]]) -> None:
    if connection.vendor == "postgresql":
        _copy_rows(table, columns, rows)
    else:
        _insert_rows(table, columns, rows)


def _message_chunk(after: int, limit: int) -> list[tuple[Any, ...]]:
    """The next ``limit`` indexable messages after id ``after``: (id, room id, enquiry id,
    created_at, text, file name). Plain SQL: the ORM's per-row conversions (the JSON of
    ``data``, aware datetimes) cost more than the tokenising; on PostgreSQL created_at
    stays text, as COPY takes it."""
    q = connection.ops.quote_name
    m, r = q(Message._meta.db_table), q(Room._meta.db_table)
    if connection.vendor == "postgresql":
        created, name = "m.created_at::text", "CASE WHEN m.kind = 'file' THEN m.data::jsonb -> 'file' ->> 'name' END"
    else:
        created, name = "m.created_at", "CASE WHEN m.kind = 'file' THEN json_extract(m.data, '$.file.name') END"
    sql = (
        f"SELECT m.id, m.room_id, r.enquiry_id, {created}, m.text, {name} FROM {m} m"  # noqa: S608
        f" JOIN {r} r ON r.id = m.room_id"
        " WHERE m.id > %s AND m.kind IN ('text', 'file') AND m.recalled_at IS NULL AND r.enquiry_id IS NOT NULL"
        " ORDER BY m.id LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [after, limit])
        return cursor.fetchall()


def search_reindex(*, chunk: int = 20000, progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Rebuild the whole index: empty it, then read messages, enquiries and customers in
    id order by chunks, tokenise each chunk in Python and load it in one COPY (PostgreSQL)
    or one executemany (SQLite). On PostgreSQL the GIN indexes are dropped during the load
    and built once at the end (much faster than maintaining them row by row). Returns the
    rows written per index."""
    counts = {"messages": 0, "enquiries": 0, "customers": 0}
    pg = connection.vendor == "postgresql"
    tables = [MessageIndex._meta.db_table, EnquiryIndex._meta.db_table, CustomerIndex._meta.db_table]
    with connection.cursor() as cursor:
        if pg:
            # Run pending deferred FK checks first (TRUNCATE refuses while there are some).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {', '.join(tables)}, {SearchStale._meta.db_table}")
            for table in tables:
                cursor.execute(f"DROP INDEX IF EXISTS {table}_vector")
            cursor.execute("DROP INDEX IF EXISTS history_msgindex_room")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608
            cursor.execute(f"DELETE FROM {SearchStale._meta.db_table}")  # noqa: S608
    try:
        after = 0
        while True:
            found = _message_chunk(after, chunk)
            if not found:
                break
            after = found[-1][0]
            staff = rooms_staff(row[1] for row in found)
            rows: list[Sequence[Any]] = []
            for pk, room_id, enquiry_id, created_at, text, file_name in found:
                tokens = token_string(text, file_name) if file_name else token_string(text)
                if tokens:
                    rows.append((pk, room_id, enquiry_id, created_at, with_staff(tokens, staff[room_id])))
            _write(tables[0], ("message_id", "room_id", "enquiry_id", "created_at", "tokens"), rows)
            counts["messages"] += len(rows)
            if progress:
                progress("messages", counts["messages"])
        for name, table, key, rows_of in (
            ("enquiries", tables[1], "enquiry_id", _enquiry_rows),
            ("customers", tables[2], "customer_id", _customer_rows),
        ):
            after = 0
            while True:
                pairs = rows_of(None, after=after, limit=chunk)
                if not pairs:
                    break
                after = pairs[-1][0]
                kept: list[Sequence[Any]] = [(pk, tokens) for pk, tokens in pairs if tokens]
                _write(table, (key, "tokens"), kept)
                counts[name] += len(kept)
                if progress:
                    progress(name, counts[name])
    finally:
        if pg:
            with transaction.atomic(), connection.cursor() as cursor:
                # GIN builds much faster with room to sort in (this transaction only: through
                # PgBouncer a session setting would stay on a pooled server connection).
                cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
                for table in tables:
                    cursor.execute(f"CREATE INDEX IF NOT EXISTS {table}_vector ON {table} USING gin (vector)")
                cursor.execute(f"CREATE INDEX IF NOT EXISTS history_msgindex_room ON {tables[0]} (room_id, message_id)")
                for table in tables:
                    cursor.execute(f"ANALYZE {table}")
    return counts
