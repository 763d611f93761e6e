"""Staff replies to platform and email customers (SPEC 6).

Staff messages: the posting pipeline (rooms.services.messages_post) calls
``outbound_post_check`` (the reply window) before the insert and ``outbound_after_post``
after it, in the same transaction (hooks registered by ChannelsAdaptersConfig.ready()).
A platform enquiry's welcome message is queued by ``outbound_queue_for_message``. For a
room whose channel is a platform or email, an ``OutboundMessage`` (state pending) is
recorded and the send task queued on commit; for any other room nothing happens.

File messages go out too: uploaded to the platform (WhatsApp media, Messenger attachment
upload, WeChat temporary media) or, where the platform fetches a URL (LINE), as a signed
public link (channels_adapters.media_links); attached to the mail for email. Where the
platform's file message carries no caption (Messenger, WhatsApp audio, WeChat images and
voice), the caption follows as a text: ``_file_message_send`` records the file as sent
before it tries the caption, so a retry sends only the caption, never the file twice.

Reply windows: Meta accepts replies for 24 hours after the customer's last message,
WeChat for 48 hours. A staff message posted after the window closed is refused at once
with 409 (code ``reply_window_closed``) and nothing is stored, so the agent knows the
customer will not get it; a message queued inside the window whose send is retried past
its end fails with the same explanation.

Never lost, never sent twice at once: each try claims the message with a lease
(``claimed_until``, CC_OUTBOUND_CLAIM_SECONDS) that no other try (a duplicate task, the
sweep's) can take while it lives, and records when the next try is due (``next_try_at``).
Tasks are acknowledged before they run, so a worker crash, a broker outage when queueing,
or a restart of the embedded ticker loses one; ``outbound_resume_due``, run every 30 s
(Celery beat, or the embedded ticker), queues again each pending message whose try is
overdue and whose lease, if any, has run out.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import translation
from django.utils.translation import gettext as _

from channels_adapters import tasks
from channels_adapters.media_links import media_link
from channels_adapters.models import Channel, OutboundMessage
from channels_adapters.platforms import PLATFORMS, OutFile, SendError
from channels_adapters.platforms import email as email_channel
from contactcenter.org import background, clock, i18n, metrics
from contactcenter.org.errors import Conflict, NotFound
from contactcenter.org.events import MessageEdited, room_group
from contactcenter.org.models import Staff
from contactcenter.org.realtime import send_event_on_commit
from enquiries.models import Enquiry
from rooms import files
from rooms.hooks import Post
from rooms.models import Message, RoomMember
from rooms.selectors import message_data
from rooms.system_texts import system_text

logger = logging.getLogger(__name__)

OUTBOUND_KINDS = (*PLATFORMS, Channel.Kind.EMAIL)
_RANK: dict[str, int] = {
    OutboundMessage.State.PENDING: 0,
    OutboundMessage.State.SENT: 1,
    OutboundMessage.State.DELIVERED: 2,
    OutboundMessage.State.READ: 3,
}
_NAMES = {"messenger": "Messenger", "whatsapp": "WhatsApp", "wechat": "WeChat", "line": "LINE"}


def _last_customer_message_at(visitor_id: int) -> dt.datetime | None:
    return (
        Message.objects.filter(author_visitor_id=visitor_id)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )


def reply_window_error(channel: Channel, visitor_id: int) -> str:
    """Why a reply cannot be sent now ("" when it can)."""
    platform = PLATFORMS.get(channel.kind)
    if platform is None or platform.reply_window is None:
        return ""
    last = _last_customer_message_at(visitor_id)
    if last is not None and clock.now() - last <= platform.reply_window:
        return ""
    hours = int(platform.reply_window.total_seconds() // 3600)
    return (
        f"{_NAMES.get(channel.kind, channel.kind)} only accepts replies within {hours} hours of the customer's "
        "last message, and that window has closed: the customer will see your reply only after writing again."
    )


def outbound_queue_for_message(*, message: Message) -> OutboundMessage | None:
    """Queue the send of a staff (or welcome) message to the platform customer of its room.

    No-op for rooms that are not enquiries of a platform or email channel. Raises Conflict
    (409) when the platform's reply window has closed. Caller is inside the transaction
    that inserted the message (it holds the room lock); the task is queued on commit.
    """

    enquiry = (
        Enquiry.objects.select_related("channel")
        .filter(room__id=message.room_id)
        .only("id", "visitor_id", "channel__kind", "channel__id")
        .first()
    )
    if enquiry is None:
        return None
    refusal = outbound_refusal(enquiry.channel, enquiry.visitor_id)
    if refusal:
        raise Conflict(refusal, code="reply_window_closed")
    return outbound_queue(message=message, channel=enquiry.channel)


def outbound_post_check(post: Post) -> None:
    """A staff message in a platform or email enquiry is refused (409) once the platform's
    reply window has closed: nothing is stored, so the agent knows the customer would not
    get it. The pipeline holds the enquiry's lock and has loaded its channel."""
    if post.staff is None or post.room.enquiry_id is None or sms_of(post.message):
        return  # An SMS to the customer's phone (channels_adapters.sms) has no reply window.
    enquiry = post.room.enquiry
    assert enquiry is not None
    refusal = outbound_refusal(enquiry.channel, enquiry.visitor_id)
    if refusal:
        raise Conflict(refusal, code="reply_window_closed")


