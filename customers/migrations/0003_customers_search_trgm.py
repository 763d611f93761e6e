"""Trigram indexes for the customers list's search (``history.customers.customer_list``:
ILIKE '%q%' on names, emails, phones and platform ids), on PostgreSQL only and only where
the pg_trgm extension can be had; elsewhere (SQLite, the embedded default) the search scans."""

from typing import Any

from django.db import migrations

INDEXES = [
    ("customers_customer", "name"),
    ("customers_customer", "email"),
    ("customers_customer", "phone"),
    ("enquiries_visitor", "first_name"),
    ("enquiries_visitor", "last_name"),
    ("enquiries_visitor", "email"),
    ("enquiries_visitor", "phone"),
    ("enquiries_visitor", "channel_identity"),
]


def _name(table: str, column: str) -> str:
    return f"{table}_{column}_trgm"


def create(apps: Any, schema_editor: Any) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
        if cursor.fetchone() is None:
            return
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for table, column in INDEXES:
            cursor.execute(
                # On UPPER(): what Django's icontains/iexact compare on PostgreSQL.
                f"CREATE INDEX IF NOT EXISTS {_name(table, column)} ON {table} "
                f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
            )


def drop(apps: Any, schema_editor: Any) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table, column in INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {_name(table, column)}")


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_customers_backfill")]

    operations = [migrations.RunPython(create, drop)]
