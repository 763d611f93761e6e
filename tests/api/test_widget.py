"""The widget opens enquiries: new and returning visitors, refusals that write nothing."""

from __future__ import annotations

import pytest

from enquiries.models import Enquiry, Visitor
from rooms.models import Message
from tests.api.conftest import counts, error, ok, visitor_client


def test_new_visitor_opens_enquiry(widget_open, agent, agent2):
    body = {
        "visitor": {"first_name": "Bo", "last_name": "Chen", "email": "bo@example.com", "phone": "+44 20 7946 0000"},
        "device": {"platform": "web", "user_agent": "Mozilla/5.0", "screen": "1920x1080"},
        "utm": {"utm_source": "newsletter", "utm_campaign": "spring", "utm_custom": "x"},
    }
    got = ok(widget_open(**body), 201)
    assert set(got) >= {"id", "status", "visitor_token", "queue_position"}
    assert got["status"] == "open" and got["queue_position"] == 1
    enquiry = Enquiry.objects.get(pk=got["id"])
    visitor = enquiry.visitor
    assert (visitor.first_name, visitor.email) == ("Bo", "bo@example.com")
    assert visitor.utm == body["utm"] and visitor.device["platform"] == "web"
    assert enquiry.first_message == "Hello, I need help"
    # The token is the visitor's key to its enquiry.
    state = ok(visitor_client(got["visitor_token"]).get(f"/api/v1/widget/enquiries/{got['id']}"))
    assert state["status"] == "open" and state["queue_position"] == 1


def test_queue_position_counts_earlier_enquiries(widget_open, agent):
    assert ok(widget_open(), 201)["queue_position"] == 1
    assert ok(widget_open(), 201)["queue_position"] == 2


def test_returning_visitor_sends_its_token(widget_open, agent, open_enquiry):
    first = ok(widget_open(visitor={"first_name": "Bo"}), 201)
    Enquiry.objects.filter(pk=first["id"]).update(status="closed")
    client = visitor_client(first["visitor_token"])
    second = ok(widget_open(client, visitor={"last_name": "Chen"}, utm={"utm_source": "ad"}), 201)
    assert second["id"] != first["id"]
    assert Visitor.objects.count() == 1
    visitor = Visitor.objects.get()
    assert (visitor.first_name, visitor.last_name, visitor.utm) == ("Bo", "Chen", {"utm_source": "ad"})
    assert Enquiry.objects.get(pk=second["id"]).visitor_id == visitor.pk


def test_nobody_available_missed_at_once(widget_open, support):
    got = ok(widget_open(), 201)
    assert got["status"] == "missed" and got["queue_position"] is None
    assert Enquiry.objects.get(pk=got["id"]).missed_reason == "nobody_available"


def test_tag_and_staff_choice(widget_open, agent, make_tag, make_staff):
    sales = make_tag("Sales")
    seller = make_staff(tags=[sales])
    got = ok(widget_open(tag="Sales"), 201)
    assert Enquiry.objects.get(pk=got["id"]).destination.tag_id == sales.pk
    got = ok(widget_open(staff=seller.pk), 201)
    enquiry = Enquiry.objects.get(pk=got["id"])
    assert enquiry.kind == "direct" and enquiry.destination.staff_id == seller.pk


def test_second_enquiry_in_progress_409(widget_open, agent):
    first = ok(widget_open(visitor={"first_name": "Bo"}), 201)
    client = visitor_client(first["visitor_token"])
    before = counts()
    body = error(widget_open(client, visitor={"first_name": "Changed"}, message="again"), 409)
    assert "in progress" in body["detail"]
    assert counts() == before
    assert Visitor.objects.get().first_name == "Bo"


def test_unknown_channel_400(widget_open, agent):
    before = counts()
    body = error(widget_open(channel_key="no-such-key"), 400)
    assert body["detail"] == "Unknown channel." and "channel_key" in body
    assert counts() == before


