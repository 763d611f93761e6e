"""Full-text search (history.search*, GET /api/v1/search): the tokenizer, the index kept
by the posting pipeline, permissions, filters, bad input. Runs on SQLite (FTS5) and, with
DATABASE_URL, on PostgreSQL (tsvector + GIN)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from contactcenter.org.models import Staff, Tag
from customers.models import Customer
from enquiries import services as enquiry_services
from enquiries.models import Enquiry, Visitor
from history.search_index import search_reindex
from history.search_models import CustomerIndex, EnquiryIndex, MessageIndex
from history.search_tokens import highlights, query_terms, snippet, tokens, tsquery
from rooms import services as room_services
from rooms.models import Message
from tests.api.conftest import _check_responses_against_schema, error, ok  # noqa: F401 - autouse: responses match the schema

pytestmark = pytest.mark.django_db


# ------------------------------------------------------------------ tokenizer


def test_tokens_english_lower_nfkc() -> None:
    assert tokens("Hello, World! Refund #123 e-mail") == ["hello", "world", "refund", "123", "e", "mail"]
    assert tokens("Ｒｅｆｕｎｄ ＡＢＣ") == ["refund", "abc"]  # full-width letters
    assert tokens("Straße CAFÉ") == ["strasse", "café"]


def test_tokens_chinese_bigrams() -> None:
    assert tokens("我要退款") == ["我要", "要退", "退款", "款"]
    assert tokens("退") == ["退"]


def test_tokens_japanese_kana_and_kanji() -> None:
    assert tokens("東京タワー") == ["東京", "京タ", "タワ", "ワー", "ー"]


def test_tokens_thai_keeps_marks_in_run() -> None:
    out = tokens("ขอคืนเงิน")
    assert out[0] == "ขอ" and "คื" in out and out[-1] == "น"
    assert all(" " not in t for t in out)


def test_tokens_mixed_scripts() -> None:
    assert tokens("iPhone充電器が壊れた refund") == [
        "iphone", "充電", "電器", "器が", "が壊", "壊れ", "れた", "た", "refund",
    ]  # fmt: skip


def test_query_terms_phrase_and_prefix() -> None:
    terms = query_terms("退款申请 Refund 我")
    assert tsquery(terms) == "('退款' <-> '款申' <-> '申请') & 'refund' & '我':*"


def test_highlights_and_snippet() -> None:
    text = "Ｈｅｌｌｏ there, 我要退款 please"
    ranges = highlights(text, query_terms("hello 退款"))
    assert [text[a:b] for a, b in ranges] == ["Ｈｅｌｌｏ", "退款"]
    long = "word " * 100 + "refund here " + "tail " * 100
    shown, marks = snippet(long, query_terms("refund"))
    assert shown.startswith("…") and shown.endswith("…") and len(shown) < 200
    assert [shown[a:b] for a, b in marks] == ["refund"]


# ------------------------------------------------------------------ helpers


@pytest.fixture
def agent(make_staff: Callable[..., Staff], support: Tag) -> Staff:
    return make_staff(tags=[support], name="Alice Agent")


@pytest.fixture
def agent2(make_staff: Callable[..., Staff], support: Tag) -> Staff:
    return make_staff(tags=[support], name="Bob Agent")


@pytest.fixture
def served(
    open_enquiry: Callable[..., Enquiry], make_staff: Callable[..., Staff], support: Tag
) -> Callable[..., Enquiry]:
    """An enquiry picked up by ``owner`` with the customer's first message ``message``."""

    def make(owner: Staff, message: str = "Hello", **kw: Any) -> Enquiry:
        enquiry = open_enquiry(message=message, **kw)
        enquiry_services.enquiry_pick_up(actor=owner, enquiry_id=enquiry.pk)
        enquiry.refresh_from_db()
        return enquiry

    return make


def post(enquiry: Enquiry, text: str, staff: Staff | None = None) -> Message:
    if staff is not None:
        message, _ = room_services.message_post(room_id=enquiry.room.pk, text=text, staff=staff)
    else:
        message, _ = room_services.message_post(room_id=enquiry.room.pk, text=text, visitor=enquiry.visitor)
    return message


def find(api: Callable[..., Any], staff: Staff, q: str, **params: Any) -> list[dict[str, Any]]:
    body = ok(api(staff).get("/api/v1/search", {"q": q, **params}))
    return body["results"]  # type: ignore[no-any-return]


# ------------------------------------------------------------------ index and API


def test_message_searchable_right_after_posting(api: Any, served: Any, agent: Staff) -> None:
    enquiry = served(agent)
    message = post(enquiry, "My parcel to Osaka never arrived", staff=agent)
    results = find(api, agent, "parcel osaka")
    assert [r["message"] for r in results] == [message.pk]
    hit = results[0]
    assert hit["enquiry"] == enquiry.pk and hit["room"] == enquiry.room.pk and hit["type"] == "message"
    assert hit["from"] == "staff" and hit["channel"]["kind"] == "widget"
    assert [hit["snippet"][a:b] for a, b in hit["highlights"]] == ["parcel", "Osaka"]


