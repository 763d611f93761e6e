"""A day of a contact center driven through the real services at known times, whose every
analytics figure is computed by hand in the tests (tests/analytics/test_facts.py,
test_summary_api.py). Business time zone: Asia/Hong_Kong (UTC+8, no DST); the local day
2026-03-04 runs from 2026-03-03 16:00 to 2026-03-04 16:00 UTC.

UTC times (local = +8 h):
- 01:00 alice and bob (agents of Support, active) are created.
- E1 02:00 opened (customer message 1); alice picks it up 02:00:30 (wait 30); replies
  02:00:50 (first response 50); customer 02:01; tags [Refund] (a child of Billing);
  resolved 02:05; customer writes 02:06 (reopened); alice replies 02:07; resolved again
  02:10 (handle 570, from pick-up to the last resolve); closed 02:11:40; rated 5 with a
  comment. Customer 3, staff 2.
- E2 02:02 opened; alice picks it up 02:02:10 (wait 10; alice now handles two at once);
  replies 02:02:30 (first response 30); transfers to bob, who accepts 02:03:40; bob
  replies 02:04; tags [Billing]; bob resolves 02:06:30 (handle 260); rated 3; auto-closed
  by the 05:01:01 sweep. Owner bob.
  Customer 1, staff 2.
- E3 04:00 opened; alice rejects 04:00:05, bob 04:00:20: missed, all_rejected.
- E4 05:00 opened; nobody picks it up: missed at 05:01:01 by the sweep, timeout.
- 06:00 alice and bob go away; E5 06:00 opened: missed, nobody_available; alice active
  06:10, bob active 06:20.
- Work hours set (Hong Kong, Wed and Thu 00:00-23:00).
- E6 15:30 (23:30 local Wednesday, after hours): missed, out_of_hours; day 2026-03-04.
- E7 16:30 (00:30 local Thursday 2026-03-05, still 2026-03-04 in UTC): alice picks it up
  16:30:40 (wait 40), no reply yet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from contactcenter.org import services as org_services
from contactcenter.org.models import Staff, Tag
from enquiries import conversation_tags
from enquiries import services as enquiry_services
from enquiries.models import ConversationTag, Enquiry, Visitor
from rooms import services as room_services

UTC = dt.UTC
ZONE = "Asia/Hong_Kong"


def at(hour: int, minute: int = 0, second: int = 0, day: int = 4) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, second, tzinfo=UTC)


@dataclass
class Day:
    admin: Staff
    alice: Staff
    bob: Staff
    support: Tag
    billing: ConversationTag
    refund: ConversationTag
    e1: Enquiry
    e2: Enquiry
    e3: Enquiry
    e4: Enquiry
    e5: Enquiry
    e6: Enquiry
    e7: Enquiry


def _say(enquiry: Enquiry, *, visitor: Visitor | None = None, staff: Staff | None = None, text: str = "Hi") -> None:
    room_services.message_post(room_id=enquiry.room.pk, text=text, visitor=visitor, staff=staff)


def build_day(*, clock: Any, admin: Staff, make_staff: Any, make_tag: Any, make_channel: Any, make_visitor: Any) -> Day:
    clock.set(at(1))
    support = make_tag("Support")
    alice = make_staff(tags=[support], name="Alice")
    bob = make_staff(tags=[support], name="Bob")
    channel = make_channel(tag=support)
    billing = conversation_tags.conversation_tag_create(actor=admin, name="Billing")
    refund = conversation_tags.conversation_tag_create(actor=admin, name="Refund", parent_id=billing.pk)

    def open_at(when: dt.datetime) -> tuple[Enquiry, Visitor]:
        clock.set(when)
        visitor = make_visitor(channel)
        enquiry = enquiry_services.enquiry_open(channel=channel, visitor=visitor, message="Hello?")
        return enquiry, visitor

    e1, v1 = open_at(at(2))
    clock.set(at(2, 0, 30))
    enquiry_services.enquiry_pick_up(actor=alice, enquiry_id=e1.pk)
    clock.set(at(2, 0, 50))
    _say(e1, staff=alice)
    clock.set(at(2, 1))
    _say(e1, visitor=v1)
    clock.set(at(2, 1, 30))
    conversation_tags.enquiry_classify(actor=alice, enquiry_id=e1.pk, tag_ids=[refund.pk])

    e2, v2 = open_at(at(2, 2))
    clock.set(at(2, 2, 10))
    enquiry_services.enquiry_pick_up(actor=alice, enquiry_id=e2.pk)
    clock.set(at(2, 2, 30))
    _say(e2, staff=alice)
    clock.set(at(2, 3))
    enquiry_services.enquiry_transfer(actor=alice, enquiry_id=e2.pk, to_staff=bob)
    clock.set(at(2, 3, 40))
    enquiry_services.enquiry_pick_up(actor=bob, enquiry_id=e2.pk)
    clock.set(at(2, 4))
    _say(e2, staff=bob)
    conversation_tags.enquiry_classify(actor=bob, enquiry_id=e2.pk, tag_ids=[billing.pk])

    clock.set(at(2, 5))
    enquiry_services.enquiry_resolve(actor=alice, enquiry_id=e1.pk)
    clock.set(at(2, 6))
    _say(e1, visitor=v1)  # reopens
    clock.set(at(2, 6, 30))
    enquiry_services.enquiry_resolve(actor=bob, enquiry_id=e2.pk)
    enquiry_services.enquiry_rate(visitor=v2, enquiry_id=e2.pk, score=3)
    clock.set(at(2, 7))
    _say(e1, staff=alice)
    clock.set(at(2, 10))
    enquiry_services.enquiry_resolve(actor=alice, enquiry_id=e1.pk)
    clock.set(at(2, 11, 40))
    enquiry_services.enquiry_close(actor=alice, enquiry_id=e1.pk)
    enquiry_services.enquiry_rate(visitor=v1, enquiry_id=e1.pk, score=5, comment="=1+1 great")

    e3, _v3 = open_at(at(4))
    clock.set(at(4, 0, 5))
    enquiry_services.enquiry_reject(actor=alice, enquiry_id=e3.pk)
    clock.set(at(4, 0, 20))
    enquiry_services.enquiry_reject(actor=bob, enquiry_id=e3.pk)

    e4, _v4 = open_at(at(5))
    clock.set(at(5, 1, 1))
    enquiry_services.timers_sweep()

    clock.set(at(6))
    org_services.staff_set_availability(actor=alice, staff=alice, availability=Staff.Availability.AWAY)
    org_services.staff_set_availability(actor=bob, staff=bob, availability=Staff.Availability.AWAY)
    e5, _v5 = open_at(at(6))
    clock.set(at(6, 10))
    org_services.staff_set_availability(actor=alice, staff=alice, availability=Staff.Availability.ACTIVE)
    clock.set(at(6, 20))
    org_services.staff_set_availability(actor=bob, staff=bob, availability=Staff.Availability.ACTIVE)

    org_services.org_settings_update(
        actor=admin,
        changes={"work_hours": {"timezone": ZONE, "days": {"wed": [["00:00", "23:00"]], "thu": [["00:00", "23:00"]]}}},
    )
    e6, _v6 = open_at(at(15, 30))
    e7, _v7 = open_at(at(16, 30))
    clock.set(at(16, 30, 40))
    enquiry_services.enquiry_pick_up(actor=alice, enquiry_id=e7.pk)
    for e in (e1, e2, e3, e4, e5, e6, e7):
        e.refresh_from_db()
    return Day(admin, alice, bob, support, billing, refund, e1, e2, e3, e4, e5, e6, e7)
