"""The one bridge from domain changes to websockets: events go out only after commit."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings
from django.db import transaction

from contactcenter.org import clock
from contactcenter.org.channel_layers import resync_message
from contactcenter.org.events import Event, Typing, room_group, visitor_group
from contactcenter.org.models import RelayedEvent
from contactcenter.org.outages import OutageLog, is_outage

logger = logging.getLogger(__name__)

try:  # pinned in pyproject.toml; the standard library's json until it is installed
    import orjson

    def _json(payload: dict[str, Any]) -> str:
        return orjson.dumps(payload, option=orjson.OPT_NON_STR_KEYS).decode()

    _json_loads: Callable[[str], Any] = orjson.loads
except ImportError:  # pragma: no cover - depends on the environment
    import json

    def _json(payload: dict[str, Any]) -> str:
        return json.dumps(payload)

    _json_loads = json.loads


def json_text(payload: Any) -> str:
    """``payload`` as JSON text, encoded as the events are (orjson when installed)."""
    return _json(payload)


# Test hook: callables receiving (groups, payload) for every event actually sent.
sinks: list[Callable[[list[str], dict[str, Any]], None]] = []


_publish_log = OutageLog("Realtime publishing (channel layer)")

# Groups whose event could not be published, with the time of the latest such failure
# (time.time(), compared across processes). Once publishing works again each gets one
# RESYNC message: its sockets that were connected then close (CLOSE_RESYNC) and the clients
# reconnect and sync; sockets that connected after the failure synced anyway and stay.
_missed: dict[str, float] = {}
_missed_lock = threading.Lock()
MISSED_MAX = 50_000
RESEND_PAUSE_MAX = 5.0  # seconds between background attempts to send the RESYNCs
RESEND_GIVE_UP = 600.0  # after this, sockets connected then have been closed by their layer
_resender: asyncio.Task[None] | None = None


def _note_missed(groups: list[str]) -> None:
    now = time.time()
    with _missed_lock:
        for group in groups:
            if group in _missed or len(_missed) < MISSED_MAX:
                _missed[group] = now
            else:
                logger.error("realtime: too many groups missed events; %s is not told to resync", group)


async def _resend_missed(layer: Any) -> bool:
    """Send RESYNC to the groups that missed events; False while that still fails."""
    with _missed_lock:
        if not _missed:
            return True
        pending = dict(_missed)
        _missed.clear()
    groups = list(pending)
    messages = [{**resync_message(), "missed_at": pending[g]} for g in groups]
    results = await asyncio.gather(
        *(layer.group_send(g, m) for g, m in zip(groups, messages, strict=True)), return_exceptions=True
    )
    failed = [g for g, r in zip(groups, results, strict=True) if isinstance(r, BaseException)]
    if failed:
        with _missed_lock:
            for group in failed:
                _missed[group] = max(pending[group], _missed.get(group, 0.0))
        return False
    logger.warning("realtime: told %d groups that missed events to reconnect and sync", len(groups))
    return True


async def _resend_until_done(layer: Any) -> None:
    loop = asyncio.get_running_loop()
    give_up = loop.time() + RESEND_GIVE_UP
    pause = 0.5
    while loop.time() < give_up:
        await asyncio.sleep(pause)
        if await _resend_missed(layer):
            return
        pause = min(pause * 2, RESEND_PAUSE_MAX)
    with _missed_lock:
        _missed.clear()


def _start_resender(layer: Any) -> None:
    """On a server's event loop: keep trying to send the RESYNCs in the background."""
    global _resender
    if _resender is None or _resender.done():
        _resender = asyncio.ensure_future(_resend_until_done(layer))


async def _group_send_all(
    layer: Any, groups: list[str], message: dict[str, Any], *, background_retry: bool = True
) -> None:
    """Send ``message`` to each group. A failure never undoes a committed change: it is
    logged (an outage once) and the group is told to resync once the layer works again,
    in the background on a server loop (``background_retry``), else before the next send."""
    if _missed:
        await _resend_missed(layer)
    # One trip to the event loop for all groups (each async_to_sync hop costs more than a send).
    sent = wire(message)
    results = await asyncio.gather(*(layer.group_send(g, sent) for g in groups), return_exceptions=True)
    failed: list[str] = []
    for group, result in zip(groups, results, strict=True):
        if isinstance(result, BaseException):
            failed.append(group)
            if is_outage(result):
                _publish_log.failed(result)
            else:
                logger.error("group_send to %s failed", group, exc_info=result)
    if not failed:
        _publish_log.ok()
        return
    _note_missed(failed)
    if background_retry:
        _start_resender(layer)


def wire(message: dict[str, Any]) -> dict[str, Any]:
    """The layer message as published: without the local copy of the event when its JSON
    text travels (each receiving socket sends that text as it is)."""
    if "text" in message and "event" in message:
        return {key: value for key, value in message.items() if key != "event"}
    return message


