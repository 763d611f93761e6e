"""Keeping the voice of the customer's tables (``analytics.voc_models``) in step with the
messages.

- ``voc_messages_posted`` (``rooms.hooks`` observer, inside the posting transaction, on the
  chat's hot path): queues the batch's customer and staff texts in ``VocPending``, one
  INSERT for the whole batch, nothing else.
- ``voc_message_changed``: an edit (or a settled file) queues the message again, a recall
  deletes what was kept of it.
- ``voc_sweep`` (the ticker, Celery beat "voc-sweep"): scores the queue in batches with the
  scorer ``voc_scorer`` chooses and writes one ``MessageSentiment`` row per message and
  its ``MessageKeyword`` rows. Safe to run twice or from several processes (rows are
  taken with SKIP LOCKED and replaced whole).
- ``voc_erase`` and ``voc_retain`` (``history.hooks``): the rows of erased customers'
  messages and of enquiries retention deletes go.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from analytics import voc_nlp
from analytics.voc_models import (
    AuthorKind,
    MessageKeyword,
    MessageSentiment,
    VocDirtyDay,
    VocKeywordDay,
    VocKeywordTotalDay,
    VocKeywordTotalWeek,
    VocPending,
    VocSentimentDay,
)
from contactcenter.org.i18n import business_time_zone
from enquiries.models import Enquiry
from rooms import hooks as room_hooks
from rooms.models import Message

logger = logging.getLogger(__name__)

SCORED_KINDS = (Message.Kind.TEXT, Message.Kind.FILE)

# The scorer: texts -> one analysis each (language, score, label, keywords, phrases).
Scorer = Callable[[Sequence[str]], list[voc_nlp.Analysis]]

_ai_scorer: Scorer | None = None


def register_ai_scorer(scorer: Scorer | None) -> None:
    """The seam for the AI provider (SPEC section 11, another app): it registers its scorer
    here when an admin configured a provider; ``voc_scorer`` then prefers it."""
    global _ai_scorer  # noqa: PLW0603 - set at startup or when the provider's settings change
    _ai_scorer = scorer


def voc_scorer() -> tuple[str, Scorer]:
    """(name, scorer) to use now: the AI provider's when one is registered and
    ``CC_VOC_SCORER`` is "auto" (the default) or "ai"; else the offline one."""
    choice = getattr(settings, "CC_VOC_SCORER", "auto")
    if _ai_scorer is not None and choice in ("auto", "ai"):
        return "ai", _ai_scorer
    return "offline", voc_nlp.score_offline


def _scored(message: Message) -> bool:
    """A customer's or a staff member's words (not system or bot messages)."""
    return (
        message.kind in SCORED_KINDS
        and message.recalled_at is None
        and (message.author_visitor_id is not None or message.author_staff_id is not None)
        and bool((message.text or "").strip())
    )


def voc_messages_posted(messages: Sequence[Message]) -> None:
    """Queue a posted batch (``rooms.hooks`` ``posted``): one INSERT, no read, sent with the
    batch's other observers' statements (``rooms.hooks.batch_statement``); plain SQL, as the
    ORM's compiling cost more CPU than the statement on the hot path."""
    ids = [m.pk for m in messages if m.room.enquiry_id is not None and _scored(m)]
    if ids:
        table = connection.ops.quote_name(VocPending._meta.db_table)
        column = connection.ops.quote_name(VocPending._meta.get_field("message").column)
        rows = ", ".join(["(%s)"] * len(ids))
        room_hooks.batch_statement(
            f"INSERT INTO {table} ({column}) VALUES {rows} ON CONFLICT DO NOTHING",  # noqa: S608
            ids,
        )


def voc_message_changed(message: Message) -> None:
    """An edit or a settled file queues the message again; a recall drops its rows."""
    if message.recalled_at is not None:
        voc_messages_forget([message.pk])
    elif _scored(message):
        VocPending.objects.bulk_create([VocPending(message_id=message.pk)], ignore_conflicts=True)


def voc_messages_forget(message_ids: Sequence[int]) -> None:
    ids = list(message_ids)
    if not ids:
        return
    days_mark_dirty(MessageSentiment.objects.filter(message_id__in=ids).values_list("day", flat=True).distinct())
    MessageKeyword.objects.filter(sentiment_id__in=ids).delete()
    MessageSentiment.objects.filter(message_id__in=ids).delete()
    VocPending.objects.filter(message_id__in=ids).delete()


# ------------------------------------------------------------------ the sweep


def _take(limit: int) -> list[int]:
    query = VocPending.objects.order_by("message_id")
    if connection.features.has_select_for_update_skip_locked:
        query = query.select_for_update(skip_locked=True)
    return list(query.values_list("message_id", flat=True)[:limit])


