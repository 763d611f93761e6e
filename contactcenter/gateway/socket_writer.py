"""Group commit for messages posted over websockets.

Every ``message.post`` of a server process goes to one writer thread with its own database
connection. The thread takes everything that has queued up since its last commit (at most
``CC_SOCKET_WRITE_BATCH``) and posts it with ``rooms.services.messages_post``: one
transaction, one set of statements and one WAL flush for the lot, instead of five round
trips and a flush per message (bench/RESULTS.md). Under light load a batch is one message
and nothing waits; under heavy load batches grow and the cost per message falls. In between,
the writer starts a batch at most once per ``CC_SOCKET_WRITE_MIN_INTERVAL_MS`` (the first post
after a pause goes at once): unpaced, it committed as fast as the database answered, ~150
batches a second of about one post each at 300 msg/s, each batch's fixed CPU paid per post.

The realtime events of a batch are handed to the server's event loop in one go after the
commit, together with the answers to the waiting sockets.

A socket's posts are queued in the order they arrive and answered as their batches commit
(the socket goes on reading meanwhile); one writer thread taking the queue in order keeps
each socket's posts, and so each room's, in order.

Back-pressure (pushback): the queue is bounded. A post is refused at once with ``SlowDown``
(nothing stored; the socket answers a ``slow_down`` frame with ``retry_after_ms``, which
the clients honour by sending again, in order, after that time) when
``CC_SOCKET_WRITE_QUEUE`` posts already wait, or when a full batch waits and the last
batch had waited longer than ``CC_SOCKET_WRITE_MAX_WAIT_MS`` to be taken: the server keeps
committing at its own pace and the waiting time stays bounded instead of growing with the
offered load. On PostgreSQL the writer's connection has its own ``lock_timeout`` and
``statement_timeout`` (``CC_SOCKET_WRITE_LOCK_TIMEOUT_MS``, ``..._STATEMENT_TIMEOUT_MS``):
a post that waits on a row lock held elsewhere fails (503 too) instead of stalling every
other post of the process; its batch's other posts are retried one by one and go in,
except the same socket's later posts: those are refused too (``Busy`` in the batch,
``SlowDown`` for the ones queued before the socket learnt of it), so that none overtakes
the refused one; the socket holds its later posts (consumers.py ``_hold``) and the client
sends them again in order, as after a ``slow_down``.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, connections, transaction
from django.utils import translation

from contactcenter.gateway.stage_timings import timings
from contactcenter.org import metrics, realtime
from contactcenter.org.errors import Busy
from contactcenter.org.events import room_group
from rooms.selectors import message_data
from rooms.services import PostRequest, messages_post

logger = logging.getLogger(__name__)

# A post, its answer, the socket's event loop, the socket's language (refusals are worded
# in it: README "Languages"), the posting socket's channel name (its message.created is not
# echoed to it: the ack carries the message) and when it was queued (time.monotonic()).
_Item = tuple[PostRequest, "asyncio.Future[dict[str, Any]]", asyncio.AbstractEventLoop, str, str | None, float]

RETRY_AFTER_MIN_MS = 50
RETRY_AFTER_MAX_MS = 5000
HOLD_GRACE = 5.0  # seconds a socket's posts stay held after the retry time (consumers._hold)
HOLD_REMEMBER = 4096  # refused client_ids remembered per held socket


@dataclass
class _Hold:
    """A socket whose post was answered ``Busy``: its later posts already queued are refused
    until one of the refused ones comes again (the client resends in order)."""

    retry_at: float
    until: float
    refused: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class _WarmUp:
    """Queued by ``SocketWriter.warm_up``: run in the writer thread, not a post."""

    function: Callable[[], None]


class SlowDown(Exception):  # noqa: N818 - the name of the frame it becomes
    """The writer is full: this post was not queued (nothing stored). The client sends it
    again after ``retry_after_ms`` (the consumer answers a ``slow_down`` frame)."""

    def __init__(self, retry_after_ms: int) -> None:
        super().__init__(f"slow down: retry after {retry_after_ms} ms")
        self.retry_after_ms = retry_after_ms


class SocketWriter:
    def __init__(
        self,
        max_batch: int,
        *,
        max_queued: int | None = None,
        max_wait_ms: int | None = None,
        min_interval_ms: int | None = None,
        lock_timeout_ms: int | None = None,
        statement_timeout_ms: int | None = None,
    ) -> None:
        self.max_batch = max_batch
        self.max_queued = settings.CC_SOCKET_WRITE_QUEUE if max_queued is None else max_queued
        self.max_wait = (settings.CC_SOCKET_WRITE_MAX_WAIT_MS if max_wait_ms is None else max_wait_ms) / 1000
        self.min_interval = (
            settings.CC_SOCKET_WRITE_MIN_INTERVAL_MS if min_interval_ms is None else min_interval_ms
        ) / 1000
        self._last_start = 0.0  # time.monotonic() when the writer last took a batch
        self.last_wait = 0.0  # how long the head of the last batch waited to be taken (s)
        self.refused = 0  # posts refused with SlowDown (a counter for metrics and tests)
        self.lock_timeout_ms = settings.CC_SOCKET_WRITE_LOCK_TIMEOUT_MS if lock_timeout_ms is None else lock_timeout_ms
        self.statement_timeout_ms = (
            settings.CC_SOCKET_WRITE_STATEMENT_TIMEOUT_MS if statement_timeout_ms is None else statement_timeout_ms
        )
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._configured: Any = None  # the DB-API connection the timeouts were set on
        self._holds: dict[str, _Hold] = {}  # channel name -> its hold (writer thread, and forget())
        self._holds_lock = threading.Lock()

    async def post(self, request: PostRequest, channel: str | None = None) -> dict[str, Any]:
        """Post ``request``; the message's data once committed. Raises the refusal
        (a DomainError) as ``message_post`` would, and ``SlowDown`` at once when full."""
        return await self.submit(request, channel)

    def submit(
        self, request: PostRequest, channel: str | None = None, language: str | None = None
    ) -> asyncio.Future[dict[str, Any]]:
        """Queue ``request`` (on the event loop) and return the future of its answer, or
        raise ``SlowDown`` at once (nothing queued) when the writer is full. ``channel``: the
        posting socket's channel name, which its own ``message.created`` skips; ``language``:
        the refusals' (the active one if not given)."""
        self.admit()
        if timings.on:
            timings.start_on_loop()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[dict[str, Any]] = loop.create_future()
        self._start()
        language = language or translation.get_language() or settings.LANGUAGE_CODE
        self._queue.put((request, future, loop, language, channel, time.monotonic()))
        return future

    def admit(self) -> None:
        """Raise ``SlowDown`` (counted as refused) if a post would be refused now: the
        consumer asks before spending anything on the post, ``submit`` again when it
        queues it."""
        waiting = self._queue.qsize()
        if waiting >= self.max_queued or (waiting >= self.max_batch and self.last_wait > self.max_wait):
            self.refused += 1
            if timings.on:
                timings.count("refused")
            raise SlowDown(self.retry_after_ms(waiting))

    def retry_after_ms(self, waiting: int) -> int:
        """About the time the posts waiting now take to go in, spread out (0.5-1.5x) so that
        the refused clients do not all come back at the same moment."""
        drain = max(self.last_wait, self.max_wait * waiting / max(1, self.max_batch))
        spread = drain * 1000 * (0.5 + random.random())  # noqa: S311 - jitter, not a secret
        return int(min(RETRY_AFTER_MAX_MS, max(RETRY_AFTER_MIN_MS, spread)))

    def forget(self, channel: str) -> None:
        """The socket is gone: drop its hold, if any."""
        with self._holds_lock:
            self._holds.pop(channel, None)

    def _held(self, item: _Item) -> SlowDown | None:
        """The refusal of a post queued behind one of its socket's posts answered ``Busy``
        (it must not overtake it), or None. A refused post coming again ends the hold; so
        does nothing of the socket arriving for ``HOLD_GRACE`` after the retry time."""
        channel, client_id = item[4], item[0].client_id
        if not channel or not self._holds:
            return None
        with self._holds_lock:
            hold = self._holds.get(channel)
            if hold is None:
                return None
            now = time.monotonic()
            if (isinstance(client_id, str) and client_id in hold.refused) or now >= hold.until:
                del self._holds[channel]
                return None
            if isinstance(client_id, str) and client_id and len(hold.refused) < HOLD_REMEMBER:
                hold.refused.add(client_id)
            hold.until = max(hold.until, now + HOLD_GRACE)
            if timings.on:
                timings.count("held")
            return SlowDown(max(RETRY_AFTER_MIN_MS, int((hold.retry_at - now) * 1000)))

    def _hold_after(self, item: _Item, answer: Any) -> None:
        """A post answered ``Busy`` (a row lock held too long): hold its socket's later posts."""
        channel, client_id = item[4], item[0].client_id
        if not channel or not isinstance(answer, Busy):
            return
        now = time.monotonic()
        with self._holds_lock:
            hold = self._holds.get(channel)
            if hold is None:
                if len(self._holds) > 10000:  # sockets gone without forget(): drop the lapsed
                    for key in [k for k, h in self._holds.items() if h.until <= now]:
                        del self._holds[key]
                hold = self._holds[channel] = _Hold(retry_at=now + answer.retry_after, until=0.0)
            if isinstance(client_id, str) and client_id and len(hold.refused) < HOLD_REMEMBER:
                hold.refused.add(client_id)
            hold.until = max(hold.until, hold.retry_at + HOLD_GRACE)

    def queued(self) -> int:
        """How many posts wait for the writer thread (tests wait on it)."""
        return self._queue.qsize()

    def warm_up(self, function: Callable[[], None]) -> None:
        """Start the writer thread now and run ``function`` in it before any post (its
        database connection opened and warmed: contactcenter.warmup). Does not wait."""
        self._start()
        self._queue.put(_WarmUp(function))

    def connections_close(self) -> None:
        """Close the writer thread's database connection (tests, before the test database
        is dropped). Blocks until done; no-op if the thread never started."""
        if self._thread is None:
            return
        done = threading.Event()
        self._queue.put(done)
        if not done.wait(timeout=15):
            raise TimeoutError("the socket writer did not close its connection")

    def _start(self) -> None:
        if self._thread is not None:
            return
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="socket-writer", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            if timings.on and self._queue.empty():
                idle_from = time.monotonic()
                item = self._queue.get()
                timings.writer_idle(time.monotonic() - idle_from)
            else:
                item = self._queue.get()
            if isinstance(item, threading.Event):
                connections.close_all()
                item.set()
                continue
            if isinstance(item, _WarmUp):
                try:
                    item.function()
                except Exception:  # the writer thread must not die: posts connect as needed
                    logger.warning("warm-up of the socket writer failed", exc_info=True)
                continue
            self._pace()
            batch: list[_Item] = [item]
            while len(batch) < self.max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if isinstance(more, threading.Event | _WarmUp):
                    self._queue.put(more)  # after this batch
                    break
                batch.append(more)
            metrics.socket_writer_batch_taken(len(batch), self._queue.qsize())
            taken = time.monotonic()
            self.last_wait = taken - batch[0][5]
            try:
                self._write(batch)
            except Exception:  # never let the thread die: answer the sockets instead
                logger.exception("socket writer batch failed")
            if timings.on:
                timings.batch([taken - item[5] for item in batch], time.monotonic() - taken)

    def _pace(self) -> None:
        """Wait until ``min_interval`` has passed since the last batch was taken (none after
        a pause): the posts arriving meanwhile join this batch."""
        now = time.monotonic()
        if self.min_interval > 0:
            wait = self._last_start + self.min_interval - now
            if wait > 0:
                time.sleep(wait)
                now = time.monotonic()
        self._last_start = now

    def _write(self, batch: list[_Item]) -> None:
        # Items of one batch normally share the server's event loop (tests may run several)
        # and mostly a language.
        by_loop: dict[tuple[asyncio.AbstractEventLoop, str], list[_Item]] = {}
        refused: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[dict[str, Any]], Any]]] = {}
        for item in batch:
            held = self._held(item)
            if held is not None:
                refused.setdefault(item[2], []).append((item[1], held))
            else:
                by_loop.setdefault((item[2], item[3]), []).append(item)
        for loop, held_answers in refused.items():
            self._answer_on(loop, realtime.CollectedSends(), held_answers)
        for (loop, language), items in by_loop.items():
            close_old_connections()
            answers: list[tuple[asyncio.Future[dict[str, Any]], Any]]
            with realtime.sends_collected() as sends, translation.override(language):
                try:
                    results = self._post([item[0] for item in items])
                    created = _skip_posters(sends, items, results)
                    answers = [(item[1], _answer(result, created)) for item, result in zip(items, results, strict=True)]
                except Exception as exc:
                    logger.exception("posting %d socket messages failed", len(items))
                    if len(items) == 1:
                        answers = [(items[0][1], exc)]
                    else:  # one bad post must not sink the others: each on its own
                        answers = [answer for item in items for answer in self._write_one(item)]
            for item, (_future, answer) in zip(items, answers, strict=True):
                self._hold_after(item, answer)
            close_old_connections()
            self._answer_on(loop, sends, answers)

    @staticmethod
    def _answer_on(
        loop: asyncio.AbstractEventLoop,
        sends: realtime.CollectedSends,
        answers: list[tuple[asyncio.Future[dict[str, Any]], Any]],
    ) -> None:
        try:
            loop.call_soon_threadsafe(_deliver, sends, answers, time.monotonic())
        except RuntimeError:
            pass  # that event loop has closed (its sockets are gone)

    def _post(self, requests: list[PostRequest]) -> list[Any]:
        """``messages_post`` under this writer's lock and statement timeouts. Through PgBouncer
        (CC_PGBOUNCER) they are set for the transaction only: a session setting would stay on
        a server connection that other clients' transactions use next."""
        if settings.CC_PGBOUNCER and connection.vendor == "postgresql":
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "SELECT set_config('lock_timeout', %s, true), set_config('statement_timeout', %s, true)",
                    [f"{self.lock_timeout_ms}ms", f"{self.statement_timeout_ms}ms"],
                )
                return messages_post(requests)
        self._timeouts_set()  # connects: an outage here is answered like any failure
        return messages_post(requests)

    def _timeouts_set(self) -> None:
        """Give this thread's connection its lock and statement timeouts (PostgreSQL), once
        per connection: session settings, so they hold for every later transaction."""
        if connection.vendor != "postgresql":
            return
        connection.ensure_connection()
        if connection.connection is self._configured:
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('lock_timeout', %s, false), set_config('statement_timeout', %s, false)",
                [f"{self.lock_timeout_ms}ms", f"{self.statement_timeout_ms}ms"],
            )
        self._configured = connection.connection

    def _write_one(self, item: _Item) -> list[tuple[asyncio.Future[dict[str, Any]], Any]]:
        request, future = item[0], item[1]
        held = self._held(item)  # behind a post of its socket refused just before, in this batch
        if held is not None:
            return [(future, held)]
        try:
            answer = _answer(self._post([request])[0])
        except Exception as exc:
            logger.exception("posting a socket message to room %s failed", request.room_id)
            answer = exc
        self._hold_after(item, answer)
        return [(future, answer)]


