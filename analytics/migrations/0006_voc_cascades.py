"""The voice-of-the-customer rows of a message cascade in the database too (PostgreSQL), as
the search index's do (history/migrations/0003): a raw DELETE of messages (retention's, a
test's, an operator's) takes them along instead of failing on their foreign keys. SQLite:
nothing (Django's own cascade covers the ORM's deletes; raw deletes there are not used)."""

from django.db import migrations

# table, column, referenced table, referenced column
CASCADES = (
    ("analytics_vocpending", "message_id", "rooms_message", "id"),
    ("analytics_messagesentiment", "message_id", "rooms_message", "id"),
    ("analytics_messagekeyword", "sentiment_id", "analytics_messagesentiment", "message_id"),
)


def forwards(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for table, column, target, target_column in CASCADES:
            cursor.execute(
                "SELECT c.conname FROM pg_constraint c JOIN pg_attribute a"
                " ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)"
                " WHERE c.conrelid = %s::regclass AND c.contype = 'f' AND a.attname = %s",
                [table, column],
            )
            for (name,) in cursor.fetchall():
                schema_editor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            schema_editor.execute(
                f"ALTER TABLE {table} ADD CONSTRAINT {table}_{column}_cascade FOREIGN KEY ({column})"
                f" REFERENCES {target} ({target_column}) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED"
            )


class Migration(migrations.Migration):
    dependencies = [("analytics", "0005_voc_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
