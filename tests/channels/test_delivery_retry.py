"""A staff reply to a platform customer is shown as "sending" from its first event, then
sent / delivered / read / failed; Retry on a failed one sends it again through the same
outbound path (same OutboundMessage, same retry key), idempotently (item 8b of issue 12)."""

from __future__ import annotations

from typing import Any

import pytest

from channels_adapters import tasks
from channels_adapters.models import OutboundMessage
from channels_adapters.outbound import outbound_retry
from contactcenter.org.errors import Conflict, NotFound
from enquiries import services as enquiry_services
from tests.conftest import api_client_for

from .conftest import post_webhook, send_fails_for_good
from .test_outbound import open_from, reply, wa_status

pytestmark = pytest.mark.django_db


def test_a_platform_reply_is_sending_from_its_first_event(platform_channel: Any, agent: Any, events: Any) -> None:
    enquiry = open_from("whatsapp", platform_channel, agent)
    events.clear()
    outbound = reply(enquiry, agent)
    assert outbound.message.data["delivery"] == {"state": "pending"}
    created = [p for _, p in events.of_type("message.created") if p["data"]["message"]["id"] == outbound.message_id]
    assert created and all(p["data"]["message"]["data"]["delivery"] == {"state": "pending"} for p in created)
    assert tasks.outbound_send(outbound.pk) == "sent"
    outbound.refresh_from_db()
    assert outbound.message.data["delivery"] == {"state": "sent"}


def test_a_widget_reply_has_no_delivery_state(handled: Any) -> None:
    from rooms import services as room_services

    enquiry, owner = handled
    message, _ = room_services.message_post(room_id=enquiry.room.pk, text="hi", staff=owner)
    assert "delivery" not in message.data


def test_retry_a_failed_reply_sends_it_again_with_the_same_key(
    platform_channel: Any, agent: Any, platform_api: Any, events: Any
) -> None:
    enquiry = open_from("line", platform_channel, agent)
    outbound = reply(enquiry, agent)
    platform_api.script("POST", "/line/v2/bot/message/push", (400, {"message": "Invalid reply token"}, {}))
    send_fails_for_good(outbound)
    assert outbound.message.data["delivery"]["state"] == "failed"
    events.clear()
    tasks.scheduled.clear()

    http = api_client_for(agent)
    response = http.post(f"/api/v1/messages/{outbound.message_id}/retry-send")
    assert response.status_code == 200, response.content
    assert response.json() == {"message": outbound.message_id, "state": "pending"}
    outbound.refresh_from_db()
    assert (outbound.state, outbound.error, outbound.attempts) == ("pending", "", 0)
    edited = [p for _, p in events.of_type("message.edited") if p["data"]["message"]["id"] == outbound.message_id]
    assert edited[-1]["data"]["message"]["data"]["delivery"] == {"state": "pending"}
    # A second click while it is being sent changes nothing and queues nothing more.
    queued = len(tasks.scheduled)
    assert http.post(f"/api/v1/messages/{outbound.message_id}/retry-send").status_code == 200
    assert len(tasks.scheduled) == queued

    assert tasks.outbound_send(outbound.pk) == "sent"
    calls = platform_api.calls("POST", "/line/v2/bot/message/push")
    assert len(calls) == 2
    assert len({c.headers["x-line-retry-key"] for c in calls}) == 1  # the same path, the same key
    outbound.refresh_from_db()
    assert outbound.state == "sent" and outbound.message.data["delivery"] == {"state": "sent"}

    # Sent: nothing to retry.
    again = http.post(f"/api/v1/messages/{outbound.message_id}/retry-send")
    assert again.status_code == 409 and again.json()["code"] == "already_sent"


def test_statuses_after_a_retry_reach_read(platform_channel: Any, agent: Any, platform_api: Any) -> None:
    from .conftest import process_pending

    enquiry = open_from("whatsapp", platform_channel, agent)
    outbound = reply(enquiry, agent)
    platform_api.script("POST", "/graph/", (400, {"error": {"message": "Temporarily refused"}}, {}))
    send_fails_for_good(outbound)
    outbound_retry(actor=agent, message_id=outbound.message_id)
    assert tasks.outbound_send(outbound.pk) == "sent"
    for status in ("delivered", "read"):
        assert post_webhook(enquiry.channel, wa_status("wamid.OUT1", status)).status_code == 200
    process_pending()
    outbound.refresh_from_db()
    assert outbound.state == "read"


def test_retry_refusals(platform_channel: Any, agent: Any, platform_api: Any, make_staff: Any, handled: Any) -> None:
    enquiry = open_from("messenger", platform_channel, agent)
    outbound = reply(enquiry, agent)
    platform_api.script("POST", "/graph/PAGE1/messages", (400, {"error": {"message": "No"}}, {}))
    send_fails_for_good(outbound)

    stranger = make_staff(name="Stan Stranger")
    with pytest.raises(NotFound):
        outbound_retry(actor=stranger, message_id=outbound.message_id)
    http = api_client_for(stranger)
    assert http.post(f"/api/v1/messages/{outbound.message_id}/retry-send").status_code == 404
    assert api_client_for(agent).post("/api/v1/messages/999999/retry-send").status_code == 404

    # A widget enquiry's message is not sent anywhere.
    widget_enquiry, owner = handled
    from rooms import services as room_services

    message, _ = room_services.message_post(room_id=widget_enquiry.room.pk, text="hi", staff=owner)
    with pytest.raises(Conflict) as exc:
        outbound_retry(actor=owner, message_id=message.pk)
    assert exc.value.code == "not_outbound"

    # The conversation closed: no more retries, and the failed state stays.
    enquiry_services.enquiry_leave(actor=agent, enquiry_id=enquiry.pk)
    with pytest.raises(Conflict) as exc:
        outbound_retry(actor=agent, message_id=outbound.message_id)
    assert exc.value.code == "closed"
    assert OutboundMessage.objects.get(pk=outbound.pk).state == "failed"
