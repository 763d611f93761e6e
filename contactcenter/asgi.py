"""ASGI entry point: HTTP through Django; websockets through Channels (SPEC section 8)."""

import gc
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contactcenter.settings")

import django  # noqa: E402
from asgiref.sync import ThreadSensitiveContext, sync_to_async  # noqa: E402
from channels.routing import ProtocolTypeRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.handlers.asgi import ASGIHandler  # noqa: E402
from django.db import connections  # noqa: E402


def _close_request_connections() -> None:
    for conn in connections.all(initialized_only=True):
        conn.close()


class _KeptThreads:
    """Single-thread executors that ran an HTTP request, kept (at most ``keep``, the most
    recently used first) for the next ones: each keeps its thread and its database
    connection, as a WSGI server's worker threads do, and Django's request signals close a
    connection past CONN_MAX_AGE or broken by an error. A request then starts no thread and
    opens no connection (a PostgreSQL connection is a new server process with cold catalog
    caches: bench/RESULTS.md, "Session 12 (rtopen)"). Used from the event loop only."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self.idle: list[ThreadPoolExecutor] = []

    def take(self) -> ThreadPoolExecutor:
        if self.idle:
            return self.idle.pop()
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="http-request")

    def give(self, executor: ThreadPoolExecutor) -> None:
        if len(self.idle) < self.keep:
            self.idle.append(executor)
            return
        # One too many (a burst of concurrent requests): its thread closes its connection,
        # then ends; nothing waits for it.
        executor.submit(_close_request_connections)
        executor.shutdown(wait=False)

    def warm_up(self, function: Callable[[], None]) -> None:
        """Start the kept threads now, each running ``function`` (its connection opened and
        warmed: contactcenter.warmup) before its first request, which otherwise waits
        behind it. Does not wait."""
        for _ in range(self.keep - len(self.idle)):
            executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="http-request")
            executor.submit(function)
            self.idle.append(executor)

    def close(self) -> None:
        """Close the kept threads' connections and end them (tests, before the test
        database is dropped). Blocks until they have ended."""
        idle, self.idle = self.idle, []
        for executor in idle:
            executor.submit(_close_request_connections)
            executor.shutdown(wait=True)


class RequestConnectionsClosingHandler(ASGIHandler):
    """Django's ASGI handler runs each HTTP request's sync code in a thread of its own
    (asgiref's ThreadSensitiveContext). Here that thread is one of the kept ones
    (``_KeptThreads``, settings.CC_HTTP_THREADS_KEPT) and keeps its database connection.
    With none kept, a new thread runs each request and closes its connection as the request
    ends (left to itself it is closed only when the garbage collector frees the dead
    thread's objects, and connections piled up to PostgreSQL's max_connections under a run
    of analytics requests at CC_GC_GEN0_THRESHOLD=20000). (SQLite's in-memory databases
    ignore close().) The sockets' long-lived threads keep theirs (CONN_MAX_AGE)."""

    def __init__(self) -> None:
        super().__init__()
        self.threads = _KeptThreads(settings.CC_HTTP_THREADS_KEPT) if settings.CC_HTTP_THREADS_KEPT > 0 else None

    async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
        if self.threads is None or scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        executor = self.threads.take()
        try:
            # As ASGIHandler.__call__, in the kept thread (the caller owns the executor:
            # asgiref does not shut it down).
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            self.threads.give(executor)

    async def handle(self, scope, receive, send):  # type: ignore[no-untyped-def]
        try:
            await super().handle(scope, receive, send)
        finally:
            if self.threads is None:
                await sync_to_async(_close_request_connections, thread_sensitive=True)()


django.setup(set_prefix=False)
django_asgi_app = RequestConnectionsClosingHandler()

from contactcenter import warmup  # noqa: E402

# A fresh process's first requests as fast as the next ones (contactcenter/warmup.py): the
# URL conf, translations and hot statements now; the kept threads' connections meanwhile.
warmup.process_warm_up()
if django_asgi_app.threads is not None:
    django_asgi_app.threads.warm_up(warmup.thread_warm_up)

from contactcenter.gateway.consumers import socket_threads_warm_up  # noqa: E402
from contactcenter.gateway.routing import websocket_application  # noqa: E402
from contactcenter.org.background import start_ticker  # noqa: E402

if django_asgi_app.threads is not None:
    # The sockets' database threads and the socket writer too (no kept threads, as in the
    # tests: none of these connections is opened before it is needed).
    socket_threads_warm_up(warmup.thread_warm_up)

# Deadlines: the embedded ticker, or in production the web ticker that sweeps while this
# process holds the timers' advisory lock (contactcenter/org/background.py).
start_ticker()

application = ProtocolTypeRouter({"http": django_asgi_app, "websocket": websocket_application})

# Everything loaded so far (Django, the apps, the URL conf) lives as long as the process:
# keep it out of the cyclic garbage collector's full passes, which otherwise walk it all
# and pause the event loop (the latency tail in bench/RESULTS.md).
gc.freeze()
if settings.CC_GC_GEN0_THRESHOLD > 0:
    # Fewer young-generation passes (each walks the objects allocated since the last one).
    _gen0, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(settings.CC_GC_GEN0_THRESHOLD, gen1, gen2)