def _skip_posters(sends: realtime.CollectedSends, items: list[_Item], results: list[Any]) -> dict[int, dict[str, Any]]:
    """Mark each new message's ``message.created`` so that the socket that posted it does
    not get it back (its ``message.ack`` carries the message); its other sockets do.
    Returns the data of each new message's ``message.created`` to its room's group, by
    message id: the ack's message (``_answer``), built once for both (``message_data`` in
    the same language, of the same instance, after the same commit; events are never
    mutated once made: ``contactcenter.org.events``)."""
    posters = {
        result[0].pk: item[4]
        for item, result in zip(items, results, strict=True)
        if not isinstance(result, BaseException) and result[1]
    }
    created: dict[int, dict[str, Any]] = {}
    if not posters:
        return created
    for groups, message in sends.sends:
        event = message.get("event") or {}
        if event.get("type") == "message.created":
            data = event.get("data", {}).get("message", {})
            pk = data.get("id")
            if pk not in posters:
                continue
            channel = posters[pk]
            if channel:
                message["except_channel"] = channel
            if room_group(data.get("room")) in groups:
                created[pk] = data
    return created


def _answer(result: Any, created: dict[int, dict[str, Any]] | None = None) -> Any:
    """A post's answer: the refusal, or the message as clients get it (its room event's
    data when ``created`` has it)."""
    if isinstance(result, BaseException):
        return result
    message, _created = result
    if created:
        data = created.get(message.pk)
        if data is not None:
            return data
    return message_data(message)


def _deliver(
    sends: realtime.CollectedSends, answers: list[tuple[asyncio.Future[Any], Any]], handed_at: float = 0.0
) -> None:
    """On the event loop: the batch's events out, then the answers to the sockets."""
    if timings.on and handed_at:
        timings.delivered(time.monotonic() - handed_at)
    sends.start()
    for future, answer in answers:
        if future.done():  # the socket went away meanwhile
            continue
        if isinstance(answer, BaseException):
            future.set_exception(answer)
        else:
            future.set_result(answer)


writer = SocketWriter(max_batch=settings.CC_SOCKET_WRITE_BATCH)
