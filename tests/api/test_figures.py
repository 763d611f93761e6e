"""The figures (issue 12, item 9), one definition each (enquiries.selectors), the same in the
enquiry API, the room's information panel and the overview: first response from the
customer's first message, not from the pick-up; the duration of a reopened enquiry goes on;
"Resolved today" counts an enquiry once, in the business's day; the hourly trend."""

from __future__ import annotations

import datetime as dt

import pytest

from contactcenter.org.models import OrgSettings
from enquiries import services
from rooms import services as room_services
from tests.api.conftest import ok

OVERVIEW = "/api/v1/monitoring/overview"


@pytest.fixture
def answered(open_enquiry, agent, clock):
    """Waited 40 s in the queue, picked up, answered 10 s later."""
    e = open_enquiry()
    clock.advance(40)
    services.enquiry_pick_up(actor=agent, enquiry_id=e.pk)
    clock.advance(10)
    room_services.message_post(room_id=e.room.pk, text="Hello, how can I help?", staff=agent)
    return e


def test_first_response_counts_from_the_customers_first_message(api, admin, agent, answered, clock):
    listed = ok(api(agent).get("/api/v1/enquiries?owner=me"))["results"]
    assert [(e["id"], e["first_response_seconds"]) for e in listed] == [(answered.pk, 50)]  # not 10
    info = ok(api(agent).get(f"/api/v1/rooms/{answered.room.pk}"))
    assert info["enquiry"]["first_response_seconds"] == 50
    assert ok(api(admin).get(OVERVIEW))["today"]["first_response_avg_seconds"] == 50


def test_unanswered_has_no_first_response(api, agent, open_enquiry):
    e = open_enquiry()
    assert ok(api(agent).get(f"/api/v1/enquiries/{e.pk}"))["first_response_seconds"] is None


def test_duration_of_a_reopened_enquiry_goes_on(api, agent, answered, clock):
    client = api(agent)
    clock.advance(50)  # 100 s after the first message
    ok(client.post(f"/api/v1/enquiries/{answered.pk}/resolve"))
    clock.advance(500)
    assert ok(client.get(f"/api/v1/enquiries/{answered.pk}"))["duration_seconds"] == 100  # ended at the resolve
    room_services.message_post(room_id=answered.room.pk, text="One more thing", visitor=answered.visitor)
    clock.advance(100)
    body = ok(client.get(f"/api/v1/enquiries/{answered.pk}"))
    assert body["status"] == "handling" and body["resolved_at"] is None
    assert body["duration_seconds"] == 700  # counting again, from the first message
    assert ok(client.get(f"/api/v1/rooms/{answered.room.pk}"))["enquiry"]["duration_seconds"] == 700
    ok(client.post(f"/api/v1/enquiries/{answered.pk}/resolve"))
    clock.advance(1000)
    assert ok(client.get(f"/api/v1/enquiries/{answered.pk}"))["duration_seconds"] == 700


def test_resolved_today_counts_an_enquiry_once(api, admin, agent, answered, clock):
    client = api(agent)
    ok(client.post(f"/api/v1/enquiries/{answered.pk}/resolve"))
    assert ok(api(admin).get(OVERVIEW))["today"]["resolved"] == 1
    room_services.message_post(room_id=answered.room.pk, text="Still broken", visitor=answered.visitor)
    today = ok(api(admin).get(OVERVIEW))["today"]
    assert (today["resolved"], today["handling"]) == (0, 1)  # handled again: not both
    ok(client.post(f"/api/v1/enquiries/{answered.pk}/resolve"))
    today = ok(api(admin).get(OVERVIEW))["today"]
    assert (today["resolved"], today["handling"], today["opened"]) == (1, 0, 1)  # twice resolved, once counted
    assert services.enquiries_auto_close_due(clock.advance(3600)) == 1
    assert ok(api(admin).get(OVERVIEW))["today"]["resolved"] == 1  # closed later: still resolved today


def test_today_is_the_business_day(api, admin, agent, open_enquiry, clock):
    # 23:30 in Hong Kong on Wednesday (15:30 UTC): resolved "today" there.
    clock.set(dt.datetime(2026, 3, 4, 15, 0, tzinfo=dt.UTC))
    e = open_enquiry()
    services.enquiry_pick_up(actor=agent, enquiry_id=e.pk)
    clock.advance(1800)
    services.enquiry_resolve(actor=agent, enquiry_id=e.pk)
    OrgSettings.objects.update_or_create(pk=1, defaults={"work_hours": {"timezone": "Asia/Hong_Kong", "days": {}}})
    clock.advance(3600)  # 00:30 on Thursday in Hong Kong, still Wednesday in UTC
    today = ok(api(admin).get(OVERVIEW))["today"]
    assert today["time_zone"] == "Asia/Hong_Kong"
    assert (today["resolved"], today["opened"]) == (0, 0)
    OrgSettings.objects.filter(pk=1).update(work_hours=None)  # no work hours: the admin's zone (UTC)
    today = ok(api(admin).get(OVERVIEW))["today"]
    assert (today["time_zone"], today["resolved"], today["opened"]) == ("UTC", 1, 1)


def test_trend_per_hour_today_and_the_same_weekday_last_week(api, admin, open_enquiry, clock):
    clock.set(dt.datetime(2026, 2, 25, 9, 10, tzinfo=dt.UTC))  # Wednesday a week earlier
    open_enquiry()
    clock.set(dt.datetime(2026, 2, 26, 9, 10, tzinfo=dt.UTC))  # Thursday: not the same weekday
    open_enquiry()
    clock.set(dt.datetime(2026, 3, 4, 8, 5, tzinfo=dt.UTC))
    open_enquiry()
    clock.set(dt.datetime(2026, 3, 4, 9, 55, tzinfo=dt.UTC))
    open_enquiry()
    open_enquiry()
    trend = ok(api(admin).get(OVERVIEW))["trend"]
    assert trend["hour"] == 9 and trend["last_week_date"] == "2026-02-25"
    assert len(trend["today"]) == len(trend["last_week"]) == 24
    assert (trend["today"][8], trend["today"][9], sum(trend["today"])) == (1, 2, 3)
    assert (trend["last_week"][9], sum(trend["last_week"])) == (1, 1)
