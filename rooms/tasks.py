from __future__ import annotations

from celery import shared_task

from rooms.previews import message_preview_attach


@shared_task(name="rooms.tasks.message_link_preview", ignore_result=True)
def message_link_preview(message_id: int) -> bool:
    """Attach a link preview to a message. Tolerates a message that has gone and is safe
    to run twice (a preview already there for the same URL is kept). No retries: a page
    that does not answer within the timeout gets no preview."""
    return message_preview_attach(message_id=message_id) is not None
