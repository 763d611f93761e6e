"""Group commit for messages posted over websockets.

Every ``message.post`` of a server process goes to one writer thread with its own database
connection. The thread takes everything that has queued up since its last commit (at most
``CC_SOCKET_WRITE_BATCH``) and posts it with ``rooms.services.messages_post``: one
transaction, one set of statements and one WAL flush for the lot, instead of five round
trips and a flush per message (bench/RESULTS.md). Under light load a batch is one message
and nothing waits; under heavy load batches grow and the cost per message falls.

The realtime events of a batch are handed to the server's event loop in one go after the
commit, together with the answers to the waiting sockets.

Back-pressure: at most ``CC_SOCKET_WRITE_QUEUE`` posts wait; past that a post is refused at
once with ``Busy`` (503, ``code`` "busy", ``retry_after``; nothing stored), which the
clients retry. On PostgreSQL the writer's connection has its own ``lock_timeout`` and
``statement_timeout`` (``CC_SOCKET_WRITE_LOCK_TIMEOUT_MS``, ``..._STATEMENT_TIMEOUT_MS``):
a post that waits on a row lock held elsewhere fails (503 too) instead of stalling every
other post of the process; its batch's other posts are retried one by one and go in.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, connections, transaction
from django.utils import translation

from contactcenter.org import metrics, realtime
from contactcenter.org.errors import Busy
from rooms.selectors import message_data
from rooms.services import PostRequest, messages_post

logger = logging.getLogger(__name__)

# A post, its answer, the socket's event loop and the socket's language (refusals are worded
# in it: README "Languages").
_Item = tuple[PostRequest, "asyncio.Future[dict[str, Any]]", asyncio.AbstractEventLoop, str]


class SocketWriter:
    def __init__(
        self,
        max_batch: int,
        *,
        max_queued: int | None = None,
        lock_timeout_ms: int | None = None,
        statement_timeout_ms: int | None = None,
    ) -> None:
        self.max_batch = max_batch
        self.max_queued = settings.CC_SOCKET_WRITE_QUEUE if max_queued is None else max_queued
        self.lock_timeout_ms = settings.CC_SOCKET_WRITE_LOCK_TIMEOUT_MS if lock_timeout_ms is None else lock_timeout_ms
        self.statement_timeout_ms = (
            settings.CC_SOCKET_WRITE_STATEMENT_TIMEOUT_MS if statement_timeout_ms is None else statement_timeout_ms
        )
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._configured: Any = None  # the DB-API connection the timeouts were set on

    async def post(self, request: PostRequest) -> dict[str, Any]:
        """Post ``request``; the message's data once committed. Raises the refusal
        (a DomainError) as ``message_post`` would, and ``Busy`` (503) at once when
        ``max_queued`` posts already wait."""
        if self._queue.qsize() >= self.max_queued:
            logger.warning("socket writer queue full (%d posts): a post refused", self.max_queued)
            raise Busy()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[dict[str, Any]] = loop.create_future()
        self._start()
        self._queue.put((request, future, loop, translation.get_language() or settings.LANGUAGE_CODE))
        return await future

    def queued(self) -> int:
        """How many posts wait for the writer thread (tests wait on it)."""
        return self._queue.qsize()

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
            item = self._queue.get()
            if isinstance(item, threading.Event):
                connections.close_all()
                item.set()
                continue
            batch: list[_Item] = [item]
            while len(batch) < self.max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if isinstance(more, threading.Event):
                    self._queue.put(more)  # after this batch
                    break
                batch.append(more)
            metrics.socket_writer_batch_taken(len(batch), self._queue.qsize())
            try:
                self._write(batch)
            except Exception:  # never let the thread die: answer the sockets instead
                logger.exception("socket writer batch failed")

    def _write(self, batch: list[_Item]) -> None:
        # Items of one batch normally share the server's event loop (tests may run several)
        # and mostly a language.
        by_loop: dict[tuple[asyncio.AbstractEventLoop, str], list[_Item]] = {}
        for item in batch:
            by_loop.setdefault((item[2], item[3]), []).append(item)
        for (loop, language), items in by_loop.items():
            close_old_connections()
            answers: list[tuple[asyncio.Future[dict[str, Any]], Any]]
            with realtime.sends_collected() as sends, translation.override(language):
                try:
                    results = self._post([item[0] for item in items])
                    answers = [(item[1], _answer(result)) for item, result in zip(items, results, strict=True)]
                except Exception as exc:
                    logger.exception("posting %d socket messages failed", len(items))
                    if len(items) == 1:
                        answers = [(items[0][1], exc)]
                    else:  # one bad post must not sink the others: each on its own
                        answers = [answer for item in items for answer in self._write_one(item)]
            close_old_connections()
            try:
                loop.call_soon_threadsafe(_deliver, sends, answers)
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
        try:
            return [(future, _answer(self._post([request])[0]))]
        except Exception as exc:
            logger.exception("posting a socket message to room %s failed", request.room_id)
            return [(future, exc)]


def _answer(result: Any) -> Any:

    if isinstance(result, BaseException):
        return result
    message, _created = result
    return message_data(message)


def _deliver(sends: realtime.CollectedSends, answers: list[tuple[asyncio.Future[Any], Any]]) -> None:
    """On the event loop: the batch's events out, then the answers to the sockets."""
    sends.start()
    for future, answer in answers:
        if future.done():  # the socket went away meanwhile
            continue
        if isinstance(answer, BaseException):
            future.set_exception(answer)
        else:
            future.set_result(answer)


writer = SocketWriter(max_batch=settings.CC_SOCKET_WRITE_BATCH)
