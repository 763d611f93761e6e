"""Authentication of staff (session or token). Visitors authenticate with signed tokens:
enquiries.auth."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string
from django.utils.translation import gettext
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from contactcenter.org import services
from contactcenter.org.models import Staff

SESSION_EPOCH_KEY = "cc_epoch"
# Set by the dashboard on requests no person made (timers, refreshes, reloads after a socket
# event): they do not count as activity, so a dashboard left open still idles out.
BACKGROUND_HEADER = "X-CC-Background"


def is_background(request: HttpRequest) -> bool:
    """Whether the client says no person made this request (``BACKGROUND_HEADER: 1``)."""
    return request.headers.get(BACKGROUND_HEADER) == "1"


def session_is_current(session: Any, staff: Staff) -> bool:
    """A browser session is current while it belongs to the staff member's live session
    (same epoch: no later login, logout, deactivation or password change; not idle)."""
    return session.get(SESSION_EPOCH_KEY) == str(staff.auth_epoch) and services.session_is_live(staff)


class SingleSessionMiddleware:
    """Ends a browser session once the staff member's session has ended (logged in
    elsewhere, logged out, idle, deactivated, password changed); renews a live one on a
    person's request (not on a background one: ``is_background``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if isinstance(user, Staff):
            if session_is_current(request.session, user):
                if not is_background(request):
                    services.staff_session_touch(staff=user)
            else:
                if request.session.get(SESSION_EPOCH_KEY) == str(user.auth_epoch):
                    # Idled out before the sweep came by: end it as the sweep would.
                    services.staff_session_expire_if_due(staff_id=user.pk)
                logout(request)
        return self.get_response(request)


class StaffTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[Staff, str] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(gettext("Invalid token header."))
        key = header[1].decode(errors="replace")
        staff = services.token_authenticate(key, touch=not is_background(request))
        if staff is None:
            raise exceptions.AuthenticationFailed(gettext("Invalid or expired token. Log in again."))
        return staff, key

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class StaffSessionAuthentication(authentication.SessionAuthentication):
    def authenticate(self, request: Request) -> tuple[Staff, None] | None:
        result = super().authenticate(request)
        if result is None or not isinstance(result[0], Staff):
            return None
        return result[0], None


class VisitorAuthentication(authentication.BaseAuthentication):
    """The visitor sign-in of endpoints that serve staff and visitors alike (rooms' messages
    and files). The class that does it belongs to the app that owns visitors; the project
    names it (``settings.CC_VISITOR_AUTHENTICATION``: ``enquiries.auth.VisitorAuthentication``),
    so that apps below enquiries need not import it. A visitor is then the request's user
    that is not Staff (``contactcenter.org.permissions.IsStaffOrVisitor``)."""

    def __init__(self) -> None:
        self._inner = import_string(settings.CC_VISITOR_AUTHENTICATION)()

    def authenticate(self, request: Request) -> Any:
        return self._inner.authenticate(request)

    def authenticate_header(self, request: Request) -> Any:
        return self._inner.authenticate_header(request)
