"""The daily rollups (analytics.rollups): every report they answer equals the facts' answer
(CC_ANALYTICS_ROLLUPS off), on the hand-computed day and on many random durations; they
follow events as they happen (marks, the sweep), a moved conversation tag, another time
zone, and ``manage.py analytics_rebuild``."""

from __future__ import annotations

import random
from typing import Any

import pytest
from django.core.management import call_command

from analytics.facts_models import EnquiryFact
from analytics.reports import GROUP_BYS
from analytics.rollups import rollups_sweep
from analytics.rollups_models import DailyRollup, RollupDay, RollupDirty
from contactcenter.org import services as org_services
from enquiries import conversation_tags
from tests.analytics.scenario import Day, at
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db

RANGES = (("2026-03-03", "2026-03-05"), ("2026-03-04", "2026-03-04"), ("2026-03-05", "2026-03-06"))


@pytest.fixture(autouse=True)
def rollups_on(settings: Any) -> None:
    """The rollups are kept and read (CC_ANALYTICS_ROLLUPS) from before the scenario on."""
    settings.CC_ANALYTICS_ROLLUPS = True


def _get(principal: Any, path: str, settings: Any, rollups: bool, **params: Any) -> dict[str, Any]:
    from analytics import reports

    with pytest.MonkeyPatch.context() as patch:
        if not rollups:  # the facts' answer: no range is read from the rollups
            patch.setattr(reports, "_rollup_days", lambda query: None)
        r = api_client_for(principal).get(path, params)
    assert r.status_code == 200, r.content
    return dict(r.json())


def both(principal: Any, settings: Any, path: str = "/api/v1/analytics/summary", **params: Any) -> tuple[Any, Any]:
    """(the rollups' answer, the facts' answer)."""
    return _get(principal, path, settings, True, **params), _get(principal, path, settings, False, **params)


def open_enquiry(day: Day, make_visitor: Any) -> Any:
    from enquiries import services as enquiry_services

    channel = day.e1.channel
    return enquiry_services.enquiry_open(channel=channel, visitor=make_visitor(channel), message="Hello?")


def assert_every_report_equal(day: Day, settings: Any) -> None:
    for start, end in RANGES:
        for group_by in GROUP_BYS:
            via_rollups, via_facts = both(day.admin, settings, **{"from": start, "to": end, "group_by": group_by})
            assert via_rollups == via_facts, (start, end, group_by)
        ranked = both(day.admin, settings, "/api/v1/analytics/agents", **{"from": start, "to": end})
        assert ranked[0] == ranked[1]


def test_every_report_equals_the_facts(day: Day, settings: Any) -> None:
    assert_every_report_equal(day, settings)
    # The rollups answered: every day of the ranges is built, with a row per dimension.
    built = set(RollupDay.objects.filter(zone="Asia/Hong_Kong").values_list("day", flat=True))
    assert {d.isoformat() for d in built} == {"2026-03-03", "2026-03-04", "2026-03-05", "2026-03-06"}
    dims = set(DailyRollup.objects.values_list("dim", flat=True))
    assert dims == {"all", "hour", "agent", "channel", "channel_kind", "tag", "conversation_tag"}
    tagged = DailyRollup.objects.get(dim="conversation_tag", key=str(day.billing.pk), day="2026-03-04")
    assert tagged.opened == 2  # E1 (Refund, a child) and E2 (Billing), each once


def test_percentiles_of_many_values_equal_the_facts(day: Day, settings: Any, clock: Any, make_visitor: Any) -> None:
    """Many enquiries with random durations to the millisecond (ties, halves at the
    rounding's edge): every percentile from the rollups equals the facts'."""
    rng = random.Random(15)
    clock.set(at(9))
    for _ in range(60):
        open_enquiry(day, make_visitor)
    for fact in EnquiryFact.objects.all():
        fact.wait_s = rng.choice([None, 12.35, 12.45, 0.25, round(rng.uniform(0, 90), 3)])
        fact.first_response_s = rng.choice([None, 30.05, round(rng.uniform(0, 300), 3)])
        fact.handle_s = rng.choice([None, 7.5, round(rng.uniform(0, 4000), 3)])
        fact.owner_id = rng.choice([None, day.alice.pk, day.bob.pk])
        fact.save()
    call_command("analytics_rebuild", verbosity=0)  # facts from the enquiries again: keep ours
    for fact in EnquiryFact.objects.all():
        fact.wait_s = rng.choice([None, 12.35, 12.45, 0.25, round(rng.uniform(0, 90), 3)])
        fact.first_response_s = rng.choice([None, 30.05, round(rng.uniform(0, 300), 3)])
        fact.handle_s = rng.choice([None, 7.5, round(rng.uniform(0, 4000), 3)])
        fact.save()
    RollupDay.objects.all().delete()  # built again on the next report
    assert_every_report_equal(day, settings)


