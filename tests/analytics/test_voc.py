"""Voice of the customer (analytics.voc): queue on posting -> sweep -> per-message rows,
edits and recalls, erasure and retention, the API and who sees what."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest

from analytics import voc
from analytics.voc_models import MessageKeyword, MessageSentiment, VocPending
from channels_adapters.models import Channel
from contactcenter.org import background
from contactcenter.org.models import Staff, Tag
from enquiries import services as enquiry_services
from enquiries.models import Enquiry
from history import erasure, retention
from rooms import services as room_services
from rooms.models import Message
from rooms.services import PostRequest, messages_post

pytestmark = pytest.mark.django_db

DAY1 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
DAY2 = dt.datetime(2026, 3, 3, 9, 0, tzinfo=dt.UTC)


def _rows(enquiry: Enquiry) -> dict[str, tuple[str, str]]:
    """{text: (author kind, label)} of an enquiry's scored messages."""
    texts = dict(Message.objects.filter(room__enquiry=enquiry).values_list("pk", "text"))
    return {
        texts[s.message_id]: (s.author_kind, s.label) for s in MessageSentiment.objects.filter(enquiry_id=enquiry.pk)
    }


@pytest.fixture
def served(
    clock: Any, handled: tuple[Enquiry, Staff], make_staff: Callable[..., Staff], support: Tag
) -> tuple[Enquiry, Staff]:
    """An enquiry opened on DAY1 ("Hello?"), picked up, with a complaint, a reply and thanks."""
    enquiry, owner = handled
    room_id = enquiry.room.pk
    room_services.message_post(
        room_id=room_id, text="The refund still has not arrived, terrible service", visitor=enquiry.visitor
    )
    room_services.message_post(room_id=room_id, text="Sorry about that, I will check the refund now", staff=owner)
    room_services.message_post(room_id=room_id, text="Thank you, great help!", visitor=enquiry.visitor)
    return enquiry, owner


# ---------------------------------------------------------------- pipeline


def test_posting_queues_and_the_sweep_scores(served: tuple[Enquiry, Staff]) -> None:
    enquiry, owner = served
    # Queued: the customer's and the staff's texts, not the system/bot messages of the room.
    queued = set(VocPending.objects.values_list("message_id", flat=True))
    scorable = Message.objects.filter(room__enquiry=enquiry).exclude(kind=Message.Kind.SYSTEM)
    assert queued == set(scorable.values_list("pk", flat=True))
    assert Message.objects.filter(room__enquiry=enquiry, kind=Message.Kind.SYSTEM).exists()
    assert MessageSentiment.objects.count() == 0

    assert voc.voc_sweep() == len(queued)
    assert VocPending.objects.count() == 0
    assert _rows(enquiry) == {
        "Hello?": ("customer", "neutral"),
        "The refund still has not arrived, terrible service": ("customer", "negative"),
        "Sorry about that, I will check the refund now": (
            "staff",
            _label("Sorry about that, I will check the refund now"),
        ),
        "Thank you, great help!": ("customer", "positive"),
    }
    row = MessageSentiment.objects.get(author_kind="staff")
    assert (row.staff_id, row.enquiry_id, row.channel_id, row.language) == (
        owner.pk,
        enquiry.pk,
        enquiry.channel_id,
        "en",
    )
    assert row.tag_id == enquiry.destination.tag_id and row.scorer == "offline"
    words = set(MessageKeyword.objects.filter(kind="word").values_list("keyword", flat=True))
    assert {"refund", "terrible", "service"} <= words
    assert "terrible service" in set(MessageKeyword.objects.filter(kind="phrase").values_list("keyword", flat=True))
    # Twice is harmless: nothing queued, nothing changed.
    assert voc.voc_sweep() == 0
    assert MessageSentiment.objects.count() == len(queued)


def _label(text: str) -> str:
    from analytics.voc_nlp import analyse

    return analyse(text).label


