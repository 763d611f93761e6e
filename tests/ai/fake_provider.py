"""A local fake AI provider on 127.0.0.1 that speaks both shapes the client uses: Azure
OpenAI (``/openai/deployments/{deployment}/chat/completions?api-version=...`` with an
``api-key`` header) and OpenAI-compatible (``/v1/chat/completions`` with ``Authorization:
Bearer``). Tests script its answers one by one and read back every request it got."""

from __future__ import annotations

import dataclasses
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclasses.dataclass
class Answer:
    """One scripted answer: a completion ``text`` (streamed in ``chunks`` when the request
    asks to stream), or an error ``status`` with ``body``; ``hang`` never answers (until the
    server stops), ``raw`` is sent as the body as it is (a malformed answer)."""

    text: str = "OK"
    status: int = 200
    body: Any = None
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    hang: bool = False
    raw: bytes | None = None
    chunks: list[str] | None = None
    tokens: tuple[int, int] = (11, 7)
    gate: threading.Event | None = None  # answers only once the test sets it
    hold: threading.Event | None = None  # a stream stops after its first piece until the test sets it


@dataclasses.dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: dict[str, Any]


class FakeProvider:
    def __init__(self) -> None:
        self.answers: list[Answer] = []
        self.requests: list[Seen] = []
        self.default = Answer()
        self._release = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {"_raw": raw.decode("utf-8", "replace")}
                fake.requests.append(
                    Seen(
                        "POST", parts.path, parse_qs(parts.query), {k.lower(): v for k, v in self.headers.items()}, body
                    )
                )
                answer = fake.answers.pop(0) if fake.answers else fake.default
                if answer.hang:
                    fake._release.wait(30)
                    return
                if answer.gate is not None:
                    answer.gate.wait(30)
                if answer.status != 200 or answer.raw is not None:
                    payload = (
                        answer.raw
                        if answer.raw is not None
                        else json.dumps(answer.body or {"error": {"message": "x"}}).encode()
                    )
                    self.send_response(answer.status)
                    self.send_header("Content-Type", "application/json")
                    for k, v in answer.headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                if body.get("stream"):
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.end_headers()
                    for i, piece in enumerate(answer.chunks or [answer.text]):
                        if i == 1 and answer.hold is not None:
                            answer.hold.wait(30)
                        chunk = {
                            "id": "c1",
                            "object": "chat.completion.chunk",
                            "created": 1,
                            "model": body.get("model", "m"),
                            "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
                        }
                        self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                        self.wfile.flush()
                    self.wfile.write(b"data: [DONE]\n\n")
                    self.wfile.flush()
                    return
                payload = json.dumps(
                    {
                        "id": "r1",
                        "object": "chat.completion",
                        "created": 1,
                        "model": body.get("model", "m"),
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": answer.text},
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": {
                            "prompt_tokens": answer.tokens[0],
                            "completion_tokens": answer.tokens[1],
                            "total_tokens": sum(answer.tokens),
                        },
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def script(self, *answers: Answer) -> None:
        self.answers.extend(answers)

    def stop(self) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()
