"""Email: inbound RFC 822 parsing (HTML reduced to text, attachments kept) and replies by
SMTP threaded with In-Reply-To/References."""

from __future__ import annotations

import dataclasses
import re
import smtplib
import ssl
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import formataddr, formatdate, getaddresses, make_msgid, parseaddr
from typing import TYPE_CHECKING, Any

from bs4 import BeautifulSoup
from django.conf import settings
from django.utils.translation import gettext

from channels_adapters.models import Channel, InboundEvent, OutboundMessage
from channels_adapters.platforms.base import OutFile, SendError
from channels_adapters.selectors import public_name
from contactcenter.org.services import org_settings_get

if TYPE_CHECKING:
    from enquiries.models import Enquiry
    from rooms.models import Message

_MSGID = re.compile(r"<[^<>\s]+>")


@dataclasses.dataclass
class ParsedEmail:
    message_id: str
    from_addr: str
    from_name: str
    to_addrs: list[str]
    subject: str
    text: str
    references: list[str]
    attachments: list[tuple[str, bytes, str]]
    automated: bool


def html_to_text(html: str) -> str:
    """Safe plain text of an HTML body: scripts, styles and markup dropped (the text is
    shown escaped like any message)."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "head", "title", "meta", "noscript"]):
        tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    text = soup.get_text("\n")
    lines = [re.sub(r"[ \t\xa0]+", " ", line).strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def strip_quoted(text: str) -> str:
    """The new part of a reply: quoted lines (">") and the "On ... wrote:" block dropped."""
    kept: list[str] = []
    for line in text.splitlines():
        if re.match(r"^\s*On .{3,300}wrote:\s*$", line) or line.strip() == "-----Original Message-----":
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    return "\n".join(kept).strip() or text.strip()


def email_parse(raw: bytes) -> ParsedEmail:
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    from_name, from_addr = parseaddr(str(msg.get("From", "")))
    to_addrs = [
        addr.lower()
        for _, addr in getaddresses(
            [str(v) for h in ("To", "Cc", "Delivered-To", "X-Original-To") for v in msg.get_all(h, [])]
        )
        if addr
    ]
    refs = _MSGID.findall(str(msg.get("References", ""))) + _MSGID.findall(str(msg.get("In-Reply-To", "")))
    text = ""
    body = (
        msg.get_body(preferencelist=("plain", "html"))
        if msg.is_multipart() or msg.get_content_maintype() == "text"
        else None
    )
    if body is not None:
        content = body.get_content()
        text = html_to_text(content) if body.get_content_subtype() == "html" else str(content)
    attachments: list[tuple[str, bytes, str]] = []
    for part in msg.iter_attachments() if msg.is_multipart() else []:
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes) and payload:
            attachments.append((part.get_filename() or "attachment", payload, part.get_content_type()))
    auto = str(msg.get("Auto-Submitted", "no")).lower()
    automated = (auto not in ("", "no")) or from_addr.lower().startswith(("mailer-daemon@", "postmaster@"))
    message_id = (_MSGID.findall(str(msg.get("Message-ID", ""))) or [""])[0]
    return ParsedEmail(
        message_id=message_id,
        from_addr=from_addr.strip().lower(),
        from_name=from_name.strip(),
        to_addrs=to_addrs,
        subject=str(msg.get("Subject", "")).strip(),
        text=strip_quoted(text.replace("\r\n", "\n")),
        references=refs,
        attachments=attachments,
        automated=automated,
    )


def _thread_ids(channel: Channel, enquiry: Enquiry) -> tuple[list[str], str]:
    """Message-IDs of the enquiry's mails in order, and the subject of its first mail."""
    inbound = list(
        InboundEvent.objects.filter(channel=channel, enquiry=enquiry)
        .order_by("id")
        .values_list("provider_key", "payload")
    )
    outbound = list(
        OutboundMessage.objects.filter(channel=channel, message__room__enquiry=enquiry)
        .exclude(provider_message_id="")
        .order_by("id")
        .values_list("provider_message_id", flat=True)
    )
    subject = next((str((p.get("data") or {}).get("subject") or "") for _, p in inbound if p), "")
    ids = [key for key, _ in inbound if key.startswith("<")] + list(outbound)
    return ids, subject


