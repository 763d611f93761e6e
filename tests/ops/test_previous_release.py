"""Upgrades without downtime (issue 17; CONTRIBUTING.md, "Migrations"): the previous release's
code still works on the new schema. The database is migrated by this release's code, then the
previous release's own tests of the main flows (open an enquiry, route and pick it up, post
messages, resolve, close) run against it without migrating again, as the old processes would
serve while the new ones start.

The previous release is extracted from git (``git archive``), so the clone needs the full
history (CI has it; elsewhere the test skips without it). PostgreSQL only: that is what
production upgrades run on.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from django.db import connection

from tests.conftest import require_postgres
from tests.ops import migration_rules as rules

pytestmark = pytest.mark.django_db

# The previous release's tests that run against the new schema: its main flows, stable files.
OLD_TESTS = (
    "tests/enquiries/test_open_and_routing.py",
    "tests/enquiries/test_pick_up_reject_miss.py",
    "tests/enquiries/test_resolve_close_rate_note.py",
    "tests/rooms/test_message_service.py",
)
# Left out of the archive: not needed to run those tests.
EXCLUDED = ("docs", "bench", "tests/browser", "tests/js", "node_modules")
# Replaces pytest-django's test database set-up in the old tree: use the database as it is
# (migrated by the new release), no test_ prefix, no create, no migrate, no flush at the end.
OLD_TREE_CONFTEST = '''"""Written by tests/ops/test_previous_release.py of the newer release."""
import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def django_db_setup():
    """The database is migrated by the newer release; use it as it is."""
    import contactcenter
    from django.db import connection

    # This tree's code, on the database the newer release migrated.
    assert Path(contactcenter.__file__).resolve().is_relative_to(Path(__file__).resolve().parent)
    assert connection.settings_dict["NAME"] == os.environ["CC_PREVIOUS_RELEASE_DB"]


@pytest.fixture(autouse=True)
def _flush_cascades(monkeypatch):
    """A transactional test empties the tables this release knows with TRUNCATE; the newer
    release's tables point at them (foreign keys), so the TRUNCATE must cascade into those.
    A test artefact only: a running release never flushes its database."""
    from django.core.management import sql

    original = sql.sql_flush

    def sql_flush(style, connection, reset_sequences=True, allow_cascade=False):
        return original(style, connection, reset_sequences=reset_sequences, allow_cascade=True)

    monkeypatch.setattr(sql, "sql_flush", sql_flush)
    from django.core.management.commands import flush

    monkeypatch.setattr(flush, "sql_flush", sql_flush)
'''
BUDGET_SECONDS = 170


def _url(name: str) -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


def _admin_sql(*statements: str) -> None:
    import psycopg2

    s = connection.settings_dict
    params = {"user": s["USER"], "password": s.get("PASSWORD"), "host": s["HOST"], "port": s["PORT"]}
    conn = psycopg2.connect(dbname="postgres", **{k: v for k, v in params.items() if v})
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    finally:
        conn.close()


def _extract_previous_release(target: Path) -> None:
    archive = subprocess.run(
        ["git", "-C", str(rules.ROOT), "archive", "--format=tar", rules.PREVIOUS_RELEASE_COMMIT],  # noqa: S607
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        members = [m for m in tar.getmembers() if not m.name.startswith(EXCLUDED)]
        tar.extractall(target, members=members, filter="data")  # noqa: S202


def _environment(database_url: str, tree: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DJANGO_"))}
    env["DATABASE_URL"] = database_url
    env["PYTHONPATH"] = str(tree)
    env["CC_MEDIA_ROOT"] = str(tree / "media")
    env["CC_PREVIOUS_RELEASE_DB"] = database_url.rsplit("/", 1)[1]
    return env


def test_previous_release_runs_its_main_flows_on_the_new_schema(tmp_path: Path) -> None:
    require_postgres()
    why = rules.git_available()
    if why is not None:
        if rules.in_ci():
            pytest.fail(f"CI=true but {why} (CI must clone with full history, e.g. fetch-depth: 0).")
        pytest.skip(why)
    tree = tmp_path / f"release-{rules.PREVIOUS_RELEASE}"
    tree.mkdir()
    _extract_previous_release(tree)
    (tree / "conftest.py").write_text(OLD_TREE_CONFTEST)

    name = f"{connection.settings_dict['NAME']}_previous"
    _admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    try:
        # The new release migrates the database...
        migrate = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput"],
            cwd=rules.ROOT,
            env={**_environment(_url(name), rules.ROOT), "PYTHONPATH": str(rules.ROOT)},
            capture_output=True,
            text=True,
            timeout=BUDGET_SECONDS,
            check=False,
        )
        assert migrate.returncode == 0, migrate.stdout[-2000:] + migrate.stderr[-3000:]
        # ... and the previous release's code runs its tests on it, without migrating.
        old = subprocess.run(
            [sys.executable, "-m", "pytest", "-x", "-p", "no:cacheprovider", "--timeout=120", *OLD_TESTS],
            cwd=tree,
            env=_environment(_url(name), tree),
            capture_output=True,
            text=True,
            timeout=BUDGET_SECONDS,
            check=False,
        )
        summary = old.stdout.strip().splitlines()[-1] if old.stdout.strip() else ""
        assert old.returncode == 0, (
            f"Release {rules.PREVIOUS_RELEASE}'s tests fail on the new schema: {summary}\n"
            + old.stdout[-6000:]
            + old.stderr[-2000:]
        )
        passed = re.search(r"(\d+) passed", summary)
        assert passed and int(passed.group(1)) >= 100, summary
    finally:
        _admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