def test_the_observer_is_one_statement_per_batch(
    handled: tuple[Enquiry, Staff], open_enquiry: Callable[..., Enquiry], django_assert_num_queries: Any
) -> None:
    enquiry, owner = handled
    other = open_enquiry()
    results = messages_post(
        [
            PostRequest(enquiry.room.pk, "one", visitor=enquiry.visitor),
            PostRequest(enquiry.room.pk, "two", staff=owner),
            PostRequest(other.room.pk, "three", visitor=other.visitor),
        ]
    )
    messages = [r[0] for r in results if isinstance(r, tuple)]
    VocPending.objects.all().delete()
    with django_assert_num_queries(1):
        voc.voc_messages_posted(messages)
    assert VocPending.objects.count() == 3
    system = list(Message.objects.filter(room__enquiry=enquiry, kind=Message.Kind.SYSTEM).select_related("room"))
    assert system
    with django_assert_num_queries(0):
        voc.voc_messages_posted(system)


def test_chinese_japanese_thai_are_scored_with_keywords(
    handled: tuple[Enquiry, Staff],
) -> None:
    enquiry, _owner = handled
    room_id = enquiry.room.pk
    for text in ("退款到现在还没到账，服务太差了", "丁寧な対応ありがとうございました", "บริการดีมาก ขอบคุณครับ"):
        room_services.message_post(room_id=room_id, text=text, visitor=enquiry.visitor)
    voc.voc_sweep()
    got = {s.language: s.label for s in MessageSentiment.objects.exclude(language="en")}
    assert got == {"zh": "negative", "ja": "positive", "th": "positive"}
    words = set(MessageKeyword.objects.values_list("keyword", flat=True))
    assert {"退款", "服务", "丁寧", "対応", "บริการ"} <= words


def test_an_edit_rescores_and_a_recall_removes(served: tuple[Enquiry, Staff], clock: Any) -> None:
    enquiry, owner = served
    voc.voc_sweep()
    reply = Message.objects.get(room__enquiry=enquiry, author_staff=owner)
    room_services.message_edit(message_id=reply.pk, text="Wonderful news, your refund is approved!", staff=owner)
    assert VocPending.objects.filter(message_id=reply.pk).exists()
    voc.voc_sweep()
    row = MessageSentiment.objects.get(message_id=reply.pk)
    assert row.label == "positive"
    assert "approved" in set(MessageKeyword.objects.filter(sentiment=row).values_list("keyword", flat=True))
    assert "check" not in set(MessageKeyword.objects.filter(sentiment=row).values_list("keyword", flat=True))

    room_services.message_recall(message_id=reply.pk, staff=owner)
    assert not MessageSentiment.objects.filter(message_id=reply.pk).exists()
    assert not MessageKeyword.objects.filter(sentiment_id=reply.pk).exists()
    voc.voc_sweep()
    assert not MessageSentiment.objects.filter(message_id=reply.pk).exists()


def test_a_message_recalled_before_the_sweep_is_never_scored(handled: tuple[Enquiry, Staff]) -> None:
    enquiry, owner = handled
    message, _ = room_services.message_post(room_id=enquiry.room.pk, text="oops typo", staff=owner)
    room_services.message_recall(message_id=message.pk, staff=owner)
    voc.voc_sweep()
    assert not MessageSentiment.objects.filter(message_id=message.pk).exists()
    assert not VocPending.objects.exists()


def test_erasure_deletes_the_customer_s_rows(served: tuple[Enquiry, Staff], admin: Staff) -> None:
    enquiry, owner = served
    voc.voc_sweep()
    # One more message still queued when the erasure comes.
    room_services.message_post(room_id=enquiry.room.pk, text="my address is 1 Main St", visitor=enquiry.visitor)
    enquiry_services.enquiry_resolve(actor=owner, enquiry_id=enquiry.pk)
    enquiry_services.enquiry_close(actor=owner, enquiry_id=enquiry.pk)
    customer_id = enquiry.visitor.customer_id
    assert customer_id is not None
    erasure.customer_erase(actor=admin, customer_id=customer_id, reason="Request")
    assert not MessageSentiment.objects.filter(author_kind="customer").exists()
    assert not MessageKeyword.objects.filter(author_kind="customer").exists()
    assert not VocPending.objects.exists()
    assert list(MessageSentiment.objects.values_list("author_kind", flat=True)) == ["staff"]
    voc.voc_sweep()
    assert not MessageKeyword.objects.filter(keyword="erased").exists()


