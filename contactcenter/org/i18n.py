"""Languages and time zones of the staff (README "Languages").

A staff member's ``language`` is one of settings.LANGUAGES, or empty for the browser's
(Accept-Language, read by Django's LocaleMiddleware); their ``time_zone`` is an IANA name,
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
    """The languages the dashboard is translated into (settings.LANGUAGES), e.g. "zh-hans"."""
    return [code for code, _name in settings.LANGUAGES]


def is_language(code: str) -> bool:
    return code in language_codes()


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
    if staff.language and is_language(staff.language):
        return staff.language
    for code, _quality in parse_accept_lang_header(accept_language[:500]):
        if code == "*":
            break
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


class StaffLanguageMiddleware:
    """A signed-in staff member who chose a language gets it whatever the browser asks for
    (after LocaleMiddleware, which set the browser's, and the authentication middlewares).
    API clients signing in with a token get the browser's (Accept-Language)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        language = user.language if isinstance(user, Staff) else ""
        if language and is_language(language):
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
