"""Retention (admin setting ``OrgSettings.retention_days``, off by default): finished
conversations older than N days are deleted with their rooms, messages, events and files.

"Finished" is the moment the conversation ended: ``closed_at`` for a closed enquiry,
``resolved_at`` for one resolved and not closed yet (kept open), ``missed_at`` for a missed
one. Open and handled enquiries are never touched. The customer and visitor rows stay (the
customer's profile is not a conversation; erasure removes those).

``retention_sweep`` runs at most once per UTC day whatever calls it (Celery beat hourly in
production, the embedded ticker hourly): it claims the day with a ``RetentionRun`` row,
which is also the log of what each run deleted. ``retention_run`` does the work in bounded
batches (each its own transaction: a crash loses at most a batch, and the next run picks up
where it stopped), so it is idempotent and safe beside live traffic.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from celery import shared_task
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet

from channels_adapters.models import InboundEvent
from contactcenter.org import clock
from contactcenter.org.services import org_settings_get
from enquiries.models import Enquiry
from history.hooks import run_retention_hooks
from history.models import RetentionRun
from rooms import files as room_files
from rooms.models import Message

logger = logging.getLogger(__name__)

BATCH_SIZE = 200


def expired_enquiries(cutoff: dt.datetime) -> QuerySet[Enquiry]:
    """Enquiries whose conversation ended before ``cutoff``."""
    return Enquiry.objects.filter(
        Q(status=Enquiry.Status.CLOSED, closed_at__lt=cutoff)
        | Q(status=Enquiry.Status.RESOLVED, resolved_at__lt=cutoff, closed_at__isnull=True)
        | Q(status=Enquiry.Status.MISSED, missed_at__lt=cutoff)
    )


def _delete_batch(cutoff: dt.datetime, batch_size: int) -> tuple[int, int, int]:
    """One batch in one transaction: -> (enquiries, messages, files) deleted. Rows are
    locked and checked again (a resolved enquiry the customer just reopened is skipped)."""
    with transaction.atomic():
        ids = list(
            expired_enquiries(cutoff)
            .order_by("id")
            .select_for_update(skip_locked=True, no_key=True)
            .values_list("id", flat=True)[:batch_size]
        )
        if not ids:
            return 0, 0, 0
        run_retention_hooks(ids)
        files = 0
        with_files = Message.objects.filter(room__enquiry_id__in=ids, data__has_key="file").only("id", "data")
        for message in with_files:
            room_files.file_delete_on_commit(message)
            files += 1
        messages = Message.objects.filter(room__enquiry_id__in=ids).count()
        # Platform deliveries that went to them keep the customer's words in their payload.
        InboundEvent.objects.filter(enquiry_id__in=ids).delete()
        Enquiry.objects.filter(pk__in=ids).delete()  # rooms, messages, events, notes cascade
    return len(ids), messages, files


def retention_run(
    *, now: dt.datetime | None = None, days: int | None = None, batch_size: int = BATCH_SIZE
) -> dict[str, int]:
    """Delete every conversation that ended more than ``days`` (default: the setting) days
    before ``now``; nothing when retention is off. -> counts."""
    days = org_settings_get().retention_days if days is None else days
    totals = {"enquiries": 0, "messages": 0, "files": 0}
    if not days:
        return totals
    cutoff = (now or clock.now()) - dt.timedelta(days=days)
    while True:
        enquiries, messages, files = _delete_batch(cutoff, batch_size)
        if not enquiries:
            break
        totals["enquiries"] += enquiries
        totals["messages"] += messages
        totals["files"] += files
    if totals["enquiries"]:
        logger.info(
            "retention (%s days): deleted %s enquiries, %s messages, %s files",
            days,
            totals["enquiries"],
            totals["messages"],
            totals["files"],
        )
    return totals


def retention_sweep(now: dt.datetime | None = None) -> dict[str, Any] | None:
    """The daily run: at most once per UTC day across every process (the day's
    ``RetentionRun`` row is the claim and the log). None when retention is off or the day's
    run was already claimed."""
    if not org_settings_get().retention_days:
        return None
    now = now or clock.now()
    day = now.astimezone(dt.UTC).date()
    try:
        with transaction.atomic():
            run = RetentionRun.objects.create(day=day, started_at=now)
    except IntegrityError:
        return None
    totals = retention_run(now=now)
    run.finished_at = clock.now()
    run.enquiries, run.messages, run.files = totals["enquiries"], totals["messages"], totals["files"]
    run.save(update_fields=["finished_at", "enquiries", "messages", "files"])
    return {"day": day.isoformat(), **totals}


@shared_task(name="history.retention.retention_daily", ignore_result=True)
def retention_daily() -> dict[str, Any] | None:
    """Celery beat calls this hourly; it runs once a day (``retention_sweep``)."""
    return retention_sweep()
