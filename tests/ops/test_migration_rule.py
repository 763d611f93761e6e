"""The upgrade rule (CONTRIBUTING.md, "Migrations"; tests/ops/migration_rules.py): every migration
added since the previous release is safe to run while that release still serves."""

from __future__ import annotations

import pytest
from django.db import migrations, models
from django.db.migrations.loader import MigrationLoader

from tests.ops import migration_rules as rules


@pytest.fixture(scope="module")
def loader() -> MigrationLoader:
    return MigrationLoader(None, ignore_no_migrations=True)


def _previous_release_files() -> set[str]:
    why = rules.git_available()
    if why is not None:
        if rules.in_ci():
            pytest.fail(f"CI=true but {why} (CI must clone with full history, e.g. fetch-depth: 0).")
        pytest.skip(why)
    return rules.previous_release_files()


def test_every_new_migration_is_safe_while_the_previous_release_serves(loader: MigrationLoader) -> None:
    new = rules.new_migrations(loader, _previous_release_files())
    problems = rules.check_migrations(loader, new)
    unexpected = [str(p) for p in problems if p.migration not in rules.ALLOWED]
    assert not unexpected, (
        f"Migrations unsafe while {rules.PREVIOUS_RELEASE} still serves (CONTRIBUTING.md, 'Migrations'); "
        "split them over two releases, or review and list them in tests/ops/migration_rules.py ALLOWED:\n"
        + "\n".join(unexpected)
    )
    # Every allowed exception is still needed: it exists and breaks the rule.
    breaking = {p.migration for p in problems}
    assert set(rules.ALLOWED) <= breaking, (
        f"ALLOWED lists migrations that need no exception: {set(rules.ALLOWED) - breaking}"
    )


def test_the_previous_release_had_the_migrations_it_should(loader: MigrationLoader) -> None:
    old = _previous_release_files()
    assert "enquiries/migrations/0001_initial.py" in old
    assert "analytics/migrations/0006_voc_cascades.py" in old
    # Every migration of the previous release is still here (none deleted or renamed).
    project = {rules.migration_path(m) for k, m in loader.disk_migrations.items() if not _foreign(m)}
    assert old <= project, f"migrations of {rules.PREVIOUS_RELEASE} are gone: {sorted(old - project)}"


def _foreign(migration: object) -> bool:
    try:
        rules.migration_path(migration)
    except ValueError:
        return True
    return False


def test_the_checker_finds_each_unsafe_operation(loader: MigrationLoader) -> None:
    before = loader.project_state()
    old_models = {("enquiries", "enquiry"), ("enquiries", "visitor")}
    enquiry = before.models["enquiries", "enquiry"]
    nullable = next(f for f in enquiry.fields.values() if f.null and not f.is_relation)
    nullable_name = next(name for name, f in enquiry.fields.items() if f is nullable)

    def problems(*ops: object) -> list[str]:
        found = rules.check_operations("enquiries.9999_x", ops, old_models=old_models, before=before)
        return [p.operation for p in found]

    # Unsafe.
    assert problems(migrations.AddField("enquiry", "flag", models.BooleanField(default=False))) == [
        "AddField enquiry.flag"
    ]
    assert problems(migrations.RenameField("enquiry", "topic", "subject")) == ["RenameField enquiry"]
    assert problems(migrations.RemoveField("visitor", "first_name")) == ["RemoveField visitor"]
    assert problems(migrations.RenameModel("Visitor", "Guest")) == ["RenameModel"]
    assert problems(migrations.DeleteModel("Visitor")) == ["DeleteModel"]
    assert problems(migrations.AlterModelTable("enquiry", "enquiries_case")) == ["AlterModelTable"]
    altered = nullable.clone()
    altered.null = False
    assert problems(migrations.AlterField("enquiry", nullable_name, altered)) == [f"AlterField enquiry.{nullable_name}"]
    assert problems(migrations.RunSQL("ALTER TABLE enquiries_enquiry DROP COLUMN topic")) == ["RunSQL"]
    assert problems(
        migrations.SeparateDatabaseAndState(database_operations=[migrations.RemoveField("enquiry", "topic")])
    ) == ["RemoveField enquiry"]

    # Safe.
    assert not problems(
        migrations.AddField("enquiry", "flag", models.BooleanField(default=False, db_default=False)),
        migrations.AddField("enquiry", "note", models.TextField(null=True)),
        migrations.AddField("enquiry", "tags", models.ManyToManyField("contactcenter.Tag")),
        migrations.AddField("brandnew", "flag", models.BooleanField(default=False)),  # a table of this release
        migrations.RemoveField("brandnew", "flag"),
        migrations.DeleteModel("BrandNew"),
        migrations.SeparateDatabaseAndState(state_operations=[migrations.RemoveField("enquiry", "topic")]),
        migrations.AddIndex("enquiry", models.Index(fields=["topic"], name="enq_topic_idx")),
        migrations.RunSQL("CREATE INDEX IF NOT EXISTS x ON enquiries_enquiry (topic)"),
    )
