"""Erasing a customer: admins only, all or nothing, personal fields and messages and files
gone everywhere, a record without personal data, hooks for search and exports."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from customers.models import Customer, CustomerErasure, CustomerTag
from enquiries import conversation_tags
from enquiries import services as enquiry_services
from enquiries.auth import visitor_token_for
from enquiries.models import Enquiry, EnquiryNote, Visitor
from history import erasure, hooks
from rooms import files
from rooms import services as room_services
from rooms.models import Message
from tests.api.conftest import (  # noqa: F401  (fixtures: schema check of every response, agents)
    _check_responses_against_schema,
    agent,
    error,
    ok,
    visitor_client,
)


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored(media: Path) -> list[Path]:
    return sorted(p for p in media.rglob("*") if p.is_file()) if media.exists() else []


def png(name: str = "passport.png") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


@pytest.fixture
def people(
    clock, open_enquiry, make_visitor, make_staff, make_channel, support, widget, media, admin,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    """Vera (two visitors on two channels: a closed enquiry with a file and a topic, a missed
    one with a note) and Tom (another customer, untouched)."""
    owner = make_staff(tags=[support], name="Olive Owner", max_concurrent=10)
    vip = CustomerTag.objects.create(name="VIP")
    vera = Customer.objects.create(
        name="Vera Lynn", email="vera@example.com", phone="+44 20 7946 0000", identifier="host-42",
        custom_fields=[{"name": "Plan", "value": "Gold"}], notes="Prefers email",
    )  # fmt: skip
    vera.tags.add(vip)
    line = make_channel(tag=support)  # a second channel (its identity set below, as a platform's)
    v1 = make_visitor(widget, first_name="Vera", last_name="Lynn", email="vera@example.com", phone="+44 20 7946 0000")
    v2 = make_visitor(line, first_name="Vera L")
    Visitor.objects.filter(pk=v2.pk).update(
        channel_identity="U1234", device={"language": "en"}, utm={"utm_source": "x"}
    )
    Visitor.objects.filter(pk__in=[v1.pk, v2.pk]).update(customer=vera)
    tom = Customer.objects.create(name="Tom Thumb", email="tom@example.com")
    vt = make_visitor(widget, first_name="Tom", email="tom@example.com")
    Visitor.objects.filter(pk=vt.pk).update(customer=tom)
    with django_capture_on_commit_callbacks(execute=True):
        closed = open_enquiry(visitor=Visitor.objects.get(pk=v1.pk), message="My passport number is 123")
        enquiry_services.enquiry_pick_up(actor=owner, enquiry_id=closed.pk)
        conversation_tags.enquiry_classify(actor=owner, enquiry_id=closed.pk, topic="Vera's passport")
        files.file_upload(room_id=closed.room.pk, upload=png(), visitor=Visitor.objects.get(pk=v1.pk))
        room_services.message_post(room_id=closed.room.pk, text="Thanks, we have it.", staff=owner)
        enquiry_services.enquiry_resolve(actor=owner, enquiry_id=closed.pk)
        enquiry_services.enquiry_close(actor=owner, enquiry_id=closed.pk)
        missed = open_enquiry(visitor=Visitor.objects.get(pk=v2.pk), message="Call me on 0791")
        enquiry_services.enquiries_expire_overdue(clock.advance(600))
        enquiry_services.enquiry_leave_note(
            visitor=Visitor.objects.get(pk=v2.pk), enquiry_id=missed.pk, text="Call me", contact="0791 000"
        )
        toms = open_enquiry(visitor=Visitor.objects.get(pk=vt.pk), message="Tom's question")
    return {"owner": owner, "vera": vera, "tom": tom, "v1": v1, "v2": v2, "vt": vt, "closed": closed,
            "missed": missed, "toms": toms}  # fmt: skip


def _snapshot() -> dict[str, object]:
    return {
        "customers": list(Customer.objects.order_by("id").values()),
        "visitors": list(Visitor.objects.order_by("id").values()),
        "messages": list(Message.objects.order_by("id").values("id", "text", "kind", "data")),
        "enquiries": list(Enquiry.objects.order_by("id").values("id", "first_message", "topic")),
        "notes": list(EnquiryNote.objects.order_by("id").values()),
        "erasures": CustomerErasure.objects.count(),
    }


def test_admin_erases_a_customer_everywhere(api, people, admin, media, django_capture_on_commit_callbacks):
    vera, v1, v2 = people["vera"], people["v1"], people["v2"]
    assert len(stored(media)) == 2  # the picture and its thumbnail
    epochs = {v.pk: v.token_epoch for v in Visitor.objects.filter(pk__in=[v1.pk, v2.pk])}
    toms_before = list(Message.objects.filter(room=people["toms"].room).values_list("text", flat=True))
    calls: list[tuple[int, list[int], list[int]]] = []

    def hook(customer_id, visitor_ids, enquiry_ids):
        calls.append((customer_id, sorted(visitor_ids), sorted(enquiry_ids)))

    hooks.register_erasure_hook(hook)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            body = ok(
                api(admin).post(f"/api/v1/customers/{vera.pk}/erase", {"reason": "Request of 1 Dec"}, format="json")
            )
    finally:
        hooks.erasure_hooks.remove(hook)
    assert body["customer"] == vera.pk and body["actor"] == admin.pk
    assert body["counts"]["visitors"] == 2 and body["counts"]["enquiries"] == 2 and body["counts"]["files"] == 1
    assert body["counts"]["notes"] == 1
    # The search index and exports were told, with every id.
    assert calls == [(vera.pk, sorted([v1.pk, v2.pk]), sorted([people["closed"].pk, people["missed"].pk]))]
    # The customer row.
    vera.refresh_from_db()
    assert (vera.name, vera.email, vera.phone, vera.identifier, vera.custom_fields, vera.notes) == (
        "", "", "", None, [], "",
    )  # fmt: skip
    assert vera.erased_at is not None and vera.tags.count() == 0
    # Every visitor of theirs; their tokens no longer work.
    for v in Visitor.objects.filter(pk__in=[v1.pk, v2.pk]):
        assert (v.first_name, v.last_name, v.email, v.phone, v.photo_url, v.channel_identity) == ("",) * 6
        assert v.device == {} and v.utm == {} and v.extra == {} and v.custom_fields == []
        assert v.token_epoch == epochs[v.pk] + 1
    assert visitor_client(visitor_token_for(v1.pk)).get(f"/api/v1/widget/enquiries/{people['closed'].pk}").status_code
    # Their messages, the intro that repeated their form, their files on disk.
    theirs = Message.objects.filter(author_visitor_id__in=[v1.pk, v2.pk])
    assert theirs.exists() and set(theirs.values_list("text", flat=True)) == {erasure.ERASED_TEXT}
    assert not any("file" in d for d in theirs.values_list("data", flat=True))
    intro = Message.objects.get(room=people["closed"].room, data__bot="intro")
    assert "vera" not in intro.text.lower()
    assert stored(media) == []
    # Staff's reply stays; nothing mentions her any more in her rooms but that.
    staff_texts = set(
        Message.objects.filter(room=people["closed"].room, author_staff__isnull=False).values_list("text", flat=True)
    )
    assert staff_texts == {"Thanks, we have it."}
    for e in Enquiry.objects.filter(pk__in=[people["closed"].pk, people["missed"].pk]):
        assert e.first_message == "" and e.topic == ""
    note = EnquiryNote.objects.get(enquiry=people["missed"])
    assert (note.text, note.contact, note.files) == ("", "", [])
    # The record: who, when, counts, no personal data.
    record = CustomerErasure.objects.get()
    assert record.customer_id_erased == vera.pk and record.actor_id == admin.pk and record.reason == "Request of 1 Dec"
    assert "Vera" not in str(record.counts)
    # Tom is untouched.
    tom = Customer.objects.get(pk=people["tom"].pk)
    assert tom.name == "Tom Thumb" and tom.erased_at is None
    assert Visitor.objects.get(pk=people["vt"].pk).first_name == "Tom"
    assert list(Message.objects.filter(room=people["toms"].room).values_list("text", flat=True)) == toms_before
    # Once is enough.
    assert (
        error(api(admin).post(f"/api/v1/customers/{vera.pk}/erase", {"reason": "again"}, format="json"), 409)["code"]
        == "erased"
    )


def test_refusals_change_nothing(api, people, admin, agent):  # noqa: F811
    vera = people["vera"]
    url = f"/api/v1/customers/{vera.pk}/erase"
    before = _snapshot()
    error(api(agent).post(url, {"reason": "x"}, format="json"), 403)
    assert visitor_client(visitor_token_for(people["v1"].pk)).post(url, {"reason": "x"}, format="json").status_code in (
        401,
        403,
    )
    assert api().post(url, {"reason": "x"}, format="json").status_code in (401, 403)
    error(api(admin).post(url, {}, format="json"), 400)
    error(api(admin).post(url, {"reason": "   "}, format="json"), 400)
    error(api(admin).post(url, {"reason": "x" * 201}, format="json"), 400)
    error(api(admin).post("/api/v1/customers/999999/erase", {"reason": "x"}, format="json"), 404)
    # Tom's conversation is still waiting: end it first.
    body = error(api(admin).post(f"/api/v1/customers/{people['tom'].pk}/erase", {"reason": "x"}, format="json"), 409)
    assert body["code"] == "live"
    # A merged-away customer: erase the one it went into.
    ghost = Customer.objects.create(name="Old Vera", merged_into=vera)
    assert (
        error(api(admin).post(f"/api/v1/customers/{ghost.pk}/erase", {"reason": "x"}, format="json"), 409)["code"]
        == "merged"
    )
    ghost.delete()
    assert _snapshot() == before


def test_a_failing_hook_rolls_everything_back(people, admin, media):
    before = _snapshot()
    files_before = stored(media)

    def broken(customer_id, visitor_ids, enquiry_ids):
        raise RuntimeError("search index down")

    hooks.register_erasure_hook(broken)
    try:
        with pytest.raises(RuntimeError):
            erasure.customer_erase(actor=admin, customer_id=people["vera"].pk, reason="Request")
    finally:
        hooks.erasure_hooks.remove(broken)
    assert _snapshot() == before
    assert stored(media) == files_before


def test_merged_customers_are_erased_with_the_one_they_went_into(people, admin):
    vera = people["vera"]
    ghost = Customer.objects.create(name="Vera Old", email="old@example.com", merged_into=vera)
    record = erasure.customer_erase(actor=admin, customer_id=vera.pk, reason="Request")
    ghost.refresh_from_db()
    assert ghost.name == "" and ghost.email == "" and ghost.erased_at is not None
    assert record.counts["customers"] == 2