def follow_up_address(enquiry: Enquiry) -> str:
    """Where a staff reply to a customer who did not write by email goes by email (a missed
    widget or web-link enquiry): the contact of the customer's note when it is an email
    address, else the visitor's email; "" when neither is one."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    note = getattr(enquiry, "note", None)
    for candidate in ((note.contact if note else "").strip(), enquiry.visitor.email.strip()):
        try:
            validate_email(candidate)
        except ValidationError:
            continue
        return candidate
    return ""


def _recipient(channel: Channel, enquiry: Enquiry) -> str:
    if enquiry.channel_id == channel.pk:
        return enquiry.visitor.channel_identity or enquiry.visitor.email
    return follow_up_address(enquiry)  # A follow-up of a missed widget enquiry, sent from this mailbox.


def email_reply_send(*, channel: Channel, message: Message, enquiry: Enquiry, file: OutFile | None = None) -> str:
    """Send a staff message (with ``file`` attached, for a file message) by SMTP to the
    enquiry's customer; returns its Message-ID. Raises SendError (retryable on network
    errors and 4xx SMTP replies)."""
    creds: dict[str, Any] = channel.credentials
    address = str(creds.get("address") or "")
    ids, subject = _thread_ids(channel, enquiry)
    last_inbound = (
        InboundEvent.objects.filter(channel=channel, enquiry=enquiry, provider_key__startswith="<")
        .order_by("-id")
        .values_list("provider_key", flat=True)
        .first()
    )
    mail = EmailMessage()
    # The business is whom the customer sees writing (selectors.public_name), never the
    # channel's internal name.
    company = org_settings_get().company_name.strip()
    mail["From"] = formataddr((public_name(channel, company), address))
    mail["To"] = _recipient(channel, enquiry)
    if not subject:
        subject = (
            gettext("Your enquiry with %(company)s") % {"company": company} if company else gettext("Your enquiry")
        )
    mail["Subject"] = subject if subject.lower().startswith("re:") else f"Re: {subject}"
    mail["Date"] = formatdate(localtime=False)
    message_id = make_msgid(domain=address.rpartition("@")[2] or None)
    mail["Message-ID"] = message_id
    if last_inbound:
        mail["In-Reply-To"] = last_inbound
    if ids:
        mail["References"] = " ".join(ids[-20:])
    mail.set_content(message.text)
    if file is not None:
        maintype, _, subtype = file.content_type.partition("/")
        mail.add_attachment(file.content, maintype=maintype, subtype=subtype or "octet-stream", filename=file.name)
    _smtp_send(creds, mail)
    return message_id


def email_connection_check(creds: dict[str, Any]) -> str:
    """Connect to the SMTP server and sign in (when a user name is set), sending nothing.
    Raises SendError with the server's answer."""
    _smtp_send(creds, None)
    host, port = str(creds.get("smtp_host") or ""), int(creds.get("smtp_port") or 25)
    if creds.get("smtp_username"):
        return gettext("Connected to the SMTP server %(server)s and signed in as %(user)s.") % {
            "server": f"{host}:{port}",
            "user": creds["smtp_username"],
        }
    return gettext("Connected to the SMTP server %(server)s.") % {"server": f"{host}:{port}"}


def _smtp_send(creds: dict[str, Any], mail: EmailMessage | None) -> None:
    """Send ``mail`` (None: only connect and sign in)."""
    host, port = str(creds.get("smtp_host") or ""), int(creds.get("smtp_port") or 25)
    security = str(creds.get("smtp_security") or "auto")
    if security == "auto":
        security = "ssl" if port == 465 else "starttls" if port == 587 else "none"
    timeout = settings.CC_PLATFORM_HTTP_TIMEOUT
    try:
        smtp: smtplib.SMTP
        if security == "ssl":
            smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
        with smtp:
            if security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if creds.get("smtp_username"):
                smtp.login(str(creds["smtp_username"]), str(creds.get("smtp_password") or ""))
            if mail is not None:
                smtp.send_message(mail)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        raise SendError(f"SMTP refused the recipient: {exc.recipients}", retryable=all(c < 500 for c in codes)) from exc
    except smtplib.SMTPResponseException as exc:
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        raise SendError(f"SMTP {exc.smtp_code}: {text}", retryable=exc.smtp_code < 500) from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise SendError(f"SMTP error: {exc.__class__.__name__}: {exc}", retryable=True) from exc
