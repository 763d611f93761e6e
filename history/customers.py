"""Customers as staff see them: who may see which customer, the list and its search, the
interaction record, possible duplicates, and merging two customers (and undoing it).

Here rather than in ``customers`` because all of it reads or moves visitors and enquiries,
which sit above the customers app. Visibility follows the enquiries: an agent sees a
customer with an enquiry the agent may find (``history.filters.visible_enquiries``: owned,
or ever a member of its room); admins see every customer. Merged and erased customers are
hidden everywhere.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Replace
from django.utils.translation import gettext as _

from contactcenter.org import clock
from contactcenter.org.errors import Conflict, InvalidInput, NotAuthorized, NotFound
from contactcenter.org.models import Staff
from contactcenter.org.services import org_settings_get
from customers.models import Customer, CustomerMerge
from customers.services import phone_digits
from enquiries.models import Enquiry, Visitor
from history.filters import visible_enquiries
from rooms.models import RoomParticipant

MERGE_UNDO_DAYS = 30
DUPLICATES_MAX = 20
Q_MAX = 200


# ------------------------------------------------------------------ who sees whom


def live_customers() -> QuerySet[Customer]:
    """Customers neither merged away nor erased, with at least one visitor (a customer
    whose visitors all moved to another, e.g. when a host site's identifier proved them,
    is nobody's)."""
    return Customer.objects.filter(
        Exists(Visitor.objects.filter(customer_id=OuterRef("pk"))), merged_into__isnull=True, erased_at__isnull=True
    )


def customers_visible(staff: Staff) -> QuerySet[Customer]:
    """Every live customer ``staff`` may see: admins all; agents those they have served."""
    customers = live_customers()
    if staff.is_admin:
        return customers
    # The rule of history.filters.visible_enquiries (owned, or ever a member of the room),
    # written as two index scans (owner, participant) instead of one OR over every enquiry.
    owned = Enquiry.objects.filter(owner_id=staff.pk).order_by().values("visitor__customer_id")
    member = RoomParticipant.objects.filter(staff_id=staff.pk, enquiry__isnull=False)
    return customers.filter(pk__in=owned.union(member.order_by().values("enquiry__visitor__customer_id")))


def access_customer(staff: Staff, customer_id: int, *, lock: bool = False) -> Customer:
    """The live customer ``customer_id`` if ``staff`` may see it, else NotFound (the same
    answer for one that does not exist: nobody learns which ids are taken)."""
    customers = customers_visible(staff)
    if lock:
        # The visibility test first (no lock on a subquery), then the row lock by id.
        if not customers.filter(pk=customer_id).exists():
            raise NotFound(_("No such customer."))
        customers = Customer.objects.select_for_update().filter(merged_into__isnull=True, erased_at__isnull=True)
    customer = customers.filter(pk=customer_id).first()
    if customer is None:
        raise NotFound(_("No such customer."))
    return customer


# ------------------------------------------------------------------ the list


def customer_list(staff: Staff, *, q: str = "", tag: int | None = None) -> QuerySet[Customer]:
    """The customers ``staff`` may see, most recently seen first, matching ``q`` (in the
    name, email or phone, the phone's digits, or any of their visitors' name, email, phone
    or platform id) and carrying customer tag ``tag``."""
    customers = customers_visible(staff)
    q = q.strip()[:Q_MAX]
    if q:
        match = Q(name__icontains=q) | Q(email__icontains=q) | Q(phone__icontains=q)
        visitor_match = (
            Q(channel_identity__iexact=q)
            | Q(email__icontains=q)
            | Q(phone__icontains=q)
            | Q(first_name__icontains=q)
            | Q(last_name__icontains=q)
        )
        matching = Customer.objects.all()
        visitors = Visitor.objects.filter(customer_id__isnull=False)
        digits = phone_digits(q)
        if len(digits) >= 4 and len(digits) >= len(q.replace(" ", "")) - 3:
            # "+44 20 7946 0000" finds "020 7946-0000": the last digits, however written.
            matching = matching.annotate(phone_digits=_digits_of("phone"))
            visitors = visitors.annotate(phone_digits=_digits_of("phone"))
            match |= Q(phone_digits__endswith=digits[-7:])
            visitor_match |= Q(phone_digits__endswith=digits[-7:]) | Q(channel_identity__endswith=digits[-7:])
        # The union of two sets of ids, each found by its own scan (trigram indexes on
        # PostgreSQL: customers/migrations/0003_customers_search_trgm); an OR of the two
        # (or a visitor test per customer) makes PostgreSQL scan every row instead.
        found = (
            matching.filter(match)
            .order_by()
            .values("pk")
            .union(visitors.filter(visitor_match).order_by().values("customer_id"))
        )
        customers = customers.filter(pk__in=found)
    if tag is not None:
        customers = customers.filter(
            Exists(Customer.tags.through.objects.filter(customer_id=OuterRef("pk"), customertag_id=tag))
        )
    return customers.order_by(F("last_seen_at").desc(nulls_last=True), "-pk")


def _digits_of(field: str) -> Any:
    """The column without the separators a phone number is written with (SQL REPLACE, the
    same on PostgreSQL and SQLite)."""
    expression: Any = F(field)
    for separator in (" ", "-", "(", ")", ".", "/", "+"):
        expression = Replace(expression, Value(separator), Value(""))
    return expression


def customers_rows(customers: list[Customer]) -> list[dict[str, Any]]:
    """The list's JSON for a page of customers, in a fixed number of queries."""
    ids = [c.pk for c in customers]
    tags = _tags_of(ids)
    counts = dict(
        Enquiry.objects.filter(visitor__customer_id__in=ids)
        .values_list("visitor__customer_id")
        .annotate(n=Count("pk"))
        .values_list("visitor__customer_id", "n")
    )
    kinds: dict[int, list[str]] = {}
    for customer_id, kind in (
        Visitor.objects.filter(customer_id__in=ids, channel__isnull=False)
        .values_list("customer_id", "channel__kind")
        .distinct()
        .order_by("customer_id", "channel__kind")
    ):
        kinds.setdefault(customer_id, []).append(kind)
    return [
        {
            "id": c.pk,
            "name": _display_name(c),
            "email": c.email,
            "phone": c.phone,
            "tags": tags.get(c.pk, []),
            "channels": kinds.get(c.pk, []),
            "enquiry_count": counts.get(c.pk, 0),
            "last_seen_at": c.last_seen_at.isoformat() if c.last_seen_at else None,
            "created_at": c.created_at.isoformat(),
        }
        for c in customers
    ]


def _display_name(customer: Customer) -> str:
    return customer.name or customer.email or customer.phone or _("Customer %(id)d") % {"id": customer.pk}


def _tags_of(ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {}
    rows = Customer.tags.through.objects.filter(customer_id__in=ids).select_related("customertag")
    for row in rows.order_by("customertag__name"):
        tag = row.customertag
        found.setdefault(row.customer_id, []).append({"id": tag.pk, "name": tag.name, "color": tag.color})
    return found


# ------------------------------------------------------------------ one customer


def customer_data(staff: Staff, customer: Customer) -> dict[str, Any]:
    """The profile: fields, tags, notes, custom fields, their identities (one per visitor:
    the channel and platform id), how many enquiries, and the merges that can be undone."""
    visitors = list(Visitor.objects.filter(customer=customer).select_related("channel").order_by("pk"))
    merges = list(
        CustomerMerge.objects.filter(customer=customer, undone_at__isnull=True, undo_until__gt=clock.now())
        .select_related("other", "actor")
        .order_by("-created_at")
    )
    return {
        "id": customer.pk,
        "name": customer.name,
        "display_name": _display_name(customer),
        "email": customer.email,
        "phone": customer.phone,
        "custom_fields": customer.custom_fields or [],
        "notes": customer.notes,
        "tags": _tags_of([customer.pk]).get(customer.pk, []),
        "identities": [
            {
                "visitor": v.pk,
                "channel": {"id": v.channel.pk, "kind": v.channel.kind, "name": v.channel.name} if v.channel else None,
                "channel_identity": v.channel_identity,
                "name": v.display_name,
                "email": v.email,
                "phone": v.phone,
                "created_at": v.created_at.isoformat(),
            }
            for v in visitors
        ],
        "enquiry_count": Enquiry.objects.filter(visitor__customer=customer).count(),
        "merges": [
            {
                "id": m.pk,
                "other": m.other_id,
                "other_name": _display_name(m.other),
                "actor": m.actor.display_name if m.actor else None,
                "created_at": m.created_at.isoformat(),
                "undo_until": m.undo_until.isoformat(),
            }
            for m in merges
        ],
        "last_seen_at": customer.last_seen_at.isoformat() if customer.last_seen_at else None,
        "created_at": customer.created_at.isoformat(),
        "updated_at": customer.updated_at.isoformat(),
    }


def customer_enquiries(staff: Staff, customer: Customer) -> QuerySet[Enquiry]:
    """The interaction record: every enquiry of the customer on every channel, newest
    first. An agent sees every one of them (they have served this customer); the transcript
    only of those they may find (``transcript`` in each row)."""
    return (
        Enquiry.objects.filter(visitor__customer=customer)
        .select_related("channel", "owner", "room")
        .order_by("-created_at", "-pk")
    )


def customer_enquiry_rows(staff: Staff, enquiries: list[Enquiry]) -> list[dict[str, Any]]:
    ids = [e.pk for e in enquiries]
    readable = set(visible_enquiries(staff).filter(pk__in=ids).values_list("pk", flat=True))
    show_rating = staff.is_admin or org_settings_get().ratings_visible_to_agents
    rows = []
    for e in enquiries:
        room = getattr(e, "room", None)
        rows.append(
            {
                "id": e.pk,
                "channel": {"id": e.channel.pk, "kind": e.channel.kind, "name": e.channel.name},
                "via": e.via or e.channel.kind,
                "status": e.status,
                "topic": e.topic,
                "first_message": e.first_message,
                "created_at": e.created_at.isoformat(),
                "closed_at": _iso(e.closed_at or e.resolved_at),
                "owner": {"id": e.owner.pk, "display_name": e.owner.display_name} if e.owner else None,
                "rating": e.rating_score if show_rating else None,
                "room": room.pk if room is not None else None,
                "transcript": e.pk in readable,
            }
        )
    return rows


# ------------------------------------------------------------------ possible duplicates


def customer_duplicates(staff: Staff, customer: Customer) -> list[dict[str, Any]]:
    """Other customers ``staff`` may see who look like the same person without proof: the
    same email address or phone number (on the customer or any of their visitors, typed in
    a form or edited by staff) or the same full name. Each with its reasons, strongest
    first; at most DUPLICATES_MAX."""
    visitors = list(Visitor.objects.filter(customer=customer).values("first_name", "last_name", "email", "phone"))
    emails = {e.lower() for e in [customer.email, *(v["email"] for v in visitors)] if e}
    phones = {phone_digits(p) for p in [customer.phone, *(v["phone"] for v in visitors)] if p}
    phones = {p for p in phones if len(p) >= 6}
    names = {n.casefold() for n in [customer.name, *(f"{v['first_name']} {v['last_name']}" for v in visitors)]}
    names = {" ".join(n.split()) for n in names}
    names = {n for n in names if len(n.split()) >= 2}  # one word ("John") proves too little
    found: dict[int, set[str]] = {}
    others = customers_visible(staff).exclude(pk=customer.pk)

    def add(reason: str, ids: Any) -> None:
        for pk in ids:
            found.setdefault(pk, set()).add(reason)

    if emails:
        email_q = Q()
        for email in emails:
            email_q |= Q(email__iexact=email)
        add("email", others.filter(email_q).values_list("pk", flat=True)[:100])
        add(
            "email",
            others.filter(Exists(Visitor.objects.filter(email_q, customer_id=OuterRef("pk")))).values_list(
                "pk", flat=True
            )[:100],
        )
    if phones:
        phone_q = Q()
        for phone in phones:
            phone_q |= Q(phone_digits__endswith=phone[-6:])
        near_customers = others.annotate(phone_digits=_digits_of("phone")).filter(phone_q)
        for pk, phone in near_customers.values_list("pk", "phone")[:200]:
            if _same_phone(phone, phones):
                add("phone", [pk])
        near = (
            Visitor.objects.annotate(phone_digits=_digits_of("phone"))
            .filter(phone_q, customer__in=others)
            .values_list("customer_id", "phone")[:200]
        )
        add("phone", [pk for pk, phone in near if _same_phone(phone, phones)])
    if names:
        for name in names:
            first, _sep, last = name.partition(" ")
            add("name", others.filter(name__iexact=name).values_list("pk", flat=True)[:100])
            add(
                "name",
                others.filter(
                    Exists(
                        Visitor.objects.filter(
                            first_name__iexact=first, last_name__iexact=last, customer_id=OuterRef("pk")
                        )
                    )
                ).values_list("pk", flat=True)[:100],
            )
    order = {"email": 0, "phone": 1, "name": 2}
    ranked = sorted(found.items(), key=lambda item: (-len(item[1]), min(order[r] for r in item[1]), -item[0]))
    ranked = ranked[:DUPLICATES_MAX]
    by_id = {c.pk: c for c in Customer.objects.filter(pk__in=[pk for pk, _r in ranked])}
    rows = customers_rows([by_id[pk] for pk, _r in ranked if pk in by_id])
    reasons = dict(ranked)
    for row in rows:
        row["reasons"] = sorted(reasons[row["id"]], key=order.__getitem__)
    return rows


def _same_phone(phone: str, phones: set[str]) -> bool:
    digits = phone_digits(phone)
    if len(digits) < 6:
        return False
    # The same number written with or without its country or trunk prefix.
    return any(digits.endswith(p[-9:]) or p.endswith(digits[-9:]) for p in phones)


# ------------------------------------------------------------------ merge and undo

_MERGED_FIELDS = ("name", "email", "phone", "notes")


def customer_merge(*, actor: Staff, customer_id: int, other_id: int) -> CustomerMerge:
    """``other`` becomes part of ``customer``: its visitors (hence its enquiries) move over,
    its tags are added, the customer's empty fields are filled from it and its custom fields
    whose names the customer lacks are added; ``other`` is kept, hidden, with merged_into
    set, so that the merge can be undone for MERGE_UNDO_DAYS days (customer_merge_undo).
    Admins, and agents who may see both customers. Locks both customer rows, lower id first."""
    if other_id == customer_id:
        raise InvalidInput.field("other", _("A customer cannot be merged with itself."))
    access_customer(actor, customer_id)
    try:
        access_customer(actor, other_id)
    except NotFound:
        raise InvalidInput.field("other", _("No such customer.")) from None
    now = clock.now()
    with transaction.atomic():
        locked = {
            c.pk: c
            for c in Customer.objects.select_for_update().filter(pk__in=sorted([customer_id, other_id])).order_by("pk")
        }
        customer, other = locked.get(customer_id), locked.get(other_id)
        if customer is None or other is None:
            raise NotFound(_("No such customer."))
        for one in (customer, other):
            if one.merged_into_id is not None or one.erased_at is not None:
                raise Conflict(_("One of these customers was merged or erased meanwhile."), code="merged")
        before = {f: getattr(customer, f) for f in (*_MERGED_FIELDS, "custom_fields", "identifier", "last_seen_at")}
        filled: list[str] = []
        for field in ("name", "email", "phone"):
            if not getattr(customer, field) and getattr(other, field):
                setattr(customer, field, getattr(other, field))
                filled.append(field)
        if other.notes.strip():
            customer.notes = f"{customer.notes}\n\n{other.notes}".strip() if customer.notes.strip() else other.notes
            filled.append("notes")
        have = {str(f.get("name", "")).casefold() for f in customer.custom_fields or []}
        extra = [f for f in other.custom_fields or [] if str(f.get("name", "")).casefold() not in have]
        if extra:
            customer.custom_fields = [*(customer.custom_fields or []), *extra]
            filled.append("custom_fields")
        identifier = other.identifier
        if identifier and not customer.identifier:
            # The host site's id moves with the person: their next sign-in lands here.
            other.identifier = None
            other.save(update_fields=["identifier"])
            customer.identifier = identifier
            filled.append("identifier")
        if other.last_seen_at and (customer.last_seen_at is None or other.last_seen_at > customer.last_seen_at):
            customer.last_seen_at = other.last_seen_at
            filled.append("last_seen_at")
        customer.save(update_fields=[*filled, "updated_at"])
        visitor_ids = list(Visitor.objects.filter(customer=other).values_list("pk", flat=True))
        Visitor.objects.filter(pk__in=visitor_ids).update(customer=customer)
        had = set(customer.tags.values_list("pk", flat=True))
        added = [pk for pk in other.tags.values_list("pk", flat=True) if pk not in had]
        customer.tags.add(*added)
        other.merged_into = customer
        other.save(update_fields=["merged_into", "updated_at"])
        return CustomerMerge.objects.create(
            customer=customer,
            other=other,
            actor=actor,
            moved={
                "visitors": visitor_ids,
                "tags": added,
                "fields": {f: _json(before[f]) for f in filled},
            },
            created_at=now,
            undo_until=now + dt.timedelta(days=MERGE_UNDO_DAYS),
        )


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime) else value


def customer_merge_undo(*, actor: Staff, customer_id: int, merge_id: int) -> CustomerMerge:
    """Undo a merge within its MERGE_UNDO_DAYS days: the other customer comes back with the
    visitors that moved (and their enquiries), the tags it added are taken off, the fields
    it filled are put back as they were. Admins, and the agent who merged (who must still
    see the customer). After the window, or for a merge undone already: Conflict (409).
    Locks both customer rows, lower id first."""
    customer = access_customer(actor, customer_id)
    merge = CustomerMerge.objects.filter(pk=merge_id, customer=customer).select_related("other").first()
    if merge is None:
        raise NotFound(_("No such merge."))
    if not actor.is_admin and merge.actor_id != actor.pk:
        raise NotAuthorized(_("Only an admin or the agent who merged can undo a merge."))
    now = clock.now()
    with transaction.atomic():
        locked = {
            c.pk: c
            for c in Customer.objects.select_for_update()
            .filter(pk__in=sorted([customer.pk, merge.other_id]))
            .order_by("pk")
        }
        merge = CustomerMerge.objects.select_for_update().get(pk=merge.pk)
        if merge.undone_at is not None:
            raise Conflict(_("This merge was undone already."), code="undone")
        if now > merge.undo_until:
            raise Conflict(
                _("This merge can no longer be undone: the %(days)d days to undo it ended on %(date)s.")
                % {"days": MERGE_UNDO_DAYS, "date": merge.undo_until.date().isoformat()},
                code="undo_expired",
            )
        customer, other = locked[customer.pk], locked.get(merge.other_id)
        if other is None or other.erased_at is not None:
            raise Conflict(_("The merged customer was erased; the merge cannot be undone."), code="erased")
        if customer.merged_into_id is not None or customer.erased_at is not None:
            raise Conflict(_("This customer was merged into another one since; undo that first."), code="merged")
        moved = merge.moved or {}
        fields = dict(moved.get("fields") or {})
        restore: list[str] = []
        for field, value in fields.items():
            if field in ("last_seen_at", "identifier"):
                continue  # recomputed below; given back below
            setattr(customer, field, value)
            restore.append(field)
        identifier = customer.identifier if "identifier" in fields else None
        if "identifier" in fields:
            customer.identifier = fields["identifier"]
            restore.append("identifier")
        customer.save(update_fields=[*restore, "updated_at"])
        if identifier:
            # The host site's id goes back to the customer it came from (after the customer
            # gave it up: it is unique).
            other.identifier = identifier
            other.save(update_fields=["identifier"])
        Visitor.objects.filter(pk__in=moved.get("visitors") or [], customer=customer).update(customer=other)
        customer.tags.remove(*(moved.get("tags") or []))
        newest = Subquery(
            Enquiry.objects.filter(visitor__customer_id=OuterRef("pk")).order_by("-created_at").values("created_at")[:1]
        )
        Customer.objects.filter(pk__in=[customer.pk, other.pk]).update(last_seen_at=newest)
        other.merged_into = None
        other.save(update_fields=["merged_into", "updated_at"])
        merge.undone_at = now
        merge.save(update_fields=["undone_at"])
        return merge