def outbound_mark_sending(post: Post) -> None:
    """A staff message about to go out to a platform or email customer is stored as
    "sending" (``data.delivery.state`` pending), so that its first event already says so;
    ``_show`` moves it on. Runs before the insert, after ``outbound_post_check`` passed."""
    if post.staff is None or post.room.enquiry_id is None:
        return
    enquiry = post.room.enquiry
    assert enquiry is not None
    sending = enquiry.channel.kind in OUTBOUND_KINDS or bool(sms_of(post.message))
    if sending and post.message.kind in (Message.Kind.TEXT, Message.Kind.FILE):
        post.message.data = {**post.message.data, "delivery": {"state": OutboundMessage.State.PENDING}}


def outbound_retry(*, actor: Staff, message_id: int) -> OutboundMessage:
    """Send a staff message whose send failed again, through the same path (the same
    ``OutboundMessage``, so the same retry keys: a platform that dedupes on them never
    shows it twice; a file already sent is not sent again, only its caption). Idempotent:
    a message being sent (pending) is left as it is. Refused (409) once it was sent, when
    the reply window has closed, the message was recalled or the conversation closed.
    Only staff in the message's room may retry."""
    with transaction.atomic():
        outbound = (
            OutboundMessage.objects.select_for_update(of=("self",), no_key=True)
            .select_related("channel", "message__room__enquiry")
            .filter(message_id=message_id)
            .first()
        )
        message = outbound.message if outbound is not None else Message.objects.filter(pk=message_id).first()
        if message is None or not RoomMember.objects.filter(room_id=message.room_id, staff=actor).exists():
            raise NotFound(_("Message not found."))
        if outbound is None:
            raise Conflict(_("This message is not sent to a platform."), code="not_outbound")
        if outbound.state == OutboundMessage.State.PENDING:
            return outbound
        if outbound.state != OutboundMessage.State.FAILED:
            raise Conflict(_("This message has already been sent."), code="already_sent")
        enquiry = message.room.enquiry
        if enquiry is None or enquiry.status == Enquiry.Status.CLOSED:
            raise Conflict(_("This conversation is closed."), code="closed")
        if message.recalled_at is not None:
            raise Conflict(_("This message was recalled."), code="recalled")
        refusal = outbound_refusal(outbound.channel, enquiry.visitor_id)
        if refusal:
            raise Conflict(refusal, code="reply_window_closed")
        outbound.state = OutboundMessage.State.PENDING
        outbound.error = ""
        outbound.attempts = 0
        outbound.claimed_until = None
        outbound.next_try_at = clock.now()
        outbound.save(update_fields=["state", "error", "attempts", "claimed_until", "next_try_at", "updated_at"])
        _show(outbound)
        background.run_after_commit(tasks.outbound_send, outbound.pk)
    return outbound


