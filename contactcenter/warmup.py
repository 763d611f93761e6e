"""A web process's warm-up as it starts (contactcenter/asgi.py), so that its first requests
are not the slowest: a fresh process's first widget opening took ~350 ms in process on the
benchmark machine (importing the URL conf and with it every API module, loading the
translations, the first connection's catalog reads) against ~30 ms for the next ones
(bench/RESULTS.md, "Session 12 (rtopen2)"). Nothing here writes, and a failure only logs:
the process serves anyway, its first requests just slower.
"""

from __future__ import annotations

import logging

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.urls import get_resolver
from django.utils.translation import trans_real

from contactcenter.celery import app as task_app
from contactcenter.org import ratelimit
from contactcenter.org.services import org_work_hours
from rooms.services import posting_warm_up

logger = logging.getLogger(__name__)

# The tables a widget opening reads or writes (bench/open_profile.py prints its statements).
HOT_MODELS = (
    "channels_adapters.Channel",
    "contactcenter.Tag",
    "contactcenter.Staff",
    "customers.Customer",
    "enquiries.Visitor",
    "enquiries.Enquiry",
    "enquiries.EnquiryEvent",
    "enquiries.EnquiryAlert",
    "contactcenter.Destination",
    "rooms.Room",
    "rooms.Message",
    "analytics.EnquiryFact",
    "history.MessageIndex",
)


def process_warm_up() -> None:
    """Once per process, before it serves: the URL conf (which imports every API module),
    the translations of every language, the posting path's statements, the rate limits'
    Redis connection and script, the task app's tasks. (No database: that is the kept
    threads'.)"""
    try:
        get_resolver().url_patterns  # noqa: B018 - the import is the point
        for code, _name in settings.LANGUAGES:
            trans_real.translation(code)
        posting_warm_up()
        ratelimit.warm_up()
        # The task app binds its tasks at the first one sent (an opening schedules its deadline).
        task_app.finalize(auto=True)
        task_app.tasks  # noqa: B018 - loads the autodiscovered task modules
    except Exception:
        logger.warning("warm-up of the process failed", exc_info=True)


def hot_tables() -> list[str]:
    tables = []
    for label in HOT_MODELS:
        try:
            tables.append(apps.get_model(label)._meta.db_table)
        except LookupError:  # an app left out of INSTALLED_APPS
            continue
    return tables


def thread_warm_up() -> None:
    """In a kept HTTP thread before its first request: its database connection, opened,
    with the catalog entries of the tables an opening uses loaded (a new PostgreSQL backend
    reads them at its first statement on each table), and the work hours kept per process
    read. Reads no row of the opening's tables."""
    try:
        org_work_hours()  # kept per process (routing reads it at every opening)
        quote = connection.ops.quote_name
        sql = " UNION ALL ".join(f"SELECT 1 FROM {quote(t)} WHERE false" for t in hot_tables())  # noqa: S608 - names from _meta
        with connection.cursor() as cursor:
            cursor.execute(sql)
            cursor.fetchall()
    except Exception:
        logger.warning("warm-up of a request thread's database connection failed", exc_info=True)
