"""Authentication of staff (session or token) and visitors (signed visitor token)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth import logout
from django.core import signing
from django.http import HttpRequest, HttpResponse
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from contactcenter import services
from contactcenter.models import Staff

SESSION_EPOCH_KEY = "cc_epoch"
_VISITOR_SALT = "contactcenter.visitor"


def session_is_current(session: Any, staff: Staff) -> bool:
    return bool(staff.is_active) and session.get(SESSION_EPOCH_KEY) == str(staff.auth_epoch)


class SingleSessionMiddleware:
    """Ends a browser session once the staff member has logged in elsewhere."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if isinstance(user, Staff) and not session_is_current(request.session, user):
            logout(request)
        return self.get_response(request)


class StaffTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[Staff, str] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Invalid token header.")
        key = header[1].decode(errors="replace")
        staff = services.token_authenticate(key)
        if staff is None:
            raise exceptions.AuthenticationFailed("Invalid or expired token. Log in again.")
        return staff, key

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class StaffSessionAuthentication(authentication.SessionAuthentication):
    def authenticate(self, request: Request) -> tuple[Staff, None] | None:
        result = super().authenticate(request)
        if result is None or not isinstance(result[0], Staff):
            return None
        return result[0], None


def visitor_token_for(visitor_id: int) -> str:
    return signing.dumps({"v": visitor_id}, salt=_VISITOR_SALT, compress=True)


def visitor_id_from_token(token: str) -> int | None:
    try:
        data = signing.loads(token, salt=_VISITOR_SALT)
    except signing.BadSignature:
        return None
    value = data.get("v") if isinstance(data, dict) else None
    return value if isinstance(value, int) else None


class VisitorAuthentication(authentication.BaseAuthentication):
    """``Authorization: Visitor <visitor_token>``: request.user becomes the Visitor."""

    keyword = "Visitor"

    def authenticate(self, request: Request) -> tuple[Any, str] | None:
        from enquiries.models import Visitor

        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Invalid visitor token header.")
        token = header[1].decode(errors="replace")
        visitor_id = visitor_id_from_token(token)
        visitor = Visitor.objects.filter(pk=visitor_id).first() if visitor_id else None
        if visitor is None:
            raise exceptions.AuthenticationFailed("Invalid visitor token.")
        return visitor, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword
