from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from contactcenter.org import services
from contactcenter.org.errors import DomainError
from contactcenter.org.models import Staff, Tag


class Command(BaseCommand):
    help = "Create a staff member (admin or agent). Unknown tags are created."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--role", choices=Staff.Role.values, default=Staff.Role.AGENT)
        parser.add_argument("--tag", action="append", default=[], dest="tags", metavar="NAME")
        parser.add_argument("--name", default="", help="Display name")
        parser.add_argument("--max-concurrent", type=int, default=5)
        parser.add_argument("--active", action="store_true", help="Start with availability ACTIVE")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            tags = [Tag.objects.get_or_create(name=name.strip())[0] for name in opts["tags"] if name.strip()]
            staff = services.staff_create(
                actor=None,
                email=opts["email"],
                password=opts["password"],
                display_name=opts["name"],
                role=opts["role"],
                tags=tags,
                max_concurrent=opts["max_concurrent"],
                availability=Staff.Availability.ACTIVE if opts["active"] else Staff.Availability.OFFLINE,
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(self.style.SUCCESS(f"Created {staff.role} {staff.email} (id {staff.pk})."))
