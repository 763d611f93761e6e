"""Backups and restore (README "Backups and restore"): the database and the media folder.

A backup is one directory, ``cc-backup-<UTC time>/``, holding
- ``database.pgdump`` (PostgreSQL: ``pg_dump --format=custom``) or ``database.sqlite3``
  (the embedded SQLite: a consistent copy through SQLite's online backup API);
- ``media.tar`` (every file under CC_MEDIA_ROOT, paths relative to it);
- ``manifest.json``: the release that wrote it, the engine, the migrations applied, row
  counts of the main tables and the SHA-256 and size of each part.

The database is copied first and the media folder after it: a file is written before the
message that refers to it commits, so every file the copied database names is in the tar
(a file recalled in between may be missing; its message says so already).

A restore goes into an empty database and media folder; it refuses a non-empty one unless
told to overwrite, refuses a backup whose parts do not match their checksums, and refuses a
backup written by a newer release (its schema may be unknown to this code). A backup of an
older release restores, and ``manage.py migrate`` then brings it up to date.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connections
from django.utils import timezone

import contactcenter

FORMAT = 1
MANIFEST = "manifest.json"
MEDIA_PART = "media.tar"
PG_PART = "database.pgdump"
SQLITE_PART = "database.sqlite3"
# Row counts kept in the manifest and checked again after a restore: (label, app label, model).
COUNTED = (
    ("staff", "contactcenter", "Staff"),
    ("channels", "channels_adapters", "Channel"),
    ("visitors", "enquiries", "Visitor"),
    ("enquiries", "enquiries", "Enquiry"),
    ("rooms", "rooms", "Room"),
    ("messages", "rooms", "Message"),
)


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


# ---------------------------------------------------------------------------- helpers


def version_tuple(version: str) -> tuple[int, ...]:
    """``"0.10.0"`` -> ``(0, 10, 0)``; a pre-release suffix (``0.11.0rc1``) counts as its release."""
    parts = []
    for piece in version.split(".")[:3]:
        match = re.match(r"\d*", piece)
        parts.append(int(match.group() or 0) if match else 0)
    return tuple(parts)


def _engine(database: Mapping[str, Any]) -> str:
    engine = str(database["ENGINE"])
    if engine.endswith("postgresql"):
        return "postgresql"
    if engine.endswith("sqlite3"):
        return "sqlite"
    raise BackupError(f"Backups support PostgreSQL and SQLite, not {engine}.")


def pg_tool(name: str) -> str:
    """The path of ``pg_dump`` / ``pg_restore``: in CC_PG_BIN_DIR when set, else on PATH, else the
    newest under /usr/lib/postgresql/<version>/bin (Debian's postgresql-client)."""
    configured = getattr(settings, "CC_PG_BIN_DIR", "")
    if configured:
        candidate = Path(configured) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
        raise BackupError(f"{name} is not in CC_PG_BIN_DIR ({configured}).")
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: version_tuple(p.parent.parent.name),
        reverse=True,
    )
    if versions:
        return str(versions[0])
    raise BackupError(
        f"{name} was not found. Install the PostgreSQL client tools of your server's major version or newer "
        "(Debian/Ubuntu: apt-get install postgresql-client) or set CC_PG_BIN_DIR to their directory."
    )


def _pg_env(database: Mapping[str, Any]) -> dict[str, str]:
    """Connection parameters for the PostgreSQL tools, through the environment (a password
    never appears on a command line)."""
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        value = database.get(key)
        if value:
            env[var] = str(value)
    env["PGDATABASE"] = str(database["NAME"])
    sslmode = (database.get("OPTIONS") or {}).get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = str(sslmode)
    return env


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-5:]
        raise BackupError(f"{Path(command[0]).name} failed (exit {result.returncode}): " + " / ".join(tail))


@contextmanager
def _dbapi(database: Mapping[str, Any]) -> Iterator[Any]:
    """A plain DB-API connection to ``database`` (a settings dict), outside Django's handler,
    so that a restore can target a database other than the one Django serves."""
    if _engine(database) == "sqlite":
        with closing(sqlite3.connect(str(database["NAME"]))) as conn:
            yield conn
        return
    import psycopg2  # PostgreSQL only; the embedded default runs without it.

    params = {
        "dbname": database["NAME"],
        "user": database.get("USER") or None,
        "password": database.get("PASSWORD") or None,
        "host": database.get("HOST") or None,
        "port": database.get("PORT") or None,
    }
    conn = psycopg2.connect(**{k: v for k, v in params.items() if v is not None})
    try:
        yield conn
    finally:
        conn.close()


def _tables(conn: Any, engine: str) -> list[str]:
    cursor = conn.cursor()
    if engine == "sqlite":
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    else:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    return sorted(row[0] for row in cursor.fetchall())


