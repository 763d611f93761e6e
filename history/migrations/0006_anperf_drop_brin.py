"""PostgreSQL: drop the BRIN index of 0005. An agent's frequent-word slice
(``history.search._candidates``, ``message_id >= bound``) is found by the primary key's
btree instead: exact pages whatever the writes since. Measured on 5M messages after a chat
benchmark had added ~20k (bench/RESULTS-history.md, "anperf"): the BRIN's bitmap covered
932k rows for a 328k-row slice (2,337 lossy heap blocks, 60k rows rechecked), the btree's
316 exact blocks, no recheck."""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS history_msgindex_brin")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS history_msgindex_brin ON history_messageindex USING brin (message_id)"
        )


class Migration(migrations.Migration):
    dependencies = [("history", "0005_message_index_brin")]

    operations = [migrations.RunPython(forwards, backwards)]
