"""Email: RFC 822 in through the management command, HTML to safe text, attachments kept,
replies by SMTP (a local server) threaded so that the customer's reply joins the enquiry."""

from __future__ import annotations

import imaplib
import io
import sys
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from channels_adapters import tasks
from channels_adapters.models import InboundEvent, OutboundMessage
from enquiries import services as enquiry_services
from enquiries.models import Enquiry
from rooms import services as room_services
from rooms.models import Message

from .test_outbound import png_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def email_channel(make_channel: Any, support: Any, smtp_server: Any) -> Any:
    return make_channel(
        tag=support,
        kind="email",
        welcome_message="",
        credentials={"address": "help@shop.example", "smtp_host": "127.0.0.1", "smtp_port": smtp_server.port},
    )


def mail(
    *,
    msgid: str,
    subject: str = "Order 1234 is late",
    html: bool = True,
    reply_to: str = "",
    attachment: bool = False,
    to: str = "help@shop.example",
) -> bytes:
    m = EmailMessage()
    m["From"] = "Carol Customer <carol@example.org>"
    m["To"] = to
    m["Subject"] = subject
    m["Message-ID"] = msgid
    if reply_to:
        m["In-Reply-To"] = reply_to
        m["References"] = reply_to
    m.set_content("Where is my order?\n\n> quoted old text")
    if html:
        m.add_alternative(
            "<html><head><style>p{}</style></head><body><p>Where is <b>my</b> order?</p>"
            "<script>alert(1)</script></body></html>",
            subtype="html",
        )
    if attachment:
        m.add_attachment(png_bytes(), maintype="image", subtype="png", filename="receipt.png")
    return m.as_bytes()


def ingest(raw: bytes, *args: str) -> str:
    out = io.StringIO()
    stdin = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(raw))
    try:
        call_command("ingest_email", *args, stdout=out)
    finally:
        sys.stdin = stdin
    return out.getvalue().strip()


def test_html_only_mail_is_reduced_to_text(email_channel: Any, agent: Any) -> None:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"], m["Message-ID"] = "x@example.org", "help@shop.example", "Hi", "<h1@example.org>"
    m.set_content("<p>Hello <i>there</i></p><script>evil()</script>", subtype="html")
    assert ingest(m.as_bytes()) == "processed"
    text = Message.objects.get(author_visitor__isnull=False).text
    assert "Hello" in text and "there" in text and "evil" not in text and "<" not in text


