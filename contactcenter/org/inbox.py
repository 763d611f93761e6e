"""``ChannelQueue``: a lean stand-in for ``asyncio.Queue``, one per socket, used as

- the pub/sub channel layer's queue of a consumer's channel (``channel_layers.py``),
- daphne's input queue of each connection (``contactcenter/daphne_lean.py``),
- and, when a consumer gets both, the one inbox its client frames and its layer messages
  share (``EventForwardMixin`` in ``contactcenter/gateway/consumers.py``): one queue and no
  extra task per socket.

Pure asyncio (no Django): daphne's launcher imports it before the application.
"""

from __future__ import annotations

import asyncio
import collections
from typing import Any


class ChannelQueue:
    """The messages of one local channel (a socket's consumer), waiting for its receive:
    what channels_redis's pub/sub layer keeps in an ``asyncio.Queue``, made lean. A socket's
    channel is nearly always empty with its consumer waiting on it, and an ``asyncio.Queue``
    holds four deques (about 3 kB, a tenth of an idle socket's memory; bench/RESULTS.md,
    "Round 5"); here the deque and the waiters' list exist only while they hold something.
    Unbounded, as channels_redis's and daphne's; several receivers are served first come,
    first served. No ``__len__``: daphne tests its queue's truth (``if self.application_queue``),
    which must stay true while empty, as an ``asyncio.Queue``'s does."""

    __slots__ = ("_items", "_waiters")

    def __init__(self) -> None:
        self._items: collections.deque[Any] | None = None
        self._waiters: list[asyncio.Future[Any]] | None = None

    def qsize(self) -> int:
        return len(self._items) if self._items else 0

    def empty(self) -> bool:
        return not self._items

    def put_nowait(self, item: Any) -> None:
        while self._waiters:
            waiter = self._waiters.pop(0)
            if not self._waiters:
                self._waiters = None
            if not waiter.done():
                waiter.set_result(item)
                return
        if self._items is None:
            self._items = collections.deque()
        self._items.append(item)

    async def get(self) -> Any:
        if self._items:
            item = self._items.popleft()
            if not self._items:
                self._items = None
            return item
        waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(waiter)
        try:
            return await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                # Handed an item, then cancelled before running: the item stays first.
                if self._items is None:
                    self._items = collections.deque()
                self._items.appendleft(waiter.result())
            elif self._waiters is not None and waiter in self._waiters:
                self._waiters.remove(waiter)
                if not self._waiters:
                    self._waiters = None
            raise
