"""ASGI entry point: HTTP through Django; websockets through Channels (SPEC section 8)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contactcenter.settings")

from channels.routing import ProtocolTypeRouter  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from contactcenter.routing import websocket_application  # noqa: E402
from enquiries.timers import start_ticker  # noqa: E402

# Embedded default: deadlines are enforced by a ticker thread in this process.
start_ticker()

application = ProtocolTypeRouter({"http": django_asgi_app, "websocket": websocket_application})
