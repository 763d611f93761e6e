"""Poll the IMAP mailboxes of email channels and take in unseen mail:

    python manage.py poll_imap [--channel ID] [--once] [--interval 60]

Each channel's credentials give imap_host, imap_port (993), imap_username / imap_password
(default: the SMTP ones) and imap_mailbox (INBOX). A mail is marked seen only after it
was taken in, so a crash never loses one (a redelivered mail is ignored by Message-ID).
"""

from __future__ import annotations

import imaplib
import logging
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from channels_adapters.inbound import email_ingest
from channels_adapters.models import Channel
from contactcenter.org.errors import InvalidInput

logger = logging.getLogger(__name__)


def poll_channel(channel: Channel) -> int:
    """Take in the unseen mail of one channel's mailbox; returns how many."""
    creds = channel.credentials
    port = int(creds.get("imap_port") or 993)
    client = imaplib.IMAP4_SSL(creds["imap_host"], port) if port == 993 else imaplib.IMAP4(creds["imap_host"], port)
    taken = 0
    try:
        client.login(
            str(creds.get("imap_username") or creds.get("smtp_username") or creds["address"]),
            str(creds.get("imap_password") or creds.get("smtp_password") or ""),
        )
        client.select(str(creds.get("imap_mailbox") or "INBOX"))
        _, found = client.uid("search", "UNSEEN")
        for raw_uid in (found[0] or b"").split():
            uid = raw_uid.decode()
            _, parts = client.uid("fetch", uid, "(BODY.PEEK[])")
            raw = next((p[1] for p in parts if isinstance(p, tuple)), None)
            if not isinstance(raw, bytes):
                continue
            try:
                email_ingest(raw=raw, channel=channel)
                taken += 1
            except InvalidInput as exc:
                logger.warning("imap channel=%s uid=%s: %s", channel.pk, uid, exc.message)
            client.uid("store", uid, "+FLAGS", "(\\Seen)")
    finally:
        try:
            client.logout()
        except (OSError, imaplib.IMAP4.error):
            pass
    return taken


class Command(BaseCommand):
    help = "Poll email channels' IMAP mailboxes for new mail."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--channel", type=int)
        parser.add_argument("--once", action="store_true")
        parser.add_argument("--interval", type=float, default=60.0)

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            close_old_connections()
            channels = Channel.objects.filter(kind=Channel.Kind.EMAIL, is_active=True)
            if options.get("channel"):
                channels = channels.filter(pk=options["channel"])
            for channel in channels:
                if not channel.credentials.get("imap_host"):
                    continue
                try:
                    self.stdout.write(f"channel {channel.pk}: {poll_channel(channel)} mail(s)")
                except (OSError, imaplib.IMAP4.error) as exc:
                    logger.warning("imap channel=%s: %s", channel.pk, exc)
            if options["once"]:
                return
            time.sleep(options["interval"])
