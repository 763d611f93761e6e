from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from contactcenter import backups


class Command(BaseCommand):
    help = (
        "Back up the database (PostgreSQL: pg_dump; SQLite: online backup) and the media folder "
        "(CC_MEDIA_ROOT) into a new directory with a manifest. --check DIR verifies an existing backup instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output", default=str(settings.BASE_DIR / "backups"), help="Directory the backup goes under"
        )
        parser.add_argument("--check", metavar="BACKUP", help="Verify this backup (checksums, readable dump)")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            if opts["check"]:
                manifest = backups.backup_check(Path(opts["check"]))
                self.stdout.write(self.style.SUCCESS(f"{opts['check']}: complete and intact."))
                self._describe(manifest)
                return
            path = backups.backup_create(output_dir=Path(opts["output"]))
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from None
        manifest = backups.backup_check(path)
        self.stdout.write(self.style.SUCCESS(f"Backup written to {path}"))
        self._describe(manifest)

    def _describe(self, manifest: dict[str, Any]) -> None:
        counts = ", ".join(f"{value} {key}" for key, value in manifest["counts"].items())
        self.stdout.write(
            f"Release {manifest['version']}, {manifest['engine']}, written {manifest['created_at']}: {counts}."
        )