def test_inactive_or_non_widget_channel_400(widget_open, make_channel, support, widget):
    creds = {"page_id": "P", "app_secret": "s", "verify_token": "v", "page_access_token": "t"}
    messenger = make_channel(tag=support, kind="messenger", credentials=creds)
    before = counts()
    error(widget_open(channel_key=messenger.key), 400)
    widget.is_active = False
    widget.save(update_fields=["is_active"])
    error(widget_open(channel_key=widget.key), 400)
    assert counts() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"visitor": {"email": "not-an-email"}}, "visitor"),
        ({"visitor": {"first_name": "x" * 101}}, "visitor"),
        ({"visitor": {"last_name": "x" * 101}}, "visitor"),
        ({"visitor": {"phone": "1" * 41}}, "visitor"),
        ({"visitor": {"first_name": "a\u0000b"}}, "visitor"),
        ({"visitor": "Bo"}, "visitor"),
        ({"message": "x" * 10_001}, "message"),
        ({"message": ""}, "message"),
        ({"message": "   "}, "message"),
        ({"message": None}, "message"),
        ({"message": "a\u0000b"}, "message"),
        ({"utm": {"source": "x"}}, "utm"),
        ({"utm": {"utm_source": "x" * 501}}, "utm"),
        ({"utm": {"utm_source": {"nested": 1}}}, "utm"),
        ({"utm": {"utm_source": "a\u0000b"}}, "utm"),
        ({"utm": "utm_source=x"}, "utm"),
        ({"device": {"platform": ["web"]}}, "device"),
        ({"device": {f"k{i}": i for i in range(31)}}, "device"),
        ({"device": {"k": "v\u0000"}}, "device"),
        ({"tag": "No such tag"}, "tag"),
        ({"tag": "9" * 30}, "tag"),
        ({"staff": 999999}, "staff"),
        ({"staff": 10**30}, "staff"),
        ({"staff": "Bob"}, "staff"),
        ({"tag": "Support", "staff": "{agent}"}, "tag"),
        ({"channel_key": ""}, "channel_key"),
        ({"channel_key": None}, "channel_key"),
    ],
)
def test_widget_bad_input_400_writes_nothing(widget_open, agent, body, field):
    body = {k: (agent.pk if v == "{agent}" else v) for k, v in body.items()}
    before = counts()
    err = error(widget_open(**body), 400)
    assert field in err, err
    assert counts() == before


def test_returning_visitor_bad_utm_changes_nothing(widget_open, agent):
    first = ok(widget_open(visitor={"first_name": "Bo"}, utm={"utm_source": "a"}), 201)
    Enquiry.objects.filter(pk=first["id"]).update(status="closed")
    client = visitor_client(first["visitor_token"])
    before = counts()
    error(widget_open(client, visitor={"first_name": "Changed"}, utm={"bad": "x"}), 400)
    assert counts() == before
    visitor = Visitor.objects.get()
    assert visitor.first_name == "Bo" and visitor.utm == {"utm_source": "a"}


@pytest.mark.parametrize("token", ["garbage", "eyJ2IjoxfQ:1xUuMe:tampered", ""])
def test_tampered_visitor_token_401(widget_open, agent, token):
    first = ok(widget_open(), 201)
    real = first["visitor_token"]
    client = visitor_client(token or real[:-2] + ("AA" if not real.endswith("AA") else "BB"))
    before = counts()
    error(widget_open(client), 401)
    error(client.get(f"/api/v1/widget/enquiries/{first['id']}"), 401)
    assert counts() == before


def test_intro_messages_are_written(widget_open, agent):
    got = ok(widget_open(visitor={"first_name": "Bo"}), 201)
    texts = list(Message.objects.filter(room__enquiry_id=got["id"]).values_list("text", flat=True))
    assert "Hello, I need help" in texts and "Internal: VIP desk" in texts


# ---------------------------------------------------------------- visitor endpoints: state, note, rating


def _visitor_of(enquiry):
    from enquiries.auth import visitor_token_for

    return visitor_client(visitor_token_for(enquiry.visitor_id))


