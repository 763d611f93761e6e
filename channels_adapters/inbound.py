"""Inbound messages from messaging platforms and email (SPEC 6).

Flow: the webhook checks the signature, parses the body into items and calls
:func:`inbound_record`, which stores each new item as an ``InboundEvent`` (a redelivery
finds its provider key and is ignored) and queues :func:`inbound_event_process` on commit.
Processing finds or creates the visitor by (channel, identity) and hands the message to
the enquiries' intake (``enquiries.intake.customer_wrote``), which decides where it goes
(SPEC 3: the current enquiry, reopened if resolved; a missed one of a moment ago; else a
new enquiry, whose welcome message is sent to the customer through the platform too).
A platform's media is fetched after the message is posted ("loading" until then).

Statuses (Messenger delivery/read, WhatsApp sent/delivered/read/failed) move the delivery
state of the staff messages they refer to, never backwards. A status may arrive before the
send that it is about has saved the provider's message id (the webhook beats the send's
response): its event then stays unprocessed, and ``outbound_attempt`` applies it once the
id is saved (:func:`status_apply_waiting`). One referring to ids that never appear (a
message sent from another tool) is let go after ``STATUS_WAIT``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from channels_adapters import outbound as outbound_sending  # a module: outbound -> tasks -> inbound is a cycle
from channels_adapters import tasks
from channels_adapters.models import Channel, InboundEvent, OutboundMessage
from channels_adapters.platforms import PLATFORMS, Inbound, SendError
from channels_adapters.platforms.email import email_parse
from contactcenter.org import background, clock
from contactcenter.org.errors import InvalidInput
from contactcenter.org.text import json_scrub, text_scrub
from enquiries import services as enquiry_services
from enquiries.intake import LIVE, Wrote, current_enquiry, customer_wrote
from enquiries.models import Enquiry, Visitor
from rooms import files
from rooms import services as room_services
from rooms.models import Message
from rooms.services import media_state

logger = logging.getLogger(__name__)

# How long a status waits for the send that records the message id it refers to.
STATUS_WAIT = dt.timedelta(hours=1)


def _key(item: Inbound) -> str:
    if item.key:
        return text_scrub(item.key)[:255]
    digest = hashlib.sha256(json.dumps(item.payload(), sort_keys=True).encode()).hexdigest()
    return f"sha256:{digest}"


def inbound_record(*, channel: Channel, items: list[Inbound]) -> list[int]:
    """Store the items not seen before (dedupe on the provider's id) and queue their
    processing on commit, in the given order. Returns the new events' ids."""

    keys = [_key(i) for i in items]
    seen = set(
        InboundEvent.objects.filter(channel=channel, provider_key__in=keys).values_list("provider_key", flat=True)
    )
    ids: list[int] = []
    with transaction.atomic():
        for item, key in zip(items, keys, strict=True):
            if key in seen:
                logger.info("inbound %s channel=%s key=%s: duplicate, ignored", channel.kind, channel.pk, key)
                continue
            seen.add(key)
            try:
                with transaction.atomic():  # A concurrent redelivery may insert the same key.
                    # Scrubbed, not refused: the platform would redeliver a refused event
                    # for days, and the customer's message would be lost all the same.
                    payload = json_scrub(item.payload())
                    event = InboundEvent.objects.create(channel=channel, provider_key=key, payload=payload)
            except IntegrityError:
                continue
            ids.append(event.pk)
        if ids:
            background.run_after_commit(tasks.inbound_process, ids)
    return ids


# ------------------------------------------------------------------ processing


def _visitor_for(channel: Channel, identity: str, profile: dict[str, str]) -> Visitor:
    """The visitor of (channel, identity), created with the profile on first contact."""

    visitor = Visitor.objects.filter(channel=channel, channel_identity=identity).first()
    if visitor is not None:
        return visitor
    platform = PLATFORMS.get(channel.kind)
    if not profile and platform is not None:
        try:
            profile = platform.profile(channel, identity)
        except (SendError, ValueError, KeyError, TypeError) as exc:
            logger.debug("no profile for %s %s: %s", channel.kind, identity, exc)  # a customer id: not at INFO
            profile = {}
    fields = {k: str(profile.get(k) or "")[:100] for k in ("first_name", "last_name") if profile.get(k)}
    if profile.get("email"):
        fields["email"] = str(profile["email"])
    if profile.get("phone"):  # SMS: the identity is the customer's number
        fields["phone"] = str(profile["phone"])[:40]
    try:
        with transaction.atomic():
            visitor = enquiry_services.visitor_create(channel=channel, fields=fields, channel_identity=identity)
    except IntegrityError:  # Created by a concurrent delivery.
        return Visitor.objects.get(channel=channel, channel_identity=identity)
    except InvalidInput:  # A profile field we cannot keep: the identity is what matters.
        visitor = enquiry_services.visitor_create(channel=channel, fields={}, channel_identity=identity)
    photo = str(profile.get("photo_url") or "")
    if photo.startswith(("http://", "https://")) and len(photo) <= 200:
        visitor.photo_url = photo
        visitor.save(update_fields=["photo_url"])
    return visitor


def _store_media(channel: Channel, item: Inbound) -> tuple[dict[str, Any] | None, str]:
    """Download the item's media and store it like an uploaded file. Returns (file info,
    a note for staff when it could not be kept). Raises SendError when it may work later."""

    platform = PLATFORMS[channel.kind]
    media = item.media or {}
    try:
        content, content_type = platform.download(channel, media)
    except SendError as exc:
        if exc.retryable:
            raise
        return None, f"The {media.get('category') or 'file'} could not be downloaded ({exc.message})."
    name = str(media.get("name") or "file")
    upload = SimpleUploadedFile(name, content, content_type=str(media.get("content_type") or content_type or ""))
    try:
        return files.file_store(upload=upload), ""
    except InvalidInput as exc:
        return None, f"The {media.get('category') or 'file'} was not kept: {exc.message}"


def _caption(item: Inbound) -> str:
    """The item's text, without the "[Image]"-style placeholder of a media item."""
    text = item.text.strip()
    if item.media and text.startswith("[") and text.endswith("]"):
        return ""
    return text


def deliver_to_enquiry(
    *,
    channel: Channel,
    visitor: Visitor,
    text: str,
    data: dict[str, Any],
    file_info: dict[str, Any] | None = None,
    thread: Enquiry | None = None,
) -> Wrote:
    """Hand one customer message to the enquiries' intake (``enquiries.intake``, which
    decides where it goes) and, when it opened an enquiry, send the channel's welcome
    message to the customer. Caller is inside a transaction and holds the visitor's row
    lock."""

    wrote = customer_wrote(channel=channel, visitor=visitor, text=text, data=data, file_info=file_info, thread=thread)
    if wrote.opened:
        welcome = Message.objects.filter(
            room__enquiry=wrote.enquiry, kind=Message.Kind.SYSTEM, data__bot="welcome"
        ).first()
        if welcome is not None:
            outbound_sending.outbound_queue_for_message(message=welcome)
    return wrote


def _note_event(channel: Channel, visitor: Visitor, item: Inbound) -> Enquiry | None:
    """Follow, unfollow, subscribe...: a staff-only system message in the customer's live
    enquiry, else only a log line."""

    event = str(item.data.get("event") or "event")
    current = current_enquiry(visitor)
    if current is None or current.status not in LIVE:
        logger.info(
            "%s %s from %s on channel %s: no live enquiry, logged only", channel.kind, event, visitor.pk, channel.pk
        )
        return None
    texts = {
        "unfollow": "The customer unfollowed the account: replies can no longer be delivered.",
        "unsubscribe": "The customer unsubscribed: replies can no longer be delivered.",
        "follow": "The customer followed the account.",
        "subscribe": "The customer subscribed to the account.",
        "leave": "The account was removed from the group.",
    }
    text = texts.get(event, f"Platform event: {event}.")
    room_services.system_message_post(
        room_id=current.room.pk, text=text, data={"bot": "platform_event", "event": event, "visibility": "staff"}
    )
    return current


def status_apply(*, channel: Channel, item: Inbound) -> int:
    """Move the delivery state of the staff messages a status refers to. Returns how many
    changed. Caller is inside a transaction."""

    query = OutboundMessage.objects.filter(channel=channel)
    refs = [r for r in item.refs if r]
    if refs:
        query = query.filter(provider_message_id__in=refs)
    elif item.watermark:
        # Messenger: everything sent to this customer up to the watermark.
        until = dt.datetime.fromtimestamp(item.watermark, tz=dt.UTC)
        query = query.filter(
            created_at__lte=until, message__room__enquiry__visitor__channel_identity=item.identity
        ).exclude(provider_message_id="")
    else:
        return 0
    changed = 0
    for outbound in query.select_for_update(no_key=True).order_by("id"):
        changed += outbound_sending.outbound_state_set(outbound=outbound, state=item.status, error=item.error)
    return changed


def _status_waits(channel: Channel, item: Inbound, received_at: dt.datetime) -> bool:
    """True when the status refers to a message id no send has saved yet, and it may still
    come (the send's response is racing the webhook)."""
    refs = {r for r in item.refs if r}
    if not refs:
        return False
    known = set(
        OutboundMessage.objects.filter(channel=channel, provider_message_id__in=refs).values_list(
            "provider_message_id", flat=True
        )
    )
    if refs <= known:
        return False
    if clock.now() - received_at < STATUS_WAIT:
        return True
    logger.info("%s status for unknown message ids %s: let go", channel.kind, sorted(refs - known))
    return False


def status_apply_waiting(*, channel_id: int, provider_message_id: str) -> int:
    """Apply the statuses that came in before a send saved ``provider_message_id``. Called
    by outbound_attempt after it saved the id (outside its transaction)."""
    waiting = InboundEvent.objects.filter(
        channel_id=channel_id, processed_at__isnull=True, payload__kind="status"
    ).order_by("id")
    done = 0
    for event_id, payload in list(waiting.values_list("id", "payload")):
        if (
            provider_message_id in (payload.get("refs") or [])
            and inbound_event_process(event_id=event_id) == "processed"
        ):
            done += 1
    return done


def inbound_event_process(*, event_id: int) -> str:
    """Process one stored event. Safe to run twice (the second run finds it processed) and
    tolerant of an event or channel that has gone. Returns "processed", "done" (already),
    "gone" or "waiting" (a status for a message whose send has not saved its id yet: it
    stays unprocessed). Raises SendError (retryable) when its media could not be
    downloaded yet."""
    event = InboundEvent.objects.select_related("channel").filter(pk=event_id).first()
    if event is None:
        return "gone"
    if event.processed_at is not None:
        return "done"
    channel = event.channel
    item = Inbound.from_payload(event.payload)
    file_info: dict[str, Any] | None = None  # (email attachments come stored; platforms' media is fetched after)
    visitor = _visitor_for(channel, item.identity, item.profile) if item.kind != "status" else None
    try:
        with transaction.atomic():
            locked = InboundEvent.objects.select_for_update(no_key=True).get(pk=event.pk)
            if locked.processed_at is not None:
                raise _AlreadyDone
            enquiry: Enquiry | None = None
            if item.kind == "status":
                status_apply(channel=channel, item=item)
                if _status_waits(channel, item, locked.received_at):
                    return "waiting"  # What it could apply stays applied; the rest waits.
            else:
                assert visitor is not None
                Visitor.objects.select_for_update(no_key=True).filter(pk=visitor.pk).first()
                if item.kind == "event":
                    enquiry = _note_event(channel, visitor, item)
                elif item.media:
                    # The enquiry opens (or the message joins it) now; the file follows when
                    # its download finishes (inbound_media_try), however slow the platform.
                    category = str(item.media.get("category") or "file")
                    data = {**item.data, "media": media_state(state="loading", category=category, event=event.pk)}
                    wrote = deliver_to_enquiry(channel=channel, visitor=visitor, text=_caption(item), data=data)
                    enquiry, message_id = wrote.enquiry, wrote.message.pk
                    transaction.on_commit(lambda: _media_fetch_later(message_id))
                else:
                    enquiry = deliver_to_enquiry(
                        channel=channel, visitor=visitor, text=item.text or "[message]", data=dict(item.data)
                    ).enquiry
            locked.processed_at = clock.now()
            locked.enquiry = enquiry
            locked.save(update_fields=["processed_at", "enquiry"])
    except _AlreadyDone:
        _discard(file_info)
        return "done"
    except BaseException:
        _discard(file_info)
        raise
    return "processed"


class _AlreadyDone(Exception):
    pass


def _discard(file_info: dict[str, Any] | None) -> None:
    if file_info:
        files.file_discard(info=file_info)


# ------------------------------------------------------------------ media, after the message


def _media_fetch_later(message_id: int, countdown: float = 0.0) -> None:

    background.run_task(tasks.inbound_media, message_id, countdown=countdown)


def inbound_media_try(*, message_id: int) -> float | None:
    """One try to fetch the media of a platform message posted while it was loading, and
    attach it (``rooms.services.message_media_settle``: the message shows it at once in
    open dashboards). Returns None when settled (attached, given up, gone) or the delay
    before the next try when the platform's API failed in a way that may pass. After
    ``CC_INBOUND_MEDIA_TRIES`` tries the message says it could not be loaded. Safe to run
    twice and concurrently (the first to settle wins; the other discards its copy)."""

    message = Message.objects.filter(pk=message_id).first()
    media = message.data.get("media") if message is not None else None
    if not isinstance(media, dict) or media.get("state") != "loading":
        return None
    event_id = media.get("event")
    event = InboundEvent.objects.select_related("channel").filter(pk=int(event_id or 0)).first()
    if event is None or not (event.payload or {}).get("media"):
        room_services.message_media_settle(message_id=message_id, file_info=None, error="The platform event is gone.")
        return None
    item = Inbound.from_payload(event.payload)
    tries = int(media.get("tries") or 0) + 1
    try:
        file_info, note = _store_media(event.channel, item)
    except SendError as exc:
        if tries >= settings.CC_INBOUND_MEDIA_TRIES:
            note = f"The {media.get('category') or 'file'} could not be downloaded: {exc.message}"
            room_services.message_media_settle(message_id=message_id, file_info=None, error=note)
            return None
        delay = outbound_sending.retry_delay(tries)
        due = (clock.now() + dt.timedelta(seconds=delay)).isoformat()
        _media_bookkeeping(message_id, tries=tries, next_try_at=due)
        return delay
    if not room_services.message_media_settle(message_id=message_id, file_info=file_info, error=note):
        _discard(file_info)
    return None


def _media_bookkeeping(message_id: int, **values: Any) -> None:
    with transaction.atomic():
        message = Message.objects.select_for_update().filter(pk=message_id).first()
        if message is None or (message.data.get("media") or {}).get("state") != "loading":
            return
        message.data = {**message.data, "media": {**message.data["media"], **values}}
        message.save(update_fields=["data"])


def inbound_media_resume_due(now: dt.datetime | None = None) -> int:
    """Queue again the media fetches whose next try is overdue by a minute (a lost task:
    worker crash, broker outage). Returns how many were queued."""
    now = now or clock.now()
    overdue = now - dt.timedelta(seconds=60)
    queued = 0
    loading = Message.objects.filter(data__media__state="loading").values_list("id", "data", "created_at")
    for message_id, data, created_at in loading:
        due = (data.get("media") or {}).get("next_try_at")
        if (dt.datetime.fromisoformat(due) if due else created_at) <= overdue:
            _media_fetch_later(message_id)
            queued += 1
    return queued


def inbound_process_pending(*, channel_id: int | None = None) -> int:
    """Process every stored event not processed yet (after a lost task), oldest first."""
    query = InboundEvent.objects.filter(processed_at__isnull=True).order_by("id")
    if channel_id is not None:
        query = query.filter(channel_id=channel_id)
    done = 0
    for event_id in list(query.values_list("id", flat=True)):
        try:
            if inbound_event_process(event_id=event_id) == "processed":
                done += 1
        except SendError as exc:  # Its media still cannot be downloaded: the next sweep tries again.
            logger.info("inbound event %s waits for its media: %s", event_id, exc)
    return done


# ------------------------------------------------------------------ email


def email_channel_for(addresses: list[str]) -> Channel | None:
    """The active email channel whose address is among ``addresses`` (To, Cc, Delivered-To)."""
    wanted = {a.lower() for a in addresses}
    for channel in Channel.objects.filter(kind=Channel.Kind.EMAIL, is_active=True).order_by("id"):
        if str(channel.credentials.get("address") or "").lower() in wanted:
            return channel
    return None


def _email_thread(channel: Channel, refs: list[str]) -> Enquiry | None:
    """The enquiry a reply belongs to: one whose inbound Message-ID or whose reply's
    Message-ID (OutboundMessage.provider_message_id) the mail refers to."""
    if not refs:
        return None
    event = (
        InboundEvent.objects.filter(channel=channel, provider_key__in=refs, enquiry__isnull=False)
        .select_related("enquiry")
        .order_by("-id")
        .first()
    )
    if event is not None:
        return event.enquiry
    outbound = (
        OutboundMessage.objects.filter(channel=channel, provider_message_id__in=refs)
        .select_related("message__room__enquiry")
        .order_by("-id")
        .first()
    )
    return outbound.message.room.enquiry if outbound is not None else None


def email_ingest(*, raw: bytes, channel: Channel | None = None) -> str:
    """Take in one RFC 822 mail (an MTA pipe or IMAP). Returns "processed", "duplicate",
    "ignored" (automated mail: bounces, auto-replies) or raises InvalidInput (no channel,
    no sender). A reply (In-Reply-To/References) joins its enquiry; others follow the
    same rules as platform messages. Attachments become file messages."""

    mail = email_parse(raw)
    # Scrubbed, not refused (see inbound_record): a NUL in a mail must not lose it.
    mail.text, mail.subject, mail.from_name = (text_scrub(v) for v in (mail.text, mail.subject, mail.from_name))
    mail.message_id, mail.from_addr = text_scrub(mail.message_id), text_scrub(mail.from_addr)
    mail.references = [text_scrub(r) for r in mail.references]
    if channel is None:
        channel = email_channel_for(mail.to_addrs)
        if channel is None:
            raise InvalidInput.field("channel", "No email channel has any of this mail's recipient addresses.")
    if "@" not in mail.from_addr:
        raise InvalidInput.field("from", "The mail has no sender address.")
    if mail.automated:
        logger.info("email channel=%s: automated mail ignored", channel.pk)  # no address at INFO
        return "ignored"
    key = mail.message_id or "sha256:" + hashlib.sha256(raw).hexdigest()
    if InboundEvent.objects.filter(channel=channel, provider_key=key[:255]).exists():
        return "duplicate"
    stored: list[dict[str, Any]] = []
    notes: list[str] = []
    try:
        for name, content, content_type in mail.attachments:
            try:
                stored.append(files.file_store(upload=SimpleUploadedFile(name, content, content_type=content_type)))
            except InvalidInput as exc:
                notes.append(f"Attachment {name!r} was not kept: {exc.message}")
        data = {"platform": "email", "subject": mail.subject, "message_id": mail.message_id}
        body = mail.text.strip()
        thread = _email_thread(channel, mail.references)
        text = body if thread is not None or not mail.subject else f"{mail.subject}\n\n{body}".strip()
        if notes:
            text = "\n".join([text, *[f"[{n}]" for n in notes]]).strip()
        person = {"first_name": mail.from_name.partition(" ")[0], "last_name": mail.from_name.partition(" ")[2]}
        with transaction.atomic():
            try:
                with transaction.atomic():
                    event = InboundEvent.objects.create(
                        channel=channel,
                        provider_key=key[:255],
                        payload={"kind": "message", "identity": mail.from_addr, "data": data},
                    )
            except IntegrityError:
                raise _AlreadyDone from None
            visitor = _visitor_for(channel, mail.from_addr, {**person, "email": mail.from_addr})
            Visitor.objects.select_for_update(no_key=True).filter(pk=visitor.pk).first()
            enquiry = None
            if text or not stored:
                enquiry = deliver_to_enquiry(
                    channel=channel, visitor=visitor, text=text or "(empty mail)", data=data, thread=thread
                ).enquiry
            for info in stored:
                enquiry = deliver_to_enquiry(
                    channel=channel, visitor=visitor, text="", data=data, file_info=info, thread=thread or enquiry
                ).enquiry
            event.processed_at = clock.now()
            event.enquiry = enquiry
            event.save(update_fields=["processed_at", "enquiry"])
    except _AlreadyDone:
        for info in stored:
            _discard(info)
        return "duplicate"
    except BaseException:
        for info in stored:
            _discard(info)
        raise
    return "processed"
