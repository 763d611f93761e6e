"""Full-text search of messages, enquiries and customers (SPEC section 9): the reads.

How a search runs (the same shape on PostgreSQL and SQLite):
1. The query is tokenised like the documents (``history.search_tokens``): words, and the
   bigrams of each run of Chinese, Japanese or Thai as a phrase; every term is required.
2. Candidates: the index rows that match (PostgreSQL: the ``tsvector`` column and its GIN
   index; SQLite: FTS5), narrowed in the same statement to what the caller may see (an
   agent: rooms they were ever a member of or enquiries they own, as a semi-join on room
   ids) and to the filters, newest first, at most ``CANDIDATES`` of them. Bounding the
   candidates bounds the cost of a common word on millions of messages.
3. The candidates are ranked (``ts_rank`` / FTS5's bm25; the newer first on a tie) and one
   page of them is loaded with what a result shows; snippets and the highlighted ranges
   are computed in Python from the current text.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext

from contactcenter.org.errors import InvalidInput
from contactcenter.org.models import Staff
from customers.models import Customer
from enquiries.models import Enquiry, EnquiryNote, Visitor
from history.filters import Filters, apply_filters, visible_enquiries
from history.search_index import search_stale_flush
from history.search_tokens import Term, fts5_query, query_terms, snippet, staff_token, tsquery
from rooms.models import Message, RoomMember

SCOPES = ("messages", "enquiries", "customers")
MAX_QUERY = 200  # characters
MAX_TERMS = 12
CANDIDATES = 200  # newest matches ranked per search
MAX_LIMIT = 50


@dataclasses.dataclass(frozen=True)
class SearchPage:
    results: list[dict[str, Any]]
    next_offset: int | None
    terms: list[Term]


def search_terms(q: Any) -> list[Term]:
    """The terms of a query; a 400 for an empty, too long or wordless one."""
    if not isinstance(q, str) or not q.strip():
        raise InvalidInput.field("q", gettext("Type something to search for."))
    if len(q) > MAX_QUERY:
        raise InvalidInput.field("q", gettext("A search is limited to %(n)d characters.") % {"n": MAX_QUERY})
    terms = query_terms(q)
    if not terms:
        raise InvalidInput.field("q", gettext("Search for words or characters, not only punctuation."))
    if len(terms) > MAX_TERMS:
        raise InvalidInput.field("q", gettext("A search is limited to %(n)d words.") % {"n": MAX_TERMS})
    return terms


def _sql(queryset: Any) -> tuple[str, list[Any]]:
    sql, params = queryset.query.sql_with_params()
    return sql, list(params)


def _filtered(filters: Filters) -> bool:
    """Does ``filters`` narrow anything (a search's default is every status)?"""
    return filters != Filters(status=tuple(Enquiry.Status.values))


def _filter_sql(filters: Filters, enquiry_col: str) -> tuple[str, list[Any]]:
    """The filters as one SQL condition on ``enquiry_col`` ("" when they narrow nothing)."""
    if not _filtered(filters):
        return "", []
    inner, inner_params = _sql(apply_filters(Enquiry.objects.all(), filters).values("pk"))
    return f" AND {enquiry_col} IN ({inner})", inner_params


def _narrowing(staff: Staff, filters: Filters, room_col: str | None, enquiry_col: str) -> tuple[str, list[Any]]:
    """SQL conditions (ANDed, each starting with " AND") for what ``staff`` may see and the
    filters. An agent: the rooms they were ever a member of, or of an enquiry they own
    (``history.filters.visible_enquiries``, written as semi-joins on ids so PostgreSQL can
    hash them); with ``room_col`` None, through the enquiry id."""
    sql, params = "", []
    if not staff.is_admin and room_col is None:
        sql += (
            f" AND {enquiry_col} IN (SELECT enquiry_id FROM rooms_roomparticipant"  # noqa: S608 - column names only
            " WHERE staff_id = %s AND enquiry_id IS NOT NULL"
            " UNION SELECT id FROM enquiries_enquiry WHERE owner_id = %s)"
        )
        params += [staff.pk, staff.pk]
    elif not staff.is_admin:
        sql += (
            f" AND ({room_col} IN (SELECT room_id FROM rooms_roomparticipant WHERE staff_id = %s)"  # noqa: S608
            f" OR {enquiry_col} IN (SELECT id FROM enquiries_enquiry WHERE owner_id = %s))"
        )
        params += [staff.pk, staff.pk]
    if _filtered(filters):
        inner, inner_params = _sql(apply_filters(Enquiry.objects.all(), filters).values("pk"))
        sql += f" AND {enquiry_col} IN ({inner})"
        params += inner_params
    return sql, params


# PostgreSQL looks for the newest matches of a message search (an agent's or an admin's)
# among the newest ids first when the planner expects many more matches than it keeps: a
# slice of the ids holding about SLICE_MARGIN times ``limit`` of them (if it holds fewer,
# one pass over all follows). Measured: bench/RESULTS-history.md, "perf14", "Session 10".
SLICE_MARGIN = 2
SLICE_MAX = 0.1  # of the ids: a wider slice costs more in rechecks of its lossy pages than it saves
# Several words: the planner multiplies their shares as if independent, but words of one
# language appear together (a pair of frequent Chinese words was underestimated ~3x). Such a
# query whose widest slice would hold enough matches if the estimate were this many times
# too low tries the widest slice first.
SLICE_UNDERESTIMATE = 4


def _recent_bounds(
    table: str, key: str, where: str, params: list[Any], limit: int, several_terms: bool = False
) -> list[int | None]:
    """The lower id bounds to try in turn (None: every id): [None], or a bound and None.
    Costs the planner's estimate of the matches (no execution) and the two ends of the
    primary key."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {table} i WHERE {where}", params)  # noqa: S608
        plan = cursor.fetchone()[0]
        expected = float((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]["Plan Rows"])
        share = SLICE_MARGIN * limit / expected if expected > 0 else 1.0
        if share > SLICE_MAX:
            if not several_terms or share > SLICE_MAX * SLICE_UNDERESTIMATE:
                return [None]
            share = SLICE_MAX
        cursor.execute(f"SELECT MIN({key}), MAX({key}) FROM {table}")  # noqa: S608 - names only
        low, high = cursor.fetchone()
    if low is None:
        return [None]
    return [high - int((high - low) * share), None]


def _candidates(
    kind: str, terms: list[Term], narrowing: tuple[str, list[Any]], limit: int, staff: Staff | None = None
) -> list[tuple[int, float]]:
    """(id, rank) of the newest ``limit`` matches of the index ``kind`` (message, enquiry,
    customer), best first. With ``staff`` (an agent), only the documents that carry their
    permission token (``history.search_tokens.staff_token``)."""
    table = f"history_{kind}index"
    key = f"{kind}_id"
    where, params = narrowing
    required = terms + ([Term((staff_token(staff.pk),))] if staff is not None and not staff.is_admin else [])
    rows: list[tuple[int, float]] = []
    if connection.vendor == "postgresql":
        # Messages: a frequent word's newest matches from a slice of the newest ids (its
        # rows found by the primary key's btree: exact pages, history 0006), every id if it holds fewer
        # than ``limit``: the same rows as one pass, which either fetches every match from
        # the heap to keep the newest few or walks the ids backwards testing each row.
        match = f"i.vector @@ to_tsquery('simple', %s){where}"
        match_params = [tsquery(required), *params]
        # Agents and admins: an agent's matches are sparse (their permission token), and so
        # are an admin's of two frequent words (each match then costs a heap page read; a
        # slice bounds them). An admin's one frequent word gets a narrow slice, which the
        # planner walks backwards as it would every id (measured: RESULTS-history.md,
        # "Session 10").
        sliced = kind == "message" and staff is not None
        bounds = _recent_bounds(table, key, match, match_params, limit, len(terms) > 1) if sliced else [None]
        for bound in bounds:
            window = f" AND i.{key} >= %s" if bound is not None else ""
            sql = (
                f"SELECT c.{key}, ts_rank(c.vector, q.q) AS rank FROM ("  # noqa: S608
                f"SELECT i.{key}, i.vector FROM {table} i WHERE {match}{window}"
                f" ORDER BY i.{key} DESC LIMIT %s) c, to_tsquery('simple', %s) q ORDER BY rank DESC, c.{key} DESC"
            )
            all_params = [*match_params, *([bound] if bound is not None else []), limit, tsquery(terms)]
            with connection.cursor() as cursor:
                cursor.execute(sql, all_params)
                rows = [(int(r[0]), float(r[1])) for r in cursor.fetchall()]
            if len(rows) >= limit:
                break
    else:
        fts = f"history_{kind}fts"
        sql = (
            f"SELECT i.{key}, -bm25({fts}) AS rank FROM {fts} JOIN {table} i ON i.{key} = {fts}.rowid"  # noqa: S608
            f" WHERE {fts} MATCH %s{where} ORDER BY i.{key} DESC LIMIT %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [fts5_query(required), *params, limit])
            rows = [(int(r[0]), float(r[1])) for r in cursor.fetchall()]
    rows.sort(key=lambda r: (-r[1], -r[0]))
    return rows


def _page(rows: list[Any], offset: int, limit: int) -> tuple[list[Any], int | None]:
    page = rows[offset : offset + limit]
    return page, (offset + limit if offset + limit < len(rows) else None)


def _enquiry_facts(enquiry_ids: list[int]) -> dict[int, dict[str, Any]]:
    """What a result shows of its enquiry: room, channel, visitor and customer, status."""
    facts: dict[int, dict[str, Any]] = {}
    rows = Enquiry.objects.filter(pk__in=enquiry_ids).values(
        "pk",
        "status",
        "topic",
        "created_at",
        "room__id",
        "channel_id",
        "channel__kind",
        "channel__name",
        "visitor__first_name",
        "visitor__last_name",
        "visitor__email",
        "visitor__phone",
        "visitor_id",
        "visitor__customer_id",
        "visitor__customer__name",
    )
    for r in rows:
        visitor_name = f"{r['visitor__first_name']} {r['visitor__last_name']}".strip()
        visitor_name = visitor_name or r["visitor__email"] or r["visitor__phone"] or f"Visitor {r['visitor_id']}"
        facts[r["pk"]] = {
            "enquiry": r["pk"],
            "room": r["room__id"],
            "status": r["status"],
            "topic": r["topic"],
            "enquiry_created_at": r["created_at"],
            "channel": {"id": r["channel_id"], "kind": r["channel__kind"], "name": r["channel__name"]},
            "name": r["visitor__customer__name"] or visitor_name,
            "customer": r["visitor__customer_id"],
        }
    return facts


def _message_text(kind: str, text: str, data: Any) -> str:
    if kind == Message.Kind.FILE and isinstance(data, dict) and isinstance(data.get("file"), dict):
        name = str(data["file"].get("name") or "")
        return f"{text} {name}".strip() if name else text
    return text


def _result_snippet(text: str, terms: list[Term]) -> dict[str, Any]:
    shown, ranges = snippet(text, terms)
    return {"snippet": shown, "highlights": [list(r) for r in ranges]}


def messages_search(*, staff: Staff, terms: list[Term], filters: Filters, offset: int, limit: int) -> SearchPage:
    ranked = _candidates("message", terms, _filter_sql(filters, "i.enquiry_id"), CANDIDATES, staff)
    page, next_offset = _page(ranked, offset, limit)
    ids = [pk for pk, _rank in page]
    messages = {
        m["pk"]: m
        for m in Message.objects.filter(pk__in=ids).values(
            "pk",
            "room_id",
            "room__enquiry_id",
            "kind",
            "text",
            "data",
            "created_at",
            "author_staff_id",
            "author_visitor_id",
        )
    }
    facts = _enquiry_facts([m["room__enquiry_id"] for m in messages.values()])
    results = []
    for pk, rank in page:
        m = messages.get(pk)
        if m is None or m["room__enquiry_id"] not in facts:
            continue  # gone since the candidates were read
        results.append(
            {
                **facts[m["room__enquiry_id"]],
                "type": "message",
                "message": pk,
                "time": m["created_at"],
                "from": "staff" if m["author_staff_id"] else ("visitor" if m["author_visitor_id"] else "system"),
                "rank": rank,
                **_result_snippet(_message_text(m["kind"], m["text"], m["data"]), terms),
            }
        )
    return SearchPage(results, next_offset, terms)


def enquiries_search(*, staff: Staff, terms: list[Term], filters: Filters, offset: int, limit: int) -> SearchPage:
    """Enquiries whose topic, first message, note or visitor's name match, or one of whose
    messages matches (the enquiry then shows its best message)."""
    search_stale_flush("e")
    narrowing = _filter_sql(filters, "i.enquiry_id")
    own = _candidates("enquiry", terms, narrowing, CANDIDATES, staff)
    by_messages = _candidates("message", terms, narrowing, CANDIDATES, staff)
    message_enquiry = dict(
        Message.objects.filter(pk__in=[pk for pk, _ in by_messages]).values_list("pk", "room__enquiry_id")
    )
    best: dict[int, tuple[float, int | None]] = {pk: (rank * 2, None) for pk, rank in own}
    for message_id, rank in by_messages:
        enquiry_id = message_enquiry.get(message_id)
        if enquiry_id is None:
            continue
        current = best.get(enquiry_id)
        if current is None:
            best[enquiry_id] = (rank, message_id)
        elif current[1] is not None or current[0] < rank:
            best[enquiry_id] = (current[0] + rank, current[1])
    ranked = sorted(best.items(), key=lambda item: (-item[1][0], -item[0]))
    page, next_offset = _page(ranked, offset, limit)
    facts = _enquiry_facts([pk for pk, _ in page])
    notes = dict(EnquiryNote.objects.filter(enquiry_id__in=[pk for pk, _ in page]).values_list("enquiry_id", "text"))
    first = dict(Enquiry.objects.filter(pk__in=[pk for pk, _ in page]).values_list("pk", "first_message"))
    texts = {
        m["pk"]: _message_text(m["kind"], m["text"], m["data"])
        for m in Message.objects.filter(pk__in=[mid for _pk, (_r, mid) in page if mid]).values(
            "pk", "kind", "text", "data"
        )
    }
    results = []
    for pk, (rank, message_id) in page:
        if pk not in facts:
            continue
        fact = facts[pk]
        if message_id is not None and message_id in texts:
            text = texts[message_id]
        else:
            parts = [fact["topic"], first.get(pk, ""), notes.get(pk, ""), fact["name"]]
            text = next((p for p in parts if p and snippet(p, terms)[1]), fact["topic"] or first.get(pk, ""))
        results.append(
            {
                **fact,
                "type": "enquiry",
                "message": message_id,
                "time": fact["enquiry_created_at"],
                "from": None,
                "rank": rank,
                **_result_snippet(text, terms),
            }
        )
    return SearchPage(results, next_offset, terms)


def customers_search(*, staff: Staff, terms: list[Term], filters: Filters, offset: int, limit: int) -> SearchPage:
    """Customers by name, email, phone, identifier or platform id; an agent finds those
    they served (a customer of an enquiry they may see: their permission token is in the
    customer's row too); the filters narrow by their enquiries."""
    search_stale_flush("c")
    where, params = "", []
    if _filtered(filters):
        inner, inner_params = _filter_sql(filters, "e.id")
        where += (
            " AND i.customer_id IN (SELECT v.customer_id FROM enquiries_visitor v"  # noqa: S608
            f" JOIN enquiries_enquiry e ON e.visitor_id = v.id WHERE v.customer_id IS NOT NULL{inner})"
        )
        params += inner_params
    ranked = _candidates("customer", terms, (where, params), CANDIDATES, staff)
    page, next_offset = _page(ranked, offset, limit)
    ids = [pk for pk, _ in page]
    # Merged, erased and visitor-less customers are listed nowhere (as on the Customers page).
    listed = Customer.objects.filter(pk__in=ids, merged_into__isnull=True, erased_at__isnull=True).filter(
        Exists(Visitor.objects.filter(customer_id=OuterRef("pk")))
    )
    customers = {c.pk: c for c in listed}
    latest: dict[int, int] = {}
    visible = Enquiry.objects.filter(visitor__customer_id__in=ids)
    if not staff.is_admin:
        visible = visible_enquiries(staff).filter(visitor__customer_id__in=ids)
    for customer_id, enquiry_id in visible.order_by("pk").values_list("visitor__customer_id", "pk"):
        latest[customer_id] = enquiry_id
    facts = _enquiry_facts(list(latest.values()))
    results = []
    for pk, rank in page:
        customer = customers.get(pk)
        if customer is None:
            continue
        fact = facts.get(latest.get(pk, 0), {})
        text = " · ".join(p for p in (customer.name, customer.email, customer.phone, customer.identifier or "") if p)
        results.append(
            {
                "type": "customer",
                "customer": pk,
                "enquiry": fact.get("enquiry"),
                "room": fact.get("room"),
                "message": None,
                "status": fact.get("status"),
                "topic": fact.get("topic", ""),
                "channel": fact.get("channel"),
                "name": str(customer),
                "time": customer.last_seen_at or customer.created_at,
                "from": None,
                "rank": rank,
                **_result_snippet(text or str(customer), terms),
            }
        )
    return SearchPage(results, next_offset, terms)


def _mark_open(staff: Staff, results: list[dict[str, Any]]) -> None:
    """``open``: where the dashboard shows a result: "room" (admins, and current members of
    the room: the live room) or "history" (the read-only transcript of an enquiry whose room
    the agent has left)."""
    rooms = {r["room"] for r in results if r.get("room")}
    member = set()
    if rooms and not staff.is_admin:
        member = set(RoomMember.objects.filter(staff_id=staff.pk, room_id__in=rooms).values_list("room_id", flat=True))
    for r in results:
        r["open"] = "room" if r.get("room") and (staff.is_admin or r["room"] in member) else "history"


def search(*, staff: Staff, q: Any, scope: str, filters: Filters, offset: int = 0, limit: int = 20) -> SearchPage:
    """One page of ranked results of ``q`` in ``scope`` that ``staff`` may see."""
    terms = search_terms(q)
    run = {"messages": messages_search, "enquiries": enquiries_search, "customers": customers_search}[scope]
    page = run(staff=staff, terms=terms, filters=filters, offset=offset, limit=limit)
    _mark_open(staff, page.results)
    return page