def test_reports_follow_events_as_they_happen(day: Day, settings: Any, clock: Any, make_visitor: Any) -> None:
    from enquiries import services as enquiry_services

    params = {"from": "2026-03-04", "to": "2026-03-05"}
    before, _facts = both(day.admin, settings, **params)
    assert not RollupDirty.objects.exists()
    # A new enquiry, picked up; messages; tags; a rating: each marks its day.
    clock.set(at(17))
    enquiry = open_enquiry(day, make_visitor)
    assert RollupDirty.objects.exists()
    clock.set(at(17, 0, 25))
    enquiry_services.enquiry_pick_up(actor=day.bob, enquiry_id=enquiry.pk)
    conversation_tags.enquiry_classify(actor=day.bob, enquiry_id=enquiry.pk, tag_ids=[day.refund.pk])
    after, facts = both(day.admin, settings, **params)
    assert after == facts
    assert after["total"]["opened"] == before["total"]["opened"] + 1
    for group_by in ("hour", "agent", "conversation_tag"):
        assert (
            both(day.admin, settings, **params, group_by=group_by)[0]
            == both(day.admin, settings, **params, group_by=group_by)[1]
        )
    # A message on an older day's enquiry (E7, picked up, not answered): its day changes.
    from rooms import services as room_services

    clock.set(at(18))
    room_services.message_post(room_id=day.e7.room.pk, staff=day.alice, text="Hello", client_id="anperf-1")
    assert RollupDirty.objects.exists()
    after, facts = both(day.admin, settings, **params, group_by="agent")
    assert after == facts
    alice = next(r for r in after["rows"] if r["key"] == day.alice.pk)
    assert alice["messages_staff"] == 2 + 1  # E1's two and the new one on E7


def test_the_sweep_rebuilds_the_marked_days_only(day: Day, settings: Any, clock: Any) -> None:
    from rooms import services as room_services

    both(day.admin, settings, **{"from": "2026-03-01", "to": "2026-03-10"})
    assert RollupDay.objects.count() == 10 and not RollupDirty.objects.exists()
    untouched = DailyRollup.objects.get(dim="all", day="2026-03-04").pk
    clock.set(at(18))
    room_services.message_post(room_id=day.e7.room.pk, staff=day.alice, text="Hello", client_id="anperf-2")
    assert set(RollupDirty.objects.values_list("day", flat=True)) == {at(16).date()}
    # The UTC date 2026-03-04 touches the local days 2026-03-04 and 2026-03-05 (UTC+8).
    assert rollups_sweep() == 2
    assert not RollupDirty.objects.exists()
    assert DailyRollup.objects.get(dim="all", day="2026-03-04").pk != untouched
    assert rollups_sweep() == 0
    rows = both(day.admin, settings, **{"from": "2026-03-05", "to": "2026-03-05"})
    assert rows[0] == rows[1] and rows[0]["total"]["messages_staff"] == 1


def test_a_moved_or_deleted_conversation_tag_rebuilds_the_groups(day: Day, settings: Any) -> None:
    params = {"from": "2026-03-04", "to": "2026-03-04", "group_by": "conversation_tag"}
    assert both(day.admin, settings, **params)[0] == both(day.admin, settings, **params)[1]
    conversation_tags.conversation_tag_update(actor=day.admin, tag_id=day.refund.pk, parent_id=None)
    moved, facts = both(day.admin, settings, **params)
    assert moved == facts
    billing = next(r for r in moved["rows"] if r["key"] == day.billing.pk)
    assert billing["opened"] == 1  # E2 only: Refund is no longer Billing's child
    conversation_tags.conversation_tag_delete(actor=day.admin, tag_id=day.refund.pk)
    assert both(day.admin, settings, **params)[0] == both(day.admin, settings, **params)[1]


def test_another_time_zone_builds_its_own_days(day: Day, settings: Any) -> None:
    assert_every_report_equal(day, settings)
    org_services.org_settings_update(
        actor=day.admin, changes={"work_hours": {"timezone": "America/New_York", "days": {"wed": [["00:00", "23:00"]]}}}
    )
    assert_every_report_equal(day, settings)
    assert set(RollupDay.objects.values_list("zone", flat=True)) == {"Asia/Hong_Kong", "America/New_York"}


def test_the_rebuild_command_rebuilds_the_rollups(day: Day, settings: Any) -> None:
    assert_every_report_equal(day, settings)
    kept = sorted(DailyRollup.objects.values_list("zone", "day", "dim", "key", "opened", "wait_v"))
    DailyRollup.objects.filter(dim="agent").update(opened=99)
    call_command("analytics_rebuild", verbosity=0)
    assert sorted(DailyRollup.objects.values_list("zone", "day", "dim", "key", "opened", "wait_v")) == kept
    # Every day from the first fact to the last, in the business's time zone.
    assert sorted(d.isoformat() for d in RollupDay.objects.values_list("day", flat=True)) == [
        "2026-03-04",
        "2026-03-05",
    ]
    assert_every_report_equal(day, settings)


def test_off_by_default_nothing_is_marked_or_read(day: Day, settings: Any, clock: Any, make_visitor: Any) -> None:
    settings.CC_ANALYTICS_ROLLUPS = False
    RollupDirty.objects.all().delete()  # the scenario's, made with them on
    open_enquiry(day, make_visitor)
    assert not RollupDirty.objects.exists()
    assert rollups_sweep() == 0
    _get(day.admin, "/api/v1/analytics/summary", settings, True, **{"from": "2026-03-04", "to": "2026-03-05"})
    assert not RollupDay.objects.exists() and not DailyRollup.objects.exists()
