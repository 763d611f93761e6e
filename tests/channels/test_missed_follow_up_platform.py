"""A missed platform enquiry is followed up by the channel the customer came from (issue 12,
item 2): the reply goes through the outbound send, and the platform's reply window still
applies (409 ``reply_window_closed`` once it has closed, nothing stored)."""

from __future__ import annotations

from typing import Any

import pytest

from channels_adapters import tasks
from channels_adapters.models import OutboundMessage
from enquiries import services as enquiry_services
from enquiries.models import Enquiry
from rooms.models import Message
from tests.channels.conftest import fixture_body, post_webhook, process_pending

pytestmark = pytest.mark.django_db


def missed_from(kind: str, platform_channel: Any, agent: Any) -> Enquiry:
    channel = platform_channel(kind)
    assert post_webhook(channel, fixture_body(kind)).status_code == 200
    process_pending()
    enquiry = Enquiry.objects.get(channel=channel)
    enquiry_services.enquiry_reject(actor=agent, enquiry_id=enquiry.pk)  # the only one alerted
    enquiry.refresh_from_db()
    assert enquiry.status == Enquiry.Status.MISSED
    return enquiry


def test_follow_up_of_a_missed_messenger_enquiry_goes_to_messenger(
    platform_channel: Any, agent: Any, platform_api: Any, api: Any, clock: Any
) -> None:
    enquiry = missed_from("messenger", platform_channel, agent)
    assert api(agent).post(f"/api/v1/enquiries/{enquiry.pk}/follow-up").status_code == 200
    response = api(agent).post(f"/api/v1/rooms/{enquiry.room.pk}/messages", {"text": "Sorry!"}, format="json")
    assert response.status_code == 201, response.content
    outbound = OutboundMessage.objects.get(message_id=response.json()["id"])
    assert outbound.channel_id == enquiry.channel_id
    assert tasks.outbound_send(outbound.pk) == "sent"
    (call,) = platform_api.calls("POST", "/graph/PAGE1/messages")
    assert call.json()["recipient"] == {"id": "<PSID>"}
    # Past Messenger's 24 hours: refused at once, nothing stored.
    clock.advance(24 * 3600 + 1)
    count = Message.objects.count()
    late = api(agent).post(f"/api/v1/rooms/{enquiry.room.pk}/messages", {"text": "Still there?"}, format="json")
    assert late.status_code == 409
    assert late.json()["code"] == "reply_window_closed"
    assert Message.objects.count() == count
