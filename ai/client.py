"""The one way to talk to the AI provider (issue 16). Everything that sends text to a
provider (assist, the robot, VOC's optional scorer) calls ``ai_chat``; nothing else opens a
connection to one. Without a configured provider nothing is sent: ``ai_configured()`` is
false and ``ai_chat`` raises ``AINotConfigured``.

This module is the seam between the assist and the robot: its names and signatures are the
contract; the implementation (configuration, the ``openai`` client for both Azure and
OpenAI-compatible servers, retries, rate limit, redaction, call log) lives behind them.

Every call is logged as an ``AICall`` row (who, which enquiry, purpose, tokens, duration,
outcome, the error's class) and one log line without any text or key.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.utils.translation import gettext

from ai.config import ProviderConfig, provider_config
from ai.models import AICall
from ai.redact import redact
from contactcenter.org import clock
from contactcenter.org.ratelimit import hit, parse_rate

logger = logging.getLogger(__name__)


class AIError(Exception):
    """A provider call failed. ``status`` is what the API answers (502 bad answer, 503
    unavailable / not configured / rate limited, 504 timeout) and ``detail`` the message;
    ``retry_after`` (seconds) when trying again later makes sense."""

    status = 502
    code = "ai_error"

    def __init__(
        self, detail: str, *, status: int | None = None, retry_after: int | None = None, code: str | None = None
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status
        self.retry_after = retry_after
        if code is not None:
            self.code = code


class AINotConfigured(AIError):
    status = 503
    code = "ai_not_configured"


@dataclasses.dataclass(frozen=True)
class AIResult:
    text: str
    tokens_in: int = 0
    tokens_out: int = 0


def ai_configured() -> bool:
    """True when an admin (or the environment) configured a provider."""
    return provider_config() is not None


def ai_chat(
    messages: list[dict[str, str]],
    *,
    purpose: str,
    staff_id: int | None = None,
    enquiry_id: int | None = None,
    max_tokens: int | None = None,
    config: ProviderConfig | None = None,
) -> AIResult:
    """One chat completion: ``messages`` as the OpenAI chat format (role/content). ``purpose``
    ("summary", "reply", "labels", "robot", ...) and the ids go to the call log. Raises
    ``AIError`` (never anything else) when the provider fails. ``config``: a configuration
    to use instead of the saved one (the admin's "test connection")."""
    call = _Call(purpose=purpose, staff_id=staff_id, enquiry_id=enquiry_id, config=config, streamed=False)
    try:
        with _client(call.config) as client:
            response = call.send(lambda: client.chat.completions.create(**call.request(messages, max_tokens)))
            result = _result_of(response)
    except AIError as exc:
        call.finish(error=exc)
        raise
    call.finish(tokens_in=result.tokens_in, tokens_out=result.tokens_out)
    return result


def ai_chat_stream(
    messages: list[dict[str, str]],
    *,
    purpose: str,
    staff_id: int | None = None,
    enquiry_id: int | None = None,
    max_tokens: int | None = None,
) -> Iterator[str]:
    """As ``ai_chat``, yielding the text as the provider streams it. Everything that can fail
    before the first word (configuration, rate limit, the provider's answer status) raises
    ``AIError`` when this is called; a failure later is raised by the iterator."""
    call = _Call(purpose=purpose, staff_id=staff_id, enquiry_id=enquiry_id, config=None, streamed=True)
    client = _client(call.config)
    try:
        stream = call.send(lambda: client.chat.completions.create(**call.request(messages, max_tokens), stream=True))
    except AIError as exc:
        client.close()
        call.finish(error=exc)
        raise
    return _stream_text(call, client, stream)


# ------------------------------------------------------------------ implementation


def _unconfigured() -> AINotConfigured:
    return AINotConfigured(gettext("No AI provider is configured. An admin can set one up in Settings > AI."))


class _Call:
    """One logged call: checks before sending, the tries, and the log row at the end."""

    def __init__(
        self,
        *,
        purpose: str,
        staff_id: int | None,
        enquiry_id: int | None,
        config: ProviderConfig | None,
        streamed: bool,
    ) -> None:
        self.purpose = purpose[:30]
        self.staff_id = staff_id
        self.enquiry_id = enquiry_id
        self.streamed = streamed
        resolved = config or provider_config()
        if resolved is None:
            raise _unconfigured()  # nothing sent, nothing logged
        self.config = resolved
        self.started = time.monotonic()
        self.attempts = 0
        if staff_id is not None:
            wait = hit(f"ai:staff:{staff_id}", parse_rate(settings.CC_AI_STAFF_RATE))
            if wait is not None:
                seconds = max(1, math.ceil(wait))
                exc = AIError(
                    gettext("Too many AI requests. Try again in %(seconds)d s.") % {"seconds": seconds},
                    status=503,
                    retry_after=seconds,
                    code="ai_rate_limited",
                )
                self.finish(error=exc, outcome=AICall.Outcome.RATE_LIMITED)
                raise exc

    def request(self, messages: list[dict[str, str]], max_tokens: int | None) -> dict[str, Any]:
        if self.config.redact:
            messages = [{**m, "content": redact(str(m.get("content", "")))} for m in messages]
        return {
            "model": self.config.model,
            "messages": messages,
            "max_tokens": max_tokens or settings.CC_AI_MAX_TOKENS,
        }

    def send(self, make: Callable[[], Any]) -> Any:
        """``make()`` with bounded tries again after a 429, a 5xx or a refused connection."""
        import openai  # heavy; only once a provider is configured and asked

        while True:
            self.attempts += 1
            try:
                return make()
            except openai.APITimeoutError as exc:
                raise _timeout() from exc
            except (openai.RateLimitError, openai.InternalServerError, openai.APIConnectionError) as exc:
                status = getattr(exc, "status_code", None)
                if self.attempts > settings.CC_AI_MAX_RETRIES:
                    raise _unavailable(status) from exc
                time.sleep(self._backoff(exc))
            except openai.APIStatusError as exc:
                raise _refused(exc.status_code) from exc
            except Exception as exc:  # an answer the library could not read (bad JSON, wrong shape)
                raise _malformed() from exc

    def _backoff(self, exc: Exception) -> float:
        wait = settings.CC_AI_RETRY_BASE_SECONDS * 2 ** (self.attempts - 1)
        response = getattr(exc, "response", None)
        header = response.headers.get("retry-after") if response is not None else None
        if header:
            try:
                wait = max(wait, float(header))
            except ValueError:
                pass  # an HTTP date: keep our own back-off
        return min(wait, settings.CC_AI_RETRY_MAX_SECONDS)

    def finish(
        self,
        *,
        tokens_in: int = 0,
        tokens_out: int = 0,
        error: AIError | None = None,
        outcome: str | None = None,
    ) -> None:
        duration_ms = int((time.monotonic() - getattr(self, "started", time.monotonic())) * 1000)
        outcome = outcome or (AICall.Outcome.ERROR if error else AICall.Outcome.OK)
        cause = error.__cause__ if error is not None else None
        error_class = type(cause or error).__name__ if error is not None else ""
        AICall.objects.create(
            staff_id=self.staff_id,
            enquiry_id=self.enquiry_id,
            purpose=self.purpose,
            provider=self.config.provider,
            model=self.config.model[:200],
            streamed=self.streamed,
            tokens_in=max(0, tokens_in),
            tokens_out=max(0, tokens_out),
            duration_ms=duration_ms,
            attempts=self.attempts,
            outcome=outcome,
            status=error.status if error is not None else 200,
            error=error_class[:100],
            created_at=clock.now(),
        )
        # No text and no key: the purpose, the ids, the numbers and the error's class.
        logger.info(
            "ai call purpose=%s staff=%s enquiry=%s outcome=%s status=%s error=%s tokens=%d/%d ms=%d tries=%d",
            self.purpose,
            self.staff_id,
            self.enquiry_id,
            outcome,
            error.status if error is not None else 200,
            error_class or "-",
            tokens_in,
            tokens_out,
            duration_ms,
            self.attempts,
        )


def _client(config: ProviderConfig) -> Any:
    import openai  # heavy; only once a provider is configured and asked

    timeout = settings.CC_AI_TIMEOUT_SECONDS
    if config.provider == "azure":
        return openai.AzureOpenAI(
            azure_endpoint=config.base_url.rstrip("/"),
            azure_deployment=config.model,
            api_version=config.api_version,
            api_key=config.api_key,
            timeout=timeout,
            max_retries=0,  # ours: bounded, logged (_Call.send)
        )
    return openai.OpenAI(
        base_url=config.base_url.rstrip("/"),
        # A local server may need no key; the library wants one, so a placeholder goes.
        api_key=config.api_key or "none",
        organization=None,
        project=None,
        timeout=timeout,
        max_retries=0,
    )


def _timeout() -> AIError:
    return AIError(gettext("The AI provider did not answer in time. Try again."), status=504, code="ai_timeout")


def _unavailable(status: int | None) -> AIError:
    if status == 429:
        detail = gettext("The AI provider is busy (too many requests). Try again in a minute.")
    elif status:
        detail = gettext("The AI provider is unavailable (HTTP %(status)d). Try again later.") % {"status": status}
    else:
        detail = gettext("The AI provider cannot be reached. Try again later.")
    return AIError(detail, status=503, retry_after=30, code="ai_unavailable")


def _refused(status: int) -> AIError:
    if status in (401, 403):
        detail = gettext("The AI provider refused the key (HTTP %(status)d). An admin should check Settings > AI.")
    elif status == 404:
        detail = gettext(
            "The AI provider does not know this model or deployment (HTTP 404). An admin should check Settings > AI."
        )
    else:
        detail = gettext("The AI provider refused the request (HTTP %(status)d).")
    return AIError(detail % {"status": status}, status=502, code="ai_refused")


def _malformed() -> AIError:
    return AIError(gettext("The AI provider gave an answer that cannot be read."), status=502, code="ai_malformed")


def _result_of(response: Any) -> AIResult:
    try:
        text = response.choices[0].message.content
        usage = getattr(response, "usage", None)
        tokens_in = int(getattr(usage, "prompt_tokens", 0) or 0) if usage else 0
        tokens_out = int(getattr(usage, "completion_tokens", 0) or 0) if usage else 0
    except Exception as exc:  # any shape but the expected one
        raise _malformed() from exc
    if not isinstance(text, str) or not text.strip():
        raise _malformed()
    return AIResult(text=text, tokens_in=tokens_in, tokens_out=tokens_out)


def _stream_text(call: _Call, client: Any, stream: Any) -> Iterator[str]:
    tokens_in = tokens_out = 0
    got = False
    try:
        for chunk in stream:
            usage = getattr(chunk, "usage", None)
            if usage:
                tokens_in = int(getattr(usage, "prompt_tokens", 0) or 0)
                tokens_out = int(getattr(usage, "completion_tokens", 0) or 0)
            choices = getattr(chunk, "choices", None) or []
            if not choices:
                continue  # Azure's first chunk (content filter results) or the usage chunk
            delta = getattr(choices[0], "delta", None)
            text = getattr(delta, "content", None) if delta is not None else None
            if isinstance(text, str) and text:
                got = True
                yield text
        if not got:
            raise _malformed()
    except AIError as exc:
        call.finish(error=exc)
        raise
    except GeneratorExit:
        # The reader went away (the agent left the room): logged as cancelled, if the
        # database can be reached from wherever the generator is being closed.
        try:
            call.finish(
                tokens_in=tokens_in,
                tokens_out=tokens_out,
                error=AIError("cancelled", status=499, code="ai_cancelled"),
            )
        except Exception:
            logger.warning("ai call purpose=%s cancelled (not logged)", call.purpose)
        raise
    except Exception as exc:
        error = _timeout() if "timeout" in type(exc).__name__.lower() else _malformed()
        call.finish(error=error)
        raise error from exc
    finally:
        client.close()
    call.finish(tokens_in=tokens_in, tokens_out=tokens_out)
