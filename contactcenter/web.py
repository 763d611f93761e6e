"""Browser pages of the staff dashboard. Pages only: every piece of data is loaded by the
page's ES modules from the REST API and kept current over the staff websocket."""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.timesince import timesince
from django.utils.translation import gettext
from django.views.decorators.cache import cache_page
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_POST
from django.views.i18n import JavaScriptCatalog

import contactcenter
from contactcenter.org import i18n
from contactcenter.org.auth import session_is_current
from contactcenter.org.csp import csp_protected
from contactcenter.org.models import OrgSettings, Staff

# Sections of the dashboard that only admins may open (agents get 403 here and from the API).
ADMIN_SECTIONS = ("overview", "staff", "tags", "conversation-tags", "channels", "settings", "ai", "robot", "webhooks")
STATIC_ROOT_DIR = Path(settings.BASE_DIR) / "static"


def _staff(request: HttpRequest) -> Staff | None:
    user = getattr(request, "user", None)
    if isinstance(user, Staff) and user.is_active and session_is_current(request.session, user):
        return user
    return None


def _to_login(request: HttpRequest) -> HttpResponse:
    return HttpResponseRedirect(f"{reverse('login')}?next={request.path}")


# ---------------------------------------------------------------- languages (README "Languages")


@cache
def _catalogue_version() -> str:
    """Changes with the compiled catalogues, so that browsers may keep a catalogue for long."""
    digest = hashlib.sha256()
    for root in settings.LOCALE_PATHS:
        for mo in sorted(Path(root).glob("*/LC_MESSAGES/*.mo")):
            digest.update(str(mo.relative_to(root)).encode())
            digest.update(mo.read_bytes())
    return digest.hexdigest()[:12]


def catalogue_url(language: str) -> str:
    return f"{reverse('js-catalogue', kwargs={'language': language})}?v={_catalogue_version()}"


def i18n_context(request: HttpRequest) -> dict[str, Any]:
    """Template context of every page: the JavaScript catalogue of the page's language (loaded
    by a classic <script> before the modules, so that static/js/i18n.js finds window.django)."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    if not i18n.is_language(language):
        language = settings.LANGUAGE_CODE
    return {"js_catalogue_url": catalogue_url(language)}


_javascript_catalogue = JavaScriptCatalog.as_view()


@require_GET
@cache_page(24 * 3600, key_prefix="jsi18n")
def js_catalogue(request: HttpRequest, language: str) -> HttpResponseBase:
    """Django's JavaScript catalogue (djangojs) of one language: a plain script defining
    window.django.gettext & co. (no eval: it passes the pages' script-src 'self'). Cached
    here and, for a day, by browsers (its URL changes with the catalogues)."""
    if not i18n.is_language(language):
        raise Http404("Unknown language.")
    with translation.override(language):
        return _javascript_catalogue(request)


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
        return render(request, "error.html", {"message": gettext("Only admins can open this page.")}, status=403)
    org = OrgSettings.objects.filter(pk=1).first()
    boot = {
        "view": view,
        "me": {"id": staff.pk, "name": staff.display_name, "role": staff.role, "is_admin": staff.is_admin},
        # Dates, times and durations (static/js/datetime.js): the page's language
        # and the staff member's time zone; the choices (language/time zone control).
        "locale": translation.get_language() or settings.LANGUAGE_CODE,
        "time_zone": i18n.staff_time_zone(staff, org),
        "business_time_zone": i18n.business_time_zone_of(org),
        "languages": [{"code": code, "name": name} for code, name in i18n.staff_languages()],
        "edit_window_seconds": settings.CC_MESSAGE_EDIT_WINDOW_SECONDS,
        "max_upload_bytes": settings.CC_MAX_UPLOAD_BYTES,
        # The composers' limit: the same one the socket and REST apply.
        "message_max_chars": settings.CC_MESSAGE_MAX_CHARS,
        # The channel settings' custom information (admin pages), as the API checks it.
        "custom_info_max_chars": settings.CC_CUSTOM_INFO_MAX_CHARS,
        **extra,
    }
    context = {
        "boot": boot,
        "me": staff,
        "admin_sections": ADMIN_SECTIONS if staff.is_admin else (),
        # The release, in the sidebar's footer (CHANGELOG.md).
        "cc_version": contactcenter.__version__,
    }
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
        raise Http404(gettext("Unknown page."))
    return _shell(request, f"admin/{section}")