def test_chinese_japanese_thai_queries(api: Any, served: Any, agent: Staff) -> None:
    enquiry = served(agent, message="你好，我想申请退款，订单号是12345")
    ja = post(enquiry, "東京タワーの近くに住んでいます")
    th = post(enquiry, "ฉันต้องการขอคืนเงินค่ะ")
    first = Message.objects.filter(room=enquiry.room, text__startswith="你好").get()
    assert [r["message"] for r in find(api, agent, "退款")] == [first.pk]
    assert [r["message"] for r in find(api, agent, "申请退款")] == [first.pk]
    assert find(api, agent, "退申") == []  # the bigrams must be adjacent
    assert [r["message"] for r in find(api, agent, "款")] == [first.pk]  # one character
    assert [r["message"] for r in find(api, agent, "タワー")] == [ja.pk]
    assert [r["message"] for r in find(api, agent, "คืนเงิน")] == [th.pk]
    hit = find(api, agent, "申请退款")[0]
    assert [hit["snippet"][a:b] for a, b in hit["highlights"]] == ["申请退款"]


def test_recalled_never_found_edited_found_by_new_text(api: Any, served: Any, agent: Staff) -> None:
    enquiry = served(agent)
    recalled = post(enquiry, "secret password hunter2", staff=agent)
    edited = post(enquiry, "the colour is blue", staff=agent)
    room_services.message_recall(message_id=recalled.pk, staff=agent)
    room_services.message_edit(message_id=edited.pk, text="the colour is green", staff=agent)
    assert find(api, agent, "hunter2") == []
    assert find(api, agent, "blue") == []
    assert [r["message"] for r in find(api, agent, "green")] == [edited.pk]
    search_reindex()  # the full rebuild agrees
    assert find(api, agent, "hunter2") == []
    assert [r["message"] for r in find(api, agent, "green")] == [edited.pk]


def test_system_messages_not_indexed(served: Any, agent: Staff) -> None:
    enquiry = served(agent)
    system = Message.objects.filter(room=enquiry.room, kind=Message.Kind.SYSTEM)
    assert system.exists()
    assert not MessageIndex.objects.filter(message__in=system).exists()


def test_agent_finds_only_what_they_served_admin_everything(
    api: Any,
    served: Any,
    agent: Staff,
    agent2: Staff,
    admin: Staff,
) -> None:
    mine = served(agent, message="zebra crossing broken")
    theirs = served(agent2, message="zebra stripes on the bill")
    assert {r["enquiry"] for r in find(api, agent, "zebra")} == {mine.pk}
    assert {r["enquiry"] for r in find(api, agent2, "zebra")} == {theirs.pk}
    assert {r["enquiry"] for r in find(api, admin, "zebra")} == {mine.pk, theirs.pk}
    # Enquiries and customers scopes follow the same rule.
    assert {r["enquiry"] for r in find(api, agent, "zebra", scope="enquiries")} == {mine.pk}
    assert {r["enquiry"] for r in find(api, admin, "zebra", scope="enquiries")} == {mine.pk, theirs.pk}


def test_agent_keeps_finding_after_leaving_the_room(api: Any, served: Any, agent: Staff, agent2: Staff) -> None:
    enquiry = served(agent, message="walrus tusk")
    assert find(api, agent2, "walrus") == []
    room_services.room_member_add(room=enquiry.room, staff=agent2)
    room_services.room_member_remove(room=enquiry.room, staff_id=agent2.pk)
    results = find(api, agent2, "walrus")
    assert {r["enquiry"] for r in results} == {enquiry.pk}
    assert results[0]["open"] == "history"  # no longer a member: the read-only transcript
    assert find(api, agent, "walrus")[0]["open"] == "room"


def test_filters_narrow(api: Any, served: Any, agent: Staff, admin: Staff, make_channel: Any, support: Tag) -> None:
    other_channel = make_channel(tag=support)
    a = served(agent, message="kiwi fruit")
    b = served(agent, message="kiwi bird", channel=other_channel)
    assert {r["enquiry"] for r in find(api, admin, "kiwi")} == {a.pk, b.pk}
    assert {r["enquiry"] for r in find(api, admin, "kiwi", channel=other_channel.pk)} == {b.pk}
    assert {r["enquiry"] for r in find(api, admin, "kiwi", owner=agent.pk, status="handling")} == {a.pk, b.pk}
    assert find(api, admin, "kiwi", status="closed") == []


def test_pages(api: Any, served: Any, agent: Staff) -> None:
    enquiry = served(agent)
    ids = [post(enquiry, f"llama number {i}", staff=agent).pk for i in range(5)]
    body = ok(api(agent).get("/api/v1/search", {"q": "llama", "limit": 2}))
    assert len(body["results"]) == 2 and body["next_offset"] == 2
    rest = ok(api(agent).get("/api/v1/search", {"q": "llama", "limit": 10, "offset": 2}))
    assert rest["next_offset"] is None
    assert sorted(r["message"] for r in body["results"] + rest["results"]) == ids


