"""Conversation tags: the admin tree (two levels, unique names per parent), an enquiry's
topic and tags (owner or admin; events; nothing half-written), and the setting that
requires a tag before resolve and close."""

from __future__ import annotations

import pytest

from contactcenter.org import services as org_services
from enquiries import conversation_tags
from enquiries import services as enquiry_services
from enquiries.models import ConversationTag, Enquiry, EnquiryEvent
from tests.api.conftest import (  # noqa: F401  (fixtures: schema check of every response, agents)
    _check_responses_against_schema,
    agent,
    agent2,
    error,
    ok,
    visitor_client,
)

URL = "/api/v1/conversation-tags"


def _tree(admin):
    billing = conversation_tags.conversation_tag_create(actor=admin, name="Billing")
    refund = conversation_tags.conversation_tag_create(actor=admin, name="Refund", parent_id=billing.pk)
    shipping = conversation_tags.conversation_tag_create(actor=admin, name="Shipping")
    return billing, refund, shipping


# ---------------------------------------------------------------------------- the tree


def test_admin_builds_a_two_level_tree_and_agents_list_it(api, admin, agent):  # noqa: F811
    billing = ok(api(admin).post(URL, {"name": "  Billing  "}, format="json"), 201)
    assert billing["name"] == "Billing" and billing["parent"] is None and billing["enquiries"] == 0
    refund = ok(api(admin).post(URL, {"name": "Refund", "parent": billing["id"]}, format="json"), 201)
    assert refund["label"] == "Billing > Refund" and refund["parent_name"] == "Billing"
    ok(api(admin).post(URL, {"name": "Account"}, format="json"), 201)
    listed = ok(api(agent).get(URL))["results"]
    assert [t["label"] for t in listed] == ["Account", "Billing", "Billing > Refund"]
    # Agents may not change it.
    error(api(agent).post(URL, {"name": "Mine"}, format="json"), 403)
    error(api(agent).patch(f"{URL}/{billing['id']}", {"name": "X"}, format="json"), 403)
    error(api(agent).delete(f"{URL}/{billing['id']}"), 403)
    assert api().get(URL).status_code in (401, 403)
    assert ConversationTag.objects.count() == 3


def test_tree_refusals_change_nothing(api, admin):
    billing, refund, _shipping = _tree(admin)
    client = api(admin)
    # No third level, no unknown parent, no duplicate (ignoring case) under the same parent.
    error(client.post(URL, {"name": "Partial", "parent": refund.pk}, format="json"), 400)
    error(client.post(URL, {"name": "Partial", "parent": 999999}, format="json"), 400)
    assert error(client.post(URL, {"name": "refund", "parent": billing.pk}, format="json"), 409)["code"] == "duplicate"
    error(client.post(URL, {"name": "billing"}, format="json"), 409)
    error(client.post(URL, {"name": "   "}, format="json"), 400)
    error(client.post(URL, {"name": "A > B"}, format="json"), 400)
    error(client.post(URL, {"name": "x" * 61}, format="json"), 400)
    # The same name under another parent, or at the top, is fine.
    ok(client.post(URL, {"name": "Refund"}, format="json"), 201)
    # A parent with children cannot move under another tag; a tag cannot be its own parent.
    shipping = ConversationTag.objects.get(name="Shipping")
    error(client.patch(f"{URL}/{billing.pk}", {"parent": shipping.pk}, format="json"), 400)
    error(client.patch(f"{URL}/{shipping.pk}", {"parent": shipping.pk}, format="json"), 400)
    error(client.patch(f"{URL}/{refund.pk}", {"name": "Refund", "parent": None}, format="json"), 409)
    error(client.patch(f"{URL}/999999", {"name": "X"}, format="json"), 404)
    assert ConversationTag.objects.count() == 4
    refund.refresh_from_db()
    assert refund.parent_id == billing.pk and refund.name == "Refund"


def test_rename_and_move_keep_the_enquiries(api, admin, handled):
    enquiry, owner = handled
    billing, refund, shipping = _tree(admin)
    conversation_tags.enquiry_classify(actor=owner, enquiry_id=enquiry.pk, tag_ids=[refund.pk])
    moved = ok(api(admin).patch(f"{URL}/{refund.pk}", {"name": "Returns", "parent": shipping.pk}, format="json"))
    assert moved["label"] == "Shipping > Returns" and moved["enquiries"] == 1
    body = ok(api(owner).get(f"/api/v1/enquiries/{enquiry.pk}"))
    assert [t["label"] for t in body["tags"]] == ["Shipping > Returns"]


