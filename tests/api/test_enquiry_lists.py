"""The enquiry lists' filters and per-row facts: channel and owner filters, message_count,
and ``offered`` (what the caller may pick up), with bounded queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enquiries import services
from rooms import services as room_services
from tests.api.conftest import error, ok


def ids(response):
    return [x["id"] for x in ok(response)["results"]]


def test_offered_marks_what_the_caller_may_pick_up(api, admin, agent, agent2, open_enquiry, make_staff, support):
    e1, e2 = open_enquiry(message="First"), open_enquiry(message="Second")
    services.enquiry_reject(actor=agent, enquiry_id=e2.pk)
    rows = ok(api(agent).get("/api/v1/enquiries?status=open"))["results"]
    assert [(x["id"], x["offered"]) for x in rows] == [(e1.pk, True)]  # a rejected one leaves the panel
    rows = ok(api(agent2).get("/api/v1/enquiries?status=open"))["results"]
    assert [(x["id"], x["offered"]) for x in rows] == [(e2.pk, True), (e1.pk, True)]
    # The admin (offline, no tag: no alerts) sees every open enquiry, none offered to them.
    rows = ok(api(admin).get("/api/v1/enquiries?status=open"))["results"]
    assert [(x["id"], x["offered"]) for x in rows] == [(e2.pk, False), (e1.pk, False)]
    # An admin who is alerted too sees theirs offered.
    boss = make_staff(role="admin", tags=[support])
    e3 = open_enquiry(message="Third")
    rows = ok(api(boss).get("/api/v1/enquiries?status=open"))["results"]
    assert [(x["id"], x["offered"]) for x in rows] == [(e3.pk, True), (e2.pk, False), (e1.pk, False)]
    services.enquiry_pick_up(actor=agent2, enquiry_id=e1.pk)
    assert ok(api(agent2).get(f"/api/v1/enquiries/{e1.pk}"))["offered"] is False


def test_channel_and_owner_filters(api, admin, agent, agent2, open_enquiry, make_channel, support):
    email = make_channel(kind="weblink", tag=support)
    by_widget, by_email, theirs = open_enquiry(), open_enquiry(channel=email), open_enquiry()
    services.enquiry_pick_up(actor=agent, enquiry_id=by_widget.pk)
    services.enquiry_pick_up(actor=agent, enquiry_id=by_email.pk)
    services.enquiry_pick_up(actor=agent2, enquiry_id=theirs.pk)
    assert ids(api(agent).get("/api/v1/enquiries?channel=weblink")) == [by_email.pk]
    assert ids(api(agent).get("/api/v1/enquiries?channel=widget&owner=me")) == [by_widget.pk]
    assert ids(api(agent).get("/api/v1/enquiries?status=handling&owner=me")) == [by_email.pk, by_widget.pk]
    assert ids(api(admin).get(f"/api/v1/enquiries?owner={agent2.pk}")) == [theirs.pk]
    assert ids(api(admin).get("/api/v1/enquiries?owner=me")) == []
    # An agent filtering by a colleague still sees only what they may see.
    assert ids(api(agent).get(f"/api/v1/enquiries?owner={agent2.pk}")) == []


@pytest.mark.parametrize(
    ("query", "field"),
    [("channel=fax", "channel"), ("channel=WIDGET", "channel"), ("owner=you", "owner"), ("owner=-1", "owner")],
)
def test_bad_list_filters_400(api, agent, query, field):
    body = error(api(agent).get(f"/api/v1/enquiries?{query}"), 400)
    assert field in body["detail"] or field in str(body.get("fields", ""))


def test_message_count_counts_text_and_file_messages(api, admin, agent, open_enquiry):
    e = open_enquiry(message="Hello?")
    services.enquiry_pick_up(actor=agent, enquiry_id=e.pk)
    room_services.message_post(room_id=e.room.pk, text="Hi, how can I help?", staff=agent)
    services.enquiry_join(actor=admin, enquiry_id=e.pk)  # a system message: not counted
    quiet = open_enquiry()
    counts = {x["id"]: x["message_count"] for x in ok(api(admin).get("/api/v1/enquiries"))["results"]}
    first_messages = counts[quiet.pk]  # the visitor's first message, as the enquiry stores it
    assert counts[e.pk] == first_messages + 1
    # Joining as a member (one more join row) does not multiply the count.
    # (The agent's Inbox also lists ``quiet``, offered to them.)
    rows = {x["id"]: x["message_count"] for x in ok(api(agent).get("/api/v1/enquiries"))["results"]}
    assert rows[e.pk] == counts[e.pk]


def test_list_costs_no_extra_query_per_row(api, agent, open_enquiry):
    for _ in range(2):
        open_enquiry()
    client = api(agent)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert ok(client.get("/api/v1/enquiries?status=open"))["results"][0]["offered"] is True
        return len(ctx)

    two = queries()
    for _ in range(2):
        open_enquiry()
    four = queries()
    # Queue positions, pending transfers, offered and message_count are one query per page
    # (or part of the list query): more rows cost no more queries.
    assert four == two
