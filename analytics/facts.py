# ruff: noqa: S608 - the SQL is built from constant table and column names; values are always parameters
"""Keeping the rollups (analytics.facts_models) up to date, and rebuilding them.

Live: the hooks registered in ``AnalyticsConfig.ready`` run inside the writing
transactions:

- ``enquiry_event_observed`` (every enquiry event row): one upsert of the enquiry's fact
  from its row as the service left it (plus the conversation tags and handling spans when
  the event changes them);
- ``messages_posted`` (every posted batch, the chat hot path): at most ONE statement,
  adding the batch's customer and staff messages to their enquiries' facts;
- ``staff_availability_changed``: ends the staff member's open availability span and
  starts the new one;
- ``conversation_tags_changed`` (a tag moved under another parent, or deleted): the tag
  groups of those parents resynced, set-based.

Rebuild (``analytics_rebuild``, ``manage.py analytics_rebuild [--since DATE]``): a few
set-based ``INSERT ... SELECT`` statements from enquiries, their events, messages and tags,
in one transaction; idempotent. The same SQL expressions as the live upsert, so the live
facts equal the rebuilt ones. Availability spans are not derived from anything (they are
the record of availability changes) and are kept.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db import connection, transaction

from analytics.facts_models import AvailabilitySpan, HandlingSpan
from contactcenter.org import clock
from contactcenter.org.models import Staff
from enquiries.models import EnquiryEvent
from rooms import hooks as room_hooks
from rooms.models import Message

FACT = "analytics_enquiryfact"
FACT_TAG = "analytics_enquiryfacttag"
FACT_GROUP = "analytics_enquiryfacttaggroup"
HANDLING = "analytics_handlingspan"
AVAILABILITY = "analytics_availabilityspan"

# Events that change nothing a fact holds (alerts, joins, follow-ups...): not observed.
_FACT_EVENTS = frozenset(
    {
        EnquiryEvent.Type.OPENED,
        EnquiryEvent.Type.PICKED_UP,
        EnquiryEvent.Type.TRANSFERRED,
        EnquiryEvent.Type.TAKEN_OVER,
        EnquiryEvent.Type.RESOLVED,
        EnquiryEvent.Type.REOPENED,
        EnquiryEvent.Type.CLOSED,
        EnquiryEvent.Type.MISSED,
        EnquiryEvent.Type.RATED,
    }
)
# Events that start a handling span (the new owner's) and those that end one.
_SPAN_STARTS = ("picked_up", "transferred", "taken_over", "reopened")
_SPAN_ENDS = ("resolved", "closed")


def _seconds_sql(start: str, end: str) -> str:
    """SQL for the seconds from ``start`` to ``end`` (null if either is), to the millisecond."""
    if connection.vendor == "postgresql":
        return f"ROUND(EXTRACT(EPOCH FROM ({end} - {start}))::numeric, 3)::double precision"
    return f"ROUND((julianday({end}) - julianday({start})) * 86400.0, 3)"


def _fact_columns() -> list[str]:
    return [
        "enquiry_id",
        "room_id",
        "created_at",
        "channel_id",
        "channel_kind",
        "destination_id",
        "owner_id",
        "status",
        "missed_at",
        "missed_reason",
        "handled",
        "resolved",
        "reopened",
        "transferred",
        "wait_s",
        "first_response_s",
        "handle_s",
        "messages_customer",
        "messages_staff",
        "rating_score",
        "rating_commented",
        "tagged",
    ]


# When the robot handed the enquiry over to people (its ``handed_over`` event), null if it
# never held it: a robot-held enquiry waits for a person from then (its deadline counts from
# then too, enquiries.services.enquiry_robot_handover), not from its opening. The rebuild
# joins the same events grouped (``_HANDOVERS``); the live upsert looks up the one enquiry's.
_HANDED_OVER_AT = (
    "(SELECT MAX(ho.created_at) FROM enquiries_enquiryevent ho WHERE ho.enquiry_id = e.id AND ho.type = 'handed_over')"
)
_HANDOVERS = (
    "SELECT ev.enquiry_id, MAX(ev.created_at) AS at FROM enquiries_enquiryevent ev "
    "WHERE ev.type = 'handed_over' GROUP BY ev.enquiry_id"
)


def _fact_select(
    *, resolved: str, reopened: str, transferred: str, customer: str, staff: str, handed_over_at: str = _HANDED_OVER_AT
) -> str:
    """The SELECT list of a fact from ``e`` (the enquiry), ``c`` (its channel) and ``r``
    (its room), with the given expressions for the event flags, message counts and the
    robot's handover time."""
    end = "COALESCE(e.resolved_at, e.closed_at)"
    handle = (
        f"CASE WHEN e.picked_up_at IS NOT NULL AND e.status IN ('resolved', 'closed') AND {end} IS NOT NULL "
        f"THEN {_seconds_sql('e.picked_up_at', end)} END"
    )
    return ", ".join(
        [
            "e.id",
            "r.id",
            "e.created_at",
            "e.channel_id",
            "CASE WHEN e.via <> '' THEN e.via ELSE c.kind END",
            "e.destination_id",
            "e.owner_id",
            "e.status",
            "e.missed_at",
            "e.missed_reason",
            "(e.picked_up_at IS NOT NULL)",
            resolved,
            reopened,
            transferred,
            _seconds_sql(f"COALESCE({handed_over_at}, e.created_at)", "e.picked_up_at"),
            _seconds_sql("e.created_at", "e.first_response_at"),
            handle,
            customer,
            staff,
            "e.rating_score",
            "(e.rating_comment <> '')",
            "EXISTS (SELECT 1 FROM enquiries_enquiry_tags et WHERE et.enquiry_id = e.id)",
        ]
    )


