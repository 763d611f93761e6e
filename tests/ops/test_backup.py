"""Backups restore (issue 17, README "Backups and restore"): a populated instance is backed up,
restored into a fresh database and media folder, and every row and file is found again. On
the configured engine: PostgreSQL (pg_dump/pg_restore into a database of our own,
test_<database>_restore) or SQLite (online backup API into a new file)."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from PIL import Image

import contactcenter
from contactcenter import backups
from enquiries import services as enquiry_services
from enquiries.models import Enquiry
from rooms import files
from rooms import services as room_services
from rooms.models import Message

pytestmark = pytest.mark.django_db(transaction=True)

# A database of this run's own, next to the test database (test_<name>_restore).


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 80), (10, 120, 200)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _admin_connect(database: dict[str, Any]) -> Any:
    import psycopg2

    params = {k: database.get(v) for k, v in (("user", "USER"), ("password", "PASSWORD"), ("host", "HOST"))}
    params["port"] = database.get("PORT")
    conn = psycopg2.connect(dbname="postgres", **{k: v for k, v in params.items() if v})
    conn.autocommit = True
    return conn


@pytest.fixture
def target(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A fresh, empty database of the configured engine (a settings dict)."""
    source = connection.settings_dict
    if connection.vendor == "sqlite":
        yield {**source, "NAME": str(tmp_path / "restored.sqlite3")}
        return
    name = f"{source['NAME']}_restore"
    admin = _admin_connect(source)
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {name}")
    try:
        yield {**source, "NAME": name}
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


@pytest.fixture
def populated(
    media: Path,
    make_staff: Callable[..., Any],
    support: Any,
    open_enquiry: Callable[..., Enquiry],
) -> dict[str, Any]:
    """Enquiries in several states, text messages both ways and files (an image with its
    thumbnail, a text file), all through the services."""
    agent = make_staff(tags=[support], name="Olive Owner")
    waiting = open_enquiry(message="Is anyone there?")
    handled = open_enquiry(message="My order is late")
    closed = open_enquiry(message="Wrong size")
    for enquiry in (handled, closed):
        enquiry_services.enquiry_pick_up(actor=agent, enquiry_id=enquiry.pk)
        enquiry.refresh_from_db()
        room_services.message_post(room_id=enquiry.room.pk, text="Let me check, café ☕", staff=agent)
        room_services.message_post(room_id=enquiry.room.pk, text="Thank you!", visitor=enquiry.visitor)
    files.file_upload(
        room_id=handled.room.pk,
        upload=SimpleUploadedFile("photo.png", png_bytes(), content_type="image/png"),
        text="The parcel",
        visitor=handled.visitor,
    )
    files.file_upload(
        room_id=handled.room.pk,
        upload=SimpleUploadedFile("notes.txt", "Order 42 — shipped\n".encode(), content_type="text/plain"),
        staff=agent,
    )
    enquiry_services.enquiry_resolve(actor=agent, enquiry_id=closed.pk)
    enquiry_services.enquiry_close(actor=agent, enquiry_id=closed.pk)
    stored = sorted(p.relative_to(media).as_posix() for p in media.rglob("*") if p.is_file())
    assert len(stored) == 3  # two files and the image's thumbnail
    return {"enquiries": [waiting.pk, handled.pk, closed.pk], "files": stored}


