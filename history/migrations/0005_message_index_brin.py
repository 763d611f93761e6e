"""PostgreSQL: a BRIN index on the message index's ids (its rows are written in id order,
so the table's pages follow the ids): a search reads the newest slice of the ids first
(``history.search._candidates``) and fetches only that slice's pages. A few kB; SQLite
(FTS5) needs nothing."""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS history_msgindex_brin ON history_messageindex USING brin (message_id)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS history_msgindex_brin")


class Migration(migrations.Migration):
    dependencies = [("history", "0004_exports_export")]

    operations = [migrations.RunPython(forwards, backwards)]