async def _group_send_batch(layer: Any, sends: list[tuple[list[str], dict[str, Any]]]) -> None:
    """Send a batch's events: one pipeline of PUBLISHes (one Redis round trip) where the
    layer can (``channel_layers.ResyncingPubSubChannelLayer.group_send_many``), else each
    on its own. Failures as in ``_group_send_all``."""
    many = getattr(layer, "group_send_many", None)
    if many is None:
        for groups, message in sends:
            await _group_send_all(layer, groups, message)
        return
    if _missed:
        await _resend_missed(layer)
    try:
        # One published dict per event, whatever the number of its groups (serialized once).
        published = [(groups, wire(message)) for groups, message in sends]
        await many([(group, message) for groups, message in published for group in groups])
    except Exception as exc:
        if is_outage(exc):
            _publish_log.failed(exc)
        else:
            logger.error("group_send of a batch failed", exc_info=exc)
        _note_missed(sorted({group for groups, _ in sends for group in groups}))
        _start_resender(layer)
        return
    _publish_log.ok()


class CollectedSends:
    """Events committed inside ``sends_collected``, to be started on the event loop."""

    def __init__(self) -> None:
        self.sends: list[tuple[list[str], dict[str, Any]]] = []

    def start(self) -> None:
        """Start sending them all, in order (call on the server's event loop; failures are
        logged)."""
        layer = get_channel_layer()
        if layer is None or not self.sends:
            return
        asyncio.ensure_future(_group_send_batch(layer, self.sends))


_collecting = threading.local()


@contextlib.contextmanager
def sends_collected() -> Iterator[CollectedSends]:
    """Within the block, events of this thread that would be sent after commit are kept
    in the yielded ``CollectedSends`` instead, for the caller to start on its event loop
    in one go (the socket writer's batches)."""
    collected = CollectedSends()
    previous = getattr(_collecting, "sends", None)
    _collecting.sends = collected
    try:
        yield collected
    finally:
        _collecting.sends = previous


# Each send carries an id unique across processes, so that a socket in several of its
# groups (an admin's socket is in "admins" and in its staff group; a room member's in the
# room's group too) forwards it once (consumers.EventForwardMixin).
_SEND_PREFIX = secrets.token_hex(6)
_send_ids = itertools.count(1)


def _message(payload: dict[str, Any], except_staff: list[int] | None) -> dict[str, Any]:
    """The layer message of an event. ``text`` is the event's JSON, encoded here once for
    every socket that receives it; ``kind`` its type; ``event`` the payload itself, kept for
    this process (sinks, the socket writer) and left out of what is published (``wire``)."""
    message: dict[str, Any] = {
        "type": "event.forward",
        "kind": payload["type"],
        "text": _json(payload),
        "event": payload,
        "id": f"{_SEND_PREFIX}.{next(_send_ids)}",
    }
    if except_staff:
        message["except_staff"] = except_staff
    return message


def event_of(message: dict[str, Any]) -> dict[str, Any]:
    """The event (payload) of an ``event.forward`` layer message, whichever form it has."""
    event = message.get("event")
    if event is None:
        event = _json_loads(message["text"])
    return event  # type: ignore[no-any-return]


def _send_now(groups: list[str], payload: dict[str, Any], except_staff: list[int] | None = None) -> None:
    _dispatch([(groups, _message(payload, except_staff))])


def _dispatch(sends: list[tuple[list[str], dict[str, Any]]]) -> None:
    """Send each (groups, layer message) through this process's channel layer."""
    for groups, message in sends:
        for sink in list(sinks):
            sink(groups, event_of(message))
    collected: CollectedSends | None = getattr(_collecting, "sends", None)
    if collected is not None:
        collected.sends.extend(sends)
        return
    layer = get_channel_layer()
    if layer is None:
        return
    loop = _event_loop_of_this_thread()
    if loop is not None:
        # In a worker thread of a running server: hand the sends to the event loop and let
        # the thread (and its database connection) go on; failures are logged there.
        _outbox(loop, layer).put(sends)
        return
    try:
        # A loop of its own that ends with the call: no background retry (see _group_send_all).
        async_to_sync(_group_send_each)(layer, sends)
    except Exception:
        logger.exception("group_send to %s failed", [groups for groups, _ in sends])


