"""The widget's public directories (SPEC 6 "Tag Directory, Staff Directory"), and keeping the
visitors who look at them up to date.

Who the staff directory lists is the channel's choice (``Channel.directory_staff``); a
channel with none chosen lists every active staff member with a tag (what every channel
did before the choice existed, so existing channels keep working). The tag directory lists
the tags that have active members; a tag is available when one of them is ACTIVE.

When a staff member's availability changes (``contactcenter.org.services``' hook), the
visitors who can see it are told, on commit, with nothing but ``{staff_id, availability}``:
the visitor sockets of each channel whose directory (or web link destination) shows that
person (``widget_channel_group``) and the visitors whose enquiry that person owns. When it
flips a tag's availability, the channels with a tag directory get ``{tag_id, available}``.
Visitors without a socket (the home view before any conversation) poll the public config.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext

from channels_adapters.models import Channel
from contactcenter.org.errors import InvalidInput
from contactcenter.org.events import StaffAvailability, TagAvailability, visitor_group, widget_channel_group
from contactcenter.org.models import Staff, Tag
from contactcenter.org.realtime import send_event_on_commit
from enquiries.models import Enquiry

VISITOR_KINDS = (Channel.Kind.WIDGET, Channel.Kind.WEBLINK)
MAX_DIRECTORY_STAFF = 200


def directory_staff(channel: Channel) -> QuerySet[Staff]:
    """The staff the channel's staff directory lists (active only), by name."""
    chosen = channel.directory_staff.all()
    query = Staff.objects.filter(is_active=True)
    if chosen.exists():
        query = query.filter(pk__in=chosen.values("pk"))
    else:
        query = query.filter(tags__isnull=False).distinct()
    return query.order_by("display_name", "id")


def directory_tags(channel: Channel) -> list[dict[str, Any]]:
    """The tags of the tag directory (those with active members), each with whether one of
    its members is ACTIVE."""
    members = Staff.objects.filter(is_active=True).values_list("tags", "availability")
    serving: dict[int, bool] = {}
    for tag_id, availability in members:
        if tag_id is not None:
            serving[tag_id] = serving.get(tag_id, False) or availability == Staff.Availability.ACTIVE
    return [
        {"id": tag.pk, "name": tag.name, "available": serving[tag.pk]}
        for tag in Tag.objects.filter(pk__in=serving).order_by("name")
    ]


def directory_staff_clean(value: Any) -> list[int]:
    """The ``directory_staff`` setting: a list of active staff ids ([] = the default list)."""
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_DIRECTORY_STAFF:
        raise InvalidInput.field(
            "directory_staff",
            gettext("Give a list of at most %(n)d staff ids.") % {"n": MAX_DIRECTORY_STAFF},
        )
    if any(isinstance(v, bool) or not isinstance(v, int) for v in value):
        raise InvalidInput.field("directory_staff", gettext("Staff ids are whole numbers."))
    ids = list(dict.fromkeys(value))
    known = set(Staff.objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True))
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise InvalidInput.field(
            "directory_staff",
            gettext("Not an active staff member: %(ids)s.") % {"ids": ", ".join(str(i) for i in unknown)},
        )
    return ids


def channel_directory_set(channel: Channel, staff_ids: Sequence[int]) -> None:
    """Save the checked choice (``directory_staff_clean``). Caller is in the channel's
    transaction."""
    channel.directory_staff.set(staff_ids)


# ------------------------------------------------------------------ live availability


def _channels_showing(staff: Staff) -> list[int]:
    """Ids of the visitor channels whose directory or web link destination shows ``staff``."""
    visible = Channel.objects.filter(is_active=True, kind__in=VISITOR_KINDS)
    shown = Q(show_staff_directory=True, directory_staff=staff) | Q(destination__staff=staff)
    if staff.is_active and staff.tags.exists():  # on the default list
        shown |= Q(show_staff_directory=True, directory_staff__isnull=True)
    return sorted(set(visible.filter(shown).values_list("pk", flat=True)))


def _flipped_tags(staff: Staff, previous: str) -> list[tuple[int, bool]]:
    """The tags of ``staff`` whose availability this change flipped: those with no other
    ACTIVE member, when ``staff`` became or stopped being ACTIVE."""
    active = Staff.Availability.ACTIVE
    was, now = previous == active, staff.availability == active
    if was == now or not staff.is_active:
        return []
    tag_ids = list(staff.tags.values_list("pk", flat=True))
    covered = set(
        Staff.objects.filter(tags__in=tag_ids, is_active=True, availability=active)
        .exclude(pk=staff.pk)
        .values_list("tags", flat=True)
    )
    return [(tag_id, now) for tag_id in sorted(tag_ids) if tag_id not in covered]


def staff_availability_publish(*, staff: Staff, previous: str) -> None:
    """Hook of ``on_staff_availability_changed``: tell the visitors who see ``staff`` (its
    directories, its web link, the enquiries it owns), on commit. Caller holds the staff
    row lock."""
    event = StaffAvailability(staff_id=staff.pk, availability=staff.availability)
    channels = _channels_showing(staff)
    owned = Enquiry.objects.filter(
        owner_id=staff.pk, status__in=[Enquiry.Status.HANDLING, Enquiry.Status.RESOLVED], visitor__isnull=False
    ).values_list("visitor_id", flat=True)
    groups = [widget_channel_group(c) for c in channels] + [visitor_group(v) for v in set(owned)]
    send_event_on_commit(groups, event)
    flipped = _flipped_tags(staff, previous)
    if flipped:
        tag_channels = Channel.objects.filter(is_active=True, kind__in=VISITOR_KINDS, show_tag_directory=True)
        tag_groups = [widget_channel_group(c) for c in tag_channels.values_list("pk", flat=True)]
        for tag_id, available in flipped:
            send_event_on_commit(tag_groups, TagAvailability(tag_id=tag_id, available=available))