def test_enquiry_scope_topic_and_note(api: Any, served: Any, agent: Staff) -> None:
    enquiry = served(agent, message="hi")
    enquiry_services.enquiry_topic_set(actor=agent, enquiry_id=enquiry.pk, topic="Broken espresso machine")
    results = find(api, agent, "espresso", scope="enquiries")
    assert [(r["enquiry"], r["message"], r["type"]) for r in results] == [(enquiry.pk, None, "enquiry")]
    assert EnquiryIndex.objects.filter(enquiry=enquiry).exists()


def test_customer_scope(api: Any, served: Any, agent: Staff, agent2: Staff, admin: Staff, make_visitor: Any) -> None:
    customer = Customer.objects.create(name="Chen Xiaoming 陈小明", email="chen@example.com", phone="+8613800000000")
    visitor = make_visitor(first_name="Chen")
    Visitor.objects.filter(pk=visitor.pk).update(customer=customer)
    enquiry = served(agent, visitor=visitor)
    Customer.objects.create(name="Chen Unserved")  # no visitor: listed nowhere
    assert [r["customer"] for r in find(api, agent, "小明", scope="customers")] == [customer.pk]
    hit = find(api, agent, "chen@example.com", scope="customers")[0]
    assert hit["enquiry"] == enquiry.pk and hit["room"] == enquiry.room.pk
    assert find(api, agent2, "chen", scope="customers") == []
    # The visitor's own customer (made with it, left without visitors) is hidden too.
    assert [r["customer"] for r in find(api, admin, "chen", scope="customers")] == [customer.pk]
    assert CustomerIndex.objects.count() == Customer.objects.count()


def test_erasure_and_retention_delete_index_rows(served: Any, agent: Staff) -> None:
    enquiry = served(agent, message="delete me soon")
    assert MessageIndex.objects.filter(enquiry=enquiry).exists()
    Message.objects.filter(room=enquiry.room).delete()
    assert not MessageIndex.objects.filter(enquiry=enquiry).exists()
    if connection.vendor == "postgresql":
        other = served(agent, message="raw delete")
        with connection.cursor() as cursor:  # a raw DELETE (retention's) cascades in the database
            cursor.execute("DELETE FROM rooms_message WHERE room_id = %s", [other.room.pk])
        assert not MessageIndex.objects.filter(enquiry=other).exists()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "   "}, "q"),
        ({"q": "?!..."}, "q"),
        ({"q": "x" * 201}, "q"),
        ({"q": "ok", "scope": "everything"}, "scope"),
        ({"q": "ok", "limit": "0"}, "limit"),
        ({"q": "ok", "limit": "many"}, "limit"),
        ({"q": "ok", "offset": "-1"}, "offset"),
        ({"q": "ok", "channel": "abc"}, "channel"),
        ({"q": "ok", "from": "yesterday"}, "from"),
        ({"q": "ok", "status": "nope"}, "status"),
    ],
)
def test_bad_input(api: Any, agent: Staff, params: dict[str, str], field: str) -> None:
    body = error(api(agent).get("/api/v1/search", params), 400)
    assert field in body, body


def test_visitors_and_anonymous_refused(api: Any, served: Any, agent: Staff) -> None:
    enquiry = served(agent, message="private words")
    assert api().get("/api/v1/search", {"q": "private"}).status_code in (401, 403)
    assert api(enquiry.visitor).get("/api/v1/search", {"q": "private"}).status_code in (401, 403)


def test_in_schema(api: Any, admin: Staff) -> None:
    schema = api(admin).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/search"]["get"]
    assert operation["operationId"] == "search"
    assert {p["name"] for p in operation["parameters"]} >= {"q", "scope", "limit", "offset", "channel", "from"}


def test_reindex_command_rebuilds(served: Any, agent: Staff) -> None:
    from django.core.management import call_command

    served(agent, message="rebuild this one")
    MessageIndex.objects.all().delete()
    call_command("search_reindex", verbosity=0)
    assert MessageIndex.objects.filter(tokens__contains="rebuild").exists()


def test_erasure_and_retention_hooks(api: Any, served: Any, agent: Staff, admin: Staff, make_visitor: Any) -> None:
    from history.hooks import run_erasure_hooks, run_retention_hooks

    customer = Customer.objects.create(name="Erin Erased", email="erin@example.com")
    visitor = make_visitor(first_name="Erin")
    Visitor.objects.filter(pk=visitor.pk).update(customer=customer)
    enquiry = served(agent, visitor=visitor, message="my account number is 998877")
    assert find(api, admin, "998877") and find(api, admin, "erin", scope="customers")
    # The erasure anonymises (here: blanks the texts, as customers' erasure does) and runs the hooks.
    Message.objects.filter(room=enquiry.room, author_visitor=visitor).update(text="")
    Customer.objects.filter(pk=customer.pk).update(name="", email="", erased_at=enquiry.created_at)
    run_erasure_hooks(customer.pk, [visitor.pk], [enquiry.pk])
    assert find(api, admin, "998877") == []
    assert find(api, admin, "erin", scope="customers") == []
    other = served(agent, message="retention takes this")
    run_retention_hooks([other.pk])
    assert not MessageIndex.objects.filter(enquiry=other).exists()
