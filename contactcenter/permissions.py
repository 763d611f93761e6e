from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from contactcenter.models import Staff


class IsStaff(BasePermission):
    message = "Log in as staff to do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.user, Staff) and request.user.is_active


class IsAdmin(BasePermission):
    message = "Only admins can do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.user, Staff) and request.user.is_active and request.user.is_admin


class IsAdminOrReadOnlyStaff(BasePermission):
    message = "Only admins can do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        if not (isinstance(request.user, Staff) and request.user.is_active):
            return False
        return request.method in ("GET", "HEAD", "OPTIONS") or request.user.is_admin


class IsVisitor(BasePermission):
    message = "A visitor token is required (Authorization: Visitor <token>)."

    def has_permission(self, request: Request, view: Any) -> bool:
        from enquiries.models import Visitor

        return isinstance(request.user, Visitor)


class IsStaffOrVisitor(BasePermission):
    message = "Log in as staff or send a visitor token."

    def has_permission(self, request: Request, view: Any) -> bool:
        return IsStaff().has_permission(request, view) or IsVisitor().has_permission(request, view)


def staff_of(request: Request) -> Staff:
    """The authenticated staff member of a request that passed IsStaff/IsAdmin."""
    user = request.user
    if not isinstance(user, Staff):
        from contactcenter.errors import NotAuthorized

        raise NotAuthorized("Log in as staff to do this.")
    return user


def visitor_of(request: Request) -> Any:
    """The Visitor of a request that passed IsVisitor."""
    from enquiries.models import Visitor

    user: Any = request.user
    if not isinstance(user, Visitor):
        from contactcenter.errors import NotAuthorized

        raise NotAuthorized("A visitor token is required.")
    return user


def principal_of(request: Request) -> Any:
    """Staff or Visitor, whichever authenticated the request."""
    from enquiries.models import Visitor

    user: Any = request.user
    return user if isinstance(user, Visitor) else staff_of(request)
