"""GET /api/v1/analytics/summary and /analytics/agents on the hand-computed day
(tests/analytics/scenario.py): every figure, the time-zone day boundary, the groupings,
permissions, refusals and CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest

from tests.analytics.scenario import Day, at
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db

REASONS_ZERO = {"timeout": 0, "nobody_available": 0, "out_of_hours": 0, "all_rejected": 0, "note_left": 0}

# Local day 2026-03-04 (E1-E6), by hand (see the scenario's docstring).
DAY_4 = {
    "key": "2026-03-04",
    "label": "2026-03-04",
    "opened": 6,
    "handled": 2,
    "missed": 4,
    "missed_rate": 0.6667,
    "missed_by_reason": {**REASONS_ZERO, "timeout": 1, "nobody_available": 1, "out_of_hours": 1, "all_rejected": 1},
    "resolved": 2,
    "reopened": 1,
    "transferred": 1,
    # Waits 30, 10: p50 is the 1st of 2, p90 the 2nd (nearest rank).
    "wait_p50_s": 10.0,
    "wait_p90_s": 30.0,
    "first_response_p50_s": 30.0,
    "first_response_p90_s": 50.0,
    "handle_time_p50_s": 260.0,
    "messages_customer": 8,
    "messages_staff": 4,
    "csat_avg": 4.0,
    "csat_count": 2,
    "csat_share_4_5": 0.5,
    "csat_comments": 1,
}
# 2026-03-05 local: E7 (00:30 local, still 2026-03-04 in UTC).
DAY_5 = {
    "key": "2026-03-05",
    "label": "2026-03-05",
    "opened": 1,
    "handled": 1,
    "missed": 0,
    "missed_rate": 0.0,
    "missed_by_reason": REASONS_ZERO,
    "resolved": 0,
    "reopened": 0,
    "transferred": 0,
    "wait_p50_s": 40.0,
    "wait_p90_s": 40.0,
    "first_response_p50_s": None,
    "first_response_p90_s": None,
    "handle_time_p50_s": None,
    "messages_customer": 1,
    "messages_staff": 0,
    "csat_avg": None,
    "csat_count": 0,
    "csat_share_4_5": None,
    "csat_comments": 0,
}
EMPTY = {**DAY_5, "opened": 0, "handled": 0, "missed_rate": None, "wait_p50_s": None, "wait_p90_s": None}
EMPTY["messages_customer"] = 0


def get(principal: Any, url: str, **params: Any) -> Any:
    return api_client_for(principal).get(url, params)


def summary(principal: Any, **params: Any) -> Any:
    return get(principal, "/api/v1/analytics/summary", **params)


def test_summary_by_day_every_figure(day: Day) -> None:
    r = summary(day.admin, **{"from": "2026-03-03", "to": "2026-03-05"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["from"], body["to"], body["time_zone"], body["group_by"]) == (
        "2026-03-03",
        "2026-03-05",
        "Asia/Hong_Kong",
        "day",
    )
    assert body["rows"] == [{**EMPTY, "key": "2026-03-03", "label": "2026-03-03"}, DAY_4, DAY_5]
    total = body["total"]
    assert total["key"] is None and total["opened"] == 7 and total["handled"] == 3 and total["missed"] == 4
    assert total["missed_rate"] == round(4 / 7, 4)
    # Waits 30, 10, 40: p50 = 2nd smallest (30), p90 = 3rd (40).
    assert (total["wait_p50_s"], total["wait_p90_s"]) == (30.0, 40.0)
    assert (total["messages_customer"], total["messages_staff"], total["csat_count"]) == (9, 4, 2)


def test_default_period_is_today_in_the_business_time_zone(day: Day, clock: Any) -> None:
    # The clock is 16:30:40 UTC on 2026-03-04: already 2026-03-05 in Hong Kong.
    body = summary(day.admin).json()
    assert (body["from"], body["to"]) == ("2026-03-05", "2026-03-05")
    assert body["rows"] == [DAY_5]


def test_iso_times_and_hours(day: Day) -> None:
    body = summary(
        day.admin, **{"from": "2026-03-04T10:00:00+08:00", "to": "2026-03-04T12:00:00+08:00"}, group_by="hour"
    ).json()
    assert [r["label"] for r in body["rows"]] == ["2026-03-04 10:00", "2026-03-04 11:00"]
    assert body["rows"][0]["key"] == "2026-03-04T10:00:00+08:00"
    assert [r["opened"] for r in body["rows"]] == [2, 0]
    assert body["rows"][0]["handle_time_p50_s"] == 260.0
    full = summary(day.admin, **{"from": "2026-03-04"}, group_by="hour").json()
    assert len(full["rows"]) == 24 and sum(r["opened"] for r in full["rows"]) == 6
    assert full["rows"][23]["label"] == "2026-03-04 23:00" and full["rows"][23]["missed_by_reason"]["out_of_hours"] == 1


def test_group_by_agent_channel_kind_tag_and_conversation_tag(day: Day) -> None:
    params = {"from": "2026-03-04"}
    rows = {r["key"]: r for r in summary(day.admin, group_by="agent", **params).json()["rows"]}
    assert set(rows) == {day.alice.pk, day.bob.pk, None}
    assert (rows[None]["label"], rows[None]["opened"], rows[None]["missed"]) == ("Unassigned", 4, 4)
    alice, bob = rows[day.alice.pk], rows[day.bob.pk]
    assert (alice["label"], alice["opened"], alice["reopened"], alice["handle_time_p50_s"], alice["csat_avg"]) == (
        "Alice",
        1,
        1,
        570.0,
        5.0,
    )
    assert (bob["label"], bob["transferred"], bob["wait_p50_s"], bob["messages_staff"], bob["csat_avg"]) == (
        "Bob",
        1,
        10.0,
        2,
        3.0,
    )
    kinds = summary(day.admin, group_by="channel_kind", **params).json()["rows"]
    assert [(r["key"], r["opened"]) for r in kinds] == [("widget", 6)]
    channels = summary(day.admin, group_by="channel", **params).json()["rows"]
    assert [r["opened"] for r in channels] == [6] and channels[0]["key"] == day.e1.channel_id
    tags = summary(day.admin, group_by="tag", **params).json()["rows"]
    assert [(r["key"], r["label"], r["opened"]) for r in tags] == [(day.e1.destination_id, "Support", 6)]
    body = summary(day.admin, group_by="conversation_tag", **params).json()
    by_tag = {r["key"]: r for r in body["rows"]}
    # Billing counts its child Refund's enquiry too; the untagged are under null.
    assert by_tag[day.billing.pk]["opened"] == 2 and by_tag[day.billing.pk]["label"] == "Billing"
    assert by_tag[day.refund.pk]["opened"] == 1 and by_tag[day.refund.pk]["label"] == "Billing > Refund"
    assert by_tag[None]["opened"] == 4 and by_tag[None]["label"] == "Untagged"
    assert body["total"]["opened"] == 6


def test_conversation_tag_groups_count_the_range_s_enquiries_only(day: Day) -> None:
    """The tag groups are those of the counted facts only: a tagged enquiry of the next day
    (a higher id) or one whose id sorts among the range's but was created outside it is not
    counted; filters apply to the groups too."""
    from analytics.facts_models import EnquiryFact, EnquiryFactTagGroup
    from enquiries import conversation_tags
    from enquiries.models import Enquiry

    conversation_tags.enquiry_classify(actor=day.admin, enquiry_id=day.e7.pk, tag_ids=[day.billing.pk])  # 03-05 local
    # E4 moved to the day before: its id stays between E1's and E6's.
    earlier = at(5) - dt.timedelta(days=1)
    Enquiry.objects.filter(pk=day.e4.pk).update(created_at=earlier)
    EnquiryFact.objects.filter(enquiry_id=day.e4.pk).update(created_at=earlier)
    conversation_tags.enquiry_classify(actor=day.admin, enquiry_id=day.e4.pk, tag_ids=[day.billing.pk])
    assert EnquiryFactTagGroup.objects.get(enquiry_id=day.e4.pk).created_at == earlier
    params = {"from": "2026-03-04", "group_by": "conversation_tag"}
    by_tag = {r["key"]: r["opened"] for r in summary(day.admin, **params).json()["rows"]}
    assert by_tag == {day.billing.pk: 2, day.refund.pk: 1, None: 3}
    by_tag = {r["key"]: r["opened"] for r in summary(day.admin, agent=day.bob.pk, **params).json()["rows"]}
    assert by_tag == {day.billing.pk: 1}
    by_tag = {r["key"]: r["opened"] for r in summary(day.admin, **{**params, "from": "2026-03-05"}).json()["rows"]}
    assert by_tag == {day.billing.pk: 1}


def test_conversation_tag_total_counts_each_enquiry_once(day: Day) -> None:
    """The conversation-tag report's total (made in the same pass as its rows) is the
    report's total whatever the group: an enquiry tagged with a child and its parent, or
    with two tags, counts once in the total and once in each of its groups."""
    from enquiries import conversation_tags

    conversation_tags.enquiry_classify(actor=day.admin, enquiry_id=day.e1.pk, tag_ids=[day.billing.pk, day.refund.pk])
    params = {"from": "2026-03-04"}
    body = summary(day.admin, group_by="conversation_tag", **params).json()
    for other in ("day", "agent"):
        assert body["total"] == summary(day.admin, group_by=other, **params).json()["total"]
    for agent in (day.alice.pk, day.bob.pk):
        filtered = summary(day.admin, group_by="conversation_tag", agent=agent, **params).json()
        assert filtered["total"] == summary(day.admin, group_by="day", agent=agent, **params).json()["total"]
    by_tag = {r["key"]: r["opened"] for r in body["rows"]}
    assert by_tag == {day.billing.pk: 2, day.refund.pk: 1, None: 4}
    assert body["total"]["opened"] == 6


def test_filters(day: Day) -> None:
    params = {"from": "2026-03-04", "group_by": "channel_kind"}
    assert summary(day.admin, agent=day.bob.pk, **params).json()["total"]["opened"] == 1
    assert summary(day.admin, conversation_tag=day.billing.pk, **params).json()["total"]["opened"] == 2
    assert summary(day.admin, conversation_tag=day.refund.pk, **params).json()["total"]["opened"] == 1
    assert summary(day.admin, channel=day.e1.channel_id, **params).json()["total"]["opened"] == 6
    assert summary(day.admin, channel_kind="email", **params).json()["total"]["opened"] == 0
    assert summary(day.admin, tag=day.e1.destination_id, **params).json()["total"]["opened"] == 6


def test_agents_see_only_themselves(day: Day) -> None:
    own = summary(day.alice, **{"from": "2026-03-04"})
    assert own.status_code == 200
    assert own.json()["total"]["opened"] == 1 and own.json()["total"]["reopened"] == 1
    assert summary(day.alice, agent=day.alice.pk, **{"from": "2026-03-04"}).status_code == 200
    other = summary(day.alice, agent=day.bob.pk)
    assert other.status_code == 403
    by_agent = summary(day.alice, group_by="agent", **{"from": "2026-03-04"}).json()["rows"]
    assert [r["key"] for r in by_agent] == [day.alice.pk]
    assert summary(None).status_code in (401, 403)
    assert get(None, "/api/v1/analytics/agents").status_code in (401, 403)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-02-30"}, "from"),
        ({"from": "yesterday"}, "from"),
        ({"from": "2026-03-04", "to": "2026-03-03"}, "to"),
        ({"from": "2025-01-01", "to": "2026-03-04"}, "to"),
        ({"group_by": "week"}, "group_by"),
        ({"agent": "x"}, "agent"),
        ({"channel_kind": "pigeon"}, "channel_kind"),
    ],
)
def test_bad_input_is_refused_with_a_field_message(day: Day, params: dict[str, str], field: str) -> None:
    r = summary(day.admin, **params)
    assert r.status_code == 400
    assert field in r.json()


def test_agents_ranking(day: Day, clock: Any) -> None:
    r = get(day.admin, "/api/v1/analytics/agents", **{"from": "2026-03-04"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["from"], body["to"], body["sort"]) == ("2026-03-04", "2026-03-04", "handled")
    alice, bob = body["rows"]
    # The period is 2026-03-03 16:00 - 2026-03-04 16:00 UTC; alice and bob exist from 01:00.
    assert alice == {
        "rank": 1,
        "key": day.alice.pk,
        "label": "Alice",
        "handled": 1,
        "resolved": 1,
        "reopened": 1,
        "transferred": 0,
        "wait_p50_s": 30.0,
        "first_response_p50_s": 50.0,
        "handle_time_p50_s": 570.0,
        "messages_staff": 2,
        "csat_avg": 5.0,
        "csat_count": 1,
        "active_s": 5 * 3600 + (16 * 3600 - (6 * 3600 + 600)),
        "busy_s": 0.0,
        "away_s": 600.0,
        "offline_s": 0.0,
        # Handling 270 + 240 (E1) + 90 (E2) s of the day's 86400; E1 and E2 at once.
        "load_avg": round(600 / 86400, 2),
        "load_max": 2,
    }
    assert (bob["rank"], bob["key"], bob["transferred"], bob["away_s"], bob["active_s"]) == (
        2,
        day.bob.pk,
        1,
        1200.0,
        5 * 3600 + (16 * 3600 - (6 * 3600 + 1200)),
    )
    assert (bob["load_avg"], bob["load_max"]) == (round(170 / 86400, 2), 1)
    by_time = get(day.admin, "/api/v1/analytics/agents", sort="handle_time_p50_s", **{"from": "2026-03-04"}).json()
    assert [r["key"] for r in by_time["rows"]] == [day.bob.pk, day.alice.pk]
    assert [r["rank"] for r in by_time["rows"]] == [1, 2]
    # Up to now only: a minute later the 2026-03-05 day has run 31 min 40 s; alice handles
    # E7 from 16:30:40.
    clock.advance(60)
    today = get(day.admin, "/api/v1/analytics/agents", **{"from": "2026-03-05"}).json()["rows"]
    assert today[0]["key"] == day.alice.pk and today[0]["active_s"] == 31 * 60 + 40
    assert (today[0]["load_max"], today[0]["load_avg"]) == (1, round(60 / (31 * 60 + 40), 2))
    assert get(day.admin, "/api/v1/analytics/agents", sort="nope").status_code == 400


def test_agents_ranking_of_an_agent_is_their_own_row(day: Day) -> None:
    rows = get(day.bob, "/api/v1/analytics/agents", **{"from": "2026-03-04"}).json()["rows"]
    assert [(r["key"], r["rank"]) for r in rows] == [(day.bob.pk, 1)]


def read_csv(response: Any) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_csv_downloads(day: Day, make_staff: Any) -> None:
    r = summary(day.admin, format="csv", group_by="agent", **{"from": "2026-03-04"})
    assert r.status_code == 200
    rows = read_csv(r)
    assert rows[0][:4] == ["key", "label", "opened", "handled"]
    assert "missed_by_reason_timeout" in rows[0] and "csat_share_4_5" in rows[0]
    assert rows[-1][1] == "Total" and rows[-1][2] == "6"
    by_accept = api_client_for(day.admin).get(
        "/api/v1/analytics/summary", {"from": "2026-03-04"}, HTTP_ACCEPT="text/csv"
    )
    assert read_csv(by_accept)[1][0] == "2026-03-04"
    # A name a spreadsheet would take for a formula is neutralised.
    day.bob.display_name = "=HYPERLINK(1)"
    day.bob.save(update_fields=["display_name"])
    agents = read_csv(get(day.admin, "/api/v1/analytics/agents", format="csv", **{"from": "2026-03-04"}))
    assert agents[0][:3] == ["rank", "key", "label"] and agents[0][-2:] == ["load_avg", "load_max"]
    assert "'=HYPERLINK(1)" in [row[2] for row in agents[1:]]
    # Errors stay JSON.
    bad = summary(day.admin, format="csv", group_by="week")
    assert bad.status_code == 400 and "group_by" in bad.json()


def test_schema_documents_both_operations(day: Day) -> None:
    r = api_client_for(day.admin).get("/api/schema/", HTTP_ACCEPT="application/json")
    if r.status_code != 200:
        r = api_client_for(day.admin).get("/api/schema/?format=json")
    text = r.content.decode()
    assert "/api/v1/analytics/summary" in text and "/api/v1/analytics/agents" in text
    assert "analytics_summary" in text and "csat_share_4_5" in text


def test_a_new_enquiry_shows_at_once(day: Day, clock: Any, make_visitor: Any) -> None:
    from enquiries import services as enquiry_services

    clock.set(at(17))
    channel = day.e1.channel
    enquiry_services.enquiry_open(channel=channel, visitor=make_visitor(channel), message="Again")
    body = summary(day.admin).json()
    assert body["total"]["opened"] == 2 and body["total"]["messages_customer"] == 2


def test_the_json_of_a_report_is_the_standard_encoder_s(day: Day) -> None:
    """The reports answer through orjson: the same JSON as DRF's encoder (an hourly table
    included); what orjson does not take (a lazy translation) goes through DRF's."""
    import json

    from django.utils.translation import gettext_lazy
    from rest_framework.renderers import JSONRenderer

    from analytics.reports_api import ReportJSONRenderer

    r = summary(day.admin, **{"from": "2026-03-04", "group_by": "hour"})
    assert r.status_code == 200 and len(r.json()["rows"]) == 24
    assert r.content == JSONRenderer().render(r.json())
    odd = {"detail": gettext_lazy("Not found."), "n": [1, 2.5, None]}
    assert json.loads(ReportJSONRenderer().render(odd)) == {"detail": "Not found.", "n": [1, 2.5, None]}


def test_hourly_rows_of_a_long_range_equal_those_of_each_day(day: Day) -> None:
    """Over several days the hourly table is made in two parts cut at a local midnight
    (analytics.report_lanes): its rows are each day's, its total the range's."""
    params = {"from": "2026-03-03", "to": "2026-03-06", "group_by": "hour"}
    body = summary(day.admin, **params).json()
    assert len(body["rows"]) == 4 * 24
    days = []
    for d in ("2026-03-03", "2026-03-04", "2026-03-05", "2026-03-06"):
        days += summary(day.admin, **{**params, "from": d, "to": d}).json()["rows"]
    assert body["rows"] == days
    assert body["total"] == summary(day.admin, **{**params, "group_by": "day"}).json()["total"]
    assert body["total"]["opened"] == 7
