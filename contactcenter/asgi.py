"""ASGI entry point: HTTP through Django; websockets through Channels (SPEC section 8)."""

import gc
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contactcenter.settings")

from channels.routing import ProtocolTypeRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

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