def voc_score_batch(limit: int | None = None) -> int:
    """Score up to ``limit`` queued messages in one transaction: -> how many were taken."""
    limit = limit or settings.CC_VOC_BATCH
    name, scorer = voc_scorer()
    with transaction.atomic():
        ids = _take(limit)
        if not ids:
            return 0
        messages = list(
            Message.objects.filter(pk__in=ids, room__enquiry__isnull=False)
            .select_related("room")
            .only(
                "id",
                "kind",
                "text",
                "created_at",
                "recalled_at",
                "author_staff_id",
                "author_visitor_id",
                "room__id",
                "room__enquiry_id",
            )
        )
        messages = [m for m in messages if _scored(m)]
        enquiry_ids = {m.room.enquiry_id for m in messages if m.room.enquiry_id is not None}
        owners = {
            e["id"]: (e["channel_id"], e["destination__tag_id"])
            for e in Enquiry.objects.filter(pk__in=enquiry_ids).values("id", "channel_id", "destination__tag_id")
        }
        try:
            results = scorer([m.text for m in messages])
        except Exception:
            if name == "offline":
                raise
            # The provider failed (down, quota): the offline scorer never leaves the queue stuck.
            logger.exception("the AI scorer failed; scoring offline")
            name, results = "offline", voc_nlp.score_offline([m.text for m in messages])
        zone = zoneinfo.ZoneInfo(business_time_zone())
        days = set(MessageSentiment.objects.filter(message_id__in=ids).values_list("day", flat=True).distinct())
        MessageKeyword.objects.filter(sentiment_id__in=ids).delete()
        MessageSentiment.objects.filter(message_id__in=ids).delete()
        sentiments: list[MessageSentiment] = []
        keywords: list[MessageKeyword] = []
        for message, result in zip(messages, results, strict=True):
            enquiry_id = message.room.enquiry_id
            assert enquiry_id is not None
            channel_id, tag_id = owners[enquiry_id]
            author = AuthorKind.STAFF if message.author_staff_id is not None else AuthorKind.CUSTOMER
            common: dict[str, Any] = {
                "enquiry_id": enquiry_id,
                "channel_id": channel_id,
                "tag_id": tag_id,
                "author_kind": author,
                "created_at": message.created_at,
                "day": timezone.localtime(message.created_at, zone).date(),
            }
            days.add(common["day"])
            sentiments.append(
                MessageSentiment(
                    message_id=message.pk,
                    room_id=message.room_id,
                    staff_id=message.author_staff_id,
                    language=result.language,
                    score=result.score,
                    label=result.label,
                    scorer=name,
                    **common,
                )
            )
            for kind, words in (
                (MessageKeyword.Kind.WORD, result.keywords),
                (MessageKeyword.Kind.PHRASE, result.phrases),
            ):
                keywords.extend(
                    MessageKeyword(
                        sentiment_id=message.pk,
                        keyword=word,
                        kind=kind,
                        language=result.language,
                        score=result.score,
                        **common,
                    )
                    for word in words
                )
        MessageSentiment.objects.bulk_create(sentiments, batch_size=500)
        MessageKeyword.objects.bulk_create(keywords, batch_size=1000)
        VocPending.objects.filter(message_id__in=ids).delete()
        days_mark_dirty(days)
    return len(ids)


def voc_sweep(max_batches: int | None = None) -> int:
    """Score what is queued, a batch per transaction: -> messages taken."""
    done = 0
    for _ in range(max_batches or settings.CC_VOC_MAX_BATCHES):
        taken = voc_score_batch()
        done += taken
        if taken < settings.CC_VOC_BATCH:
            break
    if done:
        logger.info("voc sweep: %s messages scored", done)
    voc_rollup_refresh()
    return done


def voc_rescore(*, enquiry_ids: Sequence[int] | None = None, chunk: int = 5000) -> int:
    """Queue every scorable message again (all, or of these enquiries): after a change of
    scorer or lexicon, or to fill the tables for history posted before this feature."""
    query = Message.objects.filter(
        room__enquiry__isnull=False, kind__in=SCORED_KINDS, recalled_at__isnull=True
    ).exclude(text="")
    query = query.exclude(author_staff__isnull=True, author_visitor__isnull=True)
    if enquiry_ids is not None:
        query = query.filter(room__enquiry_id__in=list(enquiry_ids))
    queued, after = 0, 0
    while True:
        ids = list(query.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)[:chunk])
        if not ids:
            return queued
        VocPending.objects.bulk_create([VocPending(message_id=i) for i in ids], ignore_conflicts=True)
        queued += len(ids)
        after = ids[-1]


# ------------------------------------------------------------------ erasure, retention


def _enquiries_forget(enquiry_ids: Sequence[int], *, customer_only: bool) -> None:
    ids = list(enquiry_ids)
    if not ids:
        return
    keywords = MessageKeyword.objects.filter(enquiry_id__in=ids)
    sentiments = MessageSentiment.objects.filter(enquiry_id__in=ids)
    if customer_only:
        keywords = keywords.filter(author_kind=AuthorKind.CUSTOMER)
        sentiments = sentiments.filter(author_kind=AuthorKind.CUSTOMER)
    # The days' rollups are rebuilt by the next sweep (the rows below are gone by then).
    days_mark_dirty(sentiments.values_list("day", flat=True).distinct())
    keywords.delete()
    sentiments.delete()
    pending = VocPending.objects.filter(message__room__enquiry_id__in=ids)
    if customer_only:
        pending = pending.filter(message__author_visitor__isnull=False)
    pending.delete()