def outbound_after_post(post: Post) -> None:
    """A staff message posted in a platform or email enquiry goes out to the customer
    (queued on commit; ``outbound_post_check`` has passed in the same transaction). In a
    missed widget or web-link enquiry (a follow-up), the customer reads it when they come
    back to the widget, and it goes by email too when their note left an email address
    (``follow_up_email_channel``)."""
    if post.staff is None or post.room.enquiry_id is None:
        return
    enquiry = post.room.enquiry
    assert enquiry is not None
    sms = sms_of(post.message)
    if sms:
        # Sent from the room to the customer's phone (channels_adapters.sms.sms_send), not
        # through the conversation's own channel.
        sender = Channel.objects.filter(pk=int(sms.get("channel") or 0), kind=Channel.Kind.SMS).first()
        if sender is not None:
            outbound_queue(message=post.message, channel=sender)
        return
    if enquiry.channel.kind in OUTBOUND_KINDS:
        outbound_queue(message=post.message, channel=enquiry.channel)
    elif enquiry.status == Enquiry.Status.MISSED and post.message.kind in (Message.Kind.TEXT, Message.Kind.FILE):
        sender = follow_up_email_channel(enquiry.pk)
        if sender is not None:
            outbound_queue(message=post.message, channel=sender)


def sms_of(message: Message) -> dict[str, Any]:
    """The SMS a staff message was sent as from a room (``{"to": phone, "channel": id}``),
    or {} for any other message."""
    sms = message.data.get("sms") if isinstance(message.data, dict) else None
    return sms if isinstance(sms, dict) else {}


def follow_up_email_channel(enquiry_id: int) -> Channel | None:
    """The mailbox a follow-up of a missed widget enquiry is sent from (the oldest active
    email channel), when the customer left an email address; None otherwise."""
    enquiry = Enquiry.objects.select_related("visitor", "note").filter(pk=enquiry_id).first()
    if enquiry is None or not email_channel.follow_up_address(enquiry):
        return None
    return Channel.objects.filter(kind=Channel.Kind.EMAIL, is_active=True).order_by("id").first()


def outbound_refusal(channel: Channel, visitor_id: int) -> str:
    """Why a staff message in an enquiry of ``channel`` cannot go out now ("" when it can,
    or when the channel sends nothing out, as the website widget)."""
    if channel.kind not in OUTBOUND_KINDS:
        return ""
    return reply_window_error(channel, visitor_id)


def _customer_text(message: Message, language: str) -> str:
    """The text a platform customer gets: a system message with a text code worded in the
    customer's language (Visitor.chat_language, else the profile's language, if it is one of settings.LANGUAGES; README
    "Languages"), any other as it is."""
    if message.kind != Message.Kind.SYSTEM:
        return message.text
    with translation.override(i18n.best_language(language, i18n.language_codes())):
        return system_text(message.data, message.text)


def outbound_queue(*, message: Message, channel: Channel) -> OutboundMessage | None:
    """Record the send of ``message`` to the customer of a platform or email ``channel`` and
    queue it on commit (None for other channels and kinds). The caller has checked
    ``outbound_refusal`` in the same transaction."""

    if channel.kind not in OUTBOUND_KINDS:
        return None
    if message.kind not in (Message.Kind.TEXT, Message.Kind.SYSTEM, Message.Kind.FILE):
        return None
    outbound = OutboundMessage.objects.create(message=message, channel=channel, next_try_at=clock.now())
    outbound_id = outbound.pk
    background.run_after_commit(tasks.outbound_send, outbound_id)
    return outbound


