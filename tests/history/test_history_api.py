"""GET /api/v1/history and GET /api/v1/history/{id}: what each caller sees, every filter,
cursor pages, refusals (bad filters 400, other people's enquiries 404, visitors refused)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from contactcenter.org.services import org_settings_update
from enquiries.models import Enquiry
from history.selectors import cursor_encode
from tests.api.conftest import _check_responses_against_schema, counts, error, ok  # noqa: F401
from tests.history.history_fixtures import CHINESE, World, world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def ids(body: dict[str, Any]) -> list[int]:
    return [row["id"] for row in body["results"]]


def history(client: APIClient, **params: Any) -> dict[str, Any]:
    return ok(client.get("/api/v1/history", params))


def test_admin_sees_every_finished_enquiry_newest_first(world: World, api: Callable[..., APIClient]) -> None:
    body = history(api(world.admin))
    assert ids(body) == [world.e5.pk, world.e3.pk, world.e2.pk, world.e1.pk]
    assert body["next_cursor"] is None
    row = body["results"][-1]
    assert row["room"] == world.e1.room.pk
    assert row["channel"] == {"id": world.widget.pk, "kind": "widget", "name": world.widget.name}
    assert row["tag"] == {"id": world.support.pk, "name": "Support"}
    assert row["customer"] == {"id": world.customer.pk, "name": "Chen Wei"}
    assert row["owner"] == {"id": world.alice.pk, "name": "Alice Agent"}
    assert row["status"] == "closed"
    assert row["topic"] == "Late parcel"
    assert row["first_message"] == CHINESE
    assert row["tags"] == [
        {"id": world.refund.pk, "name": "Refund", "parent": world.billing.pk, "path": "Billing > Refund"}
    ]
    assert row["rating"] == {"score": 5, "comment": "很好"}
    assert row["duration_seconds"] == 90
    assert row["picked_up_at"] and row["ended_at"] and row["closed_at"]
    # Visitor's first message, Alice's text, the file, the edited message (the recalled one is counted too).
    assert row["message_count"] == 5


def test_agent_sees_what_they_owned_or_were_a_member_of(world: World, api: Callable[..., APIClient]) -> None:
    assert ids(history(api(world.alice))) == [world.e3.pk, world.e1.pk]  # e3: transferred away
    assert ids(history(api(world.bob))) == [world.e3.pk, world.e2.pk]
    assert ids(history(api(world.carol))) == [world.e5.pk]


def test_agents_see_ratings_only_when_allowed(world: World, api: Callable[..., APIClient]) -> None:
    row = history(api(world.alice))["results"][-1]
    assert "rating" not in row
    body = error(api(world.alice).get("/api/v1/history", {"rating": 5}), 400)
    assert "rating" in body
    org_settings_update(actor=world.admin, changes={"ratings_visible_to_agents": True})
    assert ids(history(api(world.alice), rating=5)) == [world.e1.pk]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"channel": "sales"}, ["e2"]),
        ({"tag": "sales"}, ["e2"]),
        ({"tag": "support"}, ["e5", "e3", "e1"]),
        ({"conversation_tag": "billing"}, ["e3", "e1"]),  # a parent matches its children
        ({"conversation_tag": "refund"}, ["e1"]),
        ({"owner": "bob"}, ["e3", "e2"]),
        ({"rating": 5}, ["e1"]),
        ({"rating": 3}, []),
        ({"customer": "customer"}, ["e1"]),
        ({"from": "2026-03-03", "to": "2026-03-04"}, ["e3", "e2"]),
        ({"from": "2026-03-04T09:00:00Z"}, ["e5", "e3"]),
        ({"to": "2026-03-02"}, ["e1"]),
        ({"status": "resolved"}, ["e2"]),
        ({"status": "open,handling"}, ["e4"]),
    ],
)
def test_each_filter(world: World, api: Callable[..., APIClient], params: dict[str, Any], expected: list[str]) -> None:
    refs = {
        "sales": world.sales_channel.pk if "channel" in params else world.sales.pk,
        "support": world.support.pk,
        "billing": world.billing.pk,
        "refund": world.refund.pk,
        "bob": world.bob.pk,
        "customer": world.customer.pk,
    }
    query = {key: refs.get(value, value) if isinstance(value, str) else value for key, value in params.items()}
    assert ids(history(api(world.admin), **query)) == [getattr(world, name).pk for name in expected]


def test_cursor_pages_cover_everything_once(world: World, api: Callable[..., APIClient]) -> None:
    client = api(world.admin)
    seen: list[int] = []
    cursor = ""
    for _page in range(10):
        body = history(client, limit=1, cursor=cursor)
        assert len(body["results"]) == 1
        seen += ids(body)
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [world.e5.pk, world.e3.pk, world.e2.pk, world.e1.pk]


def test_cursor_settles_ties_by_id(world: World, api: Callable[..., APIClient]) -> None:
    # Two enquiries created at the same instant: each once, higher id first.
    Enquiry.objects.filter(pk=world.e2.pk).update(created_at=world.e3.created_at)
    client = api(world.admin)
    first = history(client, limit=2)
    second = history(client, limit=2, cursor=first["next_cursor"])
    assert ids(first) + ids(second) == [world.e5.pk, world.e3.pk, world.e2.pk, world.e1.pk]


def test_cursor_after_a_row_the_agent_cannot_see_still_works(world: World, api: Callable[..., APIClient]) -> None:
    body = history(api(world.alice), cursor=cursor_encode(world.e5))
    assert ids(body) == [world.e3.pk, world.e1.pk]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-13-01"}, "to"),
        ({"from": "2026-03-05", "to": "2026-03-01"}, "to"),
        ({"channel": "x"}, "channel"),
        ({"tag": "-1"}, "tag"),
        ({"conversation_tag": "1.5"}, "conversation_tag"),
        ({"owner": "me"}, "owner"),
        ({"rating": "6"}, "rating"),
        ({"customer": "0"}, "customer"),
        ({"status": "lost"}, "status"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "WyJ4IiwgMV0"}, "cursor"),  # ["x", 1]
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"limit": "ten"}, "limit"),
    ],
)
def test_bad_filters_are_400_with_the_field(
    world: World, api: Callable[..., APIClient], params: dict[str, str], field: str
) -> None:
    client = api(world.admin)
    before = counts()
    body = error(client.get("/api/v1/history", params), 400)
    assert field in body, body
    assert counts() == before


def test_visitors_and_strangers_are_refused(world: World, api: Callable[..., APIClient]) -> None:
    assert api().get("/api/v1/history").status_code in (401, 403)
    assert api(world.e1.visitor).get("/api/v1/history").status_code in (401, 403)
    assert api(world.e1.visitor).get(f"/api/v1/history/{world.e1.pk}").status_code in (401, 403)


def test_transcript_for_those_who_may_see_it(world: World, api: Callable[..., APIClient]) -> None:
    for staff in (world.admin, world.alice):
        body = ok(api(staff).get(f"/api/v1/history/{world.e1.pk}"))
        assert body["enquiry"]["id"] == world.e1.pk
        assert body["downloads"]["pdf"] == f"/api/v1/enquiries/{world.e1.pk}/transcript.pdf"
        messages = body["messages"]
        assert [m["id"] for m in messages] == sorted(m["id"] for m in messages)
        assert messages[0]["kind"] == "system"  # the new enquiry's notice, worded for staff
        assert next(m for m in messages if m["author"]["type"] == "visitor")["text"] == CHINESE
        by_id = {m["id"]: m for m in messages}
        recalled = by_id[world.recalled.pk]
        assert recalled["recalled_at"] and recalled["text"] == ""
        assert by_id[world.edited.pk]["text"] == "second wording" and by_id[world.edited.pk]["edited_at"]
        file = by_id[world.file_message.pk]["data"]["file"]
        assert file["name"] == "invoice 发票.pdf"
        assert file["url"] == f"/api/v1/history/{world.e1.pk}/files/{world.file_message.pk}"
        assert any(m["kind"] == "system" for m in messages)
    # Alice was transferred away from e3 but was a member.
    ok(api(world.alice).get(f"/api/v1/history/{world.e3.pk}"))


def test_another_agents_enquiry_is_404(world: World, api: Callable[..., APIClient]) -> None:
    e1, e5, file_id = world.e1.pk, world.e5.pk, world.file_message.pk
    for staff, path in (
        (world.alice, f"/api/v1/history/{e5}"),
        (world.alice, f"/api/v1/history/{e5}/files/{file_id}"),
        (world.alice, f"/api/v1/enquiries/{e5}/transcript.txt"),
        (world.carol, f"/api/v1/history/{e1}/files/{file_id}"),
        (world.carol, f"/api/v1/enquiries/{e1}/transcript.pdf"),
        (world.bob, f"/api/v1/history/{e1}"),
        (world.admin, "/api/v1/history/999999"),
    ):
        error(api(staff).get(path), 404)


def test_files_of_a_closed_enquiry_download_for_former_members(world: World, api: Callable[..., APIClient]) -> None:
    url = f"/api/v1/history/{world.e1.pk}/files/{world.file_message.pk}"
    for staff in (world.alice, world.admin):
        response = api(staff).get(url)
        assert response.status_code == 200
        assert response.getvalue().startswith(b"%PDF")
        assert response["Content-Disposition"].startswith("attachment;")
    # A message of another room through this enquiry's URL: 404.
    other = world.e5.room.messages.get(kind="text")
    error(api(world.admin).get(f"/api/v1/history/{world.e1.pk}/files/{other.pk}"), 404)
    # A recalled message has no file.
    error(api(world.admin).get(f"/api/v1/history/{world.e1.pk}/files/{world.recalled.pk}"), 404)


def test_page_query_count_does_not_grow_with_the_page(
    world: World, api: Callable[..., APIClient], django_assert_max_num_queries: Any
) -> None:
    client = api(world.admin)
    history(client)  # warm caches (settings row)
    with django_assert_max_num_queries(8):
        history(client)


def test_schema_lists_the_history_endpoints() -> None:
    from tests.api.openapi_check import openapi

    paths = openapi()["paths"]
    for template in (
        "/api/v1/history",
        "/api/v1/history/{enquiry_id}",
        "/api/v1/history/{enquiry_id}/files/{message_id}",
        "/api/v1/enquiries/{enquiry_id}/transcript.txt",
        "/api/v1/enquiries/{enquiry_id}/transcript.pdf",
    ):
        assert "get" in paths[template], template
    params = {p["name"] for p in paths["/api/v1/history"]["get"]["parameters"]}
    assert {"from", "to", "channel", "tag", "conversation_tag", "owner", "rating", "customer", "cursor"} <= params


def test_agents_pages_are_their_visible_enquiries(world: World, api: Callable[..., APIClient]) -> None:
    # An agent's pages come from their RoomParticipant rows (the enquiry is on the row):
    # the same enquiries, in the same order, as the rule of visible_enquiries says.
    from history.filters import FINISHED, visible_enquiries

    for staff in (world.alice, world.bob, world.carol):
        expected = list(
            visible_enquiries(staff)
            .filter(status__in=FINISHED)
            .order_by("-created_at", "-id")
            .values_list("id", flat=True)
        )
        assert expected
        assert ids(history(api(staff))) == expected
        after_e5 = list(
            visible_enquiries(staff)
            .filter(status__in=FINISHED, created_at__lte=world.e5.created_at)
            .exclude(created_at=world.e5.created_at, id__gte=world.e5.pk)
            .order_by("-created_at", "-id")
            .values_list("id", flat=True)
        )
        assert ids(history(api(staff), cursor=cursor_encode(world.e5))) == after_e5
