"""Figures computed at scrape time (README "Health and metrics"), with a few cheap queries:
each reads an index (open enquiries by status; pending replies by their partial index;
missed ones among the last two hours' enquiries by ``created_at``).

A query that fails (the database is down) leaves its figures out and sets
``cc_dependency_up{dependency="database"}`` to 0; Redis likewise.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterator
from typing import Any

import redis
from django.conf import settings
from django.db import connection
from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

import contactcenter
from channels_adapters.models import OutboundMessage
from contactcenter.org import heartbeat
from enquiries.models import Enquiry

logger = logging.getLogger(__name__)

MISSED_WINDOW = dt.timedelta(hours=1)
# Missed enquiries are found among those created this long ago at most (an index range):
# an enquiry is missed within minutes of opening, never hours.
MISSED_LOOKBACK = dt.timedelta(hours=2)
# Kombu's Redis transport keeps a queue's messages of priorities 3, 6 and 9 in lists of their own.
_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")


def _database_metrics(now: dt.datetime) -> list[Metric]:
    open_now = Enquiry.objects.filter(status=Enquiry.Status.OPEN)
    by_destination = GaugeMetricFamily(
        "cc_enquiries_open", "Enquiries waiting to be picked up, by destination.", labels=["destination"]
    )
    for row in open_now.values("destination__name").annotate(n=Count("id")).order_by():
        by_destination.add_metric([row["destination__name"] or "?"], row["n"])

    oldest = open_now.aggregate(created=Min("created_at"), deadline=Min("deadline_at"))
    wait = GaugeMetricFamily("cc_enquiry_oldest_open_wait_seconds", "How long the oldest open enquiry has waited.")
    wait.add_metric([], (now - oldest["created"]).total_seconds() if oldest["created"] else 0.0)
    overdue = GaugeMetricFamily(
        "cc_enquiry_oldest_overdue_seconds",
        "How far past its deadline the most overdue open enquiry is (0: none); the sweep should keep it under 1 s.",
    )
    past = (now - oldest["deadline"]).total_seconds() if oldest["deadline"] else 0.0
    overdue.add_metric([], max(0.0, past))

    missed = GaugeMetricFamily(
        "cc_enquiries_missed_last_hour", "Enquiries missed in the last hour, by reason.", labels=["reason"]
    )
    counts = dict.fromkeys(Enquiry.MissedReason.values, 0)
    missed_rows = (
        Enquiry.objects.filter(
            created_at__gte=now - MISSED_LOOKBACK, status=Enquiry.Status.MISSED, missed_at__gte=now - MISSED_WINDOW
        )
        .values("missed_reason")
        .annotate(n=Count("id"))
        .order_by()
    )
    for missed_row in missed_rows:
        counts[missed_row["missed_reason"] or "unknown"] = missed_row["n"]
    for reason, n in counts.items():
        missed.add_metric([reason], n)

    pending = GaugeMetricFamily(
        "cc_outbound_pending", "Replies to platform customers not yet sent, by platform.", labels=["platform"]
    )
    pending_rows = (
        OutboundMessage.objects.filter(state=OutboundMessage.State.PENDING)
        .values("channel__kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    for pending_row in pending_rows:
        pending.add_metric([pending_row["channel__kind"]], pending_row["n"])
    return [by_destination, wait, overdue, missed, pending]


def _celery_queue_lengths(client: redis.Redis) -> GaugeMetricFamily:
    family = GaugeMetricFamily("cc_celery_queue_length", "Tasks waiting in a Celery queue.", labels=["queue"])
    queues = [settings.CC_CELERY_QUEUE]
    if settings.CC_EXPORT_QUEUE:
        queues.append(settings.CC_EXPORT_QUEUE)
    for queue in queues:
        lengths = [int(client.llen(queue + suffix)) for suffix in _PRIORITY_SUFFIXES]  # type: ignore[arg-type]
        family.add_metric([queue], sum(lengths))
    return family


_redis_client: redis.Redis | None = None


def _redis() -> redis.Redis:
    global _redis_client
    if _redis_client is None:
        timeout = settings.CC_READY_TIMEOUT_SECONDS
        _redis_client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=timeout, socket_timeout=timeout)
    return _redis_client


class ScrapeCollector(Collector):
    """The figures read from the database and Redis when /metrics is scraped."""

    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        up = GaugeMetricFamily(
            "cc_dependency_up", "Whether a backing service answered this scrape (1) or not (0).", labels=["dependency"]
        )
        try:
            families = _database_metrics(now)
        except Exception as exc:
            logger.warning("metrics: database figures unavailable (%s)", type(exc).__name__)
            connection.close_if_unusable_or_obsolete()
            up.add_metric(["database"], 0)
        else:
            up.add_metric(["database"], 1)
            yield from families
        if settings.REDIS_URL:
            try:
                client = _redis()
                client.ping()
                queue_lengths = _celery_queue_lengths(client)
            except Exception as exc:
                logger.warning("metrics: Redis figures unavailable (%s)", type(exc).__name__)
                up.add_metric(["redis"], 0)
            else:
                up.add_metric(["redis"], 1)
                yield queue_lengths
        else:  # no broker to ask (the embedded default): the family, without samples
            yield GaugeMetricFamily("cc_celery_queue_length", "Tasks waiting in a Celery queue.", labels=["queue"])
        yield up

        last = heartbeat.last_sweep()
        age = GaugeMetricFamily(
            "cc_timers_last_sweep_age_seconds", "Seconds since the timer sweep last ran (any process); -1: never."
        )
        age.add_metric([], time.time() - last if last is not None else -1.0)
        yield age

        info = GaugeMetricFamily("cc_build_info", "The release running (always 1).", labels=["version"])
        info.add_metric([contactcenter.__version__], 1)
        yield info

    def describe(self) -> Iterator[Any]:
        return iter(())  # computed at scrape time only: nothing to collect on registration