def outbound_state_set(*, outbound: OutboundMessage, state: str, error: str = "") -> int:
    """Move a message's delivery state forward (never back; ``failed`` only before it was
    delivered) and show it to staff. Returns 1 when it changed. Caller holds the row lock."""
    current = outbound.state
    if state == OutboundMessage.State.FAILED:
        if current not in (OutboundMessage.State.PENDING, OutboundMessage.State.SENT):
            return 0
    elif current == OutboundMessage.State.FAILED or _RANK.get(state, -1) <= _RANK.get(current, 0):
        return 0
    outbound.state = state
    outbound.error = error[:2000] if state == OutboundMessage.State.FAILED else ""
    outbound.save(update_fields=["state", "error", "updated_at"])
    _show(outbound)
    return 1


def _show(outbound: OutboundMessage) -> None:
    """Mirror the delivery state into the message so that staff see it (message.edited to
    the room group: delivery details are for staff, the visitor group gets nothing)."""
    message = Message.objects.select_for_update(no_key=True).get(pk=outbound.message_id)
    delivery: dict[str, Any] = {"state": outbound.state}
    if outbound.error:
        delivery["error"] = outbound.error
    message.data = {**message.data, "delivery": delivery}
    message.save(update_fields=["data"])

    send_event_on_commit([room_group(message.room_id)], MessageEdited(message=message_data(message)))


def retry_key(outbound: OutboundMessage, channel: Channel, *, part: str = "") -> str:
    """The same for every try of one message (LINE's X-Line-Retry-Key dedupes on it).
    ``part`` names a second API call of the same message (a caption after its file): it
    needs a key of its own, or the platform would take it for a repeat of the first."""
    name = f"cc-outbound:{channel.key}:{outbound.pk}" + (f":{part}" if part else "")
    return str(uuid.uuid5(uuid.NAMESPACE_URL, name))


def _fail(outbound_id: int, error: str) -> None:
    with transaction.atomic():
        outbound = OutboundMessage.objects.select_for_update(no_key=True).get(pk=outbound_id)
        if outbound_state_set(outbound=outbound, state=OutboundMessage.State.FAILED, error=error):
            # No more tries: the lease and the due time go with them.
            outbound.claimed_until = outbound.next_try_at = None
            outbound.save(update_fields=["claimed_until", "next_try_at", "updated_at"])
            metrics.outbound_failed(outbound.channel.kind)


def _release(outbound_id: int, attempts: int, *, error: str = "") -> None:
    """End try number ``attempts`` without a result: release its lease and make the next try
    due after the back-off. A no-op when another try has claimed the message since (this
    try outlived its lease): that lease is not ours to clear."""
    changes: dict[str, Any] = {
        "claimed_until": None,
        "next_try_at": clock.now() + dt.timedelta(seconds=retry_delay(attempts)),
    }
    if error:
        changes["error"] = error[:2000]
    OutboundMessage.objects.filter(pk=outbound_id, attempts=attempts, state=OutboundMessage.State.PENDING).update(
        **changes
    )


def _unclaimed(now: dt.datetime) -> Q:
    """No try holds the message: never claimed, released, or its try's lease ran out."""
    return Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)


def _out_file(message: Message) -> OutFile | None:
    """The file of a file message, with its public links (None when it has gone)."""

    try:
        full, info = files.file_for_download(message)
        content = full.read_bytes()
    except (NotFound, FileNotFoundError):
        return None
    category = str(info.get("category") or "document")
    return OutFile(
        name=str(info.get("name") or "file"),
        content_type=str(info.get("content_type") or "application/octet-stream").partition(";")[0].strip(),
        category=category,
        content=content,
        url=media_link(message.pk),
        preview_url=media_link(message.pk, preview=True) if category in ("image", "video") else "",
        duration_ms=int(info.get("duration_ms") or 0),
    )


