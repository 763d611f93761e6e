"""DRF permissions of staff. Visitors' permissions are enquiries.auth."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from django.utils.translation import gettext, gettext_lazy
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from contactcenter.org.errors import NotAuthorized
from contactcenter.org.models import Staff


class IsStaff(BasePermission):
    # Not translated: the dashboard's REST client recognises it ("log in") and goes to the
    # login page (static/js/dashboard/api.js); DRF gives no code with it.
    message = "Log in as staff to do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.user, Staff) and request.user.is_active


class IsAdmin(BasePermission):
    message = gettext_lazy("Only admins can do this.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.user, Staff) and request.user.is_active and request.user.is_admin


class IsAdminOrReadOnlyStaff(BasePermission):
    message = gettext_lazy("Only admins can do this.")

    def has_permission(self, request: Request, view: Any) -> bool:
        if not (isinstance(request.user, Staff) and request.user.is_active):
            return False
        return request.method in ("GET", "HEAD", "OPTIONS") or request.user.is_admin


def staff_of(request: Request) -> Staff:
    """The authenticated staff member of a request that passed IsStaff/IsAdmin."""
    user = request.user
    if not isinstance(user, Staff):
        raise NotAuthorized(gettext("Log in as staff to do this."), code="not_logged_in")
    return user


def _is_visitor(user: Any) -> bool:
    # Authenticated by the visitor authentication (contactcenter.org.auth.VisitorAuthentication):
    # a saved model instance that is not Staff (the Visitor model belongs to enquiries).
    return isinstance(user, Model) and not isinstance(user, Staff) and user.pk is not None


class IsStaffOrVisitor(BasePermission):
    message = gettext_lazy("Log in as staff or send a visitor token.")

    def has_permission(self, request: Request, view: Any) -> bool:
        return IsStaff().has_permission(request, view) or _is_visitor(request.user)


def principal_of(request: Request) -> Any:
    """Staff or the visitor, whichever authenticated the request."""
    user: Any = request.user
    return user if _is_visitor(user) else staff_of(request)
