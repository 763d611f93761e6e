"""Browser pages of the staff dashboard. Pages only: every piece of data is loaded by the
page's ES modules from the REST API and kept current over the staff websocket."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.timesince import timesince
from django.utils.translation import gettext
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_POST

from contactcenter.org.auth import session_is_current
from contactcenter.org.csp import csp_protected
from contactcenter.org.models import Staff

# Sections of the dashboard that only admins may open (agents get 403 here and from the API).
ADMIN_SECTIONS = ("overview", "staff", "tags", "channels", "settings")
STATIC_ROOT_DIR = Path(settings.BASE_DIR) / "static"


def _staff(request: HttpRequest) -> Staff | None:
    user = getattr(request, "user", None)
    if isinstance(user, Staff) and user.is_active and session_is_current(request.session, user):
        return user
    return None


def _to_login(request: HttpRequest) -> HttpResponse:
    return HttpResponseRedirect(f"{reverse('login')}?next={request.path}")


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return HttpResponseRedirect(reverse("dashboard") if _staff(request) else reverse("login"))


def session_end_message(reason: str) -> str:
    """Why the dashboard sent its user back to the login page (``?reason=``, the
    ``session.ended`` event's reason, or "ended" when only the server knows); "" for none."""
    if reason == "idle":
        now = timezone.now()
        idle = timesince(now - dt.timedelta(seconds=settings.CC_IDLE_TIMEOUT_SECONDS), now)
        return gettext("You were logged out after %(idle)s without activity. Log in again to continue.") % {
            "idle": idle
        }
    messages = {
        "signed_in_elsewhere": gettext(
            "You logged in on another device or browser, so the session here ended (one device at a time)."
        ),
        "logged_out": gettext("You logged out (perhaps in another tab)."),
        "deactivated": gettext("Your account was deactivated. Ask an admin if this is a mistake."),
        "password_changed": gettext("Your password was changed. Log in with the new one."),
        "ended": gettext("Your session ended. Log in again to continue."),
    }
    return messages.get(reason, "")


@require_GET
@csp_protected
@ensure_csrf_cookie
def login_page(request: HttpRequest) -> HttpResponse:
    next_url = request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}) or not next_url.startswith(
        "/app/"
    ):
        next_url = reverse("dashboard")
    if _staff(request):
        return HttpResponseRedirect(next_url)
    reason = session_end_message(request.GET.get("reason") or "")
    return render(request, "login.html", {"next_url": next_url, "reason": reason})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    # CSRF-protected POST: a link elsewhere cannot log a staff member out.
    logout(request)
    return HttpResponseRedirect(reverse("login"))


def _shell(request: HttpRequest, view: str, **extra: Any) -> HttpResponse:
    staff = _staff(request)
    if staff is None:
        return _to_login(request)
    if view.startswith("admin/") and not staff.is_admin:
        return render(request, "error.html", {"message": "Only admins can open this page."}, status=403)
    boot = {
        "view": view,
        "me": {"id": staff.pk, "name": staff.display_name, "role": staff.role, "is_admin": staff.is_admin},
        "edit_window_seconds": settings.CC_MESSAGE_EDIT_WINDOW_SECONDS,
        "max_upload_bytes": settings.CC_MAX_UPLOAD_BYTES,
        # The composers' limit: the same one the socket and REST apply.
        "message_max_chars": settings.CC_MESSAGE_MAX_CHARS,
        # The channel settings' custom information (admin pages), as the API checks it.
        "custom_info_max_chars": settings.CC_CUSTOM_INFO_MAX_CHARS,
        **extra,
    }
    context = {"boot": boot, "me": staff, "admin_sections": ADMIN_SECTIONS if staff.is_admin else ()}
    return render(request, "dashboard/app.html", context)


@require_GET
@csp_protected
@ensure_csrf_cookie
def dashboard(request: HttpRequest) -> HttpResponse:
    return _shell(request, "chats")


@require_GET
@csp_protected
@ensure_csrf_cookie
def room_page(request: HttpRequest, room_id: int) -> HttpResponse:
    return _shell(request, "room", room=room_id, monitor=request.GET.get("monitor") == "1")


@require_GET
@csp_protected
@ensure_csrf_cookie
def list_page(request: HttpRequest, section: str) -> HttpResponse:
    return _shell(request, section)


@require_GET
@csp_protected
@ensure_csrf_cookie
def admin_page(request: HttpRequest, section: str) -> HttpResponse:
    if section not in ADMIN_SECTIONS:
        raise Http404("Unknown page.")
    return _shell(request, f"admin/{section}")