def _state(conn: Any) -> tuple[dict[str, list[str]], dict[str, int]]:
    """(migrations applied per app, row counts of COUNTED) read through a DB-API connection."""
    cursor = conn.cursor()
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    migrations: dict[str, list[str]] = {}
    for app, name in cursor.fetchall():
        migrations.setdefault(app, []).append(name)
    counts = {}
    for label, app_label, model_name in COUNTED:
        table = apps.get_model(app_label, model_name)._meta.db_table
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 (a model's own table name)
        counts[label] = int(cursor.fetchone()[0])
    return migrations, counts


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _media_files(media_root: Path) -> Iterator[Path]:
    if media_root.is_dir():
        for path in sorted(media_root.rglob("*")):
            if path.is_file() and not path.is_symlink():
                yield path


# ---------------------------------------------------------------------------- backup


def backup_create(*, output_dir: Path, using: str = "default", media_root: Path | None = None) -> Path:
    """Write a backup of the database ``using`` and of the media folder into a new directory
    under ``output_dir`` and return it. Written as ``<name>.partial`` and renamed when
    complete, so a directory without that suffix is a whole backup. Raises BackupError."""
    media_root = Path(media_root if media_root is not None else settings.MEDIA_ROOT)
    connection = connections[using]
    engine = _engine(connection.settings_dict)
    if output_dir.resolve().is_relative_to(media_root.resolve()):
        raise BackupError(f"The output directory {output_dir} is inside the media folder {media_root}: choose another.")
    output_dir.mkdir(parents=True, exist_ok=True)
    name = "cc-backup-" + timezone.now().astimezone(dt.UTC).strftime("%Y%m%d-%H%M%S")
    final = output_dir / name
    n = 1
    while final.exists() or final.with_name(final.name + ".partial").exists():
        n += 1
        final = output_dir / f"{name}-{n}"
    partial = final.with_name(final.name + ".partial")
    partial.mkdir()
    try:
        connection.ensure_connection()
        migrations, counts = _state(connection.connection)
        if engine == "postgresql":
            database_part = PG_PART
            command = [pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges"]
            _run([*command, f"--file={partial / PG_PART}"], _pg_env(connection.settings_dict))
        else:
            database_part = SQLITE_PART
            # The online backup API copies a consistent snapshot while others keep writing.
            with closing(sqlite3.connect(str(partial / SQLITE_PART))) as target:
                connection.connection.backup(target)
        media_count = 0
        with tarfile.open(partial / MEDIA_PART, "w") as tar:
            for path in _media_files(media_root):
                tar.add(path, arcname=path.relative_to(media_root).as_posix(), recursive=False)
                media_count += 1
        manifest = {
            "format": FORMAT,
            "product": "contactcenter",
            "version": contactcenter.__version__,
            "created_at": timezone.now().isoformat(),
            "engine": engine,
            "migrations": migrations,
            "counts": {**counts, "media_files": media_count},
            "parts": {
                part: {"sha256": _sha256(partial / part), "size": (partial / part).stat().st_size}
                for part in (database_part, MEDIA_PART)
            },
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return final


# ---------------------------------------------------------------------------- check


def backup_check(source: Path) -> dict[str, Any]:
    """Read and verify a backup: the manifest, each part's size and SHA-256, the media tar's
    listing (and, for PostgreSQL, that pg_restore can read the dump's table of contents).
    Returns the manifest; raises BackupError naming what is wrong."""
    manifest_path = source / MANIFEST
    if not manifest_path.is_file():
        raise BackupError(f"{source} is not a backup: {MANIFEST} is missing.")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise BackupError(f"{MANIFEST} is not valid JSON: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("product") != "contactcenter":
        raise BackupError(f"{MANIFEST} does not describe a contact center backup.")
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Unknown backup format {manifest.get('format')!r} (this release reads {FORMAT}).")
    parts = manifest.get("parts")
    if not isinstance(parts, dict) or MEDIA_PART not in parts or len(parts) != 2:
        raise BackupError(f"{MANIFEST} lists no database or media part.")
    for part, expected in parts.items():
        path = source / part
        if not path.is_file():
            raise BackupError(f"The part {part} is missing.")
        if path.stat().st_size != expected.get("size") or _sha256(path) != expected.get("sha256"):
            raise BackupError(f"The part {part} does not match its checksum in {MANIFEST}: it is damaged.")
    with tarfile.open(source / MEDIA_PART) as tar:
        files = sum(1 for member in tar.getmembers() if member.isfile())
    if files != manifest.get("counts", {}).get("media_files"):
        raise BackupError(
            f"{MEDIA_PART} holds {files} files; the manifest says {manifest['counts'].get('media_files')}."
        )
    if manifest.get("engine") == "postgresql":
        _run([pg_tool("pg_restore"), "--list", str(source / PG_PART)], dict(os.environ))
    return manifest


# ---------------------------------------------------------------------------- restore


def _empty_database(database: Mapping[str, Any], engine: str) -> None:
    """Drop every table, view and sequence of the current schema (the overwrite of --yes)."""
    with _dbapi(database) as conn:
        cursor = conn.cursor()
        if engine == "sqlite":
            for table in _tables(conn, engine):
                cursor.execute(f'DROP TABLE IF EXISTS "{table}"')
            conn.commit()
            return
        for kind, query in (
            ("VIEW", "SELECT viewname FROM pg_views WHERE schemaname = current_schema()"),
            ("TABLE", "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"),
            ("SEQUENCE", "SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()"),
        ):
            cursor.execute(query)
            for (name,) in cursor.fetchall():
                cursor.execute(f'DROP {kind} IF EXISTS "{name}" CASCADE')
        conn.commit()


def backup_restore(
    *, source: Path, database: Mapping[str, Any], media_root: Path, overwrite: bool = False
) -> dict[str, Any]:
    """Restore the backup at ``source`` into ``database`` (a settings dict of the same engine)
    and ``media_root``. Both must be empty unless ``overwrite``: then the database's tables are
    dropped first and the media files are written over the folder's (other files stay).
    Returns the manifest. Raises BackupError before changing anything when the backup is
    damaged, of a newer release or of the other engine, or the target is not empty."""
    manifest = backup_check(source)
    engine = _engine(database)
    if version_tuple(str(manifest.get("version", ""))) > version_tuple(contactcenter.__version__):
        raise BackupError(
            f"This backup was written by release {manifest['version']}, newer than this one "
            f"({contactcenter.__version__}). Restore it with release {manifest['version']} or later."
        )
    unknown = migrations_unknown(manifest)
    if unknown:
        raise BackupError(
            "This backup's database has migrations this release does not know ("
            + ", ".join(unknown[:5])
            + "): it comes from a newer or different release."
        )
    if manifest["engine"] != engine:
        raise BackupError(
            f"This backup holds a {manifest['engine']} database; the configured database is {engine}. "
            "Set DATABASE_URL accordingly (PostgreSQL) or unset it (SQLite)."
        )
    with _dbapi(database) as conn:
        tables = _tables(conn, engine)
    media_root = Path(media_root)
    media_used = media_root.is_dir() and any(media_root.iterdir())
    if not overwrite and (tables or media_used):
        what = " and ".join(
            w for w, used in (("the database", bool(tables)), (f"the media folder {media_root}", media_used)) if used
        )
        raise BackupError(f"Refusing to restore: {what} is not empty. Restore into a fresh one, or pass --yes.")
    if tables:
        _empty_database(database, engine)
    if engine == "postgresql":
        command = [pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
        if overwrite:  # also the functions, triggers and types the dump creates
            command += ["--clean", "--if-exists"]
        env = _pg_env(database)
        _run([*command, f"--dbname={database['NAME']}", str(source / PG_PART)], env)
    else:
        with (
            closing(sqlite3.connect(str(source / SQLITE_PART))) as src,
            closing(sqlite3.connect(str(database["NAME"]))) as dst,
        ):
            src.backup(dst)
    media_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(source / MEDIA_PART) as tar:
        # The "data" filter refuses absolute paths, "..", links out of the folder and devices.
        tar.extractall(media_root, filter="data")  # noqa: S202
    with _dbapi(database) as conn:
        _, counts = _state(conn)
    expected = {k: v for k, v in manifest["counts"].items() if k != "media_files"}
    if counts != expected:
        raise BackupError(f"The restored database's rows {counts} differ from the manifest's {expected}.")
    return manifest


def _migrations(
    manifest: Mapping[str, Any],
) -> tuple[set[tuple[str, str]], set[tuple[str, str]], set[tuple[str, str]]]:
    """(applied in the backup, on disk here, known here: on disk or replaced by a squash) as
    (app label, migration name) pairs."""
    from django.db.migrations.loader import MigrationLoader  # only when a restore asks (reads every app)

    applied = {(app, name) for app, names in manifest.get("migrations", {}).items() for name in names}
    loader = MigrationLoader(None, ignore_no_migrations=True)
    on_disk = set(loader.disk_migrations)
    known = set(on_disk)
    for migration in loader.disk_migrations.values():
        known.update(migration.replaces or [])  # squashed migrations stand for those they replace
    return applied, on_disk, known


def migrations_unknown(manifest: Mapping[str, Any]) -> list[str]:
    """Migrations the backup's database had applied that this code does not have, of installed apps."""
    applied, _, known = _migrations(manifest)
    labels = {config.label for config in apps.get_app_configs()}
    return sorted(f"{app}.{name}" for app, name in applied - known if app in labels)


def migrations_pending(manifest: Mapping[str, Any]) -> bool:
    """Whether this code has migrations the backup's database had not applied (run migrate)."""
    applied, on_disk, _ = _migrations(manifest)
    return any(key not in applied for key in on_disk)
