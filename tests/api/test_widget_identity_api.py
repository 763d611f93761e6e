"""Widget identity verification (issue 14): POST /api/v1/widget/identify with the host
site's HMAC of its user's identifier, the channel's identity secret for admins
(GET /channels/<id>/identity, POST .../identity/rotate), and the widget history of a
verified customer across devices."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest

from channels_adapters.models import Channel
from customers.identity import customer_for_identifier, identifier_hash, identifier_hash_matches
from customers.models import Customer
from enquiries.models import Visitor
from tests.api.conftest import counts, error, ok, visitor_client

pytestmark = pytest.mark.django_db


def _sign(channel: Channel, identifier: str) -> str:
    # Exactly what the README tells a host site to compute.
    return hmac.new(channel.identity_secret.encode(), identifier.encode(), hashlib.sha256).hexdigest()


def _identify(api: Any, channel: Channel, identifier: str, token: str | None = None, **extra: Any) -> Any:
    client = visitor_client(token) if token else api()
    body = {"channel_key": channel.key, "identifier": identifier, "identifier_hash": _sign(channel, identifier)}
    body.update(extra)
    return client.post("/api/v1/widget/identify", body, format="json")


def _visitor(token: str) -> Visitor:
    from enquiries.auth import visitor_token_claims  # a test helper: who a token names

    claims = visitor_token_claims(token)
    assert claims is not None
    return Visitor.objects.get(pk=claims.visitor_id)


def _start(token: str, channel: Channel, message: str) -> dict[str, Any]:
    body = {"channel_key": channel.key, "message": message}
    return dict(ok(visitor_client(token).post("/api/v1/widget/enquiries", body, format="json"), 201))


def _history(token: str, channel: Channel) -> list[str]:
    page = ok(visitor_client(token).get(f"/api/v1/widget/history?channel={channel.key}&limit=10"))
    return [c["messages"][0]["text"] for c in page["results"] if c["messages"]]


# ------------------------------------------------------------------ the hash itself


def test_hash_helpers_match_the_documented_recipe() -> None:
    secret = "s3cret"
    expected = hmac.new(b"s3cret", b"user-42", hashlib.sha256).hexdigest()
    assert identifier_hash("user-42", secret) == expected
    assert identifier_hash_matches("user-42", expected.upper(), secret)
    assert not identifier_hash_matches("user-43", expected, secret)
    assert not identifier_hash_matches("user-42", expected, "")
    # Non-ASCII identifiers hash as UTF-8.
    assert identifier_hash("ユーザー", secret) == hmac.new(b"s3cret", "ユーザー".encode(), hashlib.sha256).hexdigest()


def test_each_channel_gets_its_own_secret(make_channel: Any, support: Any) -> None:
    one, two = make_channel(tag=support), make_channel(tag=support, kind="weblink")
    assert len(one.identity_secret) == 64 and int(one.identity_secret, 16) >= 0
    assert one.identity_secret != two.identity_secret


def test_customer_for_identifier_is_one_customer_and_follows_a_merge() -> None:
    first = customer_for_identifier(identifier="u1", fields={"name": "Ann", "email": "ann@example.com"})
    again = customer_for_identifier(identifier="u1", fields={"name": "Ann Lee", "phone": ""})
    assert again.pk == first.pk and again.name == "Ann Lee" and again.email == "ann@example.com"
    target = Customer.objects.create(name="Ann (kept)")
    Customer.objects.filter(pk=first.pk).update(merged_into=target)
    assert customer_for_identifier(identifier="u1").pk == target.pk


# ------------------------------------------------------------------ identify


def test_right_hash_links_a_new_visitor_to_the_customer(api: Any, widget: Channel) -> None:
    body = ok(_identify(api, widget, "user-42", name="Ann Lee", email="ann@example.com"))
    assert body["verified"] is True and body["new_visitor"] is True
    visitor = _visitor(body["visitor_token"])
    customer = Customer.objects.get(identifier="user-42")
    assert visitor.customer_id == customer.pk and visitor.channel_id == widget.pk
    assert customer.name == "Ann Lee" and customer.email == "ann@example.com"
    assert visitor.first_name == "Ann Lee" and visitor.email == "ann@example.com"
    # The same browser again (its token): the same visitor, nothing new.
    again = ok(_identify(api, widget, "user-42", token=body["visitor_token"]))
    assert again["new_visitor"] is False and _visitor(again["visitor_token"]).pk == visitor.pk
    assert Customer.objects.filter(identifier="user-42").count() == 1


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"identifier_hash": "0" * 64}, 403, "identifier_hash"),
        ({"identifier_hash": ""}, 400, "identifier_hash"),
        ({"identifier_hash": None}, 400, "identifier_hash"),
        ({"identifier": "user-43"}, 403, "identifier_hash"),  # another user's id with user-42's hash
        ({"identifier": ""}, 400, "identifier"),
        ({"identifier": "x" * 256}, 400, "identifier"),
        ({"identifier": "bad\nid"}, 400, "identifier"),
        ({"channel_key": "nope-nope"}, 400, "channel_key"),
        ({"email": "not-an-email"}, 400, "email"),
    ],
)
def test_wrong_or_missing_hash_is_refused_and_changes_nothing(
    api: Any, widget: Channel, change: dict[str, Any], status: int, field: str
) -> None:
    body = {"channel_key": widget.key, "identifier": "user-42", "identifier_hash": _sign(widget, "user-42")}
    body.update(change)
    before = (counts(), Customer.objects.count())
    refused = error(api().post("/api/v1/widget/identify", body, format="json"), status)
    assert field in refused, refused
    if status == 403:
        assert refused["code"] == "identity_not_verified"
    assert (counts(), Customer.objects.count()) == before


def test_wrong_hash_never_links_the_current_visitor(api: Any, widget: Channel, widget_open: Any) -> None:
    anon = ok(widget_open(message="Anonymous question"), 201)
    visitor = _visitor(anon["visitor_token"])
    before = visitor.customer_id  # the anonymous visitor's own customer (customers.services)
    assert before is not None
    body = {"channel_key": widget.key, "identifier": "user-42", "identifier_hash": _sign(widget, "user-41")}
    error(visitor_client(anon["visitor_token"]).post("/api/v1/widget/identify", body, format="json"), 403)
    visitor.refresh_from_db()
    assert visitor.customer_id == before and visitor.extra == {}
    assert not Customer.objects.filter(pk=before, identifier__isnull=False).exists()
    assert not Customer.objects.filter(identifier="user-42").exists()


def test_hash_of_another_channel_is_refused(api: Any, widget: Channel, make_channel: Any, support: Any) -> None:
    other = make_channel(tag=support)
    body = {"channel_key": widget.key, "identifier": "user-42", "identifier_hash": _sign(other, "user-42")}
    error(api().post("/api/v1/widget/identify", body, format="json"), 403)


def test_platform_channel_has_no_identity(api: Any, make_channel: Any, support: Any, admin: Any) -> None:
    email = Channel.objects.create(kind="email", name="Mail", destination=make_channel(tag=support).destination)
    body = {"channel_key": email.key, "identifier": "u", "identifier_hash": _sign(email, "u")}
    error(api().post("/api/v1/widget/identify", body, format="json"), 400)
    error(api(admin).get(f"/api/v1/channels/{email.pk}/identity"), 404)


def test_anonymous_visitor_is_adopted_with_its_conversation(api: Any, widget: Channel, widget_open: Any) -> None:
    anon = ok(widget_open(message="Before signing in"), 201)
    body = ok(_identify(api, widget, "user-42", token=anon["visitor_token"]))
    assert body["new_visitor"] is False
    visitor = _visitor(body["visitor_token"])
    assert visitor.pk == _visitor(anon["visitor_token"]).pk
    assert visitor.customer is not None and visitor.customer.identifier == "user-42"


def test_verified_token_is_not_taken_over_by_another_identifier(api: Any, widget: Channel) -> None:
    ann = ok(_identify(api, widget, "ann"))
    ann_visitor = _visitor(ann["visitor_token"])
    _start(ann["visitor_token"], widget, "Ann's question")
    # Bob signs in on the same browser (a valid hash of his own): a fresh visitor; Ann's untouched.
    bob = ok(_identify(api, widget, "bob", token=ann["visitor_token"]))
    assert bob["new_visitor"] is True
    bob_visitor = _visitor(bob["visitor_token"])
    assert bob_visitor.pk != ann_visitor.pk
    ann_visitor.refresh_from_db()
    assert ann_visitor.customer is not None and ann_visitor.customer.identifier == "ann"
    assert bob_visitor.customer is not None and bob_visitor.customer.identifier == "bob"
    assert _history(bob["visitor_token"], widget) == []
    assert _history(ann["visitor_token"], widget) == ["Ann's question"]


def test_two_devices_are_one_customer_with_one_history(
    api: Any, widget: Channel, make_channel: Any, support: Any
) -> None:
    laptop = ok(_identify(api, widget, "user-42"))["visitor_token"]
    phone = ok(_identify(api, widget, "user-42"))["visitor_token"]
    assert _visitor(laptop).pk != _visitor(phone).pk
    assert _visitor(laptop).customer_id == _visitor(phone).customer_id
    _start(laptop, widget, "Asked on the laptop")
    assert _history(phone, widget) == ["Asked on the laptop"]
    _start(phone, widget, "Asked on the phone")
    assert _history(laptop, widget) == ["Asked on the phone", "Asked on the laptop"]
    # Another channel's conversations are not in this channel's history.
    other = make_channel(tag=support)
    elsewhere = ok(_identify(api, other, "user-42"))["visitor_token"]
    _start(elsewhere, other, "Asked on another site")
    assert "Asked on another site" not in _history(laptop, widget)
    # An anonymous visitor staff put into the customer (a merge) is not shown to the devices.
    stranger = ok(
        api().post("/api/v1/widget/enquiries", {"channel_key": widget.key, "message": "Stranger"}, format="json"), 201
    )
    Visitor.objects.filter(pk=_visitor(stranger["visitor_token"]).pk).update(customer=_visitor(laptop).customer)
    assert "Stranger" not in _history(laptop, widget)
    # The anonymous visitor itself still sees only its own.
    assert _history(stranger["visitor_token"], widget) == ["Stranger"]


def test_rotation_refuses_old_hashes(api: Any, widget: Channel, admin: Any) -> None:
    old_hash = _sign(widget, "user-42")
    rotated = ok(api(admin).post(f"/api/v1/channels/{widget.pk}/identity/rotate"))
    widget.refresh_from_db()
    assert rotated == {"channel": widget.pk, "identity_secret": widget.identity_secret}
    assert _sign(widget, "user-42") != old_hash
    body = {"channel_key": widget.key, "identifier": "user-42", "identifier_hash": old_hash}
    error(api().post("/api/v1/widget/identify", body, format="json"), 403)
    ok(_identify(api, widget, "user-42"))  # the new secret's hash


# ------------------------------------------------------------------ who sees the secret


def test_secret_for_admins_only(api: Any, widget: Channel, admin: Any, agent: Any, widget_open: Any) -> None:
    secret = widget.identity_secret
    body = ok(api(admin).get(f"/api/v1/channels/{widget.pk}/identity"))
    assert body == {"channel": widget.pk, "identity_secret": secret}
    error(api(agent).get(f"/api/v1/channels/{widget.pk}/identity"), 403)
    error(api(agent).post(f"/api/v1/channels/{widget.pk}/identity/rotate"), 403)
    error(api().get(f"/api/v1/channels/{widget.pk}/identity"), 401)
    error(api(admin).get("/api/v1/channels/999999/identity"), 404)
    visitor = ok(widget_open(), 201)["visitor_token"]
    error(visitor_client(visitor).get(f"/api/v1/channels/{widget.pk}/identity"), 401)
    widget.refresh_from_db()
    assert widget.identity_secret == secret  # the refusals rotated nothing
    # In no other answer: the channel list and detail (admins and agents), the widget's config and page.
    for client in (api(admin), api(agent)):
        assert secret not in client.get("/api/v1/channels").content.decode()
        assert secret not in client.get(f"/api/v1/channels/{widget.pk}").content.decode()
    assert secret not in api().get(f"/api/v1/widget/channels/{widget.key}").content.decode()
    assert secret not in api().get(f"/widget/{widget.key}/").content.decode()


def test_schema_lists_the_identity_endpoints(api: Any, admin: Any) -> None:
    schema = api(admin).get("/api/schema/?format=json").json()
    assert "post" in schema["paths"]["/api/v1/widget/identify"]
    assert "get" in schema["paths"]["/api/v1/channels/{channel_id}/identity"]
    assert "post" in schema["paths"]["/api/v1/channels/{channel_id}/identity/rotate"]
    ref = schema["paths"]["/api/v1/widget/identify"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    identify = schema["components"]["schemas"][ref["$ref"].rsplit("/", 1)[-1]]["properties"]
    assert {"identifier", "identifier_hash", "name", "email", "phone"} <= set(identify)
    assert "identity_secret" not in schema["components"]["schemas"]["ChannelOut"]["properties"]


def test_other_device_reads_the_files_of_earlier_conversations_but_changes_nothing(
    api: Any, widget: Channel, agent: Any, settings: Any, tmp_path: Any
) -> None:
    from enquiries import services as enquiry_services  # the agent's side, set up directly
    from tests.rooms.test_files import png_bytes, upload

    settings.MEDIA_ROOT = tmp_path / "media"
    laptop = ok(_identify(api, widget, "user-42"))["visitor_token"]
    phone = ok(_identify(api, widget, "user-42"))["visitor_token"]
    stranger = ok(_identify(api, widget, "user-43"))["visitor_token"]
    started = _start(laptop, widget, "Here is my receipt")
    enquiry_services.enquiry_pick_up(actor=agent, enquiry_id=started["id"])
    sent = api(agent).post(
        f"/api/v1/rooms/{started['room']}/files", {"file": upload("receipt.png", png_bytes())}, format="multipart"
    )
    assert sent.status_code == 201, sent.content
    page = ok(visitor_client(phone).get(f"/api/v1/widget/history?channel={widget.key}"))
    files = [m for m in page["results"][0]["messages"] if m["kind"] == "file"]
    url = files[0]["data"]["file"]["url"]
    assert visitor_client(laptop).get(url).status_code == 200
    assert visitor_client(phone).get(url).status_code == 200  # the same customer's other device
    assert visitor_client(stranger).get(url).status_code in (403, 404)
    # Reading only: the other device neither writes in that room nor changes its messages.
    text = next(m for m in page["results"][0]["messages"] if m.get("text") == "Here is my receipt")
    error(visitor_client(phone).delete(f"/api/v1/messages/{text['id']}"), 403)
    body = {"text": "not mine", "client_id": "c-1"}
    assert visitor_client(phone).post(f"/api/v1/rooms/{started['room']}/messages", body, format="json").status_code in (
        403,
        404,
    )


def test_verified_history_costs_one_query_more(api: Any, widget: Channel, django_assert_max_num_queries: Any) -> None:
    laptop = ok(_identify(api, widget, "user-42"))["visitor_token"]
    phone = ok(_identify(api, widget, "user-42"))["visitor_token"]
    for n in range(3):
        started = _start(laptop, widget, f"Question {n}")
        ok(visitor_client(laptop).post(f"/api/v1/widget/enquiries/{started['id']}/end"))
    client = visitor_client(phone)
    # As an anonymous visitor's page (test_widget_cta_api: 6) and the devices' query.
    with django_assert_max_num_queries(7):
        ok(client.get(f"/api/v1/widget/history?channel={widget.key}"))


def test_refused_token_is_a_401_and_nothing_is_linked(api: Any, widget: Channel) -> None:
    body = {"channel_key": widget.key, "identifier": "user-42", "identifier_hash": _sign(widget, "user-42")}
    before = (counts(), Customer.objects.count())
    error(visitor_client("not-a-token").post("/api/v1/widget/identify", body, format="json"), 401)
    assert (counts(), Customer.objects.count()) == before
    # The widget then asks without it (identity_rules.identityOutcome: "retry").
    assert ok(api().post("/api/v1/widget/identify", body, format="json"))["new_visitor"] is True
