"""Counters fed by the apps' hooks, registered at start-up (``OpsConfig.ready``)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from contactcenter.org import metrics
from rooms.hooks import register_message_observers
from rooms.models import Message


def _sender(message: Message) -> str:
    if message.author_visitor_id is not None:
        return "visitor"
    if message.author_staff_id is not None:
        return "staff"
    return "system"


def _messages_posted(messages: Sequence[Message]) -> None:
    """Counted once the batch commits (a rolled-back post was never posted)."""
    senders = [_sender(m) for m in messages]

    def count() -> None:
        for sender in senders:
            metrics.messages_posted.labels(sender).inc()

    transaction.on_commit(count)


def install() -> None:
    register_message_observers(posted=_messages_posted)
