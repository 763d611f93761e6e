"""The ai API: the provider's settings (key write-only, encrypted at rest), the call log,
and assist on an enquiry (summary, reply drafts, labels; plain and streamed) with its
permissions, against a local fake provider."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ai.hooks import _reply_context_providers, register_reply_context
from ai.models import AICall, AISettings
from contactcenter.org.models import Staff
from customers import services as customer_services
from enquiries import conversation_tags
from enquiries.models import Enquiry
from rooms import quick_replies
from rooms.models import Message
from rooms.services import message_post
from tests.ai.conftest import KEY
from tests.ai.fake_provider import Answer, FakeProvider

pytestmark = pytest.mark.django_db


def _all_text(response: Any) -> str:
    return response.content.decode() + json.dumps(dict(response.headers))


def _sse(response: Any) -> list[tuple[str, dict[str, Any]]]:
    body = b"".join(response.streaming_content).decode()
    events = []
    for block in body.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


# ------------------------------------------------------------------ settings


def test_admin_saves_the_provider_and_never_gets_the_key_back(api: Any, admin: Staff, fake: FakeProvider) -> None:
    client = api(admin)
    r = client.get("/api/v1/ai/settings")
    assert r.status_code == 200 and r.json()["configured"] is False and r.json()["api_key_set"] is False
    r = client.put(
        "/api/v1/ai/settings",
        {"provider": "azure", "base_url": fake.url, "model": "dep-1", "api_version": "2024-10-21", "api_key": KEY},
        format="json",
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["api_key_set"] is True and body["configured"] is True and body["source"] == "settings"
    assert KEY not in _all_text(r)
    row = AISettings.objects.get()
    assert KEY not in row.api_key_encrypted and row.api_key_encrypted  # encrypted at rest
    # An empty key keeps the saved one; the connection test uses it.
    r = client.put("/api/v1/ai/settings", {"model": "dep-2", "api_key": ""}, format="json")
    assert r.json()["api_key_set"] is True
    fake.script(Answer(text="OK"))
    r = client.post("/api/v1/ai/settings/test")
    assert r.status_code == 200 and r.json()["ok"] is True
    [seen] = fake.requests
    assert seen.path == "/openai/deployments/dep-2/chat/completions" and seen.headers["api-key"] == KEY
    for url in ("/api/v1/ai/settings", "/api/v1/ai/calls", "/api/v1/ai/status"):
        assert KEY not in _all_text(client.get(url))
    r = client.put("/api/v1/ai/settings", {"clear_api_key": True}, format="json")
    assert r.json()["api_key_set"] is False and r.json()["configured"] is False


def test_bad_settings_are_400_and_agents_are_refused(api: Any, admin: Staff, make_staff: Any) -> None:
    r = api(admin).put("/api/v1/ai/settings", {"provider": "gemini"}, format="json")
    assert r.status_code == 400 and "provider" in r.json()
    r = api(admin).put("/api/v1/ai/settings", {"provider": "openai", "base_url": "ftp://x"}, format="json")
    assert r.status_code == 400 and "base_url" in r.json()
    assert not AISettings.objects.exists()
    agent = api(make_staff())
    assert agent.get("/api/v1/ai/settings").status_code == 403
    assert agent.put("/api/v1/ai/settings", {"provider": "openai"}, format="json").status_code == 403
    assert agent.get("/api/v1/ai/calls").status_code == 403
    assert agent.get("/api/v1/ai/status").json() == {"configured": False}


def test_environment_wins_over_the_saved_settings(api: Any, admin: Staff, openai_env: FakeProvider) -> None:
    r = api(admin).get("/api/v1/ai/settings")
    assert r.json()["source"] == "environment" and r.json()["provider"] == "openai"
    assert KEY not in _all_text(r)
    r = api(admin).put("/api/v1/ai/settings", {"base_url": "http://elsewhere"}, format="json")
    assert r.status_code == 400
    r = api(admin).put("/api/v1/ai/settings", {"redact": True}, format="json")
    assert r.status_code == 200 and r.json()["redact"] is True


def test_unconfigured_test_connection_is_503(api: Any, admin: Staff, fake: FakeProvider) -> None:
    r = api(admin).post("/api/v1/ai/settings/test")
    assert r.status_code == 503 and r.json()["code"] == "ai_not_configured" and r.json()["detail"]
    assert fake.requests == []


# ------------------------------------------------------------------ assist


@pytest.fixture
def chat(handled: tuple[Enquiry, Staff]) -> tuple[Enquiry, Staff]:
    enquiry, owner = handled
    message_post(room_id=enquiry.room.pk, staff=owner, text="Hi, how can I help?")
    message_post(room_id=enquiry.room.pk, visitor=enquiry.visitor, text="My order 7 has not arrived")
    return enquiry, owner


def test_summary_sends_the_transcript_oldest_first(api: Any, chat: Any, openai_env: FakeProvider) -> None:
    enquiry, owner = chat
    openai_env.script(Answer(text="The customer waits for order 7."))
    r = api(owner).post(f"/api/v1/enquiries/{enquiry.pk}/ai/summary")
    assert r.status_code == 200, r.content
    assert r.json() == {"summary": "The customer waits for order 7."}
    prompt = openai_env.requests[0].body["messages"][-1]["content"]
    assert prompt.index("Customer: Hello?") < prompt.index("Agent Olive Owner: Hi, how can I help?")
    assert prompt.index("Hi, how can I help?") < prompt.index("Customer: My order 7 has not arrived")
    call = AICall.objects.get()
    assert (call.staff_id, call.enquiry_id, call.purpose, call.outcome) == (owner.pk, enquiry.pk, "summary", "ok")


def test_summary_saved_as_a_note_shows_in_history(api: Any, chat: Any, openai_env: FakeProvider) -> None:
    enquiry, owner = chat
    openai_env.script(Answer(text="Order 7 is late."))
    r = api(owner).post(f"/api/v1/enquiries/{enquiry.pk}/ai/summary", {"save_note": True}, format="json")
    assert r.status_code == 200 and r.json()["note"]["data"]["visibility"] == "staff"
    r = api(owner).post(f"/api/v1/enquiries/{enquiry.pk}/ai/summary/note", {"text": "Edited summary"}, format="json")
    assert r.status_code == 201
    notes = [m for m in Message.objects.filter(room=enquiry.room).order_by("id") if "ai_summary" in m.data]
    assert [n.text.split(":\n", 1)[1] for n in notes] == ["Order 7 is late.", "Edited summary"]
    history = api(owner).get(f"/api/v1/history/{enquiry.pk}").json()
    assert any("Edited summary" in m["text"] for m in history["messages"])
    # A saved summary is not sent back to the provider as part of the conversation.
    openai_env.script(Answer(text="x"))
    api(owner).post(f"/api/v1/enquiries/{enquiry.pk}/ai/summary")
    assert "Edited summary" not in openai_env.requests[-1].body["messages"][-1]["content"]
    assert (
        api(owner).post(f"/api/v1/enquiries/{enquiry.pk}/ai/summary/note", {"text": " "}, format="json").status_code
        == 400
    )


def test_reply_uses_quick_replies_and_reply_context(api: Any, chat: Any, azure_env: FakeProvider) -> None:
    enquiry, owner = chat
    quick_replies.quick_reply_create(actor=owner, shortcut="track", text="Track it at https://example.com/t")
    seen: list[tuple[int, str]] = []

    def provider(enquiry_id: int, text: str, limit: int) -> list[str]:
        seen.append((enquiry_id, text))
        return ["Q: Where is my order? A: Deliveries take 3-5 days."]

    register_reply_context(provider)
    try:
        azure_env.script(Answer(text="1. Sorry, let me check.\n---\n2. It ships in 3-5 days.\n---\n"))
        r = api(owner).post(f"/api/v1/enquiries/{enquiry.pk}/ai/reply")
    finally:
        _reply_context_providers.remove(provider)
    assert r.status_code == 200, r.content
    assert r.json() == {"suggestions": ["Sorry, let me check.", "It ships in 3-5 days."]}
    system = azure_env.requests[0].body["messages"][0]["content"]
    assert "/track: Track it at https://example.com/t" in system
    assert "Deliveries take 3-5 days." in system
    assert seen == [(enquiry.pk, "My order 7 has not arrived")]
    assert not Message.objects.filter(room=enquiry.room, text__contains="ships in").exists()  # never sent


def test_labels_match_existing_tags_and_keep_new_ones_as_suggestions(
    api: Any, chat: Any, admin: Staff, openai_env: FakeProvider
) -> None:
    enquiry, owner = chat
    billing = conversation_tags.conversation_tag_create(actor=admin, name="Billing")
    refund = conversation_tags.conversation_tag_create(actor=admin, name="Refund", parent_id=billing.pk)
    vip = customer_services.customer_tag_create(actor=admin, name="VIP")
    answer = {
        "topic": "Late delivery",
        "tags": ["billing > refund", "Shipping"],
        "customer_tags": ["vip", "Angry"],
        "new_tags": [],
    }
    openai_env.script(Answer(text="```json\n" + json.dumps(answer) + "\n```"))
    r = api(owner).post(f"/api/v1/enquiries/{enquiry.pk}/ai/labels")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["topic"] == "Late delivery"
    assert [t["id"] for t in body["tags"]] == [refund.pk]
    assert [t["id"] for t in body["customer_tags"]] == [vip.pk]
    assert body["suggested_new"] == {"tags": ["Shipping"], "customer_tags": ["Angry"]}
    assert body["current"]["customer"] == enquiry.visitor.customer_id
    system = openai_env.requests[0].body["messages"][0]["content"]
    assert "Billing > Refund" in system and "VIP" in system
    # One click applies them through the existing APIs.
    r = api(owner).patch(
        f"/api/v1/enquiries/{enquiry.pk}", {"topic": body["topic"], "tags": [refund.pk]}, format="json"
    )
    assert r.status_code == 200


def test_labels_not_json_is_502(api: Any, chat: Any, openai_env: FakeProvider) -> None:
    enquiry, owner = chat
    openai_env.script(Answer(text="I think it is about billing"))
    r = api(owner).post(f"/api/v1/enquiries/{enquiry.pk}/ai/labels")
    assert r.status_code == 502 and r.json()["detail"]


def test_streamed_summary_is_server_sent_events(api: Any, chat: Any, openai_env: FakeProvider) -> None:
    enquiry, owner = chat
    openai_env.script(Answer(chunks=["Order ", "7 is ", "late."]))
    r = api(owner).post(f"/api/v1/enquiries/{enquiry.pk}/ai/summary?stream=1")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/event-stream")
    events = _sse(r)
    assert [e for e, _ in events] == ["delta", "delta", "delta", "done"]
    assert "".join(d["text"] for e, d in events if e == "delta") == "Order 7 is late."
    assert events[-1][1] == {"summary": "Order 7 is late."}
    assert openai_env.requests[0].body["stream"] is True


def test_streamed_reply_by_accept_header(api: Any, chat: Any, azure_env: FakeProvider) -> None:
    enquiry, owner = chat
    azure_env.script(Answer(chunks=["One", "\n---\n", "Two"]))
    r = api(owner).post(f"/api/v1/enquiries/{enquiry.pk}/ai/reply", HTTP_ACCEPT="text/event-stream")
    events = _sse(r)
    assert events[-1] == ("done", {"suggestions": ["One", "Two"]})


def test_stream_failure_before_the_first_word_is_a_json_error(api: Any, chat: Any, openai_env: FakeProvider) -> None:
    enquiry, owner = chat
    openai_env.default = Answer(status=503)
    r = api(owner).post(f"/api/v1/enquiries/{enquiry.pk}/ai/summary?stream=1")
    assert r.status_code == 503 and r.json()["detail"] and r["Retry-After"]


def test_provider_timeout_is_504(api: Any, chat: Any, openai_env: FakeProvider, settings: Any) -> None:
    settings.CC_AI_TIMEOUT_SECONDS = 0.3
    enquiry, owner = chat
    openai_env.script(Answer(hang=True))
    r = api(owner).post(f"/api/v1/enquiries/{enquiry.pk}/ai/reply")
    assert r.status_code == 504 and r.json()["code"] == "ai_timeout"


def test_rate_limited_is_503_with_retry_after(
    api: Any, chat: Any, openai_env: FakeProvider, settings: Any, clock: Any
) -> None:  # the clock is frozen: the one-minute window cannot roll over in the middle
    settings.CC_AI_STAFF_RATE = "1/min"
    enquiry, owner = chat
    assert api(owner).post(f"/api/v1/enquiries/{enquiry.pk}/ai/summary").status_code == 200
    r = api(owner).post(f"/api/v1/enquiries/{enquiry.pk}/ai/summary")
    assert r.status_code == 503 and int(r["Retry-After"]) >= 1 and r.json()["code"] == "ai_rate_limited"
    assert len(openai_env.requests) == 1


def test_not_configured_is_503_and_sends_nothing(api: Any, chat: Any, fake: FakeProvider) -> None:
    enquiry, owner = chat
    for kind in ("summary", "reply", "labels"):
        r = api(owner).post(f"/api/v1/enquiries/{enquiry.pk}/ai/{kind}")
        assert r.status_code == 503 and r.json()["code"] == "ai_not_configured"
        r = api(owner).post(f"/api/v1/enquiries/{enquiry.pk}/ai/{kind}?stream=1")
        assert r.status_code == 503
    assert fake.requests == [] and not AICall.objects.exists()


def test_who_may_use_assist(
    api: Any, chat: Any, admin: Staff, make_staff: Any, support: Any, openai_env: FakeProvider
) -> None:
    enquiry, owner = chat
    stranger = make_staff()
    colleague = make_staff(tags=[support])
    for who, status in ((stranger, 403), (colleague, 403), (admin, 200), (owner, 200)):
        r = api(who).post(f"/api/v1/enquiries/{enquiry.pk}/ai/summary")
        assert r.status_code == status, (who, r.content)
    assert api(owner).post("/api/v1/enquiries/999999/ai/summary").status_code == 404
    visitor = api(enquiry.visitor).post(f"/api/v1/enquiries/{enquiry.pk}/ai/summary")
    assert visitor.status_code in (401, 403)
    assert api(None).post(f"/api/v1/enquiries/{enquiry.pk}/ai/reply").status_code in (401, 403)
    r = api(stranger).post(f"/api/v1/enquiries/{enquiry.pk}/ai/summary/note", {"text": "x"}, format="json")
    assert r.status_code == 403
    assert len(openai_env.requests) == 2  # only admin's and owner's


def test_call_log_for_admins(api: Any, chat: Any, admin: Staff, openai_env: FakeProvider) -> None:
    enquiry, owner = chat
    openai_env.script(Answer(text="ok", tokens=(40, 5)), Answer(status=400))
    api(owner).post(f"/api/v1/enquiries/{enquiry.pk}/ai/summary")
    api(owner).post(f"/api/v1/enquiries/{enquiry.pk}/ai/reply")
    r = api(admin).get(f"/api/v1/ai/calls?enquiry={enquiry.pk}")
    assert r.status_code == 200
    rows = r.json()["results"]
    assert [(c["purpose"], c["outcome"], c["status"]) for c in rows] == [
        ("reply", "error", 502),
        ("summary", "ok", 200),
    ]
    assert rows[1]["tokens_in"] == 40 and rows[1]["staff"]["id"] == owner.pk
    assert KEY not in r.content.decode()
    assert api(admin).get("/api/v1/ai/calls?staff=abc").status_code == 400


def test_stream_that_ends_without_text_is_an_error_event(api: Any, chat: Any, openai_env: FakeProvider) -> None:
    enquiry, owner = chat
    openai_env.script(Answer(chunks=[""]))
    r = api(owner).post(f"/api/v1/enquiries/{enquiry.pk}/ai/summary?stream=1")
    assert r.status_code == 200
    [(event, data)] = _sse(r)
    assert event == "error" and data["status"] == 502 and data["detail"]
    assert AICall.objects.get().outcome == "error"


def test_saved_settings_drive_assist_and_redaction(api: Any, chat: Any, admin: Staff, fake: FakeProvider) -> None:
    enquiry, owner = chat
    message_post(room_id=enquiry.room.pk, visitor=enquiry.visitor, text="Write to ann@example.com")
    r = api(admin).put(
        "/api/v1/ai/settings",
        {"provider": "openai", "base_url": fake.url + "/v1", "model": "llama3", "redact": True},
        format="json",
    )
    assert r.json()["configured"] is True  # a local server may need no key
    assert api(owner).get("/api/v1/ai/status").json() == {"configured": True}
    fake.script(Answer(text="Summary"))
    assert api(owner).post(f"/api/v1/enquiries/{enquiry.pk}/ai/summary").status_code == 200
    sent = fake.requests[0]
    assert sent.body["model"] == "llama3"
    assert "ann@example.com" not in json.dumps(sent.body) and "[email]" in sent.body["messages"][-1]["content"]