def test_visitor_reads_state(open_enquiry, agent):
    e = open_enquiry()
    body = ok(_visitor_of(e).get(f"/api/v1/widget/enquiries/{e.pk}"))
    assert body["id"] == e.pk and body["status"] == "open" and body["room"] == e.room.pk
    assert body["can_leave_note"] is False and body["can_rate"] is False
    # Staff-only details stay out of the visitor's view.
    assert "device" not in body["visitor"] and "transfer" not in body


def test_visitor_cannot_read_other_enquiry_or_room(open_enquiry, agent):
    mine, other = open_enquiry(), open_enquiry()
    client = _visitor_of(mine)
    assert error(client.get(f"/api/v1/widget/enquiries/{other.pk}"), 404)["detail"] == "Enquiry not found."
    error(client.get(f"/api/v1/rooms/{other.room.pk}/messages"), 403)
    error(client.post(f"/api/v1/rooms/{other.room.pk}/messages", {"text": "hi"}, format="json"), 403)
    error(client.post(f"/api/v1/widget/enquiries/{other.pk}/note", {"text": "hi"}, format="json"), 404)
    error(client.post(f"/api/v1/widget/enquiries/{other.pk}/rating", {"score": 5}, format="json"), 404)
    error(client.get("/api/v1/widget/enquiries/999999"), 404)


def test_visitor_endpoints_need_visitor_token(api, open_enquiry, agent):
    e = open_enquiry()
    for client in (api(), api(agent)):
        error(client.get(f"/api/v1/widget/enquiries/{e.pk}"), 401)
        error(client.post(f"/api/v1/widget/enquiries/{e.pk}/note", {"text": "x"}, format="json"), 401)


def test_note_when_missed(open_enquiry, support):
    e = open_enquiry()  # nobody available: missed at once
    assert e.status == "missed"
    client = _visitor_of(e)
    assert ok(client.get(f"/api/v1/widget/enquiries/{e.pk}"))["can_leave_note"] is True
    body = ok(
        client.post(f"/api/v1/widget/enquiries/{e.pk}/note", {"text": "x" * 2000, "contact": "+1 555"}, format="json"),
        201,
    )
    assert body["note"] == {"text": "x" * 2000, "contact": "+1 555", "files": []} and body["can_leave_note"] is False
    err = error(client.post(f"/api/v1/widget/enquiries/{e.pk}/note", {"text": "again"}, format="json"), 409)
    assert "already" in err["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {"text": "x" * 2001},
        {"text": ""},
        {"text": "   "},
        {},
        {"text": "hi", "contact": "x" * 256},
        {"text": "a\u0000b"},
        {"text": ["hi"]},
    ],
)
def test_note_bad_input_400(open_enquiry, support, body):
    e = open_enquiry()
    client = _visitor_of(e)
    before = counts()
    err = error(client.post(f"/api/v1/widget/enquiries/{e.pk}/note", body, format="json"), 400)
    assert "text" in err or "contact" in err
    assert counts() == before


def test_note_limit_message_is_clear(open_enquiry, support):
    e = open_enquiry()
    r = _visitor_of(e).post(f"/api/v1/widget/enquiries/{e.pk}/note", {"text": "x" * 2001}, format="json")
    assert "2,000" in error(r, 400)["detail"]


def test_note_on_non_missed_409(open_enquiry, agent):
    e = open_enquiry()
    before = counts()
    r = _visitor_of(e).post(f"/api/v1/widget/enquiries/{e.pk}/note", {"text": "hello"}, format="json")
    assert error(r, 409)["code"] == "open"
    assert counts() == before


@pytest.fixture
def resolved(open_enquiry, agent):
    from enquiries import services

    e = open_enquiry()
    services.enquiry_pick_up(actor=agent, enquiry_id=e.pk)
    services.enquiry_resolve(actor=agent, enquiry_id=e.pk)
    return e