def _file_message_send(*, outbound: OutboundMessage, channel: Channel, to: str, text: str, file: OutFile | None) -> str:
    """Send a file message to a platform customer, resuming where an earlier try stopped;
    returns the provider's message id of the file.

    Where the platform's file message carries no caption, the caption goes as a second
    call, which can fail after the file went out. The file's send is stored first
    (``file_sent_at``, ``file_message_id``, committed at once: the caller is outside any
    transaction), so the next try, by this worker or another after a crash, is called with
    ``file=None`` and sends only the caption. The caller has claimed this try.
    """
    platform = PLATFORMS[channel.kind]
    if file is not None:
        sent = platform.send_file(channel, to=to, text=text, file=file, retry_key=retry_key(outbound, channel))
        if sent.caption_included or not text:
            return sent.provider_id
        file_id = sent.provider_id[:255]
        OutboundMessage.objects.filter(pk=outbound.pk).update(file_sent_at=clock.now(), file_message_id=file_id)
    else:
        file_id = outbound.file_message_id
    try:
        platform.send_text(channel, to=to, text=text, retry_key=retry_key(outbound, channel, part="caption"))
    except SendError as exc:
        # Tell staff the customer has the file already: only the words are missing.
        raise SendError(f"The file was sent, its caption was not: {exc.message}", retryable=exc.retryable) from exc
    return file_id


def outbound_attempt(*, outbound_id: int) -> str:
    """One try at sending a queued message. Returns "sent", "retry" (a network error or 5xx
    and tries left: the caller schedules the next, due at ``next_try_at``), "failed" (a 4xx,
    the reply window, or the last try) or "skip" (gone, not pending any more, or another try
    holds its lease: safe to run twice, and at once). A file message whose file went out on
    an earlier try sends only its caption (``_file_message_send``).

    The try claims the message with a compare-and-set on ``attempts`` that also needs no
    live lease, and sets one until now + CC_OUTBOUND_CLAIM_SECONDS; it clears the lease when
    it ends. A try that crashes keeps it until it runs out: only then may another try (the
    sweep's, or a redelivered task) send again. Called outside any transaction."""

    outbound = (
        OutboundMessage.objects.select_related("channel", "message__room__enquiry__visitor")
        .filter(pk=outbound_id)
        .first()
    )
    if outbound is None or outbound.state != OutboundMessage.State.PENDING:
        return "skip"
    if outbound.claimed_until is not None and outbound.claimed_until > clock.now():
        return "skip"  # Another try is sending it (the claim below settles a tie).
    message, channel = outbound.message, outbound.channel
    enquiry = message.room.enquiry
    if enquiry is None:
        return "skip"
    if outbound.attempts >= settings.CC_OUTBOUND_MAX_ATTEMPTS:
        # Every try is used and the last one stopped without a result (its worker crashed
        # while sending): the customer may or may not have the message.
        _fail(outbound.pk, "Sending stopped on the last try; the customer may not have received this message.")
        return "failed"
    if message.recalled_at is not None:
        _fail(outbound.pk, "Recalled before it was sent.")
        return "failed"
    closed = reply_window_error(channel, enquiry.visitor_id)
    if closed:
        _fail(outbound.pk, closed)
        return "failed"
    file: OutFile | None = None
    # A file already sent on an earlier try is not needed again: only its caption is left.
    if message.kind == Message.Kind.FILE and outbound.file_sent_at is None:
        file = _out_file(message)
        if file is None:
            _fail(outbound.pk, "The file is no longer available.")
            return "failed"
    # Claim this try: of two runs of the same task, only one sends, whether they start at
    # once (the compare-and-set on attempts) or one while the other is still sending (the
    # lease). ``attempts`` then names this try: the lease is ours while it is unchanged.
    now = clock.now()
    claimed = (
        OutboundMessage.objects.filter(_unclaimed(now), pk=outbound.pk, attempts=outbound.attempts)
        .filter(state=OutboundMessage.State.PENDING)
        .update(
            attempts=F("attempts") + 1,
            claimed_until=now + dt.timedelta(seconds=settings.CC_OUTBOUND_CLAIM_SECONDS),
        )
    )
    if not claimed:
        return "skip"
    attempts = outbound.attempts + 1
    try:
        if channel.kind == Channel.Kind.EMAIL:
            provider_id = email_channel.email_reply_send(channel=channel, message=message, enquiry=enquiry, file=file)
        elif message.kind == Message.Kind.FILE:
            provider_id = _file_message_send(
                outbound=outbound, channel=channel, to=enquiry.visitor.channel_identity, text=message.text, file=file
            )
        else:
            provider_id = PLATFORMS[channel.kind].send_text(
                channel,
                to=str(sms_of(message).get("to") or enquiry.visitor.channel_identity),
                text=_customer_text(message, enquiry.visitor.chat_language or enquiry.visitor.language),
                retry_key=retry_key(outbound, channel),
            )
    except SendError as exc:
        logger.warning("send of message %s to %s failed (try %s): %s", message.pk, channel.kind, attempts, exc)
        if exc.retryable and attempts < settings.CC_OUTBOUND_MAX_ATTEMPTS:
            # The caller queues the next try with this back-off; the sweep leaves it alone
            # until then.
            _release(outbound.pk, attempts, error=exc.message)
            return "retry"
        _fail(outbound.pk, exc.message)
        return "failed"
    except BaseException:
        # Not a send error (a bug, the worker stopping): this try is over all the same, and
        # no task retries it. The sweep does, after the back-off, up to the last try.
        try:
            _release(outbound.pk, attempts)
        except Exception:  # Then the lease runs out by itself.
            logger.exception("could not release the claim on outbound message %s", outbound.pk)
        raise
    with transaction.atomic():
        locked = OutboundMessage.objects.select_for_update(no_key=True).get(pk=outbound.pk)
        locked.claimed_until = locked.next_try_at = None
        fields = ["claimed_until", "next_try_at", "updated_at"]
        if provider_id:
            locked.provider_message_id = provider_id[:255]
            fields.append("provider_message_id")
        locked.save(update_fields=fields)
        outbound_state_set(outbound=locked, state=OutboundMessage.State.SENT)
    if provider_id:
        # A delivery status may have come in before the id was saved: apply it now.
        from channels_adapters.inbound import status_apply_waiting  # inbound imports this module (through tasks)

        status_apply_waiting(channel_id=channel.pk, provider_message_id=provider_id[:255])
    return "sent"