def test_retention_deletes_the_rows_of_deleted_enquiries(
    served: tuple[Enquiry, Staff], clock: Any, open_enquiry: Callable[..., Enquiry]
) -> None:
    enquiry, owner = served
    voc.voc_sweep()
    enquiry_services.enquiry_resolve(actor=owner, enquiry_id=enquiry.pk)
    enquiry_services.enquiry_close(actor=owner, enquiry_id=enquiry.pk)
    clock.advance(40 * 86400)
    recent = open_enquiry(message="Still here, all good")
    voc.voc_sweep()
    assert retention.retention_run(now=clock.now, days=30)["enquiries"] == 1
    assert set(MessageSentiment.objects.values_list("enquiry_id", flat=True)) == {recent.pk}
    assert set(MessageKeyword.objects.values_list("enquiry_id", flat=True)) <= {recent.pk}


def test_the_sweep_is_registered() -> None:
    every = background.sweeps["analytics.voc.voc_sweep"].every
    assert every is not None and every > 0


def test_the_ai_scorer_is_preferred_when_registered_and_falls_back(
    served: tuple[Enquiry, Staff], settings: Any
) -> None:
    from analytics.voc_nlp import Analysis

    def fake(texts: Any) -> list[Analysis]:
        return [Analysis("en", 0.9, "positive", ["ai"], []) for _ in texts]

    voc.register_ai_scorer(fake)
    try:
        assert voc.voc_scorer()[0] == "ai"
        settings.CC_VOC_SCORER = "offline"
        assert voc.voc_scorer()[0] == "offline"
        settings.CC_VOC_SCORER = "auto"
        voc.voc_sweep()
        assert set(MessageSentiment.objects.values_list("scorer", "label")) == {("ai", "positive")}

        def broken(texts: Any) -> list[Analysis]:
            raise RuntimeError("provider down")

        voc.register_ai_scorer(broken)
        voc.voc_rescore()
        voc.voc_sweep()
        assert set(MessageSentiment.objects.values_list("scorer", flat=True)) == {"offline"}
    finally:
        voc.register_ai_scorer(None)


# ---------------------------------------------------------------- API


@pytest.fixture
def two_days(
    clock: Any,
    make_staff: Callable[..., Staff],
    make_channel: Callable[..., Channel],
    make_tag: Callable[..., Tag],
    open_enquiry: Callable[..., Enquiry],
    support: Tag,
    widget: Channel,
) -> dict[str, Any]:
    """Alice served a complaint on DAY1 (widget, Support); Bob a happy customer on DAY2
    (the sales channel); scored."""
    alice = make_staff(tags=[support], name="Alice")
    sales = make_tag("Sales")
    bob = make_staff(tags=[sales], name="Bob")
    sales_channel = make_channel(tag=sales)
    clock.set(DAY1)
    e1 = open_enquiry(message="My parcel is late and the refund is missing")
    enquiry_services.enquiry_pick_up(actor=alice, enquiry_id=e1.pk)
    room_services.message_post(room_id=e1.room.pk, text="Sorry, I will check the refund", staff=alice)
    room_services.message_post(room_id=e1.room.pk, text="Terrible service, refund request ignored", visitor=e1.visitor)
    clock.set(DAY2)
    e2 = open_enquiry(channel=sales_channel, message="Great product, thanks! The refund was fast")
    enquiry_services.enquiry_pick_up(actor=bob, enquiry_id=e2.pk)
    room_services.message_post(room_id=e2.room.pk, text="Glad to help, have a great day", staff=bob)
    voc.voc_sweep()
    return {"alice": alice, "bob": bob, "e1": e1, "e2": e2, "sales": sales, "sales_channel": sales_channel}


RANGE = "from=2026-03-01&to=2026-03-04"


