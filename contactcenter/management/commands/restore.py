from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from contactcenter import backups


class Command(BaseCommand):
    help = (
        "Restore a backup written by `manage.py backup` into the configured database and media folder "
        "(CC_MEDIA_ROOT). They must be empty; --yes replaces what is there. Stop the other processes first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup", help="The backup directory (cc-backup-...)")
        parser.add_argument(
            "--yes", action="store_true", help="Overwrite a database and media folder that are not empty"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        connections.close_all()  # the restore uses connections of its own
        try:
            manifest = backups.backup_restore(
                source=Path(opts["backup"]),
                database=settings.DATABASES["default"],
                media_root=Path(settings.MEDIA_ROOT),
                overwrite=opts["yes"],
            )
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from None
        counts = ", ".join(f"{value} {key}" for key, value in manifest["counts"].items())
        self.stdout.write(self.style.SUCCESS(f"Restored release {manifest['version']}'s backup: {counts}."))
        if backups.migrations_pending(manifest):
            self.stdout.write("This release has newer migrations: run `python manage.py migrate` before starting.")
