"""Visitors as API callers: signed visitor tokens, their DRF authentication and
permissions, and the widget endpoints' rate limit. Staff authentication is contactcenter.org.auth."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from contactcenter.org import clock, ratelimit
from contactcenter.org.client_address import client_ident
from contactcenter.org.errors import NotAuthorized
from enquiries.models import Visitor

_VISITOR_SALT = "contactcenter.visitor"

# Visitor tokens: signed {"v": visitor id, "e": token epoch, "t": issued at (epoch seconds)}.
# They last CC_VISITOR_TOKEN_MAX_AGE_SECONDS from issue, are renewed while the visitor is
# active (a fresh one is handed out once a token is older than RENEW_AFTER of its life:
# the X-Visitor-Token response header on REST, a visitor.token_renewed frame on the
# socket), and all of a visitor's tokens are revoked at once by raising its token_epoch.
VISITOR_TOKEN_HEADER = "X-Visitor-Token"
VISITOR_TOKEN_RENEWED_ATTR = "cc_visitor_token_renewed"
VISITOR_TOKEN_RENEW_AFTER = 0.25


@dataclasses.dataclass(frozen=True)
class VisitorClaims:
    visitor_id: int
    epoch: int
    issued_at: float  # epoch seconds

    def expired(self, now: dt.datetime | None = None) -> bool:
        age = (now.timestamp() if now else clock.timestamp()) - self.issued_at
        return age >= settings.CC_VISITOR_TOKEN_MAX_AGE_SECONDS

    def renewal_due(self, now: dt.datetime | None = None) -> bool:
        age = (now.timestamp() if now else clock.timestamp()) - self.issued_at
        return age >= settings.CC_VISITOR_TOKEN_MAX_AGE_SECONDS * VISITOR_TOKEN_RENEW_AFTER


def visitor_token_for(visitor_id: int, epoch: int = 0) -> str:
    """A new token for the visitor; ``epoch`` is the visitor's current ``token_epoch``."""
    issued = int(clock.now().timestamp())
    return signing.dumps({"v": visitor_id, "e": epoch, "t": issued}, salt=_VISITOR_SALT, compress=True)


def visitor_token_claims(token: str) -> VisitorClaims | None:
    """What a token with a good signature says (expired or not), else None."""
    try:
        data = signing.loads(token, salt=_VISITOR_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    visitor_id, epoch, issued = data.get("v"), data.get("e", 0), data.get("t")
    if not isinstance(visitor_id, int) or not isinstance(epoch, int) or isinstance(epoch, bool):
        return None
    if not isinstance(issued, int | float) or isinstance(issued, bool):
        # Tokens from before lifetimes: the signer's own timestamp says when.
        try:
            issued = signing.b62_decode(token.rsplit(":", 2)[-2])
        except (IndexError, ValueError):
            return None
    return VisitorClaims(visitor_id=visitor_id, epoch=epoch, issued_at=float(issued))


def visitor_check(claims: VisitorClaims | None, visitor: Visitor | None) -> str | None:
    """Why a visitor token is refused (None: it is good). ``visitor`` is the Visitor row of
    ``claims.visitor_id``, or None if there is none."""
    if claims is None or visitor is None:
        return "Invalid visitor token."
    if claims.epoch != visitor.token_epoch:
        return "This visitor token was revoked. Start a new conversation."
    if claims.expired():
        return "This visitor token has expired. Start a new conversation."
    return None


class VisitorAuthentication(authentication.BaseAuthentication):
    """``Authorization: Visitor <visitor_token>``: request.user becomes the Visitor."""

    keyword = "Visitor"

    def authenticate(self, request: Request) -> tuple[Any, str] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Invalid visitor token header.")
        token = header[1].decode(errors="replace")
        claims = visitor_token_claims(token)
        visitor = Visitor.objects.filter(pk=claims.visitor_id).first() if claims else None
        refused = visitor_check(claims, visitor)
        if refused:
            raise exceptions.AuthenticationFailed(refused)
        assert claims is not None and visitor is not None
        if claims.renewal_due():
            # Handed out by VisitorTokenRenewalMiddleware as the X-Visitor-Token response header.
            setattr(request._request, VISITOR_TOKEN_RENEWED_ATTR, visitor_token_for(visitor.pk, visitor.token_epoch))
        return visitor, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class VisitorTokenRenewalMiddleware:
    """Hands out the fresh token VisitorAuthentication made for a request whose token was
    due for renewal, as the X-Visitor-Token response header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        renewed = getattr(request, VISITOR_TOKEN_RENEWED_ATTR, None)
        if renewed:
            response[VISITOR_TOKEN_HEADER] = renewed
        return response


class VisitorTokenScheme(OpenApiAuthenticationExtension):
    target_class = "contactcenter.org.auth.VisitorAuthentication"  # delegates to the class below
    name = "visitorToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'Signed visitor token from POST /api/v1/widget/enquiries, sent as "Visitor <token>".',
        }


class IsVisitor(BasePermission):
    message = "A visitor token is required (Authorization: Visitor <token>)."

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.user, Visitor)


def visitor_of(request: Request) -> Visitor:
    """The Visitor of a request that passed IsVisitor."""
    user: Any = request.user
    if not isinstance(user, Visitor):
        raise NotAuthorized("A visitor token is required.")
    return user


class WidgetThrottle(SimpleRateThrottle):
    """Rate limit of the widget's endpoints: per visitor when a visitor token is sent, else
    per client address. (AnonRateThrottle would ask a Visitor for ``is_authenticated``.)"""

    scope = "widget"

    def allow_request(self, request: Request, view: Any) -> bool:
        """DRF's sliding log, with the Redis cache kept in Redis and checked in one round
        trip (contactcenter.org.ratelimit.sliding_log_hit); DRF's own (two) otherwise."""
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        limit, period = self.num_requests, self.duration  # type: ignore[attr-defined] # set by DRF's __init__
        hit = ratelimit.sliding_log_hit(f"log-{self.key}", limit, period, self.now)
        if hit is None:
            return super().allow_request(request, view)
        allowed, count, oldest = hit
        if allowed:
            return True
        self.history = [oldest] * count  # what wait() reads: how many, and the oldest last
        return self.throttle_failure()

    def get_cache_key(self, request: Request, view: Any) -> str:
        user = request.user
        ident = f"visitor-{user.pk}" if isinstance(user, Visitor) else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def get_ident(self, request: Request) -> str:
        return client_ident(request)  # X-Forwarded-For only from declared proxies
