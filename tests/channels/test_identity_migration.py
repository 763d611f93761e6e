"""Issue 14 (widget identity verification): the migration gives each existing channel an
identity secret of its own (a callable default on AddField would give all the same one)."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("channels_adapters", "0011_notes_note_button_rate_anytime")]
AFTER = [("channels_adapters", "0012_identity_channel_secret")]


def _latest() -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_existing_channels_get_distinct_secrets(transactional_db: Any) -> None:
    try:
        executor = MigrationExecutor(connection)
        executor.migrate(BEFORE)
        # Every other app as it is now, this one before the secret.
        others = [n for n in executor.loader.graph.leaf_nodes() if n[0] != "channels_adapters"]
        old = executor.loader.project_state(others + BEFORE).apps
        Tag = old.get_model("contactcenter", "Tag")
        Destination = old.get_model("contactcenter", "Destination")
        Channel = old.get_model("channels_adapters", "Channel")
        tag = Tag.objects.create(name="Migrated")
        destination = Destination.objects.filter(tag=tag).first() or Destination.objects.create(
            type="tag", tag=tag, name="Migrated"
        )
        ids = [
            Channel.objects.create(kind="widget", name=f"W{n}", key=f"key-{n}", destination=destination).pk
            for n in range(3)
        ]
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(AFTER)
        new = executor.loader.project_state(AFTER).apps
        rows = new.get_model("channels_adapters", "Channel").objects.filter(pk__in=ids)
        secrets = list(rows.values_list("identity_secret", flat=True))
        assert len(secrets) == 3 and len(set(secrets)) == 3
        assert all(len(s) == 64 and int(s, 16) >= 0 for s in secrets)
    finally:
        _latest()  # the tests after this one need every migration
