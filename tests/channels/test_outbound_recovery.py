"""Staff replies are never lost and never sent twice at once: each try holds a lease on its
message (``claimed_until``) and records when the next try is due (``next_try_at``); the
outbound sweep queues again a pending reply whose task was lost or whose try crashed,
once its try is overdue and no lease is live. Time moves with the clock fixture."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings as django_settings

from channels_adapters import outbound as outbound_module
from channels_adapters import tasks
from channels_adapters.models import OutboundMessage
from channels_adapters.platforms import PLATFORMS
from contactcenter.org import background
from enquiries import services as enquiry_services
from enquiries.models import Enquiry
from tests.concurrency import race
from tests.conftest import require_postgres

from .conftest import fixture_body, post_webhook, process_pending
from .test_outbound import reply

pytestmark = pytest.mark.django_db

GRACE = 60
LEASE = 120
LINE_PUSH = "/line/v2/bot/message/push"


class WorkerKilled(BaseException):
    """The worker process dies here: nothing after this runs, not even cleanup."""


@pytest.fixture(autouse=True)
def _recovery_settings(settings: Any) -> None:
    settings.CC_OUTBOUND_SWEEP_GRACE_SECONDS = GRACE
    settings.CC_OUTBOUND_CLAIM_SECONDS = LEASE


@pytest.fixture
def sweep(django_capture_on_commit_callbacks: Any) -> Callable[[], list[int]]:
    """Run the outbound sweep as beat would (its on-commit queueing included); return the
    ids of the messages it queued."""

    def run() -> list[int]:
        before = len(tasks.scheduled)
        with django_capture_on_commit_callbacks(execute=True):
            count = outbound_module.outbound_resume_due()
        queued = [args[0] for name, args, _ in tasks.scheduled[before:] if name == tasks.outbound_send.name]
        assert count == len(queued)
        return queued

    return run


def run_queued() -> list[str]:
    """Run, as a worker would, every send task queued so far (and forget them)."""
    queued = [args[0] for name, args, _ in tasks.scheduled if name == tasks.outbound_send.name]
    tasks.scheduled.clear()
    return [tasks.outbound_send(pk) for pk in queued]


def sent_by_the_sweep_after(seconds: float, outbound: OutboundMessage, clock: Any, sweep: Any) -> None:
    """The sweep takes ``outbound`` up ``seconds`` from now and not a second before; the task
    it queues sends it."""
    clock.advance(seconds - 1)
    assert sweep() == []  # a task that is there may just be late
    clock.advance(1)
    assert sweep() == [outbound.pk]
    assert run_queued() == ["sent"]


def crash_after_send(outbound: OutboundMessage) -> None:
    """Run the send task of ``outbound`` once: the message reaches the platform, then the
    worker dies before it records anything (its lease stays, as after a real crash)."""
    platform = PLATFORMS[outbound.channel.kind]
    real = platform.send_text

    def send_then_die(*args: Any, **kwargs: Any) -> str:
        real(*args, **kwargs)
        raise WorkerKilled

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(platform, "send_text", send_then_die)
        patch.setattr(outbound_module, "_release", lambda *args, **kwargs: None)
        with pytest.raises(WorkerKilled):
            tasks.outbound_send(outbound.pk)


def _line_reply(platform_channel: Any, agent: Any) -> OutboundMessage:
    """A LINE enquiry (no welcome message) picked up by ``agent``, and its reply (pending)."""
    channel = platform_channel("line", welcome="")
    assert post_webhook(channel, fixture_body("line")).status_code == 200
    process_pending()
    enquiry = Enquiry.objects.get(channel=channel)
    enquiry_services.enquiry_pick_up(actor=agent, enquiry_id=enquiry.pk)
    outbound = reply(enquiry, agent)
    assert list(OutboundMessage.objects.values_list("id", flat=True)) == [outbound.pk]
    return outbound


def test_queued_reply_is_due_now(clock: Any, platform_channel: Any, agent: Any) -> None:
    outbound = _line_reply(platform_channel, agent)
    assert (outbound.state, outbound.next_try_at, outbound.claimed_until) == ("pending", clock.now, None)


def test_lost_task_is_sent_by_the_sweep_once_overdue(
    clock: Any, platform_channel: Any, agent: Any, platform_api: Any, sweep: Any
) -> None:
    outbound = _line_reply(platform_channel, agent)  # its task is never run: lost
    assert sweep() == []
    sent_by_the_sweep_after(GRACE, outbound, clock, sweep)
    assert len(platform_api.calls("POST", LINE_PUSH)) == 1
    outbound.refresh_from_db()
    assert (outbound.state, outbound.attempts, outbound.claimed_until, outbound.next_try_at) == ("sent", 1, None, None)
    clock.advance(3600)
    assert sweep() == []


def test_sweep_run_twice_queues_and_sends_once(
    clock: Any, platform_channel: Any, agent: Any, platform_api: Any, sweep: Any
) -> None:
    outbound = _line_reply(platform_channel, agent)
    clock.advance(GRACE + 5)
    assert sweep() == [outbound.pk]
    assert sweep() == []  # the first sweep moved its due time to now
    assert run_queued() == ["sent"]
    assert sweep() == []
    assert len(platform_api.calls("POST", LINE_PUSH)) == 1


def test_sweep_queues_again_when_its_own_task_is_lost(
    clock: Any, platform_channel: Any, agent: Any, platform_api: Any, sweep: Any
) -> None:
    outbound = _line_reply(platform_channel, agent)
    clock.advance(GRACE)
    assert sweep() == [outbound.pk]
    tasks.scheduled.clear()  # lost as well (broker outage)
    sent_by_the_sweep_after(GRACE, outbound, clock, sweep)
    assert len(platform_api.calls("POST", LINE_PUSH)) == 1


def test_crashed_try_is_not_resent_until_its_lease_runs_out(
    clock: Any, platform_channel: Any, agent: Any, platform_api: Any, sweep: Any
) -> None:
    outbound = _line_reply(platform_channel, agent)
    claimed_at = clock.now
    crash_after_send(outbound)
    outbound.refresh_from_db()
    assert (outbound.state, outbound.attempts) == ("pending", 1)
    assert outbound.claimed_until == claimed_at + dt.timedelta(seconds=LEASE)
    assert len(platform_api.calls("POST", LINE_PUSH)) == 1

    # While the lease lives, neither the sweep nor a redelivered task sends again.
    clock.advance(GRACE)
    assert sweep() == []
    assert tasks.outbound_send(outbound.pk) == "skip"
    clock.advance(LEASE - GRACE - 1)
    assert sweep() == []
    assert tasks.outbound_send(outbound.pk) == "skip"
    assert len(platform_api.calls("POST", LINE_PUSH)) == 1

    # Once it has run out, the sweep takes the message up again.
    clock.advance(1)
    assert sweep() == [outbound.pk]
    assert run_queued() == ["sent"]
    calls = platform_api.calls("POST", LINE_PUSH)
    assert len(calls) == 2
    # The same retry key as the crashed try: LINE does not deliver it twice.
    assert calls[0].headers["x-line-retry-key"] == calls[1].headers["x-line-retry-key"]
    outbound.refresh_from_db()
    assert (outbound.state, outbound.attempts, outbound.claimed_until) == ("sent", 2, None)


def test_redelivered_task_after_the_lease_sends_without_the_sweep(
    clock: Any, platform_channel: Any, agent: Any, platform_api: Any
) -> None:
    outbound = _line_reply(platform_channel, agent)
    crash_after_send(outbound)
    clock.advance(LEASE)
    assert tasks.outbound_send(outbound.pk) == "sent"
    assert len(platform_api.calls("POST", LINE_PUSH)) == 2


def test_duplicate_run_during_a_send_skips(
    clock: Any, platform_channel: Any, agent: Any, platform_api: Any, sweep: Any, monkeypatch: Any
) -> None:
    outbound = _line_reply(platform_channel, agent)
    line = PLATFORMS["line"]
    real = line.send_text
    during: list[Any] = []

    def slow_send(*args: Any, **kwargs: Any) -> str:
        # While this try is still sending (a slow platform), its task runs again and the
        # sweep comes by with the try overdue.
        clock.advance(GRACE + 30)
        during.append(tasks.outbound_send(outbound.pk))
        during.append(sweep())
        return real(*args, **kwargs)

    monkeypatch.setattr(line, "send_text", slow_send)
    assert tasks.outbound_send(outbound.pk) == "sent"
    assert during == ["skip", []]
    assert len(platform_api.calls("POST", LINE_PUSH)) == 1
    outbound.refresh_from_db()
    assert (outbound.state, outbound.attempts, outbound.claimed_until) == ("sent", 1, None)


def test_retry_back_off_is_not_taken_early_by_the_sweep(
    clock: Any, platform_channel: Any, agent: Any, platform_api: Any, sweep: Any, settings: Any
) -> None:
    settings.CC_OUTBOUND_RETRY_BASE_SECONDS = 100
    outbound = _line_reply(platform_channel, agent)
    platform_api.script("POST", LINE_PUSH, (503, {"message": "busy"}, {}))
    assert tasks.outbound_send(outbound.pk) == "retry"
    assert tasks.scheduled[-1] == (tasks.outbound_send.name, (outbound.pk,), 100.0)
    outbound.refresh_from_db()
    assert outbound.claimed_until is None  # the try is over: its lease is released
    assert outbound.next_try_at == clock.now + dt.timedelta(seconds=100)
    tasks.scheduled.clear()  # the retry task is lost
    sent_by_the_sweep_after(100 + GRACE, outbound, clock, sweep)
    assert len(platform_api.calls("POST", LINE_PUSH)) == 2


def test_try_that_raised_releases_its_lease(
    clock: Any, platform_channel: Any, agent: Any, platform_api: Any, sweep: Any, monkeypatch: Any
) -> None:
    """An exception other than a send error ends the try (the process goes on): the lease
    goes at once and the sweep tries again after the back-off."""
    outbound = _line_reply(platform_channel, agent)

    def broken(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("bug")

    monkeypatch.setattr(PLATFORMS["line"], "send_text", broken)
    with pytest.raises(RuntimeError):
        tasks.outbound_send(outbound.pk)
    monkeypatch.undo()
    outbound.refresh_from_db()
    assert (outbound.state, outbound.attempts, outbound.claimed_until) == ("pending", 1, None)
    assert outbound.next_try_at == clock.now + dt.timedelta(seconds=2)
    sent_by_the_sweep_after(2 + GRACE, outbound, clock, sweep)


def test_crash_on_the_last_try_fails_when_taken_up(
    clock: Any, platform_channel: Any, agent: Any, platform_api: Any, sweep: Any
) -> None:
    outbound = _line_reply(platform_channel, agent)
    tries = django_settings.CC_OUTBOUND_MAX_ATTEMPTS
    platform_api.script("POST", LINE_PUSH, *[(500, {"message": "busy"}, {})] * (tries - 1))
    assert [tasks.outbound_send(outbound.pk) for _ in range(tries - 1)] == ["retry"] * (tries - 1)
    tasks.scheduled.clear()  # the retries' tasks: run above
    crash_after_send(outbound)
    clock.advance(LEASE)
    assert sweep() == [outbound.pk]
    assert run_queued() == ["failed"]
    assert len(platform_api.calls("POST", LINE_PUSH)) == tries
    outbound.refresh_from_db()
    assert outbound.state == "failed" and "last try" in outbound.error
    assert (outbound.claimed_until, outbound.next_try_at) == (None, None)
    assert outbound.message.data["delivery"]["state"] == "failed"


def test_failed_reply_leaves_nothing_to_sweep(
    clock: Any, platform_channel: Any, agent: Any, platform_api: Any, sweep: Any
) -> None:
    outbound = _line_reply(platform_channel, agent)
    platform_api.script("POST", LINE_PUSH, (400, {"message": "bad request"}, {}))
    assert tasks.outbound_send(outbound.pk) == "failed"
    outbound.refresh_from_db()
    assert (outbound.claimed_until, outbound.next_try_at) == (None, None)
    clock.advance(3600)
    assert sweep() == []


def test_beat_runs_the_outbound_sweep_every_30_s(sweep: Any) -> None:
    entry = django_settings.CELERY_BEAT_SCHEDULE["sweep-outbound"]
    assert entry == {"task": tasks.outbound_sweep.name, "schedule": 30.0}
    assert tasks.outbound_sweep() == 0


def test_ticker_runs_the_lost_work_sweeps_every_30_s(monkeypatch: Any, settings: Any) -> None:
    """The embedded ticker: the deadline sweep every tick, the outbound sweep on start and
    then every 30 s."""
    settings.CC_TICKER_INTERVAL_SECONDS = 10
    ran: list[str] = []

    class FakeTime:
        now, ticks = 1000.0, 0

        def monotonic(self) -> float:
            return self.now

        def sleep(self, seconds: float) -> None:
            self.ticks += 1
            if self.ticks == 7:
                raise WorkerKilled  # ends the loop
            self.now += seconds

    monkeypatch.setattr(background, "time", FakeTime())
    monkeypatch.setattr("enquiries.services.timers_sweep", lambda: ran.append("timers"))
    monkeypatch.setattr(outbound_module, "outbound_resume_due", lambda: ran.append("outbound"))
    monkeypatch.setattr("channels_adapters.inbound.inbound_process_pending", lambda: ran.append("inbound"))
    with pytest.raises(WorkerKilled):
        background._run()
    # Ticks at 0, 10, 20, 30, 40, 50, 60 s: the outbound and inbound sweeps at 0, 30 and 60 s.
    assert ran == [
        *("timers", "outbound", "inbound"),
        *("timers", "timers"),
        *("timers", "outbound", "inbound"),
        *("timers", "timers"),
        *("timers", "outbound", "inbound"),
    ]


# ------------------------------------------------------------------ real races (PostgreSQL)

THREADS = 8


def _race(worker: Callable[[], Any]) -> list[Any]:
    """Run ``worker`` in THREADS threads (each with its own connection), released at once."""
    return race([worker] * THREADS)


@pytest.mark.django_db(transaction=True)
def test_simultaneous_runs_send_once(clock: Any, platform_channel: Any, agent: Any, platform_api: Any) -> None:
    require_postgres()
    outbound = _line_reply(platform_channel, agent)
    results = _race(lambda: tasks.outbound_send(outbound.pk))
    assert sorted(results) == ["sent"] + ["skip"] * (THREADS - 1)
    assert len(platform_api.calls("POST", LINE_PUSH)) == 1


@pytest.mark.django_db(transaction=True)
def test_simultaneous_sweeps_queue_once(clock: Any, platform_channel: Any, agent: Any, platform_api: Any) -> None:
    require_postgres()
    outbound = _line_reply(platform_channel, agent)
    tasks.scheduled.clear()  # the task queued on commit is lost
    clock.advance(GRACE)
    results = _race(outbound_module.outbound_resume_due)
    assert sorted(results) == [0] * (THREADS - 1) + [1]
    assert tasks.scheduled == [(tasks.outbound_send.name, (outbound.pk,), 0.0)]
    assert run_queued() == ["sent"]
    assert len(platform_api.calls("POST", LINE_PUSH)) == 1
