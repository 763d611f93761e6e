"""Take in one RFC 822 mail from standard input (an MTA pipe):

    python manage.py ingest_email [--channel ID] < message.eml

Exit status 0 when the mail was taken in (or was a duplicate or an automated mail, which
are ignored), 65 (EX_DATAERR) when no channel takes it, so the MTA bounces it.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from channels_adapters.inbound import email_ingest
from channels_adapters.models import Channel
from contactcenter.org.errors import InvalidInput


class Command(BaseCommand):
    help = "Read one RFC 822 email from stdin into its email channel's enquiry."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--channel", type=int, help="email channel id (default: chosen by the To address)")

    def handle(self, *args: Any, **options: Any) -> None:
        channel = None
        if options.get("channel"):
            channel = Channel.objects.filter(pk=options["channel"], kind=Channel.Kind.EMAIL).first()
            if channel is None:
                raise CommandError(f"No email channel {options['channel']}.", returncode=65)
        raw = sys.stdin.buffer.read()
        if not raw.strip():
            raise CommandError("No mail on standard input.", returncode=65)
        try:
            result = email_ingest(raw=raw, channel=channel)
        except InvalidInput as exc:
            raise CommandError(exc.message, returncode=65) from exc
        self.stdout.write(result)