_FROM = (
    " FROM enquiries_enquiry e JOIN channels_adapters_channel c ON c.id = e.channel_id"
    " LEFT JOIN rooms_room r ON r.enquiry_id = e.id"
)


# ------------------------------------------------------------------------------ live


def enquiry_event_observed(event: EnquiryEvent) -> None:
    """Observer of the enquiry event log (``enquiries.hooks``): the fact upsert, and the
    tags and handling spans when the event changes them."""
    if event.type == EnquiryEvent.Type.TAGS_SET:
        _fact_tags_write(event.enquiry_id, [int(i) for i in (event.data or {}).get("tags", [])])
        return
    if event.type not in _FACT_EVENTS:
        return
    _fact_upsert(event)
    if event.type in _SPAN_STARTS:
        _handling_start(event)
    elif event.type in _SPAN_ENDS:
        _handling_end(event.enquiry_id, event.created_at)


def _fact_upsert(event: EnquiryEvent) -> None:
    columns = _fact_columns()
    flags = {t: "%s" for t in ("resolved", "reopened", "transferred")}
    select = _fact_select(**flags, customer="0", staff="0")
    kept = {"enquiry_id", "messages_customer", "messages_staff"}
    ored = {"resolved", "reopened", "transferred"}
    updates = ", ".join(
        f"{col} = ({FACT}.{col} OR excluded.{col})" if col in ored else f"{col} = excluded.{col}"
        for col in columns
        if col not in kept
    )
    sql = (
        f"INSERT INTO {FACT} ({', '.join(columns)}) SELECT {select}{_FROM} WHERE e.id = %s "
        f"ON CONFLICT (enquiry_id) DO UPDATE SET {updates}"
    )
    params = [
        event.type == EnquiryEvent.Type.RESOLVED,
        event.type == EnquiryEvent.Type.REOPENED,
        event.type == EnquiryEvent.Type.TRANSFERRED,
        event.enquiry_id,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _handling_end(enquiry_id: int, when: dt.datetime) -> None:
    HandlingSpan.objects.filter(enquiry_id=enquiry_id, ended_at__isnull=True).update(ended_at=when)


def _handling_start(event: EnquiryEvent) -> None:
    staff_id = event.actor_id if event.type != EnquiryEvent.Type.REOPENED else event.enquiry.owner_id
    if event.type != EnquiryEvent.Type.REOPENED:  # a reopened enquiry had no open span
        _handling_end(event.enquiry_id, event.created_at)
    if staff_id is None:
        return
    load = HandlingSpan.objects.filter(staff_id=staff_id, ended_at__isnull=True).count() + 1
    HandlingSpan.objects.create(
        enquiry_id=event.enquiry_id, staff_id=staff_id, started_at=event.created_at, load_at_start=load
    )


# The tag groups of the tags in FACT_TAG rows ``ft`` (with ``ct`` their tag): each tag and
# its parent. The same expression writes them live, resyncs and rebuilds them.
_GROUPS_OF_TAGS = (
    f"SELECT ft.enquiry_id, ft.tag_id AS group_id FROM {FACT_TAG} ft WHERE {{where}} "
    f"UNION SELECT ft.enquiry_id, ct.parent_id FROM {FACT_TAG} ft "
    "JOIN enquiries_conversationtag ct ON ct.id = ft.tag_id WHERE ct.parent_id IS NOT NULL AND {where}"
)


def _groups_insert_sql(where: str) -> str:
    """INSERT the tag groups of the FACT_TAG rows matching ``where`` (over ``ft``; its
    parameters are given twice), with their enquiry's creation time; present rows are kept."""
    return (
        f"INSERT INTO {FACT_GROUP} (enquiry_id, group_id, created_at) "
        f"SELECT g.enquiry_id, g.group_id, e.created_at FROM ({_GROUPS_OF_TAGS.format(where=where)}) g "
        # "WHERE 1 = 1": SQLite reads an ON after a join as the join's without it.
        "JOIN enquiries_enquiry e ON e.id = g.enquiry_id WHERE 1 = 1 ON CONFLICT (enquiry_id, group_id) DO NOTHING"
    )


def _fact_tags_write(enquiry_id: int, tag_ids: Sequence[int]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {FACT_TAG} WHERE enquiry_id = %s", [enquiry_id])
        cursor.execute(f"DELETE FROM {FACT_GROUP} WHERE enquiry_id = %s", [enquiry_id])
        cursor.execute(f"UPDATE {FACT} SET tagged = %s WHERE enquiry_id = %s", [bool(tag_ids), enquiry_id])
        if tag_ids:
            params: list[int] = []
            for tag_id in sorted(set(tag_ids)):
                params += [enquiry_id, tag_id]
            values = ", ".join(["(%s, %s)"] * (len(params) // 2))
            cursor.execute(f"INSERT INTO {FACT_TAG} (enquiry_id, tag_id) VALUES {values}", params)
            cursor.execute(_groups_insert_sql("ft.enquiry_id = %s"), [enquiry_id, enquiry_id])


def conversation_tags_changed(group_ids: Sequence[int], deleted: bool = False) -> None:
    """Observer of the conversation tag tree (``enquiries.hooks``): a tag moved to another
    parent or was deleted, and ``group_ids`` (the parents it left and joined) may have
    gained or lost enquiries. Their group rows are made equal to the tags again: those no
    tag supports any more removed, the missing ones added; after a deletion, the facts
    left without a tag are marked so. Set-based, in the admin's transaction."""
    ids = sorted({int(i) for i in group_ids if i is not None})
    with connection.cursor() as cursor:
        if deleted:
            cursor.execute(
                f"UPDATE {FACT} SET tagged = %s WHERE tagged AND NOT EXISTS "
                f"(SELECT 1 FROM {FACT_TAG} ft WHERE ft.enquiry_id = {FACT}.enquiry_id)",
                [False],
            )
        if not ids:
            return
        marks = ", ".join(["%s"] * len(ids))
        cursor.execute(
            f"DELETE FROM {FACT_GROUP} WHERE group_id IN ({marks}) AND NOT EXISTS ("
            f"SELECT 1 FROM {FACT_TAG} ft JOIN enquiries_conversationtag ct ON ct.id = ft.tag_id "
            f"WHERE ft.enquiry_id = {FACT_GROUP}.enquiry_id "
            f"AND (ft.tag_id = {FACT_GROUP}.group_id OR ct.parent_id = {FACT_GROUP}.group_id))",
            ids,
        )
        where = (
            f"(ft.tag_id IN ({marks}) OR ft.tag_id IN "
            f"(SELECT c.id FROM enquiries_conversationtag c WHERE c.parent_id IN ({marks})))"
        )
        cursor.execute(_groups_insert_sql(where), ids * 4)


def messages_posted(messages: Sequence[Message]) -> None:
    """Observer of posted batches (``rooms.hooks``): ONE statement at most, adding each
    room's customer and staff messages (not system or bot ones) to its enquiry's fact."""
    customer: dict[int, int] = defaultdict(int)
    staff: dict[int, int] = defaultdict(int)
    for message in messages:
        if message.kind == Message.Kind.SYSTEM:
            continue
        if message.author_visitor_id is not None:
            customer[message.room_id] += 1
        elif message.author_staff_id is not None:
            staff[message.room_id] += 1
    rooms = sorted({*customer, *staff})
    if not rooms:
        return
    params: list[int] = []

    def case(counts: dict[int, int]) -> str:
        whens = [r for r in rooms if counts.get(r)]
        if not whens:
            return "0"
        for r in whens:
            params.extend([r, counts[r]])
        return "CASE room_id " + " ".join(["WHEN %s THEN %s"] * len(whens)) + " ELSE 0 END"

    set_customer = case(customer)
    set_staff = case(staff)
    params.extend(rooms)
    in_rooms = f"room_id IN ({', '.join(['%s'] * len(rooms))})"
    update = (
        f"UPDATE {FACT} SET messages_customer = messages_customer + {set_customer}, "
        f"messages_staff = messages_staff + {set_staff} WHERE {in_rooms}"
    )
    room_hooks.batch_statement(update, params)  # with the batch's other observers' statements


def staff_availability_changed(*, staff: Staff, previous: str, **_: Any) -> None:
    """Hook of ``on_staff_availability_changed``: the open span ends now, the new state's
    starts (two statements, inside the changing transaction)."""
    now = clock.now()
    AvailabilitySpan.objects.filter(staff_id=staff.pk, ended_at__isnull=True).update(ended_at=now)
    AvailabilitySpan.objects.create(staff_id=staff.pk, state=staff.availability, started_at=now)


def staff_created(*, staff: Staff, **_: Any) -> None:
    """Hook of ``on_staff_created``: the first availability span (its initial state)."""
    staff_availability_changed(staff=staff, previous="")


# ------------------------------------------------------------------------------ rebuild


def load_at_start_sql() -> str:
    """Every span's load at its start: a sweep over each staff member's starts (+1) and ends
    (-1) in time order (an end before a start at the same moment; then in id order, as the
    live spans were written); at least 1 (a span that ended the moment it started)."""
    greatest = "GREATEST" if connection.vendor == "postgresql" else "MAX"
    return (
        f"WITH d AS (SELECT id, staff_id, started_at AS t, 1 AS delta FROM {HANDLING} "
        f"UNION ALL SELECT id, staff_id, ended_at AS t, -1 AS delta FROM {HANDLING} WHERE ended_at IS NOT NULL), "
        "r AS (SELECT id, delta, SUM(delta) OVER (PARTITION BY staff_id ORDER BY t, delta, id "
        "ROWS UNBOUNDED PRECEDING) AS n FROM d) "
        f"UPDATE {HANDLING} SET load_at_start = {greatest}(r.n, 1) FROM r WHERE r.id = {HANDLING}.id "
        f"AND r.delta = 1 AND {HANDLING}.load_at_start <> {greatest}(r.n, 1)"
    )


def analytics_rebuild(*, since: dt.datetime | None = None) -> dict[str, int]:
    """Rebuild the facts, their tags and the handling spans of the enquiries created at or
    after ``since`` (all when None), set-based, in one transaction; idempotent. Returns the
    rows written per table."""
    scope = " AND e.created_at >= %s" if since is not None else ""
    scope_params: list[Any] = [connection.ops.adapt_datetimefield_value(since)] if since is not None else []
    types = ("resolved", "reopened", "transferred")
    flags_sql = (
        "SELECT ev.enquiry_id, "
        + ", ".join(f"MAX(CASE WHEN ev.type = '{t}' THEN 1 ELSE 0 END) AS f_{t}" for t in types)
        + " FROM enquiries_enquiryevent ev"
        + (" JOIN enquiries_enquiry e ON e.id = ev.enquiry_id" if since is not None else "")
        + f" WHERE ev.type IN ({', '.join(repr(t) for t in types)}){scope} GROUP BY ev.enquiry_id"
    )
    messages_sql = (
        "SELECT m.room_id, "
        "SUM(CASE WHEN m.author_visitor_id IS NOT NULL THEN 1 ELSE 0 END) AS n_customer, "
        "SUM(CASE WHEN m.author_visitor_id IS NULL AND m.author_staff_id IS NOT NULL THEN 1 ELSE 0 END) AS n_staff "
        "FROM rooms_message m"
        + (" JOIN rooms_room r ON r.id = m.room_id JOIN enquiries_enquiry e ON e.id = r.enquiry_id" if since else "")
        + f" WHERE m.kind <> 'system'{scope} GROUP BY m.room_id"
    )

    def flag(t: str) -> str:
        return f"(COALESCE(fl.f_{t}, 0) = 1)" if connection.vendor == "postgresql" else f"COALESCE(fl.f_{t}, 0)"

    select = _fact_select(
        resolved=flag("resolved"),
        reopened=flag("reopened"),
        transferred=flag("transferred"),
        customer="COALESCE(mc.n_customer, 0)",
        staff="COALESCE(mc.n_staff, 0)",
        handed_over_at="ho.at",
    )
    fact_sql = (
        f"INSERT INTO {FACT} ({', '.join(_fact_columns())}) SELECT {select}{_FROM} "
        f"LEFT JOIN ({flags_sql}) fl ON fl.enquiry_id = e.id "
        f"LEFT JOIN ({messages_sql}) mc ON mc.room_id = r.id "
        f"LEFT JOIN ({_HANDOVERS}) ho ON ho.enquiry_id = e.id "
        f"WHERE 1 = 1{scope}"
    )
    starts = ", ".join(f"'{t}'" for t in _SPAN_STARTS)
    all_types = ", ".join(f"'{t}'" for t in (*_SPAN_STARTS, *_SPAN_ENDS))
    owner_at_reopen = (
        "(SELECT ev2.actor_id FROM enquiries_enquiryevent ev2 WHERE ev2.enquiry_id = ev.enquiry_id "
        "AND ev2.id < ev.id AND ev2.type IN ('picked_up', 'transferred', 'taken_over') ORDER BY ev2.id DESC LIMIT 1)"
    )
    spans_sql = (
        f"INSERT INTO {HANDLING} (enquiry_id, staff_id, started_at, ended_at, load_at_start) "
        "SELECT s.enquiry_id, s.staff_id, s.started_at, s.ended_at, 1 FROM ("
        f"SELECT ev.enquiry_id, ev.type, CASE WHEN ev.type = 'reopened' THEN {owner_at_reopen} ELSE ev.actor_id END "
        "AS staff_id, ev.created_at AS started_at, "
        "LEAD(ev.created_at) OVER (PARTITION BY ev.enquiry_id ORDER BY ev.id) AS ended_at "
        "FROM enquiries_enquiryevent ev"
        + (" JOIN enquiries_enquiry e ON e.id = ev.enquiry_id" if since is not None else "")
        + f" WHERE ev.type IN ({all_types}){scope}"
        f") s WHERE s.type IN ({starts}) AND s.staff_id IS NOT NULL"
    )
    tags_sql = (
        f"INSERT INTO {FACT_TAG} (enquiry_id, tag_id) SELECT et.enquiry_id, et.conversationtag_id "
        "FROM enquiries_enquiry_tags et"
        + (" JOIN enquiries_enquiry e ON e.id = et.enquiry_id" if since is not None else "")
        + (f" WHERE 1 = 1{scope}")
    )
    groups_sql = _groups_insert_sql(
        "1 = 1" if since is None else "ft.enquiry_id IN (SELECT e.id FROM enquiries_enquiry e WHERE e.created_at >= %s)"
    )
    in_scope = "SELECT e.id FROM enquiries_enquiry e WHERE e.created_at >= %s"
    counts: dict[str, int] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The message counts are one hash aggregate over every message: in memory.
            cursor.execute("SET LOCAL work_mem = '256MB'")
        for table, key in (
            (FACT, "enquiry_id"),
            (FACT_TAG, "enquiry_id"),
            (FACT_GROUP, "enquiry_id"),
            (HANDLING, "enquiry_id"),
        ):
            if since is None:
                cursor.execute(f"DELETE FROM {table}")
            else:
                cursor.execute(f"DELETE FROM {table} WHERE {key} IN ({in_scope})", scope_params)
        cursor.execute(fact_sql, scope_params * 3)
        counts["facts"] = cursor.rowcount
        cursor.execute(tags_sql, scope_params)
        counts["tags"] = cursor.rowcount
        cursor.execute(groups_sql, scope_params * 2)
        counts["tag_groups"] = cursor.rowcount
        cursor.execute(spans_sql, scope_params)
        counts["handling_spans"] = cursor.rowcount
        cursor.execute(load_at_start_sql())
    return counts


def availability_spans_seed(now: dt.datetime | None = None) -> int:
    """Start an availability span, in their current state, for every staff member without
    an open one (the migration that adds the spans: from then on changes are recorded)."""
    now = now or clock.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {AVAILABILITY} (staff_id, state, started_at, ended_at) "
            f"SELECT s.id, s.availability, %s, NULL FROM contactcenter_staff s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {AVAILABILITY} a WHERE a.staff_id = s.id AND a.ended_at IS NULL)",
            [connection.ops.adapt_datetimefield_value(now)],
        )
        return cursor.rowcount
