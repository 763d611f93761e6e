from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path

from contactcenter.consumers import StaffConsumer, VisitorConsumer


class _ByPath:
    """Staff sockets check the origin; the visitor socket works from any site."""

    def __init__(self) -> None:
        self.staff = AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter([path("ws/staff/", StaffConsumer.as_asgi())]))
        )
        self.visitor = URLRouter([path("ws/visitor/", VisitorConsumer.as_asgi())])

    async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
        app = self.staff if scope["path"].startswith("/ws/staff/") else self.visitor
        return await app(scope, receive, send)


websocket_application = _ByPath()
