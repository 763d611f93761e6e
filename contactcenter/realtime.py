"""The one bridge from domain changes to websockets: events go out only after commit."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from contactcenter.events import Event

logger = logging.getLogger(__name__)

# Test hook: callables receiving (groups, payload) for every event actually sent.
sinks: list[Callable[[list[str], dict[str, Any]], None]] = []


def _send_now(groups: list[str], payload: dict[str, Any]) -> None:
    for sink in list(sinks):
        sink(groups, payload)
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "event.forward", "event": payload}
    for group in groups:
        try:
            async_to_sync(layer.group_send)(group, message)
        except Exception:  # A realtime hiccup must never undo a committed change.
            logger.exception("group_send to %s failed", group)


def send_event_on_commit(groups: Iterable[str], event: Event) -> None:
    """Queue ``event`` for ``groups``; it is sent only if the current transaction commits."""
    group_list = sorted(set(groups))
    if not group_list:
        return
    payload = event.payload()
    transaction.on_commit(lambda: _send_now(group_list, payload))
