"""Reads of the notifications app: a staff member's list (keyset pages, newest first) and
one of their notifications."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from contactcenter.org.errors import InvalidInput, NotFound
from contactcenter.org.models import Staff
from notifications.models import Notification

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


def _positive_int(params: Any, name: str, default: int | None, *, maximum: int | None = None) -> int | None:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(str(raw))
    except ValueError:
        value = 0
    if value < 1 or (maximum is not None and value > maximum):
        if maximum is not None:
            message = _("A whole number from 1 to %(max)d.") % {"max": maximum}
        else:
            message = _("A positive whole number.")
        raise InvalidInput.field(name, message)
    return value


def notifications_query_parse(params: Any) -> dict[str, Any]:
    """``unread`` (1/true: unread only), ``before`` (an id: the page after it), ``limit``
    (1-MAX_LIMIT); InvalidInput names the bad field."""
    unread = str(params.get("unread", "")).lower()
    if unread not in ("", "0", "1", "true", "false"):
        raise InvalidInput.field("unread", _("1 or 0."))
    return {
        "unread": unread in ("1", "true"),
        "before": _positive_int(params, "before", None),
        "limit": _positive_int(params, "limit", DEFAULT_LIMIT, maximum=MAX_LIMIT),
    }


def notifications_page(
    staff: Staff, *, unread: bool = False, before: int | None = None, limit: int = DEFAULT_LIMIT
) -> tuple[list[Notification], int | None]:
    """The staff member's notifications, newest first, ``limit`` of them (ids below
    ``before``), and the ``before`` of the next page (None: this is the last). One query
    on the (staff, -id) index."""
    query = Notification.objects.filter(staff=staff)
    if unread:
        query = query.filter(read_at__isnull=True)
    if before is not None:
        query = query.filter(pk__lt=before)
    rows = list(query.order_by("-id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].pk if more and rows else None)


def unread_count(staff: Staff) -> int:
    return Notification.objects.filter(staff=staff, read_at__isnull=True).count()


def access_notification(staff: Staff, notification_id: int) -> Notification:
    """One of the staff member's own notifications; NotFound for anyone else's."""
    item = Notification.objects.filter(pk=notification_id, staff=staff).first()
    if item is None:
        raise NotFound(_("Notification not found."))
    return item
