"""Local stand-ins for the platforms' APIs (an HTTP server and an SMTP server on
127.0.0.1, started per test), the real webhook fixtures, and helpers to post them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import socketserver
import threading
from collections.abc import Callable, Iterator
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.test import Client

from channels_adapters import tasks
from channels_adapters.models import Channel, InboundEvent
from contactcenter.org.models import Staff, Tag

# shared/ lives beside the repository (here and in CI's fresh clone); a checkout elsewhere
# (a git worktree) names it with CC_WEBHOOK_FIXTURES.
FIXTURES = Path(
    os.environ.get("CC_WEBHOOK_FIXTURES") or Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "webhooks"
)

SIGNATURES = {
    "messenger": "sha256=7a9066b7eb518992b6a4255559b5ccfdd2cc3c6443c68eb24fc4bc1e2764cc09",
    "whatsapp": "sha256=7bce68e96659caf07a2fa90fd85072c199eb50d558bfc444c21c21dab058c481",
    "line": "SzKn+cVaQ4VhuajfaHQOzHaXosURkcFAj4AgqDyaGbo=",
    "wechat": "signature=31451de9bed5c9fb5dd251b7c8626b4f29dbac05&timestamp=1348831860&nonce=987654321",
}
FILES = {"messenger": "messenger.json", "whatsapp": "whatsapp.json", "line": "line.json", "wechat": "wechat.xml"}
CREDENTIALS: dict[str, dict[str, Any]] = {
    "messenger": {
        "page_id": "PAGE1",
        "app_secret": "test_app_secret",
        "verify_token": "verify-me",
        "page_access_token": "PAGE-TOKEN-123",
    },
    "whatsapp": {
        "phone_number_id": "106540352242922",
        "app_secret": "test_app_secret",
        "verify_token": "verify-me",
        "access_token": "WA-TOKEN-456",
    },
    "line": {"channel_secret": "channel_secret", "channel_access_token": "LINE-TOKEN-789"},
    "wechat": {"app_id": "wx1234567890", "app_secret": "wx-secret", "token": "test"},
}


def fixture_body(kind: str) -> bytes:
    with open(FIXTURES / FILES[kind], "rb") as f:
        return f.read()


def meta_signature(body: bytes, secret: str = "test_app_secret") -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def line_signature(body: bytes, secret: str = "channel_secret") -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


class Recorded:
    def __init__(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: bytes):
        self.method, self.path, self.query, self.headers, self.body = method, path, query, headers, body

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, tuple[str | None, str, bytes]]:
        """A multipart/form-data body: field name -> (file name, content type, bytes)."""
        head = f"Content-Type: {self.headers['content-type']}\r\n\r\n".encode()
        parsed = BytesParser(policy=policy.HTTP).parsebytes(head + self.body)
        fields: dict[str, tuple[str | None, str, bytes]] = {}
        for part in parsed.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            fields[str(name)] = (
                part.get_filename(),
                part.get_content_type(),
                payload if isinstance(payload, bytes) else b"",
            )
        return fields

    def __repr__(self) -> str:
        return f"<{self.method} {self.path}>"


Response = tuple[int, Any, dict[str, str]]
# Scripted "statuses" that answer nothing: DROP closes the connection at once (the request
# was read: a dropped answer); STALL keeps it open until the server closes (a timeout).
DROP, STALL = -1, -2


class FakePlatformServer:
    """Records every request; answers from scripted responses (first) or defaults."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.scripts: list[tuple[str, str, list[Response]]] = []
        self.routes: dict[tuple[str, str], Response] = {}
        self.released = threading.Event()  # ends every STALL
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                split = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                outer.requests.append(Recorded(self.command, split.path, parse_qs(split.query), headers, body))
                status, payload, extra = outer.answer(self.command, split.path)
                if status == STALL:
                    outer.released.wait(30)
                if status in (DROP, STALL):
                    self.close_connection = True
                    return
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                ctype = extra.get("Content-Type", "application/json")
                self.send_header("Content-Type", ctype)
                for k, v in extra.items():
                    if k != "Content-Type":
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _handle  # noqa: N815

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def script(self, method: str, prefix: str, *responses: Response) -> None:
        self.scripts.append((method, prefix, list(responses)))

    def route(self, method: str, path: str, response: Response) -> None:
        self.routes[(method, path)] = response

    def answer(self, method: str, path: str) -> Response:
        for m, prefix, queue in self.scripts:
            if m == method and path.startswith(prefix) and queue:
                return queue.pop(0)
        if (method, path) in self.routes:
            return self.routes[(method, path)]
        if method == "POST" and path.startswith("/graph/") and path.endswith("/messages"):
            return 200, {"recipient_id": "x", "message_id": "m_out_1", "messages": [{"id": "wamid.OUT1"}]}, {}
        if method == "POST" and path.startswith("/graph/") and path.endswith("/media"):
            return 200, {"id": "MEDIA-OUT-1"}, {}
        if method == "POST" and path == "/graph/me/message_attachments":
            return 200, {"attachment_id": "ATT-1"}, {}
        if path == "/wechat/cgi-bin/media/upload":
            return 200, {"type": "image", "media_id": "WX-MEDIA-1", "created_at": 1}, {}
        if path == "/line/v2/bot/message/push":
            return 200, {"sentMessages": [{"id": "line-out-1", "quoteToken": "q"}]}, {}
        if path == "/wechat/cgi-bin/token":
            return 200, {"access_token": "WX-ACCESS-1", "expires_in": 7200}, {}
        if path == "/wechat/cgi-bin/message/custom/send":
            return 200, {"errcode": 0, "errmsg": "ok"}, {}
        return 404, {"error": {"message": "Unknown path"}}, {}

    def calls(self, method: str, prefix: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path.startswith(prefix)]

    def close(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def platform_api(settings: Any) -> Iterator[FakePlatformServer]:
    server = FakePlatformServer()
    settings.CC_META_GRAPH_URL = server.base + "/graph"
    settings.CC_LINE_API_URL = server.base + "/line"
    settings.CC_LINE_DATA_API_URL = server.base + "/line-data"
    settings.CC_WECHAT_API_URL = server.base + "/wechat"
    settings.CC_PLATFORM_HTTP_TIMEOUT = 5
    yield server
    server.close()


@pytest.fixture(autouse=True)
def _platform_isolation(platform_api: FakePlatformServer, settings: Any) -> Iterator[None]:
    """Every test talks to the local server only, with a fresh token cache and task log."""
    settings.CC_OUTBOUND_RETRY_BASE_SECONDS = 2
    settings.CC_OUTBOUND_MAX_ATTEMPTS = 4
    cache.clear()
    tasks.scheduled.clear()
    yield
    tasks.scheduled.clear()


@pytest.fixture
def agent(make_staff: Callable[..., Staff], support: Tag) -> Staff:
    return make_staff(tags=[support], name="Alice Agent")


@pytest.fixture
def platform_channel(make_channel: Callable[..., Channel], support: Tag) -> Callable[..., Channel]:
    def make(kind: str, *, welcome: str = "Thanks for writing! An agent will be with you shortly.", **creds: Any):
        return make_channel(tag=support, kind=kind, welcome_message=welcome, credentials={**CREDENTIALS[kind], **creds})

    return make


def post_webhook(
    channel: Channel, body: bytes, *, signature: str | None = "auto", query: str = "", client: Client | None = None
) -> Any:
    """POST ``body`` to the channel's webhook with its signature (``"auto"``: the right one
    for the body; None: no signature)."""
    client = client or Client()
    kind = channel.kind
    url = f"/webhooks/{kind}/{channel.pk}/"
    headers: dict[str, str] = {}
    if kind in ("messenger", "whatsapp"):
        if signature is not None:
            headers["HTTP_X_HUB_SIGNATURE_256"] = meta_signature(body) if signature == "auto" else signature
        return client.post(url, data=body, content_type="application/json", **headers)  # type: ignore[arg-type]
    if kind == "line":
        if signature is not None:
            headers["HTTP_X_LINE_SIGNATURE"] = line_signature(body) if signature == "auto" else signature
        return client.post(url, data=body, content_type="application/json", **headers)  # type: ignore[arg-type]
    if signature == "auto":
        signature = wechat_query()
    qs = "&".join(x for x in (signature or "", query) if x)
    return client.post(f"{url}?{qs}" if qs else url, data=body, content_type="text/xml")


def wechat_query(*, token: str = "test", timestamp: int | None = None, nonce: str | None = None) -> str:
    """A fresh WeChat query signature: now (the webhook refuses old timestamps) and a new
    nonce (it refuses a nonce seen before)."""
    from channels_adapters.platforms.wechat import sha1_signature
    from contactcenter.org import clock

    ts = str(int(clock.now().timestamp()) if timestamp is None else timestamp)
    nonce = nonce or secrets.token_hex(8)
    return f"signature={sha1_signature(token, ts, nonce)}&timestamp={ts}&nonce={nonce}"


def process_pending() -> int:
    """Run the inbound task as the worker would, on every event not processed yet, then one
    try of each media download it queued."""
    from rooms.models import Message

    ids = list(InboundEvent.objects.filter(processed_at__isnull=True).order_by("id").values_list("id", flat=True))
    done = tasks.inbound_process(ids) if ids else 0
    for message_id in Message.objects.filter(data__media__state="loading").order_by("id").values_list("id", flat=True):
        tasks.inbound_media(message_id)
    return done


def send_fails_for_good(outbound: Any) -> None:
    """One try of ``outbound`` fails with no retry queued; ``outbound`` is then refreshed."""
    tasks.scheduled.clear()
    assert tasks.outbound_send(outbound.pk) == "failed"
    assert tasks.scheduled == []
    outbound.refresh_from_db()


# ------------------------------------------------------------------ SMTP


class FakeSMTPServer:
    """A small SMTP server (EHLO, MAIL, RCPT, DATA, RSET, QUIT) recording messages.
    ``rcpt_reply``: an answer to RCPT instead of 250 (e.g. "550 no such user")."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.rcpt_reply = ""
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                def say(line: str) -> None:
                    self.wfile.write((line + "\r\n").encode())

                say("220 localhost test SMTP")
                sender = ""
                rcpts: list[str] = []
                while True:
                    raw = self.rfile.readline()
                    if not raw:
                        return
                    line = raw.decode(errors="replace").rstrip("\r\n")
                    cmd = line[:4].upper()
                    if cmd in ("EHLO", "HELO"):
                        say("250-localhost")
                        say("250 8BITMIME")
                    elif cmd == "MAIL":
                        sender, rcpts = line[10:].strip(), []
                        say("250 OK")
                    elif cmd == "RCPT":
                        if outer.rcpt_reply:
                            say(outer.rcpt_reply)
                        else:
                            rcpts.append(line[8:].strip())
                            say("250 OK")
                    elif cmd == "DATA":
                        say("354 End data with <CR><LF>.<CR><LF>")
                        lines = []
                        while True:
                            data_line = self.rfile.readline()
                            if data_line in (b".\r\n", b".\n", b""):
                                break
                            if data_line.startswith(b".."):
                                data_line = data_line[1:]
                            lines.append(data_line)
                        outer.messages.append({"from": sender, "to": rcpts, "data": b"".join(lines)})
                        say("250 OK queued")
                    elif cmd == "RSET":
                        say("250 OK")
                    elif cmd == "QUIT":
                        say("221 Bye")
                        return
                    else:
                        say("502 Command not implemented")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def smtp_server() -> Iterator[FakeSMTPServer]:
    server = FakeSMTPServer()
    yield server
    server.close()
