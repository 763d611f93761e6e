"""What every messaging platform adapter provides, and the pieces they share.

An adapter turns a signed webhook body into a list of :class:`Inbound` items (messages,
delivery statuses, follow/unfollow events), downloads media, fetches profiles and sends
staff replies. It never writes to the database: ``channels_adapters.inbound`` and
``channels_adapters.outbound`` do.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any

import httpx
from django.conf import settings
from django.http import HttpRequest, HttpResponse

from channels_adapters.models import Channel

# httpx logs each request's full URL at INFO, and WeChat puts the app secret and access
# token in the query string: keep those out of the logs.
logging.getLogger("httpx").setLevel(logging.WARNING)


class SendError(Exception):
    """A platform call failed. ``retryable``: a network error, a 5xx or a 429 (try again
    later); otherwise the platform refused the request (a 4xx) and retrying cannot help."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable


@dataclasses.dataclass
class Inbound:
    """One thing a platform told us: a customer's message, an event, or a delivery status.

    ``key`` is the provider's id used for dedupe (mid, wamid, webhookEventId, MsgId...).
    ``kind``: "message", "event" (follow, unfollow, subscribe...) or "status".
    """

    key: str
    kind: str
    identity: str
    timestamp: float = 0.0  # seconds since the epoch, as the platform stamped it
    text: str = ""
    data: dict[str, Any] = dataclasses.field(default_factory=dict)
    # Media to download through the platform's API: {"id" or "url", "name", "content_type"}.
    media: dict[str, Any] | None = None
    # Profile the payload carries: first_name, last_name, photo_url.
    profile: dict[str, str] = dataclasses.field(default_factory=dict)
    # Statuses: the state reached and the provider message ids it concerns (or a watermark).
    status: str = ""
    refs: list[str] = dataclasses.field(default_factory=list)
    watermark: float | None = None
    error: str = ""

    def payload(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Inbound:
        fields = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in payload.items() if k in fields})


NO_PUBLIC_URL = (
    "This file needs a public link the platform can fetch: set CC_PUBLIC_BASE_URL to the server's HTTPS address."
)


@dataclasses.dataclass
class OutFile:
    """A staff message's file, as the send APIs need it."""

    name: str
    content_type: str  # without parameters ("text/plain", not "text/plain; charset=utf-8")
    category: str  # image | video | voice | document (rooms.files)
    content: bytes
    # Time-limited public links (channels_adapters.media_links); "" when CC_PUBLIC_BASE_URL is unset.
    url: str = ""
    preview_url: str = ""
    duration_ms: int = 0  # of a voice message, when its content told (rooms.audio)

    def public_url(self) -> str:
        """The public link; raises SendError (not retryable) when there can be none."""
        if not self.url:
            raise SendError(NO_PUBLIC_URL, retryable=False)
        return self.url

    def upload(self, field: str) -> dict[str, tuple[str, bytes, str]]:
        """The multipart ``files`` argument of http_call."""
        return {field: (self.name, self.content, self.content_type)}


@dataclasses.dataclass(frozen=True)
class FileSent:
    """What :meth:`Platform.send_file` sent.

    ``caption_included`` is False when the platform's file message carries no caption
    (Messenger, WhatsApp audio, WeChat images and voice): the caption must then follow as
    a text. The adapter does not send it itself: ``outbound_attempt`` does, after it has
    recorded the file as sent, so that a retry after the caption failed sends only the
    caption and the customer never gets the file twice.
    """

    provider_id: str  # of the file's message ("" when the platform gives none, as WeChat)
    caption_included: bool


def link_text(caption: str, file: OutFile) -> str:
    """A text carrying the file's public link, for types a platform cannot send as media."""
    line = f"{file.name}: {file.public_url()}"
    return f"{caption}\n{line}" if caption else line


