"""A local webhook receiver on 127.0.0.1 that records each request and answers with
scripted status codes, and a registered hook pointing at it."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core.cache import cache

from contactcenter.org import background
from contactcenter.org.models import Staff
from integrations import webhooks
from integrations.models import Webhook


class Received:
    def __init__(self, path: str, headers: dict[str, str], body: bytes) -> None:
        self.path, self.headers, self.body = path, headers, body

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """Records every POST; answers the scripted statuses first, then ``default``."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.statuses: list[int] = []
        self.default = 200
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                outer.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                status = outer.statuses.pop(0) if outer.statuses else outer.default
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    settings.CC_WEBHOOKS_ALLOW_PRIVATE = True
    settings.CC_WEBHOOKS_TIMEOUT_SECONDS = 5
    settings.CC_WEBHOOKS_RETRY_BASE_SECONDS = 10
    settings.CC_WEBHOOKS_RETRY_MAX_SECONDS = 3600
    settings.CC_WEBHOOKS_MAX_ATTEMPTS = 4
    settings.CC_WEBHOOKS_DISABLE_AFTER = 50
    cache.clear()
    background.scheduled.clear()
    server = Receiver()
    yield server
    server.close()
    background.scheduled.clear()


@pytest.fixture
def make_hook(admin: Staff, receiver: Receiver) -> Callable[..., Webhook]:
    def make(events: list[str] | None = None, url: str | None = None, **kw: Any) -> Webhook:
        hook = webhooks.webhook_create(
            actor=admin, url=url or receiver.url, events=events or list(webhooks.EVENT_TYPES), **kw
        )
        webhooks.wanted_types_refresh()
        return hook

    return make
