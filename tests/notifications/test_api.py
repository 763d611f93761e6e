"""The Notifications API: keyset pages newest first with the unread count, unread only,
marking some or all read (and one unread), only one's own (404 for others', nothing
changed), bad input 400 with its field, the notification.read event for the other tabs,
and the retention sweep."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from contactcenter.org.models import Staff
from notifications.models import Notification
from notifications.services import notification_add, notifications_sweep

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(make_staff: Any) -> Staff:
    return make_staff(name="Ann Agent")


@pytest.fixture
def other(make_staff: Any) -> Staff:
    return make_staff(name="Oscar Other")


def add(staff: Staff, n: int = 1, *, actor: Staff | None = None, kind: str = "review") -> list[Notification]:
    items: list[Notification] = []
    for i in range(n):
        items += notification_add(
            staff_ids=[staff.pk], kind=kind, actor_id=actor.pk if actor else None, data={"review": i}
        )
    return items


def ids(response: Any) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


def test_list_pages_newest_first(api: Any, agent: Staff, other: Staff, admin: Staff, clock: Any) -> None:
    items = add(agent, 5, actor=admin)
    add(other, 2)
    client = api(agent)
    r = client.get("/api/v1/notifications?limit=2")
    assert r.status_code == 200
    body = r.json()
    assert ids(r) == [items[4].pk, items[3].pk]
    assert body["unread_count"] == 5 and body["next_before"] == items[3].pk
    first = body["results"][0]
    assert first == {
        "id": items[4].pk,
        "kind": "review",
        "enquiry": None,
        "room": None,
        "actor": admin.pk,
        "data": {"review": 4, "actor_name": "Ada Admin"},
        "url": "/app/reports/review",
        "created_at": clock.now.isoformat(),
        "read": False,
    }
    r = client.get(f"/api/v1/notifications?limit=2&before={body['next_before']}")
    assert ids(r) == [items[2].pk, items[1].pk]
    r = client.get(f"/api/v1/notifications?limit=2&before={r.json()['next_before']}")
    assert ids(r) == [items[0].pk] and r.json()["next_before"] is None


def test_list_unread_only_and_query_count(
    api: Any, agent: Staff, django_assert_max_num_queries: Any, django_capture_on_commit_callbacks: Any
) -> None:
    items = add(agent, 3)
    client = api(agent)
    assert client.post("/api/v1/notifications/read", {"ids": [items[1].pk]}, format="json").status_code == 200
    r = client.get("/api/v1/notifications?unread=1")
    assert ids(r) == [items[2].pk, items[0].pk] and r.json()["unread_count"] == 2
    assert [row["read"] for row in client.get("/api/v1/notifications").json()["results"]] == [False, True, False]
    with django_assert_max_num_queries(5):  # auth (token, staff, session), the page, the count
        client.get("/api/v1/notifications?unread=1")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=x", "limit"),
        ("before=-3", "before"),
        ("unread=maybe", "unread"),
    ],
)
def test_list_bad_query_is_400_with_its_field(api: Any, agent: Staff, query: str, field: str) -> None:
    r = api(agent).get(f"/api/v1/notifications?{query}")
    assert r.status_code == 400 and field in r.json()


def test_mark_read_ids_and_all(api: Any, agent: Staff, other: Staff, events: Any) -> None:
    items = add(agent, 3)
    theirs = add(other, 1)
    client = api(agent)
    events.clear()
    r = client.post("/api/v1/notifications/read", {"ids": [items[0].pk, items[1].pk]}, format="json")
    assert r.status_code == 200 and r.json() == {"updated": 2, "unread_count": 1}
    read = events.of_type("notification.read")
    assert read == [
        (
            [f"staff.{agent.pk}"],
            {
                "type": "notification.read",
                "data": {"ids": sorted([items[0].pk, items[1].pk]), "all": False, "read": True, "unread": 1},
            },
        )
    ]
    # Again: nothing changes, nothing is sent.
    events.clear()
    r = client.post("/api/v1/notifications/read", {"ids": [items[0].pk]}, format="json")
    assert r.json() == {"updated": 0, "unread_count": 1}
    assert events.of_type("notification.read") == []
    r = client.post("/api/v1/notifications/read", {"all": True}, format="json")
    assert r.json() == {"updated": 1, "unread_count": 0}
    assert events.of_type("notification.read")[0][1]["data"] == {"ids": [], "all": True, "read": True, "unread": 0}
    # Another's are untouched.
    assert Notification.objects.get(pk=theirs[0].pk).read_at is None


def test_mark_read_of_anothers_is_404_and_changes_nothing(api: Any, agent: Staff, other: Staff, admin: Staff) -> None:
    mine = add(agent, 1)
    theirs = add(other, 1)
    for client in (api(agent), api(admin)):
        r = client.post("/api/v1/notifications/read", {"ids": [mine[0].pk, theirs[0].pk]}, format="json")
        assert r.status_code == 404
        r = client.patch(f"/api/v1/notifications/{theirs[0].pk}", {"read": True}, format="json")
        assert r.status_code == 404
    assert Notification.objects.filter(read_at__isnull=False).count() == 0
    assert api(agent).patch("/api/v1/notifications/999999", {"read": True}, format="json").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "ids"),
        ({"ids": []}, "ids"),
        ({"ids": "1"}, "ids"),
        ({"ids": [0]}, "ids"),
        ({"ids": [True]}, "ids"),
        ({"ids": list(range(1, 502))}, "ids"),
        ({"all": "yes"}, "all"),
        ({"all": False}, "ids"),
        ({"all": True, "ids": [1]}, "ids"),
    ],
)
def test_mark_read_bad_input_is_400(api: Any, agent: Staff, body: dict[str, Any], field: str) -> None:
    add(agent, 1)
    r = api(agent).post("/api/v1/notifications/read", body, format="json")
    assert r.status_code == 400 and field in r.json(), r.json()
    assert Notification.objects.filter(read_at__isnull=False).count() == 0


def test_patch_read_and_unread(api: Any, agent: Staff, events: Any) -> None:
    (item,) = add(agent, 1)
    client = api(agent)
    r = client.patch(f"/api/v1/notifications/{item.pk}", {"read": True}, format="json")
    assert r.status_code == 200 and r.json()["read"] is True and r.json()["unread_count"] == 0
    events.clear()
    r = client.patch(f"/api/v1/notifications/{item.pk}", {"read": False}, format="json")
    assert r.status_code == 200 and r.json()["read"] is False and r.json()["unread_count"] == 1
    assert events.of_type("notification.read")[0][1]["data"] == {
        "ids": [item.pk],
        "all": False,
        "read": False,
        "unread": 1,
    }
    for body in ({}, {"read": "perhaps"}):
        r = client.patch(f"/api/v1/notifications/{item.pk}", body, format="json")
        assert r.status_code == 400 and "read" in r.json()


def test_anonymous_and_visitors_are_refused(api: Any, agent: Staff, open_enquiry: Any) -> None:
    enquiry = open_enquiry()
    for client in (api(None), api(enquiry.visitor)):
        assert client.get("/api/v1/notifications").status_code in (401, 403)
        assert client.post("/api/v1/notifications/read", {"all": True}, format="json").status_code in (401, 403)


def test_retention_sweep(agent: Staff, clock: Any, settings: Any) -> None:
    settings.CC_NOTIFICATIONS_KEEP_DAYS = 90
    old = add(agent, 2)
    clock.advance(dt.timedelta(days=89).total_seconds())
    recent = add(agent, 1)
    clock.advance(dt.timedelta(days=1, seconds=1).total_seconds())
    assert notifications_sweep() == 2
    assert list(Notification.objects.values_list("id", flat=True)) == [recent[0].pk]
    assert notifications_sweep() == 0  # idempotent
    assert {o.pk for o in old}.isdisjoint(Notification.objects.values_list("id", flat=True))
    settings.CC_NOTIFICATIONS_KEEP_DAYS = 0  # keep for ever
    clock.advance(dt.timedelta(days=999).total_seconds())
    assert notifications_sweep() == 0 and Notification.objects.count() == 1


def test_retention_sweep_in_batches(agent: Staff, clock: Any, monkeypatch: Any) -> None:
    from notifications import services

    monkeypatch.setattr(services, "SWEEP_BATCH", 2)
    add(agent, 5)
    clock.advance(dt.timedelta(days=91).total_seconds())
    assert notifications_sweep() == 5 and Notification.objects.count() == 0


def test_schema_documents_the_operations(api: Any, agent: Staff) -> None:
    schema = api(agent).get("/api/schema/?format=json").json()
    paths = schema["paths"]
    assert "get" in paths["/api/v1/notifications"]
    assert "post" in paths["/api/v1/notifications/read"]
    assert "patch" in paths["/api/v1/notifications/{notification_id}"]
    assert "unread_count" in schema["components"]["schemas"]["NotificationListOut"]["properties"]