def test_rating_after_resolve(resolved):
    client = _visitor_of(resolved)
    assert ok(client.get(f"/api/v1/widget/enquiries/{resolved.pk}"))["can_rate"] is True
    rating_url = f"/api/v1/widget/enquiries/{resolved.pk}/rating"
    body = ok(client.post(rating_url, {"score": 4, "comment": "Thanks"}, format="json"), 201)
    assert body["can_rate"] is False and body["rating"] == {"score": 4, "comment": "Thanks"}
    assert "already" in error(client.post(rating_url, {"score": 5}, format="json"), 409)["detail"]
    resolved.refresh_from_db()
    assert resolved.rating_score == 4


@pytest.mark.parametrize(
    "body",
    [
        {"score": 0},
        {"score": 6},
        {"score": "x"},
        {"score": 3.5},
        {},
        {"score": None},
        {"score": 5, "comment": "c" * 2001},
    ],
)
def test_rating_bad_input_400(resolved, body):
    client = _visitor_of(resolved)
    before = counts()
    err = error(client.post(f"/api/v1/widget/enquiries/{resolved.pk}/rating", body, format="json"), 400)
    assert "score" in err or "comment" in err
    assert counts() == before
    resolved.refresh_from_db()
    assert resolved.rating_score is None


def test_rating_before_resolve_409(open_enquiry, agent):
    e = open_enquiry()
    r = _visitor_of(e).post(f"/api/v1/widget/enquiries/{e.pk}/rating", {"score": 5}, format="json")
    assert "resolved" in error(r, 409)["detail"]
    e.refresh_from_db()
    assert e.rating_score is None


def test_widget_rate_limit_in_redis_is_one_sliding_log(monkeypatch, settings, widget_open, open_enquiry, agent):
    """With the Redis cache (production) the widget's limit is the same sliding log, kept in
    a Redis sorted set and checked by one script (one round trip): the refused request is not
    logged, and the answer says when to try again."""
    from contactcenter.org import ratelimit
    from enquiries.auth import WidgetThrottle
    from tests.conftest import require_redis

    require_redis()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": f"cc-widget-limit-test-{id(settings)}",
        }
    }
    from django.core.cache import cache

    monkeypatch.setattr(WidgetThrottle, "THROTTLE_RATES", {"widget": "2/min"})
    e = open_enquiry()
    client = _visitor_of(e)
    for _ in range(2):
        ok(client.get(f"/api/v1/widget/enquiries/{e.pk}"))
    refused = client.get(f"/api/v1/widget/enquiries/{e.pk}")
    assert "throttled" in error(refused, 429)["detail"].lower()
    assert 1 <= int(refused["Retry-After"]) <= 60
    key = cache.make_key(f"log-throttle_widget_visitor-{e.visitor_id}")
    redis = ratelimit._sync_redis(settings.REDIS_URL)
    assert redis.zcard(key) == 2 and 0 < redis.ttl(key) <= 60
    other = open_enquiry()  # another visitor has its own allowance
    ok(_visitor_of(other).get(f"/api/v1/widget/enquiries/{other.pk}"))
    redis.delete(key, cache.make_key(f"log-throttle_widget_visitor-{other.visitor_id}"))


def test_widget_rate_limit_per_visitor(monkeypatch, widget_open, open_enquiry, agent):
    from django.core.cache import cache

    from enquiries.auth import WidgetThrottle

    e = open_enquiry()
    cache.clear()
    monkeypatch.setattr(WidgetThrottle, "THROTTLE_RATES", {"widget": "2/min"})
    client = _visitor_of(e)
    for _ in range(2):
        ok(client.get(f"/api/v1/widget/enquiries/{e.pk}"))
    assert "throttled" in error(client.get(f"/api/v1/widget/enquiries/{e.pk}"), 429)["detail"].lower()
    # Another visitor has its own allowance.
    other = open_enquiry()
    ok(_visitor_of(other).get(f"/api/v1/widget/enquiries/{other.pk}"))
    cache.clear()
