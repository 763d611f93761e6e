from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path

from contactcenter.gateway.consumers import StaffConsumer, VisitorConsumer
from contactcenter.org import metrics


class _ByPath:
    """The browser's staff socket (session cookie) checks the Origin, against cross-site
    use of the cookie. A ticket socket (API clients, ``?ticket=``) carries its own one-time
    credential and uses no cookie, so it needs no Origin header. The visitor socket works
    from any site."""

    def __init__(self) -> None:
        self.staff = AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter([path("ws/staff/", StaffConsumer.as_asgi())]))
        )
        self.staff_ticket = URLRouter([path("ws/staff/", StaffConsumer.as_asgi())])
        self.visitor_consumer = VisitorConsumer.as_asgi()
        self.visitor = URLRouter([path("ws/visitor/", self.visitor_consumer)])

    async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["path"].startswith("/ws/staff/"):
            query = parse_qs(scope.get("query_string", b"").decode(errors="replace"), keep_blank_values=True)
            app = self.staff_ticket if "ticket" in query else self.staff
        elif scope["path"] == "/ws/visitor/" and not scope.get("root_path"):
            # URLRouter's match, without the scope copy and coroutine frame it keeps for the
            # socket's life (memory per idle socket: bench/RESULTS.md "Round 6"); the
            # consumer reads no url_route. Any other path goes through it (and is refused).
            return await metrics.socket_served("visitor", self.visitor_consumer, scope, receive, send)
        else:
            app = self.visitor
        kind = "visitor" if app is self.visitor else "staff"
        return await metrics.socket_served(kind, app, scope, receive, send)


websocket_application = _ByPath()