def _value(value: Any) -> Any:
    """JSON columns compared by content: Django's own connection reads them as text."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, memoryview):
        return bytes(value)
    if isinstance(value, dt.date) and connection.vendor == "sqlite":  # Django's connection parses them
        return str(value)
    return value


def _rows(conn: Any, tables: list[str]) -> dict[str, list[tuple[Any, ...]]]:
    cursor = conn.cursor()
    out = {}
    for table in tables:
        cursor.execute(f'SELECT * FROM "{table}" ORDER BY 1')
        out[table] = [tuple(_value(v) for v in row) for row in cursor.fetchall()]
    return out


def test_backup_restores_every_row_and_file(populated: dict[str, Any], media: Path, tmp_path: Path, target: Any):
    backup = backups.backup_create(output_dir=tmp_path / "backups")
    assert backup.parent == tmp_path / "backups" and backup.name.startswith("cc-backup-")
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["version"] == contactcenter.__version__
    assert manifest["engine"] == ("postgresql" if connection.vendor == "postgresql" else "sqlite")
    assert manifest["counts"]["enquiries"] == 3 and manifest["counts"]["media_files"] == 3
    assert manifest["counts"]["messages"] == Message.objects.count()
    assert "0001_initial" in manifest["migrations"]["enquiries"]
    assert backups.backup_check(backup) == manifest

    restored_media = tmp_path / "restored-media"
    backups.backup_restore(source=backup, database=target, media_root=restored_media)

    # Every table, row for row.
    tables = sorted(connection.introspection.table_names())
    connection.ensure_connection()
    with backups._dbapi(target) as restored:  # noqa: SLF001 (the test reads the restored database raw)
        assert backups._tables(restored, manifest["engine"]) == tables  # noqa: SLF001
        before, after = _rows(connection.connection, tables), _rows(restored, tables)
        cursor = restored.cursor()
        cursor.execute(f'SELECT id FROM "{Enquiry._meta.db_table}" ORDER BY id')
        assert [row[0] for row in cursor.fetchall()] == populated["enquiries"]
        cursor.execute(f'SELECT text FROM "{Message._meta.db_table}" ORDER BY id')
        texts = [row[0] for row in cursor.fetchall()]
    for table in tables:
        assert after[table] == before[table], table
    assert "Let me check, café ☕" in texts and "The parcel" in texts and "Is anyone there?" in texts

    # Every file, byte for byte, where the restored messages say it is.
    for relative in populated["files"]:
        assert (restored_media / relative).read_bytes() == (media / relative).read_bytes(), relative
    for message in Message.objects.filter(kind=Message.Kind.FILE):
        info = message.data["file"]
        assert (restored_media / info["path"]).read_bytes() == files.media_path(info["path"]).read_bytes()


def test_restore_refuses_a_non_empty_target_unless_told(populated: dict[str, Any], tmp_path: Path, target: Any) -> None:
    backup = backups.backup_create(output_dir=tmp_path / "backups")
    restored_media = tmp_path / "restored-media"
    backups.backup_restore(source=backup, database=target, media_root=restored_media)
    with pytest.raises(backups.BackupError, match="the database and the media folder .* not empty"):
        backups.backup_restore(source=backup, database=target, media_root=restored_media)
    # --yes: the tables are replaced (a row added since is gone again).
    with backups._dbapi(target) as conn:  # noqa: SLF001
        cursor = conn.cursor()
        cursor.execute(f'DELETE FROM "{Message._meta.db_table}" WHERE kind = %s'.replace("%s", "'text'"))
        conn.commit()
    backups.backup_restore(source=backup, database=target, media_root=restored_media, overwrite=True)
    with backups._dbapi(target) as conn:  # noqa: SLF001
        cursor = conn.cursor()
        cursor.execute(f'SELECT COUNT(*) FROM "{Message._meta.db_table}"')
        assert cursor.fetchone()[0] == Message.objects.count()


def test_restore_refuses_damaged_newer_or_foreign_backups(populated: dict[str, Any], tmp_path: Path, target: Any):
    backup = backups.backup_create(output_dir=tmp_path / "backups")
    manifest_path = backup / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    fresh_media = tmp_path / "restored-media"

    newer = {**manifest, "version": "99.0.0"}
    manifest_path.write_text(json.dumps(newer))
    with pytest.raises(backups.BackupError, match="newer than this one"):
        backups.backup_restore(source=backup, database=target, media_root=fresh_media)

    unknown = {**manifest, "migrations": {**manifest["migrations"], "enquiries": ["9999_from_the_future"]}}
    manifest_path.write_text(json.dumps(unknown))
    with pytest.raises(backups.BackupError, match="enquiries.9999_from_the_future"):
        backups.backup_restore(source=backup, database=target, media_root=fresh_media)
    manifest_path.write_text(json.dumps(manifest))

    media_part = backup / "media.tar"
    good = media_part.read_bytes()
    media_part.write_bytes(good[:-1] + bytes([good[-1] ^ 1]))
    with pytest.raises(backups.BackupError, match="media.tar does not match its checksum"):
        backups.backup_restore(source=backup, database=target, media_root=fresh_media)
    media_part.write_bytes(good)

    (backup / "manifest.json").unlink()
    with pytest.raises(backups.BackupError, match="manifest.json is missing"):
        backups.backup_check(backup)
    # Nothing was written to the target by any refusal.
    with backups._dbapi(target) as conn:  # noqa: SLF001
        assert backups._tables(conn, manifest["engine"]) == []  # noqa: SLF001
    assert not fresh_media.exists()


def test_commands(populated: dict[str, Any], tmp_path: Path, settings: Any) -> None:
    out = io.StringIO()
    call_command("backup", "--output", str(tmp_path / "backups"), stdout=out)
    assert "Backup written to" in out.getvalue() and "3 enquiries" in out.getvalue()
    (backup,) = (tmp_path / "backups").iterdir()
    out = io.StringIO()
    call_command("backup", "--check", str(backup), stdout=out)
    assert "complete and intact" in out.getvalue()
    # The configured database is in use: restore refuses to touch it without --yes.
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(backup))
    with pytest.raises(CommandError, match="is not a backup"):
        call_command("restore", str(tmp_path))


def test_backup_refuses_an_output_inside_the_media_folder(populated: dict[str, Any], media: Path) -> None:
    with pytest.raises(backups.BackupError, match="inside the media folder"):
        backups.backup_create(output_dir=media / "backups")
    assert not (media / "backups").exists()


def test_missing_pg_tools_say_how_to_get_them(settings: Any, tmp_path: Path) -> None:
    settings.CC_PG_BIN_DIR = str(tmp_path)
    with pytest.raises(backups.BackupError, match="pg_dump is not in CC_PG_BIN_DIR"):
        backups.pg_tool("pg_dump")
    settings.CC_PG_BIN_DIR = ""
    assert Path(backups.pg_tool("pg_restore")).name == "pg_restore"


def test_version_order() -> None:
    assert backups.version_tuple("0.10.0") > backups.version_tuple("0.9.0")
    assert backups.version_tuple("1.0.0rc1") == (1, 0, 0)
