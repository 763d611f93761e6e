"""The one bridge from domain changes to websockets: events go out only after commit."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from contactcenter.events import Event, Typing, room_group, visitor_group

logger = logging.getLogger(__name__)

# Test hook: callables receiving (groups, payload) for every event actually sent.
sinks: list[Callable[[list[str], dict[str, Any]], None]] = []


async def _group_send_all(layer: Any, groups: list[str], message: dict[str, Any]) -> None:
    # One trip to the event loop for all groups (each async_to_sync hop costs more than a send).
    results = await asyncio.gather(*(layer.group_send(g, message) for g in groups), return_exceptions=True)
    for group, result in zip(groups, results, strict=True):
        if isinstance(result, BaseException):
            # A realtime hiccup must never undo a committed change.
            logger.error("group_send to %s failed", group, exc_info=result)


class CollectedSends:
    """Events committed inside ``sends_collected``, to be started on the event loop."""

    def __init__(self) -> None:
        self.sends: list[tuple[list[str], dict[str, Any]]] = []

    def start(self) -> None:
        """Start sending them all (call on the server's event loop; failures are logged)."""
        layer = get_channel_layer()
        if layer is None or not self.sends:
            return
        for groups, message in self.sends:
            asyncio.ensure_future(_group_send_all(layer, groups, message))


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


def _send_now(groups: list[str], payload: dict[str, Any], except_staff: list[int] | None = None) -> None:
    for sink in list(sinks):
        sink(groups, payload)
    message: dict[str, Any] = {"type": "event.forward", "event": payload, "id": f"{_SEND_PREFIX}.{next(_send_ids)}"}
    if except_staff:
        message["except_staff"] = except_staff
    collected: CollectedSends | None = getattr(_collecting, "sends", None)
    if collected is not None:
        collected.sends.append((groups, message))
        return
    layer = get_channel_layer()
    if layer is None:
        return
    loop = _event_loop_of_this_thread()
    if loop is not None:
        # In a worker thread of a running server: hand the sends to the event loop and let
        # the thread (and its database connection) go on; _group_send_all logs failures.
        asyncio.run_coroutine_threadsafe(_group_send_all(layer, groups, message), loop)
        return
    try:
        async_to_sync(_group_send_all)(layer, groups, message)
    except Exception:
        logger.exception("group_send to %s failed", groups)


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
