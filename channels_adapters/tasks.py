"""Background work of the platform channels: processing stored webhook events and sending
staff replies. Tasks take ids, re-fetch, tolerate rows that have gone and are safe to run
twice; retries with exponential back-off live here.

Retries are queued with ``contactcenter.org.background.run_task`` (Celery, a thread, or nothing
with "off": tests call the task functions themselves and may read ``scheduled``)."""

from __future__ import annotations

import logging

from celery import shared_task

from channels_adapters import inbound, outbound
from channels_adapters.models import OutboundMessage
from contactcenter.org import background

logger = logging.getLogger(__name__)

# CC_TIMERS="off": what would have been queued (the one list of contactcenter.org.background).
scheduled = background.scheduled


@shared_task(name="channels_adapters.tasks.inbound_process", ignore_result=True)
def inbound_process(event_ids: list[int], _attempt: int = 0) -> int:
    """Process stored webhook events in order. Media is fetched afterwards (inbound_media):
    a media message opens its enquiry at once, showing e.g. "image (loading…)". (The
    second argument, ignored, is there for tasks queued by an older version.)"""
    done = 0
    for event_id in event_ids:
        if inbound.inbound_event_process(event_id=event_id) == "processed":
            done += 1
    return done


@shared_task(name="channels_adapters.tasks.inbound_media", ignore_result=True)
def inbound_media(message_id: int) -> bool:
    """Fetch and attach a platform message's media; on a failure that may pass, try again
    with back-off (the try count lives on the message, so a lost task is resumed by
    ``inbound_sweep``). True when settled."""
    delay = inbound.inbound_media_try(message_id=message_id)
    if delay is not None:
        background.run_task(inbound_media, message_id, countdown=delay)
    return delay is None


@shared_task(name="channels_adapters.tasks.outbound_send", ignore_result=True)
def outbound_send(outbound_id: int) -> str:
    """Send one staff reply; on a network error or 5xx try again later with exponential
    back-off, up to CC_OUTBOUND_MAX_ATTEMPTS tries; a 4xx or the last try marks it failed.
    A try resumes where the last one stopped: after a file went out and its separate
    caption failed, only the caption is sent (outbound._file_message_send). A run while
    another try holds the message's lease does nothing; a lost run is queued again by
    ``outbound_sweep``."""
    result = outbound.outbound_attempt(outbound_id=outbound_id)
    if result == "retry":
        attempts = OutboundMessage.objects.filter(pk=outbound_id).values_list("attempts", flat=True).first() or 1
        background.run_task(outbound_send, outbound_id, countdown=outbound.retry_delay(attempts))
    return result


@shared_task(name="channels_adapters.tasks.inbound_sweep", ignore_result=True)
def inbound_sweep() -> int:
    """Process events, and fetch media, whose task was lost (a worker crash, a broker
    outage). Logs one line when it found any (Celery's own lines about it are dropped:
    contactcenter.celery)."""
    found = inbound.inbound_process_pending()
    media = inbound.inbound_media_resume_due()
    if found or media:
        logger.info("inbound sweep: resumed %d webhook events and %d media fetches whose task was lost", found, media)
    return found + media


@shared_task(name="channels_adapters.tasks.outbound_sweep", ignore_result=True)
def outbound_sweep() -> int:
    """Queue again staff replies whose send task was lost or whose try crashed. Logs one line
    when it found any (Celery's own lines about it are dropped: contactcenter.celery)."""
    found = outbound.outbound_resume_due()
    if found:
        logger.info("outbound sweep: queued again %d staff replies whose send was lost", found)
    return found
