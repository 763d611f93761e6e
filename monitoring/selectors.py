"""The enquiry overview (SPEC 5): the live columns, today's figures and the hourly trend.
Today's figures come from the enquiries' own times (opened, missed, resolved, first
answered), which hold one value each: an enquiry is counted once whatever happened to it."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.db.models import Q

from contactcenter.org import clock
from contactcenter.org.errors import NotAuthorized
from contactcenter.org.models import Staff
from contactcenter.org.services import org_settings_get
from enquiries.models import Enquiry
from enquiries.selectors import enquiries_data, enquiry_base, first_response_seconds


def business_zone(actor: Staff) -> zoneinfo.ZoneInfo:
    """The business's time zone: that of its work hours, or else the admin's own (a team in
    Hong Kong does not want its day to start at 08:00 when it has set no work hours)."""
    work_hours = org_settings_get().work_hours
    name = (work_hours or {}).get("timezone") or actor.time_zone or "UTC"
    try:
        return zoneinfo.ZoneInfo(str(name))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _midnight(day: dt.date, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone)


def today_figures(actor: Staff, now: dt.datetime) -> dict[str, Any]:
    """Today's figures, "today" being the business's day (``business_zone``), each counting
    an enquiry once: opened today, missed today, resolved today (its latest resolve is
    today and it was not reopened since: a reopen clears ``resolved_at``), the mean first
    response of those first answered today (from the customer's first message), and the
    enquiries opened per hour today and on the same weekday last week. One query."""
    zone = business_zone(actor)
    local_today = now.astimezone(zone).date()
    start, end = _midnight(local_today, zone), _midnight(local_today + dt.timedelta(days=1), zone)
    # The same weekday last week, by the calendar (a day with a DST change has 23 or 25 hours).
    week_ago = local_today - dt.timedelta(days=7)
    week_start, week_end = _midnight(week_ago, zone), _midnight(week_ago + dt.timedelta(days=1), zone)
    rows = Enquiry.objects.filter(
        Q(created_at__gte=start)
        | Q(missed_at__gte=start)
        | Q(resolved_at__gte=start)
        | Q(first_response_at__gte=start)
        | Q(created_at__gte=week_start, created_at__lt=week_end)
    ).only("status", "created_at", "missed_at", "resolved_at", "first_response_at")
    opened = missed = resolved = 0
    waits: list[int] = []
    today_hours, week_hours = [0] * 24, [0] * 24
    for e in rows:
        if start <= e.created_at < end:
            opened += 1
            today_hours[e.created_at.astimezone(zone).hour] += 1
        elif week_start <= e.created_at < week_end:
            week_hours[e.created_at.astimezone(zone).hour] += 1
        if e.missed_at is not None and e.missed_at >= start:
            missed += 1
        if e.resolved_at is not None and e.resolved_at >= start and e.status in ("resolved", "closed"):
            resolved += 1
        if e.first_response_at is not None and e.first_response_at >= start:
            waits.append(first_response_seconds(e) or 0)
    return {
        "time_zone": str(zone.key),
        "opened": opened,
        "missed": missed,
        "resolved": resolved,
        "first_response_avg_seconds": round(sum(waits) / len(waits)) if waits else None,
        "trend": {
            "hour": now.astimezone(zone).hour,
            "today": today_hours,
            "last_week": week_hours,
            "last_week_date": week_ago.isoformat(),
        },
    }


def overview(actor: Staff) -> dict[str, Any]:
    if not actor.is_admin:
        raise NotAuthorized("Only admins can see the enquiry overview.")
    now = clock.now()
    open_ = list(enquiry_base().filter(status=Enquiry.Status.OPEN, robot_held=False).order_by("created_at", "id"))
    handling = list(enquiry_base().filter(status=Enquiry.Status.HANDLING).order_by("picked_up_at", "id"))

    open_data = enquiries_data(open_)
    for e, data in zip(open_, open_data, strict=True):
        data["waited_seconds"] = max(0, int((now - e.created_at) / dt.timedelta(seconds=1)))

    figures = today_figures(actor, now)
    trend = figures.pop("trend")
    return {
        "open": open_data,
        "handling": enquiries_data(handling),
        "today": {**figures, "open": len(open_), "handling": len(handling)},
        "trend": trend,
        "generated_at": now.isoformat(),
    }
