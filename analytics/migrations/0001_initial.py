# The analytics app's first migration: the parts' migrations (0002_*) depend on it.

from django.db import migrations


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("enquiries", "0011_history_list_indexes"),
        ("rooms", "0003_history_room_participant"),
        ("history", "0004_exports_export"),
    ]

    operations: list[migrations.operations.base.Operation] = []