def test_report_shape_and_figures(api: Any, admin: Staff, two_days: dict[str, Any]) -> None:
    response = api(admin).get(f"/api/v1/analytics/voc?{RANGE}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"from", "to", "sentiment", "keywords", "phrases"}
    customers = body["sentiment"]["customers"]
    assert [(d["day"], d["count"]) for d in customers] == [("2026-03-02", 2), ("2026-03-03", 1)]
    scores = {s.created_at.date().isoformat(): s.score for s in MessageSentiment.objects.filter(author_kind="customer")}
    day1 = MessageSentiment.objects.filter(author_kind="customer", enquiry_id=two_days["e1"].pk)
    expected = round(sum(s.score for s in day1) / 2 * 100, 1)
    assert customers[0]["index"] == expected < 0
    assert customers[1]["index"] == round(scores["2026-03-03"] * 100, 1) > 0
    assert [(d["day"], d["count"]) for d in body["sentiment"]["agents"]] == [("2026-03-02", 1), ("2026-03-03", 1)]
    top = body["keywords"][0]
    assert top["keyword"] == "refund" and top["count"] == 3 and top["language"] == "en"
    assert set(top) == {"keyword", "count", "language", "sentiment"}
    # Keywords are the customers' by default; staff's on request.
    assert "check" not in {k["keyword"] for k in body["keywords"]}
    staff_words = api(admin).get(f"/api/v1/analytics/voc?{RANGE}&author=staff").json()["keywords"]
    assert "check" in {k["keyword"] for k in staff_words}
    phrase = next(p for p in body["phrases"] if p["keyword"] == "refund request")
    assert (phrase["count"], phrase["language"]) == (1, "en") and phrase["sentiment"] < 0


def test_report_filters(api: Any, admin: Staff, two_days: dict[str, Any]) -> None:
    channel = two_days["sales_channel"].pk
    body = api(admin).get(f"/api/v1/analytics/voc?{RANGE}&channel={channel}").json()
    assert [d["day"] for d in body["sentiment"]["customers"]] == ["2026-03-03"]
    body = api(admin).get(f"/api/v1/analytics/voc?{RANGE}&tag={two_days['sales'].pk}").json()
    assert [d["day"] for d in body["sentiment"]["customers"]] == ["2026-03-03"]
    body = api(admin).get("/api/v1/analytics/voc?from=2026-03-03&to=2026-03-03").json()
    assert [d["day"] for d in body["sentiment"]["customers"]] == ["2026-03-03"]
    body = api(admin).get("/api/v1/analytics/voc?from=2026-04-01&to=2026-04-02").json()
    assert body["sentiment"] == {"customers": [], "agents": []} and body["keywords"] == []


def test_agents_see_the_enquiries_they_served(api: Any, two_days: dict[str, Any]) -> None:
    body = api(two_days["bob"]).get(f"/api/v1/analytics/voc?{RANGE}").json()
    assert [d["day"] for d in body["sentiment"]["customers"]] == ["2026-03-03"]
    assert {k["keyword"]: k["count"] for k in body["keywords"]}["refund"] == 1
    drill = api(two_days["bob"]).get(f"/api/v1/analytics/voc/keywords/refund?{RANGE}").json()
    assert {m["enquiry"] for m in drill["messages"]} == {two_days["e2"].pk} and drill["count"] == 1


def test_keyword_drill_down(api: Any, admin: Staff, two_days: dict[str, Any]) -> None:
    e1, e2 = two_days["e1"], two_days["e2"]
    response = api(admin).get(f"/api/v1/analytics/voc/keywords/refund?{RANGE}&limit=2")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 3 and body["page"] == 1 and body["next_page"] == 2
    newest = body["messages"][0]
    assert newest["text"] == "Great product, thanks! The refund was fast"
    assert newest["enquiry"] == e2.pk and newest["room"] == e2.room.pk and newest["author_kind"] == "customer"
    assert newest["sentiment"]["label"] == "positive" and newest["language"] == "en"
    assert set(newest) == {"id", "text", "author_kind", "language", "sentiment", "created_at", "enquiry", "room"}
    assert [c["enquiry"] for c in body["conversations"]] == [e1.pk, e2.pk]
    assert body["conversations"][0]["count"] == 2 and body["conversations"][0]["room"] == e1.room.pk
    page2 = api(admin).get(f"/api/v1/analytics/voc/keywords/refund?{RANGE}&limit=2&page=2").json()
    assert len(page2["messages"]) == 1 and page2["next_page"] is None
    assert page2["messages"][0]["text"] == "My parcel is late and the refund is missing"
    phrase = api(admin).get(f"/api/v1/analytics/voc/keywords/{quote('refund request')}?{RANGE}").json()
    assert phrase["count"] == 1
    assert api(admin).get(f"/api/v1/analytics/voc/keywords/nothing?{RANGE}").json()["messages"] == []


def test_unicode_keyword_drill_down(api: Any, admin: Staff, handled: tuple[Enquiry, Staff], clock: Any) -> None:
    enquiry, _owner = handled
    room_services.message_post(room_id=enquiry.room.pk, text="退款到现在还没到账", visitor=enquiry.visitor)
    voc.voc_sweep()
    day = clock.now.date().isoformat()
    body = api(admin).get(f"/api/v1/analytics/voc/keywords/{quote('退款')}?from={day}&to={day}").json()
    assert body["count"] == 1 and body["messages"][0]["language"] == "zh"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=yesterday", "from"),
        ("from=2026-03-05&to=2026-03-01", "to"),
        ("from=2024-01-01&to=2026-03-01", "to"),
        ("channel=abc", "channel"),
        ("tag=-1", "tag"),
        ("author=robots", "author"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
    ],
)
def test_bad_input_is_refused_with_the_field(api: Any, admin: Staff, query: str, field: str) -> None:
    for url in ("/api/v1/analytics/voc", "/api/v1/analytics/voc/keywords/refund"):
        response = api(admin).get(f"{url}?{query}")
        assert response.status_code == 400, (url, query)
        assert field in str(response.json()), response.json()
    response = api(admin).get("/api/v1/analytics/voc/keywords/refund?page=0")
    assert response.status_code == 400 and "page" in str(response.json())