class Platform:
    """Base adapter. Subclasses fill in what their platform does."""

    kind: str = ""
    # How long after the customer's last message the platform still accepts replies.
    reply_window: dt.timedelta | None = None
    # What the webhook answers after a good POST.
    ok_body: bytes = b"ok"
    ok_content_type: str = "text/plain"

    def handshake(self, request: HttpRequest, channel: Channel) -> HttpResponse:
        """Answer a GET verification request (403 when it does not verify)."""
        return HttpResponse(status=405)

    def verify(self, request: HttpRequest, channel: Channel, body: bytes) -> bool:
        """Check the signature of a POST on the raw body (constant-time compare)."""
        raise NotImplementedError

    def replay_key(self, request: HttpRequest, channel: Channel) -> tuple[str, int] | None:
        """For a platform whose signature does not cover the body or carries a one-time
        value: a cache key that this verified request claims, and how long (seconds) to
        keep it; a second request with the same key is a replay. None: the platform's
        signature covers the body and its items are deduped by id (Meta, LINE)."""
        return None

    def parse(self, request: HttpRequest, channel: Channel, body: bytes) -> list[Inbound]:
        """The items of a verified body. Raises ValueError on a body that cannot be read."""
        raise NotImplementedError

    def download(self, channel: Channel, media: dict[str, Any]) -> tuple[bytes, str]:
        """The bytes and content type of an inbound media item."""
        raise NotImplementedError

    def profile(self, channel: Channel, identity: str) -> dict[str, str]:
        """first_name, last_name, photo_url from the platform's profile API ({} if none)."""
        return {}

    def check(self, channel: Channel) -> str:
        """Test the channel's credentials with one harmless API call; returns what answered
        (e.g. the account's name). Raises SendError with the platform's error."""
        raise SendError(f"{self.kind} has no connection test.", retryable=False)

    def send_text(self, channel: Channel, *, to: str, text: str, retry_key: str) -> str:
        """Send a text; returns the provider's message id. Raises SendError."""
        raise NotImplementedError

    def send_file(self, channel: Channel, *, to: str, text: str, file: OutFile, retry_key: str) -> FileSent:
        """Send a file, with its caption ``text`` only where it fits in the same API call; a
        caption that does not is left to the caller (see :class:`FileSent`). Raises
        SendError."""
        raise SendError(f"Files cannot be sent to {self.kind}.", retryable=False)


def http_call(
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    json: Any = None,
    content: bytes | None = None,
    data: dict[str, str] | None = None,
    files: dict[str, tuple[str, bytes, str]] | None = None,
    ok_statuses: tuple[int, ...] = (),
) -> httpx.Response:
    """One HTTP call to a platform API. Raises SendError: retryable on network errors, 5xx
    and 429; not retryable on other 4xx, with the platform's error text."""
    try:
        response = httpx.request(
            method,
            url,
            headers=headers,
            params=params,
            json=json,
            content=content,
            data=data,
            files=files,
            timeout=settings.CC_PLATFORM_HTTP_TIMEOUT,
            follow_redirects=True,
        )
    except httpx.HTTPError as exc:
        raise SendError(f"Network error: {exc.__class__.__name__}: {exc}", retryable=True) from exc
    if response.status_code < 400 or response.status_code in ok_statuses:
        return response
    detail = error_text(response)
    retryable = response.status_code >= 500 or response.status_code == 429
    raise SendError(f"HTTP {response.status_code}: {detail}", retryable=retryable)


def error_text(response: httpx.Response) -> str:
    """The platform's own error message, as short text."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:500]
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict):
            return str(err.get("message") or err)[:500]
        if "message" in body:
            return str(body["message"])[:500]
        if "errmsg" in body:
            return f"{body.get('errcode')}: {body.get('errmsg')}"[:500]
    return str(body)[:500]


def split_name(full: str) -> dict[str, str]:
    first, _, last = (full or "").strip().partition(" ")
    return {"first_name": first[:100], "last_name": last.strip()[:100]}