def test_email_end_to_end(email_channel: Any, agent: Any, smtp_server: Any, settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    assert ingest(mail(msgid="<first@example.org>", attachment=True)) == "processed"
    assert ingest(mail(msgid="<first@example.org>", attachment=True)) == "duplicate"
    enquiry = Enquiry.objects.get()
    assert enquiry.visitor.channel_identity == "carol@example.org" and enquiry.visitor.first_name == "Carol"
    texts = list(
        Message.objects.filter(room__enquiry=enquiry, author_visitor__isnull=False).values_list("kind", "text")
    )
    assert texts[0] == ("text", "Order 1234 is late\n\nWhere is my order?")
    assert texts[1][0] == "file"
    enquiry_services.enquiry_pick_up(actor=agent, enquiry_id=enquiry.pk)
    message, _ = room_services.message_post(room_id=enquiry.room.pk, text="It ships today.", staff=agent)
    outbound = OutboundMessage.objects.get(message=message)
    assert tasks.outbound_send(outbound.pk) == "sent"
    (sent,) = smtp_server.messages
    assert "<carol@example.org>" in sent["to"][0]
    parsed = message_from_bytes(sent["data"], policy=policy.default)
    assert parsed["In-Reply-To"] == "<first@example.org>"
    assert "<first@example.org>" in parsed["References"]
    assert parsed["Subject"] == "Re: Order 1234 is late"
    assert parsed.get_content().strip() == "It ships today."
    outbound.refresh_from_db()
    assert outbound.provider_message_id == parsed["Message-ID"]
    # The customer's reply to our mail joins the same enquiry.
    reply = mail(
        msgid="<second@example.org>",
        subject="Re: Order 1234 is late",
        html=False,
        reply_to=outbound.provider_message_id,
        to="Help <HELP@shop.example>",
    )
    assert ingest(reply) == "processed"
    assert Enquiry.objects.count() == 1
    last = Message.objects.filter(room__enquiry=enquiry, author_visitor__isnull=False).last()
    assert last is not None and last.text == "Where is my order?"  # quoted part dropped
    assert InboundEvent.objects.get(provider_key="<second@example.org>").enquiry == enquiry


def test_smtp_refusal_fails_without_retry(email_channel: Any, agent: Any, smtp_server: Any) -> None:
    ingest(mail(msgid="<a@example.org>"))
    enquiry = Enquiry.objects.get()
    enquiry_services.enquiry_pick_up(actor=agent, enquiry_id=enquiry.pk)
    message, _ = room_services.message_post(room_id=enquiry.room.pk, text="Hello", staff=agent)
    smtp_server.rcpt_reply = "550 No such user"
    outbound = OutboundMessage.objects.get(message=message)
    assert tasks.outbound_send(outbound.pk) == "failed"
    outbound.refresh_from_db()
    assert "No such user" in outbound.error


def test_unknown_recipient_and_automated_mail(email_channel: Any) -> None:
    with pytest.raises(CommandError):
        ingest(mail(msgid="<b@example.org>", to="other@shop.example"))
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = "carol@example.org", "help@shop.example", "Out of office"
    m["Auto-Submitted"] = "auto-replied"
    m.set_content("I am away")
    assert ingest(m.as_bytes()) == "ignored"
    assert ingest(mail(msgid="<c@example.org>", to="other@shop.example"), "--channel", str(email_channel.pk)) == (
        "processed"
    )


class FakeIMAP:
    """imaplib.IMAP4 as poll_imap uses it: two unseen mails; each STORE (marking a mail
    seen) records whether the mail had already been taken in at that moment."""

    error = imaplib.IMAP4.error
    instances: list[FakeIMAP] = []
    mails: dict[str, bytes] = {}

    def __init__(self, host: str, port: int) -> None:
        self.address = (host, port)
        self.calls: list[tuple[Any, ...]] = []
        self.seen: dict[str, bool] = {}
        FakeIMAP.instances.append(self)

    def login(self, user: str, password: str) -> tuple[str, list[bytes]]:
        self.calls.append(("login", user, password))
        return "OK", [b"Logged in"]

    def select(self, mailbox: str) -> tuple[str, list[bytes]]:
        self.calls.append(("select", mailbox))
        return "OK", [str(len(self.mails)).encode()]

    def uid(self, command: str, *args: str) -> tuple[str, list[Any]]:
        self.calls.append(("uid", command, *args))
        if command == "search":
            return "OK", [" ".join(self.mails).encode()]
        if command == "fetch":
            raw = self.mails[args[0]]
            return "OK", [(f"{args[0]} (UID {args[0]} BODY[] {{{len(raw)}}}".encode(), raw), b")"]
        if command == "store":
            msgid = message_from_bytes(self.mails[args[0]], policy=policy.default)["Message-ID"]
            self.seen[args[0]] = InboundEvent.objects.filter(provider_key=msgid).exists()
            return "OK", [b""]
        raise AssertionError(command)

    def logout(self) -> tuple[str, list[bytes]]:
        self.calls.append(("logout",))
        return "BYE", [b""]


@pytest.fixture
def imap(monkeypatch: Any, email_channel: Any) -> type[FakeIMAP]:
    from channels_adapters.management.commands import poll_imap

    monkeypatch.setattr(poll_imap.imaplib, "IMAP4", FakeIMAP)
    # The command's loop closes stale connections; that would close the test's transaction.
    monkeypatch.setattr(poll_imap, "close_old_connections", lambda: None)
    FakeIMAP.instances = []
    FakeIMAP.mails = {
        "7": mail(msgid="<imap1@example.org>"),
        "9": mail(msgid="<imap2@example.org>", subject="Refund", html=False),
    }
    email_channel.credentials = {
        **email_channel.credentials,
        "imap_host": "imap.shop.example",
        "imap_port": 143,
        "imap_username": "help",
        "imap_password": "pw",
    }
    email_channel.save(update_fields=["credentials"])
    return FakeIMAP


def test_poll_imap_takes_in_then_marks_seen(imap: type[FakeIMAP], email_channel: Any) -> None:
    out = io.StringIO()
    call_command("poll_imap", "--once", stdout=out)
    assert out.getvalue().strip() == f"channel {email_channel.pk}: 2 mail(s)"
    (client,) = imap.instances
    assert client.address == ("imap.shop.example", 143)
    assert client.calls[:2] == [("login", "help", "pw"), ("select", "INBOX")]
    assert client.seen == {"7": True, "9": True}  # each marked seen only once it was stored
    assert client.calls[-1] == ("logout",)
    texts = sorted(
        Message.objects.filter(author_visitor__isnull=False).values_list("room__enquiry__channel_id", "text")
    )
    assert texts == [
        (email_channel.pk, "Order 1234 is late\n\nWhere is my order?"),
        (email_channel.pk, "Refund\n\nWhere is my order?"),  # joins the customer's open enquiry
    ]
    assert Enquiry.objects.count() == 1
    call_command("poll_imap", "--once", stdout=io.StringIO())  # the server shows them again: duplicates
    assert Message.objects.filter(author_visitor__isnull=False).count() == 2


def test_poll_imap_leaves_unseen_what_it_could_not_take_in(
    imap: type[FakeIMAP], email_channel: Any, monkeypatch: Any
) -> None:
    from channels_adapters.management.commands import poll_imap

    def broken(*, raw: bytes, channel: Any) -> str:
        raise RuntimeError("database down")

    monkeypatch.setattr(poll_imap, "email_ingest", broken)
    with pytest.raises(RuntimeError):
        poll_imap.poll_channel(email_channel)
    (client,) = imap.instances
    assert client.seen == {}  # nothing marked seen: the next poll tries again
    assert client.calls[-1] == ("logout",)
