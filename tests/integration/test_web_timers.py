"""Deadlines fire on time in production with no Celery at all (issue 10: a 5 s wait fired at
31 s while the worker and beat were stopped): the web processes sweep, exactly one at a
time under a PostgreSQL advisory lock, and another takes over when the holder dies.

Two real daphne processes in production mode (PostgreSQL + Redis, CC_TIMERS="celery") and
no Celery worker or beat. Every wait is bounded; every subprocess is killed by a finalizer."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from typing import Any

from django.db import connection

from contactcenter.org.background import TIMERS_LOCK_KEY
from contactcenter.org.models import Staff, Tag
from enquiries import services as enquiry_services
from enquiries.models import Enquiry, EnquiryEvent
from tests.concurrency import race
from tests.conftest import require_postgres, require_redis
from tests.integration.test_real_timers import (
    FIRE_WITHIN,
    MAX_WAIT,
    Processes,
    Server,
    private_celery_queue,
    processes,  # noqa: F401 - the fixture
    production_env,
    suite_redis_url,
    wait_until,
)


def _production_env(redis_url: str) -> dict[str, str]:
    env = production_env(
        redis_url,
        CC_SECRET_KEY=secrets.token_urlsafe(50),
        # Tasks these processes queue go to a queue of this test's own, that no worker takes.
        CC_CELERY_QUEUE=private_celery_queue(),
        CC_CHANNEL_PREFIX=f"web-timers-{os.getpid()}",
        CC_ENQUIRY_MAX_WAIT_SECONDS=str(MAX_WAIT),
        CC_LOG_LEVEL="INFO",
    )
    return {k: v for k, v in env.items() if k not in ("CC_TIMERS", "CC_WEB_TICKER")}


def _lock_holder_pid() -> int | None:
    """The pid of the web process whose connection holds the timers' advisory lock (from
    the application_name the holder sets), or None."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objid = %s "
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            [TIMERS_LOCK_KEY],
        )
        rows = cursor.fetchall()
    assert len(rows) <= 1, rows
    return int(rows[0][0].rsplit(":", 1)[1]) if rows else None


def _missed_events(enquiry: Enquiry) -> int:
    return EnquiryEvent.objects.filter(enquiry=enquiry, type=EnquiryEvent.Type.MISSED).count()


def test_web_processes_fire_deadlines_without_celery_and_take_over(
    transactional_db: Any,
    processes: Processes,  # noqa: F811 - the fixture
    settings: Any,
    make_staff: Callable[..., Staff],
    support: Tag,
    open_enquiry: Callable[..., Enquiry],
) -> None:
    require_postgres()
    require_redis()
    settings.CC_ENQUIRY_MAX_WAIT_SECONDS = MAX_WAIT
    make_staff(tags=[support])  # someone ACTIVE: enquiries wait for a pick-up until their deadline
    env = _production_env(suite_redis_url(settings.REDIS_URL))
    servers = [Server(processes, env), Server(processes, env)]
    for server in servers:
        server.start()
    by_pid = {server.proc.pid: server for server in servers if server.proc is not None}

    def opened() -> Enquiry:
        # Opened here (CC_TIMERS "off" in the test process queues no Celery task): only
        # the web processes can miss it.
        enquiry = open_enquiry()
        assert enquiry.status == Enquiry.Status.OPEN and enquiry.deadline_at is not None
        return enquiry

    def missed_on_time(enquiry: Enquiry) -> None:
        def missed() -> Enquiry | None:
            found = Enquiry.objects.get(pk=enquiry.pk)
            return found if found.status == Enquiry.Status.MISSED else None

        done = wait_until(missed, timeout=MAX_WAIT + FIRE_WITHIN + 3, what=f"enquiry {enquiry.pk} to be missed")
        assert done.missed_at is not None and enquiry.deadline_at is not None
        late = (done.missed_at - enquiry.deadline_at).total_seconds()
        assert 0 <= late <= FIRE_WITHIN, f"missed {late:.2f}s after the deadline"
        assert done.missed_reason == Enquiry.MissedReason.TIMEOUT

    def holder_is(pids: set[int]) -> int | None:
        pid = _lock_holder_pid()
        return pid if pid in pids else None

    # 1. One of the two sweeps (the lock is held by exactly one connection); on time.
    holder = wait_until(lambda: holder_is(set(by_pid)), timeout=10, what="a web process to take the timers lock")
    first = [opened() for _ in range(3)]
    for enquiry in first:
        missed_on_time(enquiry)
    assert _lock_holder_pid() == holder  # it stays with one process while it lives

    # 2. The holder dies: the other takes over and fires the next deadline on time.
    by_pid[holder].crash()
    (survivor,) = set(by_pid) - {holder}
    second = opened()
    wait_until(lambda: holder_is({survivor}), timeout=5, what="the other web process to take over the lock")
    missed_on_time(second)

    # 3. Exactly once: after sweeps well past every deadline (a later enquiry is missed
    # in its turn), each has one MISSED event.
    missed_on_time(opened())
    for enquiry in [*first, second]:
        assert _missed_events(enquiry) == 1
    survivor_proc = by_pid[survivor].proc
    assert survivor_proc is not None
    assert "now sweeps the timers" in processes.log(survivor_proc)


def test_web_ticker_off_leaves_deadlines_to_celery(settings: Any, monkeypatch: Any) -> None:
    """CC_WEB_TICKER=0: a production web process starts no ticker (Celery alone sweeps)."""
    from contactcenter.org import background as timers

    started: list[Any] = []

    class NoThread:
        def __init__(self, **kwargs: Any) -> None:
            started.append(kwargs)

        def start(self) -> None:
            return None

    monkeypatch.setattr(timers, "_ticker", None)
    monkeypatch.setattr(timers.threading, "Thread", NoThread)
    settings.CC_TIMERS = "celery"
    settings.CC_WEB_TICKER = False
    timers.start_ticker()
    assert started == []
    settings.CC_WEB_TICKER = True
    timers.start_ticker()
    assert [kw["target"] for kw in started] == [timers._run_web]


def test_concurrent_sweeps_miss_each_enquiry_exactly_once(
    transactional_db: Any,
    clock: Any,
    make_staff: Callable[..., Staff],
    support: Tag,
    open_enquiry: Callable[..., Enquiry],
) -> None:
    """The web ticker, Celery's beat and the task at the deadline may sweep at the same
    time (only the web processes exclude each other): each overdue enquiry is still missed
    once, by exactly one of the sweeps."""
    require_postgres()
    make_staff(tags=[support])
    enquiries = [open_enquiry() for _ in range(20)]
    clock.advance(120)
    results = race([enquiry_services.timers_sweep for _ in range(8)])
    assert all(isinstance(r, dict) for r in results), results
    assert sum(r["missed"] for r in results) == len(enquiries)
    for enquiry in enquiries:
        assert _missed_events(enquiry) == 1
        assert Enquiry.objects.get(pk=enquiry.pk).status == Enquiry.Status.MISSED
