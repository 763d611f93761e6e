"""The enquiry overview (SPEC 5)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.db.models import Count

from contactcenter.org import clock
from contactcenter.org.errors import NotAuthorized
from contactcenter.org.models import Staff
from contactcenter.org.services import org_settings_get
from enquiries.models import Enquiry, EnquiryEvent
from enquiries.selectors import enquiries_data, enquiry_base


def _start_of_day(now: dt.datetime, actor: Staff) -> dt.datetime:
    """Midnight of "today" in the business's time zone (the work hours' zone), or else in
    the admin's own time zone: a team in Hong Kong does not want its day to start at 08:00."""
    work_hours = org_settings_get().work_hours
    name = (work_hours or {}).get("timezone") or actor.time_zone or "UTC"
    try:
        zone = zoneinfo.ZoneInfo(str(name))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    local = now.astimezone(zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def overview(actor: Staff) -> dict[str, Any]:
    if not actor.is_admin:
        raise NotAuthorized("Only admins can see the enquiry overview.")
    now = clock.now()
    start_of_day = _start_of_day(now, actor)
    open_ = list(enquiry_base().filter(status=Enquiry.Status.OPEN).order_by("created_at", "id"))
    handling = list(enquiry_base().filter(status=Enquiry.Status.HANDLING).order_by("picked_up_at", "id"))

    open_data = enquiries_data(open_)
    for e, data in zip(open_, open_data, strict=True):
        data["waited_seconds"] = max(0, int((now - e.created_at) / dt.timedelta(seconds=1)))

    # Enquiries, not events: one reopened and resolved again counts once.
    today = dict(
        EnquiryEvent.objects.filter(created_at__gte=start_of_day, type__in=["missed", "resolved", "opened"])
        .order_by()
        .values_list("type")
        .annotate(n=Count("enquiry", distinct=True))
    )
    return {
        "open": open_data,
        "handling": enquiries_data(handling),
        "today": {
            "opened": today.get("opened", 0),
            "open": len(open_),
            "handling": len(handling),
            "missed": today.get("missed", 0),
            "resolved": today.get("resolved", 0),
        },
        "generated_at": now.isoformat(),
    }