def test_deleting_a_parent_deletes_its_children_and_unsets_them(api, admin, handled):
    enquiry, owner = handled
    billing, refund, shipping = _tree(admin)
    conversation_tags.enquiry_classify(actor=owner, enquiry_id=enquiry.pk, tag_ids=[refund.pk, shipping.pk])
    assert ok(api(admin).delete(f"{URL}/{billing.pk}")) == {"tags": 2, "enquiries": 1}
    assert list(ConversationTag.objects.values_list("name", flat=True)) == ["Shipping"]
    assert list(enquiry.tags.values_list("id", flat=True)) == [shipping.pk]
    error(api(admin).delete(f"{URL}/{billing.pk}"), 404)


# ---------------------------------------------------------------------------- an enquiry's topic and tags


def test_owner_sets_topic_and_tags_in_one_patch(api, admin, handled, events):
    enquiry, owner = handled
    billing, refund, shipping = _tree(admin)
    events.clear()
    body = ok(
        api(owner).patch(
            f"/api/v1/enquiries/{enquiry.pk}", {"topic": "Refund of order 7", "tags": [refund.pk]}, format="json"
        )
    )
    assert body["topic"] == "Refund of order 7"
    assert body["tags"] == [
        {"id": refund.pk, "name": "Refund", "parent": billing.pk, "parent_name": "Billing", "label": "Billing > Refund"}
    ]
    # Logged, and the room's staff and admins are told (their Inbox and panel reload).
    types = list(EnquiryEvent.objects.filter(enquiry=enquiry).values_list("type", flat=True))
    assert "topic_set" in types and "tags_set" in types
    updated = events.of_type("enquiry.updated")
    assert {tuple(p["data"]["fields"]) for _g, p in updated} == {("topic",), ("tags",)}
    assert all("admins" in g and f"staff.{owner.pk}" in g for g, _p in updated)
    assert not [
        p for g, p in events.sent if any(x.startswith("visitor.") for x in g) and p["type"] == "enquiry.updated"
    ]
    # The list, the room's panel and the Inbox rows carry them; the visitor's copy does not.
    info = ok(api(owner).get(f"/api/v1/rooms/{enquiry.room.pk}"))
    assert [t["label"] for t in info["enquiry"]["tags"]] == ["Billing > Refund"]
    row = next(e for e in ok(api(owner).get("/api/v1/enquiries"))["results"] if e["id"] == enquiry.pk)
    assert row["topic"] == "Refund of order 7" and row["tags"][0]["id"] == refund.pk
    widget = ok(visitor_client_for(enquiry).get(f"/api/v1/widget/enquiries/{enquiry.pk}"))
    assert "tags" not in widget
    # The same again changes nothing and says nothing.
    events.clear()
    ok(api(owner).patch(f"/api/v1/enquiries/{enquiry.pk}", {"tags": [refund.pk]}, format="json"))
    assert events.of_type("enquiry.updated") == []
    # An admin clears them.
    ok(api(admin).patch(f"/api/v1/enquiries/{enquiry.pk}", {"tags": []}, format="json"))
    assert enquiry.tags.count() == 0


def visitor_client_for(enquiry: Enquiry):
    from enquiries.auth import visitor_token_for

    return visitor_client(visitor_token_for(enquiry.visitor_id))


def test_refusals_write_nothing(api, admin, handled, agent2):  # noqa: F811
    enquiry, owner = handled
    _billing, refund, _shipping = _tree(admin)
    conversation_tags.enquiry_classify(actor=owner, enquiry_id=enquiry.pk, topic="Kept", tag_ids=[refund.pk])
    url = f"/api/v1/enquiries/{enquiry.pk}"
    # A bad tag list refuses the topic too (one change, all or nothing).
    error(api(owner).patch(url, {"topic": "New", "tags": [999999]}, format="json"), 400)
    error(api(owner).patch(url, {"topic": "New", "tags": "1"}, format="json"), 400)
    error(api(owner).patch(url, {"topic": "New", "tags": [True]}, format="json"), 400)
    error(api(owner).patch(url, {"topic": "New", "tags": list(range(1, 30))}, format="json"), 400)
    error(api(owner).patch(url, {}, format="json"), 400)
    # Not the owner (not even in the room), a visitor: refused.
    error(api(agent2).patch(url, {"tags": []}, format="json"), 403)
    assert visitor_client_for(enquiry).patch(url, {"tags": []}, format="json").status_code in (401, 403)
    enquiry.refresh_from_db()
    assert enquiry.topic == "Kept" and list(enquiry.tags.values_list("id", flat=True)) == [refund.pk]


