"""A customer's first message is a photo, file or voice note (issue 10): the enquiry opens at
once, its message showing e.g. "image (loading…)", however slow or down the platform's
media API is; the file is attached to that same message when it arrives (message.edited,
so open dashboards update), or the message says it could not be loaded."""

from __future__ import annotations

import datetime as dt
import json
import threading
from typing import Any

import pytest

from channels_adapters import inbound, tasks
from channels_adapters.models import InboundEvent
from contactcenter.org import clock
from contactcenter.org.events import room_group
from enquiries.models import Enquiry
from rooms.models import Message
from tests.api.conftest import ok

from .conftest import post_webhook
from .test_outbound import png_bytes

pytestmark = pytest.mark.django_db

CONTENT = "/line-data/v2/bot/message/555/content"


def _line_image(event_id: str = "EV1", message_id: str = "555", user: str = "U9") -> bytes:
    event = {
        "type": "message",
        "timestamp": 1,
        "source": {"type": "user", "userId": user},
        "webhookEventId": event_id,
        "deliveryContext": {"isRedelivery": False},
        "message": {"type": "image", "id": message_id, "contentProvider": {"type": "line"}},
    }
    return json.dumps({"destination": "x", "events": [event]}).encode()


@pytest.fixture
def slow_media(platform_api: Any) -> Any:
    """The media API hangs until released (or answers 500 after 10 s)."""
    release = threading.Event()
    real = platform_api.answer

    def answer(method: str, path: str) -> Any:
        if path == CONTENT:
            if not release.wait(timeout=10):
                return 500, b"timeout", {}
            return 200, png_bytes(), {"Content-Type": "image/png"}
        return real(method, path)

    platform_api.answer = answer
    yield release
    release.set()


def _process(capture: Any) -> None:
    ids = list(InboundEvent.objects.filter(processed_at__isnull=True).values_list("id", flat=True))
    with capture(execute=True):
        tasks.inbound_process(ids)


def test_enquiry_opens_at_once_and_the_file_follows(
    platform_channel: Any,
    agent: Any,
    admin: Any,
    api: Any,
    platform_api: Any,
    slow_media: threading.Event,
    events: Any,
    settings: Any,
    tmp_path: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    channel = platform_channel("line")
    assert post_webhook(channel, _line_image()).status_code == 200
    _process(django_capture_on_commit_callbacks)
    # Open and offered to staff while the media API hangs (it has not even been asked yet).
    enquiry = Enquiry.objects.get()
    assert enquiry.status == "open" and enquiry.first_message == "[image]"
    assert events.of_type("enquiry.opened")
    assert platform_api.calls("GET", CONTENT) == []
    message = Message.objects.get(author_visitor__isnull=False)
    assert message.kind == "file" and "file" not in message.data
    shown = ok(api(admin).get(f"/api/v1/rooms/{enquiry.room.pk}/messages"))["results"]
    (loading,) = [m for m in shown if m["id"] == message.pk]
    assert loading["data"]["media"] == {"state": "loading", "category": "image", "label": "image (loading…)"}
    assert tasks.scheduled[-1] == ("channels_adapters.tasks.inbound_media", (message.pk,), 0.0)

    # The media API answers at last: the file is attached to that same message.
    events.clear()
    slow_media.set()
    assert tasks.inbound_media(message.pk) is True
    message.refresh_from_db()
    assert message.data["media"]["state"] == "loaded" and message.data["file"]["category"] == "image"
    assert (tmp_path / message.data["file"]["path"]).read_bytes() == png_bytes()
    (edited,) = events.to_group(room_group(message.room_id))  # (and the visitor's group)
    assert edited["type"] == "message.edited"
    data = edited["data"]["message"]["data"]
    assert data["media"]["label"] == "image" and data["file"]["url"] == f"/api/v1/messages/{message.pk}/file"
    # Settled once: another run (a duplicate task) changes nothing.
    assert tasks.inbound_media(message.pk) is True
    assert len(events.to_group(room_group(message.room_id))) == 1


def test_media_api_down_the_message_says_it_could_not_be_loaded(
    platform_channel: Any,
    agent: Any,
    admin: Any,
    api: Any,
    platform_api: Any,
    events: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.CC_INBOUND_MEDIA_TRIES = 3
    platform_api.script("GET", CONTENT, *[(503, b"down", {})] * 10)
    channel = platform_channel("line")
    post_webhook(channel, _line_image())
    _process(django_capture_on_commit_callbacks)
    assert Enquiry.objects.get().status == "open"
    message = Message.objects.get(author_visitor__isnull=False)
    events.clear()
    assert tasks.inbound_media(message.pk) is False
    assert tasks.inbound_media(message.pk) is False
    assert not events.of_type("message.edited")
    assert tasks.inbound_media(message.pk) is True  # the last try
    message.refresh_from_db()
    assert message.data["media"]["label"] == "image (could not be loaded)"
    assert "503" in message.data["media_error"]
    (edited,) = events.to_group(room_group(message.room_id))
    assert edited["data"]["message"]["data"]["media"]["state"] == "failed"
    shown = ok(api(admin).get(f"/api/v1/rooms/{message.room_id}/messages"))["results"]
    assert [m["data"]["media"]["label"] for m in shown if m["id"] == message.pk] == ["image (could not be loaded)"]


def test_a_refused_download_gives_up_at_once(
    platform_channel: Any, agent: Any, platform_api: Any, django_capture_on_commit_callbacks: Any
) -> None:
    platform_api.script("GET", CONTENT, (404, {"message": "gone"}, {}))
    post_webhook(platform_channel("line"), _line_image())
    _process(django_capture_on_commit_callbacks)
    message = Message.objects.get(author_visitor__isnull=False)
    assert tasks.inbound_media(message.pk) is True
    message.refresh_from_db()
    assert message.data["media"]["state"] == "failed" and "could not be downloaded" in message.data["media_error"]


def test_lost_media_tasks_are_resumed_by_the_sweep(
    platform_channel: Any, agent: Any, platform_api: Any, django_capture_on_commit_callbacks: Any
) -> None:
    platform_api.script("GET", CONTENT, (503, b"down", {}))
    channel = platform_channel("line")
    post_webhook(channel, _line_image())
    _process(django_capture_on_commit_callbacks)
    message = Message.objects.get(author_visitor__isnull=False)
    tasks.scheduled.clear()
    now = clock.now()
    assert inbound.inbound_media_resume_due(now) == 0  # just queued: its task is not lost
    assert inbound.inbound_media_resume_due(now + dt.timedelta(seconds=61)) == 1
    assert tasks.scheduled == [("channels_adapters.tasks.inbound_media", (message.pk,), 0.0)]
    tasks.inbound_media(message.pk)  # fails: the next try is due after the back-off
    tasks.scheduled.clear()
    assert inbound.inbound_media_resume_due(now + dt.timedelta(seconds=61)) == 0
    assert inbound.inbound_media_resume_due(now + dt.timedelta(seconds=200)) == 1