class _Outbox:
    """Sends handed to one event loop by worker threads (a request's on-commit events),
    published in order by one task at a time, all those waiting in one batch
    (``_group_send_batch``: one pipelined Redis round trip). An enquiry's opening used to
    cost one round trip per group, one after the other: 50 alerted agents, 50 round trips
    before the last agent's alert left (bench/RESULTS.md, "Round 5 (rtfanout)")."""

    def __init__(self, loop: asyncio.AbstractEventLoop, layer: Any) -> None:
        self.loop = loop
        self.layer = layer
        self.lock = threading.Lock()
        self.sends: list[tuple[list[str], dict[str, Any]]] = []
        self.draining = False

    def put(self, sends: list[tuple[list[str], dict[str, Any]]]) -> None:
        """Queue ``sends`` (from any thread); starts the draining task unless it runs."""
        with self.lock:
            self.sends.extend(sends)
            if self.draining:
                return  # the running task takes them next, after what it sends now
            self.draining = True
        try:
            asyncio.run_coroutine_threadsafe(self._drain(), self.loop)
        except RuntimeError:  # the loop has closed (its server is stopping): nobody to send to
            with self.lock:
                self.draining = False
            raise

    async def _drain(self) -> None:
        while True:
            with self.lock:
                batch, self.sends = self.sends, []
                if not batch:
                    self.draining = False
                    return
            try:
                await _group_send_batch(self.layer, batch)
            except Exception:  # never leave the outbox stuck: the next batch goes on
                logger.exception("publishing %d realtime events failed", len(batch))


_outboxes: dict[tuple[asyncio.AbstractEventLoop, int], _Outbox] = {}
_outboxes_lock = threading.Lock()


def _outbox(loop: asyncio.AbstractEventLoop, layer: Any) -> _Outbox:
    key = (loop, id(layer))
    with _outboxes_lock:
        box = _outboxes.get(key)
        if box is None or box.layer is not layer:
            for old in [k for k in _outboxes if k[0].is_closed()]:
                del _outboxes[old]  # loops of finished tests
            box = _outboxes[key] = _Outbox(loop, layer)
        return box


async def _group_send_each(layer: Any, sends: list[tuple[list[str], dict[str, Any]]]) -> None:
    for groups, message in sends:
        await _group_send_all(layer, groups, message, background_retry=False)


# ----------------------------------------------------------------- the relay (embedded)


def relaying() -> bool:
    """Whether this process hands its events to the web process through the database: a
    process without the sockets (``settings.CC_REALTIME_RELAY``: manage.py commands) on the
    in-memory channel layer of the embedded default, which reaches only its own process.
    With Redis every process publishes itself."""
    return bool(settings.CC_REALTIME_RELAY) and isinstance(get_channel_layer(), InMemoryChannelLayer)


RELAY_BATCH = 500


def relay_drain() -> int:
    """Send the events that other processes left in the relay table, oldest first, and
    delete them; the number sent. Run by the web process's ticker on every tick (a sweep
    registered in ``OrgConfig.ready``), so an email taken in by ``manage.py ingest_email``
    is announced within a tick. Events written while no server ran are sent when one
    starts; sockets that connect later load the current state over REST anyway."""
    if relaying():
        return 0  # not the server: leave them to it
    rows = list(RelayedEvent.objects.order_by("id").values_list("id", "groups", "message")[:RELAY_BATCH])
    if not rows:
        return 0
    _dispatch([(list(groups), dict(message)) for _id, groups, message in rows])
    RelayedEvent.objects.filter(id__in=[row[0] for row in rows]).delete()
    return len(rows)


def _event_loop_of_this_thread() -> asyncio.AbstractEventLoop | None:
    """The running event loop that called into this thread through sync_to_async, if any.
    Outside one (tests' own thread, Celery, management commands) sends wait to completion."""
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    if loop is None or not loop.is_running() or loop.is_closed():
        return None
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return loop
    return None  # this thread runs a loop itself


def send_event_on_commit(groups: Iterable[str], event: Event, *, except_staff: Iterable[int] = ()) -> None:
    """Queue ``event`` for ``groups``; it is sent only if the current transaction commits
    (outside a transaction, at once). Must be called from sync code (a service).

    Sockets of the staff in ``except_staff`` drop it (they are sent another version of it:
    an admin alerted of an enquiry gets the offered copy, not the admins' read-only one)."""
    group_list = sorted(set(groups))
    if not group_list:
        return
    payload = event.payload()
    skip = sorted(set(except_staff)) or None
    if relaying():
        # In the change's own transaction: the web process sends it once both commit.
        RelayedEvent.objects.create(groups=group_list, message=_message(payload, skip), created_at=clock.now())
        return
    transaction.on_commit(lambda: _send_now(group_list, payload, skip))


def typing_send(*, room_id: int, visitor_id: int | None, author: dict[str, Any]) -> None:
    """Tell the room's other side that ``author`` is typing. Not persisted.

    Staff (and the visitor's own staff-side echo) read the room group; the visitor of an
    enquiry room reads only its visitor group, so staff typing goes there too. A visitor's
    typing goes to the room group alone. The caller has checked that the author may see
    the room (selectors.access_room)."""
    groups = [room_group(room_id)]
    if visitor_id is not None and author.get("type") == "staff":
        groups.append(visitor_group(visitor_id))
    send_event_on_commit(groups, Typing(room_id=room_id, author=author))