def test_a_member_who_is_not_the_owner_cannot_tag(admin, handled, agent2):  # noqa: F811
    enquiry, _owner = handled
    _billing, refund, _ = _tree(admin)
    from contactcenter.org.errors import NotAuthorized

    with pytest.raises(NotAuthorized):
        conversation_tags.enquiry_classify(actor=agent2, enquiry_id=enquiry.pk, tag_ids=[refund.pk])


# ---------------------------------------------------------------------------- required before resolve


def test_settings_api_has_the_two_settings(api, admin, agent):  # noqa: F811
    body = ok(api(admin).get("/api/v1/settings"))
    assert body["require_conversation_tag"] is False and body["retention_days"] is None
    body = ok(
        api(admin).patch("/api/v1/settings", {"require_conversation_tag": True, "retention_days": 30}, format="json")
    )
    assert body["require_conversation_tag"] is True and body["retention_days"] == 30
    for bad in (0, 3651, "x", 1.5):
        error(api(admin).patch("/api/v1/settings", {"retention_days": bad}, format="json"), 400)
    error(api(agent).patch("/api/v1/settings", {"retention_days": 5}, format="json"), 403)
    assert ok(api(admin).patch("/api/v1/settings", {"retention_days": None}, format="json"))["retention_days"] is None
    assert org_services.org_settings_get().require_conversation_tag is True


def test_resolve_and_close_are_refused_without_a_tag_when_required(api, admin, handled, clock):
    enquiry, owner = handled
    _billing, refund, _ = _tree(admin)
    org_services.org_settings_update(actor=admin, changes={"require_conversation_tag": True})
    body = error(api(owner).post(f"/api/v1/enquiries/{enquiry.pk}/resolve"), 409)
    assert body["code"] == "conversation_tag_required" and "conversation tag" in body["detail"]
    # Leaving closes the enquiry: refused too.
    assert error(api(owner).post(f"/api/v1/enquiries/{enquiry.pk}/leave"), 409)["code"] == "conversation_tag_required"
    enquiry.refresh_from_db()
    assert enquiry.status == Enquiry.Status.HANDLING
    ok(api(owner).patch(f"/api/v1/enquiries/{enquiry.pk}", {"tags": [refund.pk]}, format="json"))
    assert ok(api(owner).post(f"/api/v1/enquiries/{enquiry.pk}/resolve"))["status"] == "resolved"
    # Required after the resolve: closing now is refused until it has one again.
    ok(api(owner).patch(f"/api/v1/enquiries/{enquiry.pk}", {"tags": []}, format="json"))
    assert error(api(owner).post(f"/api/v1/enquiries/{enquiry.pk}/close"), 409)["code"] == "conversation_tag_required"
    ok(api(owner).patch(f"/api/v1/enquiries/{enquiry.pk}", {"tags": [refund.pk]}, format="json"))
    assert ok(api(owner).post(f"/api/v1/enquiries/{enquiry.pk}/close"))["status"] == "closed"


def test_not_required_by_default(handled):
    enquiry, owner = handled
    enquiry_services.enquiry_resolve(actor=owner, enquiry_id=enquiry.pk)
    enquiry.refresh_from_db()
    assert enquiry.status == Enquiry.Status.RESOLVED


def test_list_tags_cost_one_query_for_the_page(api, admin, handled, open_enquiry, django_assert_max_num_queries):
    from enquiries.selectors import enquiries_data, enquiry_base

    enquiry, owner = handled
    _billing, refund, shipping = _tree(admin)
    conversation_tags.enquiry_classify(actor=owner, enquiry_id=enquiry.pk, tag_ids=[refund.pk, shipping.pk])
    open_enquiry()
    page = list(enquiry_base().order_by("id"))
    for _ in range(3):
        open_enquiry()
    more = list(enquiry_base().order_by("id"))
    with django_assert_max_num_queries(3) as few:  # positions, transfers, tags
        enquiries_data(page)
    with django_assert_max_num_queries(len(few.captured_queries)):
        enquiries_data(more)
