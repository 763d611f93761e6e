"""ai.client against local fake providers of both shapes: what goes over the wire, retries,
failures mapped to 502/503/504, the call log, redaction, the rate limit, and nothing sent
without a configured provider."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from ai.client import AIError, AINotConfigured, ai_chat, ai_chat_stream, ai_configured
from ai.models import AICall
from tests.ai.conftest import KEY
from tests.ai.fake_provider import Answer, FakeProvider

pytestmark = pytest.mark.django_db

HELLO = [{"role": "user", "content": "Hello"}]


def test_openai_shape_path_headers_body(openai_env: FakeProvider) -> None:
    openai_env.script(Answer(text="Hi there", tokens=(12, 3)))
    result = ai_chat(HELLO, purpose="summary", max_tokens=50)
    assert result.text == "Hi there" and (result.tokens_in, result.tokens_out) == (12, 3)
    [seen] = openai_env.requests
    assert seen.path == "/v1/chat/completions"
    assert seen.headers["authorization"] == f"Bearer {KEY}"
    assert "api-key" not in seen.headers
    assert seen.body["model"] == "gpt-test"
    assert seen.body["messages"] == HELLO
    assert seen.body["max_tokens"] == 50
    assert not seen.body.get("stream")


def test_azure_shape_path_headers_version(azure_env: FakeProvider) -> None:
    azure_env.script(Answer(text="Bonjour"))
    assert ai_chat(HELLO, purpose="reply").text == "Bonjour"
    [seen] = azure_env.requests
    assert seen.path == "/openai/deployments/my-deployment/chat/completions"
    assert seen.query["api-version"] == ["2024-10-21"]
    assert seen.headers["api-key"] == KEY
    assert "authorization" not in seen.headers
    assert seen.body["messages"] == HELLO


@pytest.mark.parametrize("shape", ["openai_env", "azure_env"])
def test_streaming_yields_the_text_as_it_comes(shape: str, request: Any) -> None:
    fake: FakeProvider = request.getfixturevalue(shape)
    fake.script(Answer(chunks=["Hel", "lo ", "world"]))
    assert list(ai_chat_stream(HELLO, purpose="summary", staff_id=None)) == ["Hel", "lo ", "world"]
    assert fake.requests[0].body["stream"] is True
    call = AICall.objects.get()
    assert call.streamed and call.outcome == "ok"


def test_429_then_success_is_tried_again(openai_env: FakeProvider) -> None:
    openai_env.script(Answer(status=429, headers={"Retry-After": "0"}), Answer(text="fine"))
    assert ai_chat(HELLO, purpose="summary").text == "fine"
    assert len(openai_env.requests) == 2
    assert AICall.objects.get().attempts == 2


def test_500_every_time_is_503_after_bounded_tries(openai_env: FakeProvider, settings: Any) -> None:
    settings.CC_AI_MAX_RETRIES = 2
    openai_env.default = Answer(status=500)
    with pytest.raises(AIError) as info:
        ai_chat(HELLO, purpose="summary")
    assert info.value.status == 503 and "500" in info.value.detail
    assert len(openai_env.requests) == 3
    call = AICall.objects.get()
    assert call.outcome == "error" and call.status == 503 and call.error == "InternalServerError"


def test_timeout_is_504_and_not_tried_again(openai_env: FakeProvider, settings: Any) -> None:
    settings.CC_AI_TIMEOUT_SECONDS = 0.3
    openai_env.script(Answer(hang=True))
    with pytest.raises(AIError) as info:
        ai_chat(HELLO, purpose="summary")
    assert info.value.status == 504
    assert len(openai_env.requests) == 1


@pytest.mark.parametrize(
    "answer",
    [
        Answer(raw=b"this is not json"),
        Answer(raw=b'{"unexpected": true}'),
        Answer(text=""),
    ],
)
def test_malformed_answer_is_502(openai_env: FakeProvider, answer: Answer) -> None:
    openai_env.script(answer)
    with pytest.raises(AIError) as info:
        ai_chat(HELLO, purpose="summary")
    assert info.value.status == 502


def test_wrong_key_is_502_with_a_clear_detail(azure_env: FakeProvider) -> None:
    azure_env.script(Answer(status=401))
    with pytest.raises(AIError) as info:
        ai_chat(HELLO, purpose="summary")
    assert info.value.status == 502 and "key" in info.value.detail


def test_not_configured_sends_nothing(fake: FakeProvider) -> None:
    assert not ai_configured()
    with pytest.raises(AINotConfigured) as info:
        ai_chat(HELLO, purpose="summary")
    assert info.value.status == 503
    with pytest.raises(AINotConfigured):
        ai_chat_stream(HELLO, purpose="summary")
    assert fake.requests == []
    assert not AICall.objects.exists()


def test_redaction_before_text_leaves(openai_env: FakeProvider, settings: Any) -> None:
    settings.CC_AI_REDACT = True
    text = "Mail jo@example.com, call +1 (415) 555-0134, card 4111 1111 1111 1111, order 12345"
    ai_chat([{"role": "user", "content": text}], purpose="summary")
    sent = openai_env.requests[0].body["messages"][0]["content"]
    assert sent == "Mail [email], call [phone], card [card], order 12345"


def test_no_redaction_unless_asked(openai_env: FakeProvider) -> None:
    ai_chat([{"role": "user", "content": "jo@example.com"}], purpose="summary")
    assert openai_env.requests[0].body["messages"][0]["content"] == "jo@example.com"


def test_rate_limit_per_staff(openai_env: FakeProvider, settings: Any, make_staff: Any, clock: Any) -> None:
    # A frozen clock: the fixed one-minute window cannot roll over in the middle.
    settings.CC_AI_STAFF_RATE = "2/min"
    one, two = make_staff(), make_staff()
    ai_chat(HELLO, purpose="reply", staff_id=one.pk)
    ai_chat(HELLO, purpose="reply", staff_id=one.pk)
    with pytest.raises(AIError) as info:
        ai_chat(HELLO, purpose="reply", staff_id=one.pk)
    assert info.value.status == 503 and info.value.retry_after and info.value.retry_after >= 1
    ai_chat(HELLO, purpose="reply", staff_id=two.pk)  # the limit is per staff member
    assert len(openai_env.requests) == 3
    assert AICall.objects.filter(outcome="rate_limited", staff=one).count() == 1


def test_the_key_and_the_text_are_never_logged(
    openai_env: FakeProvider, caplog: pytest.LogCaptureFixture, settings: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    openai_env.script(Answer(text="secret answer"), Answer(status=401), Answer(status=500), Answer(status=500))
    settings.CC_AI_MAX_RETRIES = 1
    ai_chat([{"role": "user", "content": "private words"}], purpose="summary")
    for _ in range(2):
        with pytest.raises(AIError):
            ai_chat([{"role": "user", "content": "private words"}], purpose="summary")
    text = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    assert KEY not in text
    assert "private words" not in text and "secret answer" not in text
    assert "ai call purpose=summary" in caplog.text


def test_a_stream_left_early_is_logged_as_cancelled(openai_env: FakeProvider) -> None:
    openai_env.script(Answer(chunks=["one ", "two ", "three"]))
    stream = ai_chat_stream(HELLO, purpose="summary")
    assert next(stream) == "one "
    stream.close()  # type: ignore[attr-defined]
    call = AICall.objects.get()
    assert (call.outcome, call.status, call.error) == ("error", 499, "AIError")


def test_the_call_log_is_kept_for_its_retention(openai_env: FakeProvider, settings: Any, clock: Any) -> None:
    from ai.services import ai_calls_sweep

    settings.CC_AI_CALLS_KEEP_DAYS = 30
    ai_chat(HELLO, purpose="summary")
    clock.advance(29 * 86400)
    ai_chat(HELLO, purpose="summary")
    clock.advance(2 * 86400)
    assert ai_calls_sweep() == 1
    assert AICall.objects.count() == 1
    settings.CC_AI_CALLS_KEEP_DAYS = 0
    clock.advance(365 * 86400)
    assert ai_calls_sweep() == 0
