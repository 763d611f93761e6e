"""ASGI entry point: HTTP through Django; websockets through Channels (SPEC section 8)."""

import gc
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contactcenter.settings")

import django  # noqa: E402
from asgiref.sync import sync_to_async  # noqa: E402
from channels.routing import ProtocolTypeRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.handlers.asgi import ASGIHandler  # noqa: E402
from django.db import connections  # noqa: E402


def _close_request_connections() -> None:
    for conn in connections.all(initialized_only=True):
        conn.close()


class RequestConnectionsClosingHandler(ASGIHandler):
    """Django's ASGI handler runs each HTTP request's sync code in a thread of its own
    (asgiref's ThreadSensitiveContext), so a request's database connection is never used
    again once it ends; left to itself it is closed only when the garbage collector frees
    the dead thread's objects, and connections piled up (up to PostgreSQL's
    max_connections under a run of analytics requests, at CC_GC_GEN0_THRESHOLD=20000).
    Closed here, in the request's thread, as the request ends. (SQLite's in-memory
    databases ignore close().) The sockets' long-lived threads keep theirs (CONN_MAX_AGE)."""

    async def handle(self, scope, receive, send):  # type: ignore[no-untyped-def]
        try:
            await super().handle(scope, receive, send)
        finally:
            await sync_to_async(_close_request_connections, thread_sensitive=True)()


django.setup(set_prefix=False)
django_asgi_app = RequestConnectionsClosingHandler()

from contactcenter.gateway.routing import websocket_application  # noqa: E402
from contactcenter.org.background import start_ticker  # noqa: E402

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
