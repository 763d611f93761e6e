"""Languages and time zones of the staff and the visitors (README "Languages").

A staff member's ``language`` is one of settings.CC_STAFF_LANGUAGES (the languages the whole
dashboard is translated into), or empty for the browser's (Accept-Language, read by
Django's LocaleMiddleware); their ``time_zone`` is an IANA name,
or empty for the business's (the work hours' time zone, else settings.TIME_ZONE). The
dashboard formats every date, time and duration in these (static/js/datetime.js).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header

from contactcenter.org.models import OrgSettings, Staff


def language_codes() -> list[str]:
    """Every language with a catalogue (settings.LANGUAGES), e.g. "zh-hans": the visitor's."""
    return [code for code, _name in settings.LANGUAGES]


def is_language(code: str) -> bool:
    return code in language_codes()


def staff_language_codes() -> list[str]:
    """The languages the dashboard is translated into (settings.CC_STAFF_LANGUAGES)."""
    return [code for code in settings.CC_STAFF_LANGUAGES if is_language(code)]


def is_staff_language(code: str) -> bool:
    return code in staff_language_codes()


def staff_languages() -> list[tuple[str, str]]:
    """(code, name) of the dashboard's languages, in settings.LANGUAGES order."""
    return [(code, name) for code, name in settings.LANGUAGES if is_staff_language(code)]


def best_language(accept_language: str, allowed: list[str], default: str | None = None) -> str:
    """The first language of an Accept-Language header (or a ?lang= value) that one of
    ``allowed`` serves ("ja-JP" -> "ja", "zh-TW" -> "zh-hant"), else ``default``
    (settings.LANGUAGE_CODE unless given)."""
    for code, _quality in parse_accept_lang_header(accept_language[:500]):
        if code == "*":
            break
        try:
            variant = translation.get_supported_language_variant(code)
        except LookupError:
            continue
        if variant in allowed:
            return variant
    return settings.LANGUAGE_CODE if default is None else default


def visitor_language(request: HttpRequest) -> str:
    """The language of a visitor's page or request: ``?lang=`` (the loader's data-lang; any
    of settings.LANGUAGES, "ja-JP" as well as "ja"), else the browser's Accept-Language (the
    widget's requests send its page's language there), else settings.LANGUAGE_CODE."""
    asked = best_language(request.GET.get("lang", "")[:35], language_codes(), default="")
    if asked:
        return asked
    return best_language(request.headers.get("Accept-Language", ""), language_codes())


# The visitor's pages and API: worded in the visitor's language, any of settings.LANGUAGES.
VISITOR_PATHS = ("/widget/", "/l/", "/api/v1/widget/")


def is_visitor_request(request: HttpRequest) -> bool:
    """A request of the visitor's widget or web link page (also their REST calls with a
    visitor token to the shared API)."""
    return request.path.startswith(VISITOR_PATHS) or request.headers.get("Authorization", "").startswith("Visitor ")


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_time_zone(name: str) -> bool:
    """An IANA time zone name this server knows ("Asia/Shanghai", "UTC"). Checked against
    the list rather than by loading it, so that a path such as "../x" is never opened."""
    return name in _zone_names()


def business_time_zone_of(org: OrgSettings | None) -> str:
    """The business's time zone: the work hours' one if set, else the server's (TIME_ZONE)."""
    name = str(((org.work_hours if org else None) or {}).get("timezone") or "")
    return name if is_time_zone(name) else settings.TIME_ZONE


def business_time_zone() -> str:
    return business_time_zone_of(OrgSettings.objects.filter(pk=1).first())


def staff_time_zone(staff: Staff, org: OrgSettings | None = None) -> str:
    """The time zone the staff member's dates and times are shown in (``org``: the settings
    row, if the caller has read it)."""
    if staff.time_zone and is_time_zone(staff.time_zone):
        return staff.time_zone
    return business_time_zone_of(org) if org is not None else business_time_zone()


def staff_language(staff: Staff, accept_language: str = "") -> str:
    """The language a staff member's answers are worded in where no request passed through
    LocaleMiddleware (their socket): their choice, else the browser's (Accept-Language of
    the socket's handshake), else settings.LANGUAGE_CODE."""
    if staff.language and is_staff_language(staff.language):
        return staff.language
    return best_language(accept_language, staff_language_codes())


class StaffLanguageMiddleware:
    """The language of a request (after LocaleMiddleware, which set the browser's, and the
    authentication middlewares). A visitor's request: ``visitor_language`` (any language). Any
    other: the signed-in staff member's choice whatever the browser asks for, else the
    browser's among the dashboard's languages (API clients with a token: the browser's)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_visitor_request(request):
            language = visitor_language(request)
        else:
            user = getattr(request, "user", None)
            accept = request.headers.get("Accept-Language", "")
            if isinstance(user, Staff):
                language = staff_language(user, accept)
            else:
                language = best_language(accept, staff_language_codes())
        if language != translation.get_language():
            translation.activate(language)
        request.LANGUAGE_CODE = language
        return self.get_response(request)
