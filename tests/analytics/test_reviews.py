"""Quality review: the rubric (CRUD, order, archive instead of delete), writing reviews
(success, every refusal with nothing written, the owner notified), changing and deleting
them, who reads what (agents: their own only), the per-agent summary, and the random
sample of an agent's finished, unreviewed conversations."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from analytics import reviews
from analytics.reviews_models import Review, ReviewCriterion, ReviewScore
from contactcenter.org.errors import Conflict
from contactcenter.org.events import staff_group
from contactcenter.org.services import org_settings_update
from enquiries import services as enquiry_services
from enquiries.models import Enquiry
from notifications.models import Notification
from tests.analytics.reviews_fixtures import WEDNESDAY, Rubric, all_scores, rubric_fixture  # noqa: F401
from tests.api.conftest import _check_responses_against_schema, error, ok  # noqa: F401
from tests.concurrency import race
from tests.conftest import require_postgres

pytestmark = pytest.mark.django_db

# The business's time zone (the work hours' one), open all day so that nothing is missed.
SHANGHAI_ALL_DAY = {
    "timezone": "Asia/Shanghai",
    "days": {day: [["00:00", "23:59"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
}


def written() -> tuple[int, int, int]:
    return Review.objects.count(), ReviewScore.objects.count(), Notification.objects.count()


def post_review(client: APIClient, enquiry: Enquiry | int, scores: Any, comment: str = "") -> Any:
    enquiry_id = enquiry if isinstance(enquiry, int) else enquiry.pk
    return client.post("/api/v1/reviews", {"enquiry": enquiry_id, "scores": scores, "comment": comment}, format="json")


def names(body: dict[str, Any]) -> list[str]:
    return [c["name"] for c in body["results"]]


# ---------------------------------------------------------------------------- the rubric


def test_admin_defines_the_rubric_in_order(rubric: Rubric, api: Callable[..., APIClient]) -> None:
    client = api(rubric.admin)
    body = ok(client.get("/api/v1/review-criteria"))
    assert names(body) == ["Courtesy", "Accuracy", "Speed"]
    assert body["results"][0] == {
        "id": rubric.courtesy.pk,
        "name": "Courtesy",
        "description": "Polite and warm",
        "weight": 2,
        "active": True,
        "position": 0,
        "archived": False,
    }
    created = ok(
        client.post(
            "/api/v1/review-criteria",
            {"name": "  Empathy   first ", "description": "Feels with the customer", "weight": 3, "position": 1},
            format="json",
        ),
        201,
    )
    assert created["name"] == "Empathy first" and created["position"] == 1 and created["weight"] == 3
    assert names(ok(client.get("/api/v1/review-criteria"))) == ["Courtesy", "Empathy first", "Accuracy", "Speed"]
    moved = ok(client.patch(f"/api/v1/review-criteria/{rubric.speed.pk}", {"position": 0}, format="json"))
    assert moved["position"] == 0
    body = ok(client.get("/api/v1/review-criteria"))
    assert names(body) == ["Speed", "Courtesy", "Empathy first", "Accuracy"]
    assert [c["position"] for c in body["results"]] == [0, 1, 2, 3]
    changed = ok(
        client.patch(
            f"/api/v1/review-criteria/{rubric.accuracy.pk}",
            {"name": "Correctness", "weight": 5, "active": False, "description": ""},
            format="json",
        )
    )
    assert changed | {"id": 0} == {
        "id": 0,
        "name": "Correctness",
        "description": "",
        "weight": 5,
        "active": False,
        "position": 3,
        "archived": False,
    }


def test_agents_read_the_rubric_but_cannot_change_it(rubric: Rubric, api: Callable[..., APIClient]) -> None:
    client = api(rubric.alice)
    assert names(ok(client.get("/api/v1/review-criteria"))) == ["Courtesy", "Accuracy", "Speed"]
    before = list(ReviewCriterion.objects.values_list("id", "name", "weight", "position", "active"))
    error(client.post("/api/v1/review-criteria", {"name": "Mine"}, format="json"), 403)
    error(client.patch(f"/api/v1/review-criteria/{rubric.speed.pk}", {"name": "Fast"}, format="json"), 403)
    error(client.delete(f"/api/v1/review-criteria/{rubric.speed.pk}"), 403)
    assert list(ReviewCriterion.objects.values_list("id", "name", "weight", "position", "active")) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 81}, "name"),
        ({"name": "Ok", "weight": 0}, "weight"),
        ({"name": "Ok", "weight": 101}, "weight"),
        ({"name": "Ok", "weight": "heavy"}, "weight"),
        ({"name": "Ok", "position": 9}, "position"),
        ({"name": "Ok", "position": -1}, "position"),
        ({"name": "Ok", "description": "d" * 1001}, "description"),
        ({"name": "Ok", "active": "maybe"}, "active"),
        ({"name": "Bad\u0000"}, "name"),
    ],
)
def test_bad_criteria_are_refused_with_their_field(
    rubric: Rubric, api: Callable[..., APIClient], body: dict[str, Any], field: str
) -> None:
    before = ReviewCriterion.objects.count()
    response = error(api(rubric.admin).post("/api/v1/review-criteria", body, format="json"), 400)
    assert field in response
    assert ReviewCriterion.objects.count() == before


def test_criterion_names_are_unique_ignoring_case(rubric: Rubric, api: Callable[..., APIClient]) -> None:
    client = api(rubric.admin)
    assert error(client.post("/api/v1/review-criteria", {"name": "courtesy"}, format="json"), 409)["code"] == (
        "duplicate"
    )
    error(client.patch(f"/api/v1/review-criteria/{rubric.speed.pk}", {"name": "ACCURACY"}, format="json"), 409)
    assert ReviewCriterion.objects.get(pk=rubric.speed.pk).name == "Speed"
    error(client.patch("/api/v1/review-criteria/999999", {"name": "Other"}, format="json"), 404)
    error(client.patch(f"/api/v1/review-criteria/{rubric.speed.pk}", {"position": 3}, format="json"), 400)


def test_deleting_an_unused_criterion_deletes_it(rubric: Rubric, api: Callable[..., APIClient]) -> None:
    client = api(rubric.admin)
    assert ok(client.delete(f"/api/v1/review-criteria/{rubric.accuracy.pk}")) == {"deleted": True, "archived": False}
    assert not ReviewCriterion.objects.filter(pk=rubric.accuracy.pk).exists()
    body = ok(client.get("/api/v1/review-criteria"))
    assert [(c["name"], c["position"]) for c in body["results"]] == [("Courtesy", 0), ("Speed", 1)]
    error(client.delete(f"/api/v1/review-criteria/{rubric.accuracy.pk}"), 404)


def test_deleting_a_used_criterion_archives_it_and_old_reviews_keep_it(
    rubric: Rubric, api: Callable[..., APIClient]
) -> None:
    client = api(rubric.admin)
    review = ok(post_review(client, rubric.finish(rubric.alice), all_scores(rubric)), 201)
    assert ok(client.delete(f"/api/v1/review-criteria/{rubric.speed.pk}")) == {"deleted": False, "archived": True}
    assert names(ok(client.get("/api/v1/review-criteria"))) == ["Courtesy", "Accuracy"]
    everything = ok(client.get("/api/v1/review-criteria", {"archived": "1"}))
    assert [(c["name"], c["archived"], c["active"]) for c in everything["results"]] == [
        ("Courtesy", False, True),
        ("Accuracy", False, True),
        ("Speed", True, False),
    ]
    # The old review is whole: its scores, total and the archived criterion's name.
    again = ok(client.get(f"/api/v1/reviews/{review['id']}"))
    assert [(s["name"], s["score"], s["archived"]) for s in again["scores"]] == [
        ("Courtesy", 5, False),
        ("Accuracy", 4, False),
        ("Speed", 3, True),
    ]
    assert again["total"] == review["total"] == 4.25
    # Archived: out of the rubric (no change, no second delete), and no longer scored.
    error(client.patch(f"/api/v1/review-criteria/{rubric.speed.pk}", {"active": True}, format="json"), 404)
    error(client.delete(f"/api/v1/review-criteria/{rubric.speed.pk}"), 404)
    new = ok(
        post_review(client, rubric.finish(rubric.bob), {str(rubric.courtesy.pk): 4, str(rubric.accuracy.pk): 4}), 201
    )
    assert new["total"] == 4.0
    # Its name is free for a new criterion.
    ok(client.post("/api/v1/review-criteria", {"name": "Speed"}, format="json"), 201)


# ---------------------------------------------------------------------------- writing a review


def test_admin_reviews_a_finished_conversation_and_the_agent_is_notified(
    rubric: Rubric, api: Callable[..., APIClient], events: Any
) -> None:
    enquiry = rubric.finish(rubric.alice, topic="Late parcel")
    events.clear()
    body = ok(post_review(api(rubric.admin), enquiry, all_scores(rubric), "  Friendly; check the tracking link. "), 201)
    # (5*2 + 4*1 + 3*1) / 4 = 4.25
    assert body["total"] == 4.25
    assert body["agent"] == {"id": rubric.alice.pk, "name": "Alice Agent"}
    assert body["reviewer"] == {"id": rubric.admin.pk, "name": "Ada Admin"}
    assert body["comment"] == "Friendly; check the tracking link."
    assert body["enquiry"]["id"] == enquiry.pk and body["enquiry"]["topic"] == "Late parcel"
    assert body["enquiry"]["channel"]["kind"] == "widget"
    assert [(s["criterion"], s["weight"], s["score"]) for s in body["scores"]] == [
        (rubric.courtesy.pk, 2, 5),
        (rubric.accuracy.pk, 1, 4),
        (rubric.speed.pk, 1, 3),
    ]
    assert body["editable"] is True and body["deletable"] is True
    review = Review.objects.get()
    assert review.conversation_at == enquiry.created_at and review.agent_id == rubric.alice.pk
    note = Notification.objects.get()
    assert (note.staff_id, note.kind, note.enquiry_id, note.actor_id) == (
        rubric.alice.pk,
        "review",
        enquiry.pk,
        rubric.admin.pk,
    )
    assert note.data == {"review": review.pk, "score": 4.25, "actor_name": rubric.admin.display_name}
    sent = events.of_type("notification.created")
    assert len(sent) == 1 and sent[0][0] == [staff_group(rubric.alice.pk)]


def test_a_resolved_conversation_can_be_reviewed(rubric: Rubric, api: Callable[..., APIClient]) -> None:
    enquiry = rubric.finish(rubric.bob, close=False)
    assert enquiry.status == "resolved"
    assert ok(post_review(api(rubric.admin), enquiry, all_scores(rubric, 1, 1, 1)), 201)["total"] == 1.0


def test_weighted_total_rounds_half_up() -> None:
    assert str(reviews.weighted_total([(5, 1), (4, 1), (4, 1)])) == "4.33"
    assert str(reviews.weighted_total([(5, 3), (2, 5)])) == "3.13"  # 25/8 = 3.125
    assert str(reviews.weighted_total([(3, 7)])) == "3.00"


@pytest.mark.parametrize(
    ("scores", "message"),
    [
        ("all good", ""),
        ([5, 4, 3], ""),
        ({"courtesy": 5, "accuracy": 4}, "missing"),
        ({"courtesy": 5, "accuracy": 4, "speed": 6}, "1 to 5"),
        ({"courtesy": 0, "accuracy": 4, "speed": 3}, "1 to 5"),
        ({"courtesy": "5", "accuracy": 4, "speed": 3}, "1 to 5"),
        ({"courtesy": True, "accuracy": 4, "speed": 3}, "1 to 5"),
        ({"courtesy": 4.5, "accuracy": 4, "speed": 3}, "1 to 5"),
        ({"courtesy": 5, "accuracy": 4, "speed": 3, "999999": 2}, "criterion"),
        ({"courtesy": 5, "accuracy": 4, "speed": 3, "x": 2}, "criterion"),
    ],
)
def test_bad_scores_are_refused_and_nothing_is_written(
    rubric: Rubric, api: Callable[..., APIClient], scores: Any, message: str
) -> None:
    enquiry = rubric.finish(rubric.alice)
    ids = {"courtesy": rubric.courtesy.pk, "accuracy": rubric.accuracy.pk, "speed": rubric.speed.pk}
    if isinstance(scores, dict):
        scores = {str(ids.get(k, k)): v for k, v in scores.items()}
    before = written()
    body = error(post_review(api(rubric.admin), enquiry, scores), 400)
    assert "scores" in body and message in body["scores"][0]
    assert written() == before


def test_an_inactive_criterion_is_neither_required_nor_accepted(rubric: Rubric, api: Callable[..., APIClient]) -> None:
    reviews.criterion_update(actor=rubric.admin, criterion_id=rubric.speed.pk, active=False)
    client = api(rubric.admin)
    enquiry = rubric.finish(rubric.alice)
    error(post_review(client, enquiry, all_scores(rubric)), 400)
    body = ok(post_review(client, enquiry, {str(rubric.courtesy.pk): 5, str(rubric.accuracy.pk): 2}), 201)
    assert body["total"] == 4.0 and len(body["scores"]) == 2


def test_refusals_write_nothing(
    rubric: Rubric, api: Callable[..., APIClient], open_enquiry: Any, make_tag: Any, make_channel: Any
) -> None:
    client = api(rubric.admin)
    scores = all_scores(rubric)
    before = written()
    # Agents never write reviews.
    error(post_review(api(rubric.bob), rubric.finish(rubric.alice), scores), 403)
    # Not finished: open, handling; missed (no conversation with an agent).
    assert error(post_review(client, rubric.open_one(), scores), 409)["code"] == "not_finished"
    handling = rubric.open_one()
    enquiry_services.enquiry_pick_up(actor=rubric.alice, enquiry_id=handling.pk)
    error(post_review(client, handling, scores), 409)
    nobody = make_channel(tag=make_tag("Nobody here"))
    missed = open_enquiry(channel=nobody)
    missed.refresh_from_db()
    assert missed.status == "missed"
    error(post_review(client, missed, scores), 409)
    # No such enquiry; not an id; an admin's own conversation.
    assert "enquiry" in error(post_review(client, 999999, scores), 400)
    assert "enquiry" in error(client.post("/api/v1/reviews", {"enquiry": "x", "scores": scores}, format="json"), 400)
    assert "scores" in error(client.post("/api/v1/reviews", {"enquiry": missed.pk}, format="json"), 400)
    own = rubric.finish(rubric.admin2)
    assert "enquiry" in error(post_review(api(rubric.admin2), own, scores), 400)
    # A comment too long, or with a NUL.
    done = rubric.finish(rubric.alice)
    assert "comment" in error(post_review(client, done, scores, "c" * 4001), 400)
    assert "comment" in error(post_review(client, done, scores, "bad\u0000"), 400)
    assert written() == before


def test_a_second_review_by_the_same_admin_is_refused_another_admin_may_review(
    rubric: Rubric, api: Callable[..., APIClient]
) -> None:
    enquiry = rubric.finish(rubric.alice)
    first = ok(post_review(api(rubric.admin), enquiry, all_scores(rubric)), 201)
    before = written()
    body = error(post_review(api(rubric.admin), enquiry, all_scores(rubric, 1, 1, 1), "again"), 409)
    assert body["code"] == "already_reviewed"
    assert written() == before
    assert Review.objects.get(pk=first["id"]).total == pytest.approx(4.25)
    second = ok(post_review(api(rubric.admin2), enquiry, all_scores(rubric, 1, 1, 1)), 201)
    assert second["id"] != first["id"] and Notification.objects.count() == 2


def test_no_active_criterion_means_no_review(rubric: Rubric, api: Callable[..., APIClient]) -> None:
    for item in (rubric.courtesy, rubric.accuracy, rubric.speed):
        reviews.criterion_update(actor=rubric.admin, criterion_id=item.pk, active=False)
    before = written()
    assert error(post_review(api(rubric.admin), rubric.finish(rubric.alice), {}), 409)["code"] == "no_criteria"
    assert written() == before


# ---------------------------------------------------------------------------- changing and deleting


def test_the_author_changes_a_review_weights_stay_as_they_were(rubric: Rubric, api: Callable[..., APIClient]) -> None:
    client = api(rubric.admin)
    review = ok(post_review(client, rubric.finish(rubric.alice), all_scores(rubric)), 201)
    # A new weight counts for new reviews only.
    reviews.criterion_update(actor=rubric.admin, criterion_id=rubric.courtesy.pk, weight=10)
    assert ok(client.get(f"/api/v1/reviews/{review['id']}"))["total"] == 4.25
    changed = ok(client.patch(f"/api/v1/reviews/{review['id']}", {"comment": "Better now"}, format="json"))
    assert changed["comment"] == "Better now" and changed["total"] == 4.25
    # New scores: the whole set, with the weights of now. (1*10 + 5 + 5) / 12 = 1.67
    changed = ok(
        client.patch(f"/api/v1/reviews/{review['id']}", {"scores": all_scores(rubric, 1, 5, 5)}, format="json")
    )
    assert changed["total"] == 1.67
    assert [(s["weight"], s["score"]) for s in changed["scores"]] == [(10, 1), (1, 5), (1, 5)]
    assert Notification.objects.count() == 1  # told once, when written
    before = list(ReviewScore.objects.values_list("criterion_id", "score", "weight").order_by("criterion_id"))
    body = error(
        client.patch(f"/api/v1/reviews/{review['id']}", {"scores": {str(rubric.courtesy.pk): 3}}, format="json"), 400
    )
    assert "scores" in body
    assert list(ReviewScore.objects.values_list("criterion_id", "score", "weight").order_by("criterion_id")) == before


def test_only_the_author_changes_a_review(rubric: Rubric, api: Callable[..., APIClient]) -> None:
    review = ok(post_review(api(rubric.admin), rubric.finish(rubric.alice), all_scores(rubric), "Mine"), 201)
    url = f"/api/v1/reviews/{review['id']}"
    assert ok(api(rubric.admin2).get(url))["editable"] is False
    error(api(rubric.admin2).patch(url, {"comment": "Theirs"}, format="json"), 403)
    error(api(rubric.alice).patch(url, {"comment": "Mine now"}, format="json"), 403)
    error(api(rubric.admin).patch("/api/v1/reviews/999999", {"comment": "x"}, format="json"), 404)
    assert Review.objects.get().comment == "Mine"


def test_any_admin_deletes_a_review_agents_cannot(rubric: Rubric, api: Callable[..., APIClient]) -> None:
    review = ok(post_review(api(rubric.admin), rubric.finish(rubric.alice), all_scores(rubric)), 201)
    url = f"/api/v1/reviews/{review['id']}"
    error(api(rubric.alice).delete(url), 403)
    assert Review.objects.count() == 1
    ok(api(rubric.admin2).delete(url), 204)
    assert Review.objects.count() == 0 and ReviewScore.objects.count() == 0
    error(api(rubric.admin).delete(url), 404)


def test_reviews_go_with_their_enquiry(rubric: Rubric, api: Callable[..., APIClient]) -> None:
    enquiry = rubric.finish(rubric.alice)
    ok(post_review(api(rubric.admin), enquiry, all_scores(rubric)), 201)
    Enquiry.objects.filter(pk=enquiry.pk).delete()  # as retention and erasure delete them
    assert Review.objects.count() == 0 and ReviewScore.objects.count() == 0


# ---------------------------------------------------------------------------- reading


@pytest.fixture(name="reviewed")
def reviewed_fixture(rubric: Rubric, api: Callable[..., APIClient]) -> dict[str, Any]:
    """Alice: two reviews (4.25 on Mar 2, 2.00 on Mar 3); Bob: one (5.00 on Mar 4)."""
    out: dict[str, Any] = {}
    for name, owner, day, scores in (
        ("a1", rubric.alice, 2, all_scores(rubric)),
        ("a2", rubric.alice, 3, all_scores(rubric, 2, 2, 2)),
        ("b1", rubric.bob, 4, all_scores(rubric, 5, 5, 5)),
    ):
        enquiry = rubric.finish(owner, at=dt.datetime(2026, 3, day, 9, 0, tzinfo=dt.UTC))
        out[name] = ok(post_review(api(rubric.admin), enquiry, scores), 201)
    return out


def ids(body: dict[str, Any]) -> list[int]:
    return [r["id"] for r in body["results"]]


def test_admins_see_every_review_with_filters(
    rubric: Rubric, reviewed: dict[str, Any], api: Callable[..., APIClient]
) -> None:
    client = api(rubric.admin2)
    a1, a2, b1 = reviewed["a1"]["id"], reviewed["a2"]["id"], reviewed["b1"]["id"]
    assert ids(ok(client.get("/api/v1/reviews"))) == [b1, a2, a1]
    assert ids(ok(client.get("/api/v1/reviews", {"agent": rubric.alice.pk}))) == [a2, a1]
    assert ids(ok(client.get("/api/v1/reviews", {"enquiry": reviewed["b1"]["enquiry"]["id"]}))) == [b1]
    assert ids(ok(client.get("/api/v1/reviews", {"from": "2026-03-03", "to": "2026-03-03"}))) == [a2]
    assert ids(ok(client.get("/api/v1/reviews", {"from": "2026-03-03T00:00:00Z"}))) == [b1, a2]
    assert ids(ok(client.get("/api/v1/reviews", {"reviewer": rubric.admin2.pk}))) == []
    first = ok(client.get("/api/v1/reviews", {"limit": 2}))
    assert ids(first) == [b1, a2] and first["next_cursor"] == a2
    assert ids(ok(client.get("/api/v1/reviews", {"limit": 2, "cursor": a2}))) == [a1]
    for params in ({"agent": "x"}, {"from": "yesterday"}, {"limit": 500}, {"from": "2026-03-04", "to": "2026-03-01"}):
        error(client.get("/api/v1/reviews", params), 400)


def test_agents_see_only_reviews_of_themselves(
    rubric: Rubric, reviewed: dict[str, Any], api: Callable[..., APIClient]
) -> None:
    alice, bob = api(rubric.alice), api(rubric.bob)
    body = ok(alice.get("/api/v1/reviews"))
    assert ids(body) == [reviewed["a2"]["id"], reviewed["a1"]["id"]]
    assert all(r["editable"] is False and r["deletable"] is False for r in body["results"])
    assert ids(ok(alice.get("/api/v1/reviews", {"agent": rubric.alice.pk}))) == ids(body)
    error(alice.get("/api/v1/reviews", {"agent": rubric.bob.pk}), 403)
    assert ids(ok(bob.get("/api/v1/reviews", {"enquiry": reviewed["a1"]["enquiry"]["id"]}))) == []
    ok(alice.get(f"/api/v1/reviews/{reviewed['a1']['id']}"))
    error(bob.get(f"/api/v1/reviews/{reviewed['a1']['id']}"), 404)
    error(alice.get("/api/v1/reviews/999999"), 404)
    error(api().get("/api/v1/reviews"), 401)


def test_the_list_costs_the_same_for_any_page_size(
    rubric: Rubric, reviewed: dict[str, Any], api: Callable[..., APIClient], django_assert_num_queries: Any
) -> None:
    client = api(rubric.admin)
    client.get("/api/v1/reviews")  # the session's first request
    # Auth (token, staff, session touch), the page with its joins, the prefetched scores
    # with their criteria.
    with django_assert_num_queries(5, exact=False) as ctx:
        ok(client.get("/api/v1/reviews", {"limit": 1}))
    small = len(ctx.captured_queries)
    with django_assert_num_queries(small):
        ok(client.get("/api/v1/reviews"))


def test_summary_per_agent_and_criterion(
    rubric: Rubric, reviewed: dict[str, Any], api: Callable[..., APIClient]
) -> None:
    body = ok(api(rubric.admin).get("/api/v1/reviews/summary"))
    assert [c["name"] for c in body["criteria"]] == ["Courtesy", "Accuracy", "Speed"]
    assert [(r["agent"]["name"], r["reviews"], r["average"]) for r in body["rows"]] == [
        ("Bob Agent", 1, 5.0),
        ("Alice Agent", 2, 3.13),  # (4.25 + 2.00) / 2 = 3.125
    ]
    alice = body["rows"][1]
    assert alice["criteria"] == [
        {"criterion": rubric.courtesy.pk, "count": 2, "average": 3.5},
        {"criterion": rubric.accuracy.pk, "count": 2, "average": 3.0},
        {"criterion": rubric.speed.pk, "count": 2, "average": 2.5},
    ]
    ranged = ok(api(rubric.admin).get("/api/v1/reviews/summary", {"from": "2026-03-03", "to": "2026-03-03"}))
    assert [(r["agent"]["name"], r["average"]) for r in ranged["rows"]] == [("Alice Agent", 2.0)]
    assert ranged["from"].startswith("2026-03-03T00:00:00")
    # Agents: themselves only.
    mine = ok(api(rubric.bob).get("/api/v1/reviews/summary"))
    assert [r["agent"]["id"] for r in mine["rows"]] == [rubric.bob.pk]
    error(api(rubric.bob).get("/api/v1/reviews/summary", {"agent": rubric.alice.pk}), 403)


def test_summary_dates_are_in_the_business_time_zone(
    rubric: Rubric, reviewed: dict[str, Any], api: Callable[..., APIClient]
) -> None:
    # Bob's conversation started 2026-03-04 09:00 UTC = 17:00 in Shanghai; Alice's second
    # 2026-03-03 09:00 UTC. In Shanghai, "2026-03-04" is 03-03 16:00 UTC to 03-04 16:00 UTC.
    org_settings_update(actor=rubric.admin, changes={"work_hours": SHANGHAI_ALL_DAY})
    body = ok(api(rubric.admin).get("/api/v1/reviews/summary", {"from": "2026-03-04", "to": "2026-03-04"}))
    assert [r["agent"]["name"] for r in body["rows"]] == ["Bob Agent"]
    assert body["from"] == "2026-03-04T00:00:00+08:00"


# ---------------------------------------------------------------------------- the sample


def test_sample_picks_only_that_agents_finished_unreviewed_conversations_in_range(
    rubric: Rubric, api: Callable[..., APIClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    start = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
    alice_in = [rubric.finish(rubric.alice, at=start + dt.timedelta(hours=h), close=h % 2 == 0) for h in range(8)]
    reviewed = alice_in.pop()
    reviews.review_create(actor=rubric.admin, enquiry_id=reviewed.pk, scores=all_scores(rubric))
    rubric.finish(rubric.bob, at=start)  # another agent's
    rubric.finish(rubric.alice, at=dt.datetime(2026, 2, 20, 9, 0, tzinfo=dt.UTC))  # before the range
    still_open = rubric.open_one()
    enquiry_services.enquiry_pick_up(actor=rubric.alice, enquiry_id=still_open.pk)  # handling
    client = api(rubric.admin)
    params: dict[str, Any] = {"agent": rubric.alice.pk, "from": "2026-03-01", "to": "2026-03-04"}

    body = ok(client.get("/api/v1/reviews/sample", params))
    allowed = {e.pk for e in alice_in}
    picked = ids(body)
    assert len(picked) == 5 and len(set(picked)) == 5 and set(picked) <= allowed
    created = [r["created_at"] for r in body["results"]]
    assert created == sorted(created, reverse=True)
    row = body["results"][0]
    assert set(row) == {"id", "status", "channel", "via", "customer", "created_at", "topic", "first_message"}
    assert row["first_message"] == "Help me, Alice Agent"
    assert body["from"] == "2026-03-01T00:00:00+00:00" and body["to"] == "2026-03-05T00:00:00+00:00"

    assert set(ids(ok(client.get("/api/v1/reviews/sample", {**params, "count": 20})))) == allowed
    assert len(ids(ok(client.get("/api/v1/reviews/sample", {**params, "count": 2})))) == 2
    # Seeded: the same draw twice.
    monkeypatch.setattr(reviews, "sample_random", random.Random(7))
    first = ids(ok(client.get("/api/v1/reviews/sample", params)))
    monkeypatch.setattr(reviews, "sample_random", random.Random(7))
    assert ids(ok(client.get("/api/v1/reviews/sample", params))) == first


def test_sample_is_uniform(rubric: Rubric, monkeypatch: pytest.MonkeyPatch) -> None:
    start = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
    pool = [rubric.finish(rubric.alice, at=start + dt.timedelta(minutes=m)).pk for m in range(6)]
    monkeypatch.setattr(reviews, "sample_random", random.Random(15))
    seen = dict.fromkeys(pool, 0)
    params: dict[str, Any] = {"agent": rubric.alice.pk, "count": 2, "from": "2026-03-02", "to": "2026-03-02"}
    for _ in range(300):
        rows, _since, _until = reviews.review_sample(actor=rubric.admin, params=params)
        for row in rows:
            seen[row.pk] += 1
    # 600 picks over 6: 100 each expected; a fair draw stays well within 60-140.
    assert all(60 <= n <= 140 for n in seen.values()), seen


def test_sample_defaults_to_the_last_seven_days_in_the_business_time_zone(
    rubric: Rubric, api: Callable[..., APIClient], clock: Any
) -> None:
    # Shanghai is UTC+8: "today" on Wed 2026-03-04 10:00 UTC is 03-04 there; the range is
    # 02-26 00:00 to 03-05 00:00 Shanghai time = 02-25 16:00 to 03-04 16:00 UTC.
    inside = rubric.finish(rubric.alice, at=dt.datetime(2026, 2, 25, 16, 30, tzinfo=dt.UTC))
    rubric.finish(rubric.alice, at=dt.datetime(2026, 2, 25, 15, 30, tzinfo=dt.UTC))  # 02-25 23:30 there
    late = rubric.finish(rubric.alice, at=dt.datetime(2026, 3, 4, 9, 0, tzinfo=dt.UTC))
    org_settings_update(actor=rubric.admin, changes={"work_hours": SHANGHAI_ALL_DAY})
    clock.set(WEDNESDAY)
    body = ok(api(rubric.admin).get("/api/v1/reviews/sample", {"agent": rubric.alice.pk, "count": 10}))
    assert set(ids(body)) == {inside.pk, late.pk}
    assert body["from"] == "2026-02-26T00:00:00+08:00" and body["to"] == "2026-03-05T00:00:00+08:00"


def test_sample_refusals(rubric: Rubric, api: Callable[..., APIClient]) -> None:
    client = api(rubric.admin)
    agent = str(rubric.alice.pk)
    error(api(rubric.alice).get("/api/v1/reviews/sample", {"agent": agent}), 403)
    assert "agent" in error(client.get("/api/v1/reviews/sample"), 400)
    assert "agent" in error(client.get("/api/v1/reviews/sample", {"agent": 999999}), 400)
    assert "count" in error(client.get("/api/v1/reviews/sample", {"agent": agent, "count": "21"}), 400)
    assert "count" in error(client.get("/api/v1/reviews/sample", {"agent": agent, "count": "0"}), 400)
    assert "from" in error(client.get("/api/v1/reviews/sample", {"agent": agent, "from": "soon"}), 400)
    body = ok(client.get("/api/v1/reviews/sample", {"agent": rubric.bob.pk}))
    assert body["results"] == []


# ---------------------------------------------------------------------------- races (PostgreSQL)


@pytest.mark.django_db(transaction=True)
def test_the_same_admins_two_simultaneous_reviews_one_wins(rubric: Rubric) -> None:
    require_postgres()
    enquiry = rubric.finish(rubric.alice)

    def write() -> Review:
        return reviews.review_create(actor=rubric.admin, enquiry_id=enquiry.pk, scores=all_scores(rubric))

    results = race([write, write], what="a review")
    won = [r for r in results if isinstance(r, Review)]
    lost = [r for r in results if isinstance(r, Conflict)]
    assert len(won) == 1 and len(lost) == 1, results
    assert lost[0].code == "already_reviewed"
    assert Review.objects.count() == 1 and ReviewScore.objects.count() == 3
    assert Notification.objects.filter(kind="review").count() == 1
