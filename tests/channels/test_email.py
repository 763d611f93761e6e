"""Email: RFC 822 in through the management command, HTML to safe text, attachments kept,
replies by SMTP (a local server) threaded so that the customer's reply joins the enquiry."""

from __future__ import annotations

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

from .test_outbound import _png

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
        m.add_attachment(_png(), maintype="image", subtype="png", filename="receipt.png")
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
