"""One customer for every visitor that existed before customers, linking the proven ones
(the same platform identity on channels of the same kind, email addresses ignoring case)
as enquiries.services.visitor_create does for new visitors. Batched; safe to run again."""

from typing import Any

from django.db import migrations
from django.db.models import OuterRef, Subquery

PROVEN_KINDS = ("messenger", "whatsapp", "line", "wechat", "email")
BATCH = 2000


def _key(kind: str | None, identity: str) -> tuple[str, str] | None:
    if not kind or not identity or kind not in PROVEN_KINDS:
        return None
    return (kind, identity.lower() if kind == "email" else identity)


def _set_customers(schema_editor: Any, table: str, pairs: list[tuple[int, int]]) -> None:
    """One UPDATE ... FROM (VALUES ...) for a batch (PostgreSQL and SQLite 3.33+ alike; the
    VALUES columns are column1, column2 in both): bulk_update's CASE per row is far slower."""
    if not pairs:
        return
    connection = schema_editor.connection if schema_editor is not None else None
    if connection is None:
        from django.db import connection  # a test calls backfill() without a schema editor
    quote = connection.ops.quote_name
    values = ", ".join(["(%s, %s)"] * len(pairs))
    sql = (
        f"UPDATE {quote(table)} SET customer_id = v.column2 FROM (VALUES {values}) AS v "  # noqa: S608
        f"WHERE {quote(table)}.id = v.column1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [n for pair in pairs for n in pair])


def backfill(apps: Any, schema_editor: Any) -> None:
    Visitor = apps.get_model("enquiries", "Visitor")
    Enquiry = apps.get_model("enquiries", "Enquiry")
    Customer = apps.get_model("customers", "Customer")
    known: dict[tuple[str, str], int] = {}
    for kind, identity, customer_id in Visitor.objects.filter(customer__isnull=False).values_list(
        "channel__kind", "channel_identity", "customer_id"
    ):
        key = _key(kind, identity)
        if key is not None:
            known.setdefault(key, customer_id)
    last = 0
    while True:
        batch = list(
            Visitor.objects.filter(customer__isnull=True, pk__gt=last)
            .select_related("channel")
            .order_by("pk")[:BATCH]
        )
        if not batch:
            break
        last = batch[-1].pk
        links: list[tuple[Any, Any]] = []  # (visitor, its customer, created below)
        fresh: list[Any] = []
        pending: dict[tuple[str, str], Any] = {}  # identities first seen in this batch
        for visitor in batch:
            key = _key(visitor.channel.kind if visitor.channel else None, visitor.channel_identity)
            if key is not None and key in known:
                visitor.customer_id = known[key]
                continue
            customer = pending.get(key) if key is not None else None
            if customer is None:
                customer = Customer(
                    name=f"{visitor.first_name} {visitor.last_name}".strip()[:200],
                    email=visitor.email,
                    phone=visitor.phone,
                    custom_fields=visitor.custom_fields or [],
                )
                fresh.append(customer)
                if key is not None:
                    pending[key] = customer
            links.append((visitor, customer))
        Customer.objects.bulk_create(fresh)
        for visitor, customer in links:
            visitor.customer_id = customer.pk
        known.update({key: customer.pk for key, customer in pending.items()})
        _set_customers(schema_editor, Visitor._meta.db_table, [(v.pk, v.customer_id) for v in batch])
    newest = Enquiry.objects.filter(visitor__customer_id=OuterRef("pk")).order_by("-created_at").values("created_at")
    Customer.objects.filter(last_seen_at__isnull=True).update(last_seen_at=Subquery(newest[:1]))


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0001_initial"),
        ("enquiries", "0009_history_customer_conversation_tags"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True)]