def voc_erase(customer_id: int, visitor_ids: Sequence[int], enquiry_ids: Sequence[int]) -> None:
    """A customer was erased (``history.hooks``, in the erasure's transaction): what was
    kept of their messages goes (their words as keywords, their sentiment). Staff replies
    in their enquiries stay, as the messages do. Messages of theirs elsewhere (forwarded
    copies are staff's, anonymised by the erasure) are found by author."""
    _enquiries_forget(enquiry_ids, customer_only=True)
    if visitor_ids:
        own = list(Message.objects.filter(author_visitor_id__in=list(visitor_ids)).values_list("pk", flat=True))
        for start in range(0, len(own), 1000):
            voc_messages_forget(own[start : start + 1000])


def voc_retain(enquiry_ids: Sequence[int]) -> None:
    """Retention is about to delete these enquiries (``history.hooks``): their rows go first."""
    _enquiries_forget(enquiry_ids, customer_only=False)


# ------------------------------------------------------------------ daily rollups


def days_mark_dirty(days: Iterable[dt.date]) -> None:
    rows = [VocDirtyDay(day=d) for d in set(days)]
    if rows:
        VocDirtyDay.objects.bulk_create(rows, ignore_conflicts=True)


def _table(model: Any) -> str:
    return str(connection.ops.quote_name(model._meta.db_table))


def voc_rollup_day(day: dt.date) -> None:
    """Rebuild one day's rollup rows from the per-message rows (three INSERT ... SELECT)."""
    VocSentimentDay.objects.filter(day=day).delete()
    VocKeywordDay.objects.filter(day=day).delete()
    VocKeywordTotalDay.objects.filter(day=day).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_table(VocSentimentDay)} (day, author_kind, channel_id, tag_id, count, score_sum)"  # noqa: S608
            " SELECT day, author_kind, channel_id, tag_id, COUNT(*), SUM(score)"
            f" FROM {_table(MessageSentiment)} WHERE day = %s GROUP BY day, author_kind, channel_id, tag_id",
            [day.isoformat()],
        )
        cursor.execute(
            f"INSERT INTO {_table(VocKeywordDay)}"  # noqa: S608
            " (day, keyword, kind, language, author_kind, channel_id, tag_id, count, score_sum)"
            " SELECT day, keyword, kind, language, author_kind, channel_id, tag_id, COUNT(*), SUM(score)"
            f" FROM {_table(MessageKeyword)} WHERE day = %s"
            " GROUP BY day, keyword, kind, language, author_kind, channel_id, tag_id",
            [day.isoformat()],
        )
        cursor.execute(
            f"INSERT INTO {_table(VocKeywordTotalDay)}"  # noqa: S608
            " (day, keyword, kind, language, author_kind, count, score_sum)"
            " SELECT day, keyword, kind, language, author_kind, SUM(count), SUM(score_sum)"
            f" FROM {_table(VocKeywordDay)} WHERE day = %s GROUP BY day, keyword, kind, language, author_kind",
            [day.isoformat()],
        )


def week_of(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week (the weekly rollups' key)."""
    return day - dt.timedelta(days=day.weekday())


_WEEK_LOCK = 7_341_150_016  # pg_advisory_xact_lock(key, week): one rebuild of a week at a time


def voc_rollup_week(week: dt.date) -> None:
    """Rebuild one week's keyword totals from its days' (after those days were rebuilt, in
    the same transaction; the lock keeps two refreshes from writing the week twice)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_WEEK_LOCK % 2**31, week.toordinal()])
    VocKeywordTotalWeek.objects.filter(week=week).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_table(VocKeywordTotalWeek)}"  # noqa: S608
            " (week, keyword, kind, language, author_kind, count, score_sum)"
            " SELECT %s, keyword, kind, language, author_kind, SUM(count), SUM(score_sum)"
            f" FROM {_table(VocKeywordTotalDay)} WHERE day >= %s AND day < %s"
            " GROUP BY keyword, kind, language, author_kind",
            [week.isoformat(), week.isoformat(), (week + dt.timedelta(days=7)).isoformat()],
        )


def voc_rollup_refresh(limit: int = 50) -> int:
    """Rebuild the rollups of the days marked dirty, a few days per transaction, and of
    their weeks: -> days."""
    done = 0
    while True:
        with transaction.atomic():
            query = VocDirtyDay.objects.order_by("day")
            if connection.features.has_select_for_update_skip_locked:
                query = query.select_for_update(skip_locked=True)
            days = list(query.values_list("day", flat=True)[:limit])
            if not days:
                return done
            for day in days:
                voc_rollup_day(day)
            for week in sorted({week_of(day) for day in days}):
                voc_rollup_week(week)
            VocDirtyDay.objects.filter(day__in=days).delete()
        done += len(days)
        if len(days) < limit:
            return done


def voc_rollup_rebuild() -> int:
    """Mark every day that has rows dirty and rebuild them all (after a restore, or to check)."""
    days_mark_dirty(MessageSentiment.objects.values_list("day", flat=True).distinct())
    return voc_rollup_refresh()