def test_only_staff(api: Any, handled: tuple[Enquiry, Staff]) -> None:
    enquiry, _owner = handled
    for url in ("/api/v1/analytics/voc", "/api/v1/analytics/voc/keywords/refund"):
        assert api().get(url).status_code in (401, 403)
        assert api(enquiry.visitor).get(url).status_code in (401, 403)


def test_report_reads_only_its_own_tables(
    api: Any, admin: Staff, two_days: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api(admin)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"/api/v1/analytics/voc?{RANGE}").status_code == 200
    report_sql = [q["sql"] for q in captured.captured_queries if "analytics_" in q["sql"]]
    assert len(report_sql) == 3
    assert not any("rooms_message" in sql for sql in report_sql)


def test_the_rollups_answer_as_the_messages_do(
    admin: Staff, two_days: dict[str, Any], monkeypatch: Any, clock: Any
) -> None:
    from analytics import voc_selectors
    from analytics.voc_models import VocKeywordDay, VocSentimentDay

    def both() -> tuple[dict[str, Any], dict[str, Any]]:
        query = voc_selectors.voc_query_parse({"from": "2026-03-01", "to": "2026-03-04", "author": "all"})
        assert query.whole_days() is not None
        from_rollups = voc_selectors.voc_report(admin, query)
        with monkeypatch.context() as m:
            m.setattr(voc_selectors.VocQuery, "whole_days", lambda self: None)
            from_messages = voc_selectors.voc_report(admin, query)
        return from_rollups, from_messages

    assert VocSentimentDay.objects.exists() and VocKeywordDay.objects.exists()
    rollups, messages = both()
    assert rollups == messages and rollups["keywords"]
    # A recall drops the message's rows at once and its day's rollups at the next sweep.
    clock.set(DAY2)
    bob, e2 = two_days["bob"], two_days["e2"]
    reply = Message.objects.get(room__enquiry=e2, author_staff=bob)
    room_services.message_recall(message_id=reply.pk, staff=bob)
    voc.voc_sweep()
    rollups, messages = both()
    assert rollups == messages
    assert [d["count"] for d in rollups["sentiment"]["agents"]] == [1]
    # Rebuilding everything gives the same.
    VocKeywordDay.objects.all().delete()
    voc.voc_rollup_rebuild()
    assert both()[0] == messages


def test_a_range_cut_at_times_reads_the_messages(api: Any, admin: Staff, two_days: dict[str, Any]) -> None:
    # e2's messages were written at 2026-03-03 09:00 UTC: a range ending then (excluded)
    # leaves them out, read from the messages' rows (the rollups hold whole days only).
    body = api(admin).get("/api/v1/analytics/voc?from=2026-03-01&to=2026-03-03T09:00:00Z").json()
    assert [(d["day"], d["count"]) for d in body["sentiment"]["customers"]] == [("2026-03-02", 2)]
    assert {k["keyword"]: k["count"] for k in body["keywords"]}["refund"] == 2


def test_the_rescore_command_fills_history_written_before(served: tuple[Enquiry, Staff]) -> None:
    from io import StringIO

    from django.core.management import call_command

    VocPending.objects.all().delete()  # as if posted before VOC existed
    out = StringIO()
    call_command("voc_rescore", stdout=out)
    assert "queued 4 messages" in out.getvalue() and "scored 4 messages" in out.getvalue()
    assert MessageSentiment.objects.count() == 4 and not VocPending.objects.exists()
