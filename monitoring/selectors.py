"""The enquiry overview (SPEC 5)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count

from contactcenter import clock
from contactcenter.errors import NotAuthorized
from contactcenter.models import Staff
from enquiries.models import Enquiry, EnquiryEvent
from enquiries.selectors import enquiry_base, enquiry_data


def overview(actor: Staff) -> dict[str, Any]:
    if not actor.is_admin:
        raise NotAuthorized("Only admins can see the enquiry overview.")
    now = clock.now()
    start_of_day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    open_ = list(enquiry_base().filter(status=Enquiry.Status.OPEN).order_by("created_at", "id"))
    handling = list(enquiry_base().filter(status=Enquiry.Status.HANDLING).order_by("picked_up_at", "id"))

    def with_wait(e: Enquiry) -> dict[str, Any]:
        data = enquiry_data(e)
        data["waited_seconds"] = max(0, int((now - e.created_at) / dt.timedelta(seconds=1)))
        return data

    # Enquiries, not events: one reopened and resolved again counts once.
    today = dict(
        EnquiryEvent.objects.filter(created_at__gte=start_of_day, type__in=["missed", "resolved", "opened"])
        .order_by()
        .values_list("type")
        .annotate(n=Count("enquiry", distinct=True))
    )
    return {
        "open": [with_wait(e) for e in open_],
        "handling": [enquiry_data(e) for e in handling],
        "today": {
            "opened": today.get("opened", 0),
            "open": len(open_),
            "handling": len(handling),
            "missed": today.get("missed", 0),
            "resolved": today.get("resolved", 0),
        },
        "generated_at": now.isoformat(),
    }