def retry_delay(attempts: int) -> float:
    """Exponential back-off before try ``attempts + 1``: base, 2 x base, 4 x base... (5 min cap)."""
    return min(300.0, settings.CC_OUTBOUND_RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1))


def outbound_resume_due(now: dt.datetime | None = None) -> int:
    """Queue again every pending message whose try is overdue by
    CC_OUTBOUND_SWEEP_GRACE_SECONDS and that no try holds (no lease, or one that ran out):
    its task was lost (worker crash, broker outage, restart of the embedded ticker) or its
    try crashed. Returns how many were queued.

    Idempotent and safe to run from several processes at once: a compare-and-set moves
    ``next_try_at`` to now, so one sweep wins each message, and a later sweep queues it
    again only if that task is lost too. A retry waiting out its back-off is not due yet;
    the task queued here re-checks everything (``outbound_attempt``). Called outside any
    transaction (beat task, embedded ticker): the tasks are queued on commit."""

    now = now or clock.now()
    cutoff = now - dt.timedelta(seconds=settings.CC_OUTBOUND_SWEEP_GRACE_SECONDS)
    due = list(
        OutboundMessage.objects.filter(_unclaimed(now), state=OutboundMessage.State.PENDING, next_try_at__lte=cutoff)
        .order_by("next_try_at", "id")
        .values_list("id", "next_try_at")[:500]
    )
    queued = 0
    for outbound_id, due_at in due:
        won = (
            OutboundMessage.objects.filter(_unclaimed(now), pk=outbound_id, next_try_at=due_at)
            .filter(state=OutboundMessage.State.PENDING)
            .update(next_try_at=now)
        )
        if won:
            logger.info("re-queueing the send of outbound message %s (due at %s)", outbound_id, due_at)
            background.run_after_commit(tasks.outbound_send, outbound_id)
            queued += 1
    return queued
