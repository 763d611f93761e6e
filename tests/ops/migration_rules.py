"""The upgrade rule for migrations (CONTRIBUTING.md, "Migrations"): every migration of a release
must be safe to run while the previous release still serves, so that an upgrade migrates first
and then restarts the processes one by one with no downtime.

The previous release's code does not know the new columns and tables, and still reads and
writes the ones it knows. So a migration may
- create tables, indexes and constraints, and add columns that are nullable or have a
  database default (``db_default``: the old code's INSERTs leave the column out);
but not, in one step,
- rename or drop a table or column (``RenameModel``, ``RenameField``, ``DeleteModel``,
  ``RemoveField``, ``AlterModelTable``, or the same in ``RunSQL``),
- add a NOT NULL column without ``db_default`` (``default`` alone is Python's: Django drops the
  database default again after filling the rows, and the old code's INSERTs then fail),
- make a column NOT NULL without ``db_default`` (the old code may still write NULL).

Changes to tables that the previous release did not have are free (no old code uses them).
Renames and drops take two releases: first stop using the column and make it nullable (or give
it a ``db_default``), removing it from the models' state only (``SeparateDatabaseAndState``);
drop it in the next release, listed in ALLOWED with the reason.
"""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.db import migrations, models
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.state import ProjectState

ROOT = Path(__file__).resolve().parent.parent.parent
PREVIOUS_RELEASE = "0.9.0"
# The last commit of 0.9.0 (tag it v0.9.0).
PREVIOUS_RELEASE_COMMIT = "25fd36c0ffde2c1252a66482ed5bfe61035b0889"

# Reviewed exceptions: "app_label.migration_name" -> why it is safe (e.g. the second step of a
# two-release drop). Every entry must name a migration that exists and breaks the rule.
ALLOWED: dict[str, str] = {}

_UNSAFE_SQL = re.compile(r"\b(drop\s+(column|table)|rename\s+(column|to)|set\s+not\s+null)\b", re.I)


@dataclasses.dataclass(frozen=True)
class Problem:
    migration: str  # app_label.name
    operation: str
    why: str

    def __str__(self) -> str:
        return f"{self.migration}: {self.operation}: {self.why}"


def git_available(commit: str = PREVIOUS_RELEASE_COMMIT) -> str | None:
    """None when ``commit`` is in the repository's history, else why not."""
    try:
        result = subprocess.run(
            ["git", "-C", str(ROOT), "cat-file", "-e", f"{commit}^{{commit}}"],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        return "git is not installed"
    if result.returncode != 0:
        return f"commit {commit} (release {PREVIOUS_RELEASE}) is not in this clone: fetch the full history"
    return None


def in_ci() -> bool:
    """CI=true and a clone with its full history: the previous release must be there. A
    shallow clone (``git clone --depth``) cannot hold it, so there the tests skip, CI too."""
    if os.environ.get("CI", "").lower() != "true":
        return False
    try:
        result = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--is-shallow-repository"],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        return True
    return result.stdout.strip() != "true"


def previous_release_files(commit: str = PREVIOUS_RELEASE_COMMIT) -> set[str]:
    """Paths (relative to the repository) of the migration files at ``commit``."""
    out = subprocess.run(
        ["git", "-C", str(ROOT), "ls-tree", "-r", "--name-only", commit],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {p for p in out.splitlines() if "/migrations/" in p and p.endswith(".py") and not p.endswith("__init__.py")}


def migration_path(migration: Any) -> str:
    import sys

    module = sys.modules[type(migration).__module__]
    return Path(module.__file__ or "").resolve().relative_to(ROOT).as_posix()


def new_migrations(loader: MigrationLoader, old_files: set[str]) -> list[tuple[str, str]]:
    """The project's migrations (keys) whose files were not in the previous release."""
    keys = []
    for key, migration in loader.disk_migrations.items():
        try:
            path = migration_path(migration)
        except ValueError:  # Django's own and third-party apps' migrations
            continue
        if path not in old_files:
            keys.append(key)
    return sorted(keys)


def previous_state(loader: MigrationLoader, new: Iterable[tuple[str, str]]) -> ProjectState:
    """The models as the previous release had them: the state after every migration that is
    not new."""
    new_set = set(new)
    old_leaves = [
        key
        for key in loader.graph.nodes
        if key not in new_set and not any(child not in new_set for child in loader.graph.node_map[key].children)
    ]
    return loader.project_state(old_leaves, at_end=True)


def _has_db_default(field: models.Field) -> bool:
    return field.db_default is not models.NOT_PROVIDED


def _not_null(field: models.Field) -> bool:
    return not field.null and not field.many_to_many


def check_operations(
    label: str, operations: Iterable[Any], *, old_models: set[tuple[str, str]], before: ProjectState
) -> list[Problem]:
    """The rule's breaches among ``operations`` of migration ``label`` ("app.name"), given the
    previous release's models ((app_label, model_name_lower) pairs) and the state just before
    this migration."""
    app_label = label.split(".", 1)[0]
    problems = []
    for op in operations:
        name = type(op).__name__

        def old(model_name: str) -> bool:
            return (app_label, model_name.lower()) in old_models

        if isinstance(op, migrations.SeparateDatabaseAndState):
            # Only what reaches the database matters; state-only changes are how two-step drops start.
            problems += check_operations(label, op.database_operations, old_models=old_models, before=before)
        elif isinstance(op, migrations.RenameModel | migrations.DeleteModel | migrations.AlterModelTable):
            if old(op.name if not isinstance(op, migrations.RenameModel) else op.old_name):
                problems.append(Problem(label, name, "renames or drops a table the previous release uses"))
        elif isinstance(op, migrations.RenameField | migrations.RemoveField):
            if old(op.model_name):
                problems.append(Problem(label, f"{name} {op.model_name}", "renames or drops a column in one step"))
        elif isinstance(op, migrations.AddField):
            if old(op.model_name) and _not_null(op.field) and not _has_db_default(op.field):
                problems.append(
                    Problem(
                        label,
                        f"AddField {op.model_name}.{op.name}",
                        "a NOT NULL column without db_default: the previous release's INSERTs leave it out",
                    )
                )
        elif isinstance(op, migrations.AlterField):
            if old(op.model_name) and _not_null(op.field) and not _has_db_default(op.field):
                try:
                    was = before.models[app_label, op.model_name.lower()].get_field(op.name)
                except (KeyError, LookupError):
                    was = None
                if was is not None and (was.null or _has_db_default(was)):
                    problems.append(
                        Problem(
                            label,
                            f"AlterField {op.model_name}.{op.name}",
                            "NOT NULL without db_default where the previous release may write NULL or leave it out",
                        )
                    )
        elif isinstance(op, migrations.RunSQL):
            sql = op.sql if isinstance(op.sql, str) else " ".join(str(s) for s in op.sql)
            if _UNSAFE_SQL.search(sql):
                problems.append(Problem(label, "RunSQL", "drops, renames or sets NOT NULL in SQL"))
    return problems


def check_migrations(loader: MigrationLoader, keys: Iterable[tuple[str, str]]) -> list[Problem]:
    keys = list(keys)
    old_models = set(previous_state(loader, keys).models)
    problems = []
    for key in keys:
        migration = loader.disk_migrations[key]
        before = loader.project_state(key, at_end=False)
        problems += check_operations(f"{key[0]}.{key[1]}", migration.operations, old_models=old_models, before=before)
    return problems
