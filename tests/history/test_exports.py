"""Exports (history.exports, history.exports_api): every kind in CSV and XLSX, the rights of
the requester when it runs, formula neutralising, download rights and expiry, bad input,
the claim race, stuck runs, erasure, flat memory, and both ways of running (the embedded
ticker's sweep and the Celery task function). On SQLite and (CI) PostgreSQL."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
import threading
import time
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from django.conf import settings as django_settings
from django.db import connections
from rest_framework.test import APIClient

from channels_adapters.models import Channel
from contactcenter.org import background
from contactcenter.org.models import Staff, Tag
from customers.models import Customer, CustomerTag
from enquiries import services as enquiry_services
from enquiries.models import ConversationTag, Enquiry, EnquiryNote, Visitor
from history import exports, hooks, tasks
from history.models import Export
from rooms import services as room_services
from rooms.models import Message
from tests.conftest import Clock, require_postgres

pytestmark = pytest.mark.django_db


# ------------------------------------------------------------------ fixtures


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture(autouse=True)
def _check_responses_against_schema(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every API response here must agree with /api/schema/ (as tests/api/conftest.py)."""
    from tests.api.openapi_check import problems  # builds the schema on first use

    found: list[str] = []
    original = APIClient.request

    def request(self: APIClient, **kwargs: Any) -> Any:
        response = original(self, **kwargs)
        path = kwargs.get("PATH_INFO", "")
        if path.startswith("/api/v1/"):
            content_type = response.get("Content-Type", "")
            body = response.json() if content_type.startswith("application/json") and response.content else None
            found.extend(problems(kwargs.get("REQUEST_METHOD", "GET"), path, response.status_code, content_type, body))
        return response

    monkeypatch.setattr(APIClient, "request", request)
    yield
    assert not found, "responses disagree with /api/schema/:\n" + "\n".join(dict.fromkeys(found))


@dataclasses.dataclass
class World:
    """Two agents' finished enquiries, a missed one with a note, customers and tags."""

    alice: Staff
    bob: Staff
    admin: Staff
    e1: Enquiry
    e2: Enquiry
    e3: Enquiry
    note: EnquiryNote
    ada_c: Customer
    ben_c: Customer
    recalled: Message
    widget: Channel


@pytest.fixture
def world(
    make_staff: Callable[..., Staff],
    support: Tag,
    admin: Staff,
    widget: Channel,
    make_visitor: Callable[..., Visitor],
    clock: Clock,
) -> World:
    alice = make_staff(tags=[support], name="Alice Agent")
    bob = make_staff(tags=[support], name="Bob Agent")
    vip = CustomerTag.objects.create(name="VIP")
    ada_c = Customer.objects.create(
        name="=Ada Customer",
        email="ada@example.com",
        phone="+4470000",
        custom_fields=[{"name": "plan", "value": "gold"}],
    )
    ada_c.tags.add(vip)
    ben_c = Customer.objects.create(name="Ben Customer", email="ben@example.com")
    billing = ConversationTag.objects.create(name="Billing")
    refund = ConversationTag.objects.create(name="Refund", parent=billing)

    def finished(visitor: Visitor, owner: Staff, texts: list[str]) -> Enquiry:
        enquiry = enquiry_services.enquiry_open(channel=widget, visitor=visitor, message="Hello?")
        enquiry_services.enquiry_pick_up(actor=owner, enquiry_id=enquiry.pk)
        clock.advance(30)
        room_id = enquiry.room.pk
        for text in texts:
            room_services.message_post(room_id=room_id, text=text, staff=owner)
        clock.advance(60)
        enquiry_services.enquiry_resolve(actor=owner, enquiry_id=enquiry.pk)
        return Enquiry.objects.get(pk=enquiry.pk)

    v1 = make_visitor(widget, first_name="=cmd|' /C calc'!A0", last_name="", email="ada@example.com")
    Visitor.objects.filter(pk=v1.pk).update(customer=ada_c)
    v1.refresh_from_db()
    e1 = finished(v1, alice, ["+1 555 call me", "All done"])
    recalled, _ = room_services.message_post(room_id=e1.room.pk, text="oops secret", staff=alice)
    Message.objects.filter(pk=recalled.pk).update(recalled_at=clock.now)
    enquiry_services.enquiry_rate(visitor=v1, enquiry_id=e1.pk, score=5, comment="@SUM(1)")
    e1.tags.add(refund)
    enquiry_services.enquiry_topic_set(actor=alice, enquiry_id=e1.pk, topic="Refund for order 7")

    v2 = make_visitor(widget, first_name="Carl", last_name="Second")
    e2 = finished(v2, alice, ["Hi Carl"])

    v3 = make_visitor(widget, first_name="Ben", last_name="Bobson")
    Visitor.objects.filter(pk=v3.pk).update(customer=ben_c)
    v3.refresh_from_db()
    e3 = finished(v3, bob, ["Bob's answer"])

    # Nobody is available in an out-of-the-way tag: the visitor leaves a note (missed).
    note = enquiry_services.widget_note_leave(
        channel=widget,
        visitor=None,
        fields={"first_name": "Nora"},
        device={},
        utm={},
        text="-Call me back",
        contact="nora@example.com",
    )
    return World(
        alice=alice,
        bob=bob,
        admin=admin,
        e1=e1,
        e2=e2,
        e3=e3,
        note=note,
        ada_c=ada_c,
        ben_c=ben_c,
        recalled=recalled,
        widget=widget,
    )


def request(staff: Staff, kind: str, fmt: str = "csv", **filters: Any) -> Export:
    return exports.export_request(actor=staff, kind=kind, format=fmt, filters=filters)


def run(export: Export) -> Export:
    assert exports.export_run(export_id=export.pk) == "done"
    export.refresh_from_db()
    return export


def read(export: Export) -> list[list[str]]:
    """The file's rows as text (XLSX cells as their stored values, as text)."""
    path = Path(django_settings.MEDIA_ROOT) / export.file
    if export.format == "csv":
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), "CSV starts with a UTF-8 byte-order mark"
        return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    return read_xlsx(path.read_bytes())


def read_xlsx(content: bytes) -> list[list[str]]:
    """A minimal reader for the first sheet (inline and shared strings, numbers)."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        shared: list[str] = []
        if "xl/sharedStrings.xml" in z.namelist():
            root = ElementTree.fromstring(z.read("xl/sharedStrings.xml"))
            shared = ["".join(t.text or "" for t in si.iter(f"{{{ns['m']}}}t")) for si in root.findall("m:si", ns)]
        sheet = ElementTree.fromstring(z.read("xl/worksheets/sheet1.xml"))
    rows: list[list[str]] = []
    for row in sheet.iter(f"{{{ns['m']}}}row"):
        cells: dict[int, str] = {}
        for c in row.findall("m:c", ns):
            letters = re.match(r"[A-Z]+", c.get("r", "A"))
            col = 0
            for ch in letters.group(0) if letters else "A":
                col = col * 26 + ord(ch) - 64
            kind = c.get("t")
            if kind == "inlineStr":
                value = "".join(t.text or "" for t in c.iter(f"{{{ns['m']}}}t"))
            elif kind == "s":
                v = c.find("m:v", ns)
                value = shared[int(v.text or 0)] if v is not None else ""
            else:
                v = c.find("m:v", ns)
                value = v.text or "" if v is not None else ""
                if re.fullmatch(r"-?\d+\.0", value):
                    value = value[:-2]
            cells[col - 1] = value
        width = max(cells) + 1 if cells else 0
        rows.append([cells.get(i, "") for i in range(width)])
    return rows


def as_dicts(rows: list[list[str]]) -> list[dict[str, str]]:
    header, *body = rows
    return [dict(zip(header, row + [""] * (len(header) - len(row)), strict=True)) for row in body]


# --------------------------------------------------------------- the kinds


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_enquiries_export_rows_and_columns(world: World, fmt: str) -> None:
    export = run(request(world.admin, "enquiries", fmt))
    rows = read(export)
    assert rows[0] == exports.ENQUIRY_COLUMNS
    by_id = {r["id"]: r for r in as_dicts(rows)}
    assert set(by_id) == {str(e.pk) for e in (world.e1, world.e2, world.e3, world.note.enquiry)}
    assert export.rows == 4 and export.progress == 100 and export.status == "done"
    r1 = by_id[str(world.e1.pk)]
    assert r1["owner"] == "Alice Agent" and r1["status"] == "resolved"
    assert r1["customer id"] == str(world.ada_c.pk) and r1["customer"] == "'=Ada Customer"
    assert r1["visitor"].startswith("'=cmd") and r1["email"] == "ada@example.com"
    assert r1["topic"] == "Refund for order 7" and r1["conversation tags"] == "Billing > Refund"
    assert r1["rating"] == "5" and r1["comment"] == "'@SUM(1)"
    assert (
        r1["wait seconds"] == "0" and r1["handle seconds"] == "90" and r1["messages"] == "3"
    )  # Hello?, two replies; not the recalled one
    assert r1["channel"] == world.widget.name and r1["destination"] == "Support"
    if fmt == "csv":
        assert r1["created (UTC)"] == world.e1.created_at.strftime("%Y-%m-%d %H:%M:%S")
    missed = by_id[str(world.note.enquiry_id)]
    assert missed["status"] == "missed" and missed["missed reason"] == "note_left"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_messages_export_leaves_recalled_out(world: World, fmt: str) -> None:
    rows = read(run(request(world.admin, "messages", fmt)))
    assert rows[0] == exports.MESSAGE_COLUMNS
    body = as_dicts(rows)
    ids = {r["message id"] for r in body}
    assert str(world.recalled.pk) not in ids
    mine = [r for r in body if r["enquiry"] == str(world.e1.pk)]
    texts = [r["text"] for r in mine if r["author kind"] != "system"]
    assert texts == ["Hello?", "'+1 555 call me", "All done"]
    staff_rows = [r for r in mine if r["author kind"] == "staff"]
    assert {r["author"] for r in staff_rows} == {"Alice Agent"}
    visitor_rows = [r for r in mine if r["author kind"] == "visitor"]
    assert visitor_rows and visitor_rows[0]["author"].startswith("'=cmd")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_notes_export(world: World, fmt: str) -> None:
    rows = read(run(request(world.admin, "notes", fmt)))
    assert rows[0] == exports.NOTE_COLUMNS
    (note,) = as_dicts(rows)
    assert note["enquiry"] == str(world.note.enquiry_id)
    assert note["text"] == "'-Call me back" and note["contact"] == "nora@example.com"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_customers_export(world: World, fmt: str) -> None:
    rows = read(run(request(world.admin, "customers", fmt)))
    assert rows[0] == exports.CUSTOMER_COLUMNS
    by_id = {r["id"]: r for r in as_dicts(rows)}
    ada = by_id[str(world.ada_c.pk)]
    assert ada["name"] == "'=Ada Customer" and ada["phone"] == "'+4470000"
    assert ada["tags"] == "VIP" and ada["custom fields"] == "plan: gold" and ada["enquiries"] == "1"
    assert str(world.ben_c.pk) in by_id


def test_filters_narrow_the_export(world: World) -> None:
    export = run(request(world.admin, "enquiries", owner=world.bob.pk))
    assert [r["id"] for r in as_dicts(read(export))] == [str(world.e3.pk)]
    export = run(request(world.admin, "enquiries", status="missed"))
    assert [r["id"] for r in as_dicts(read(export))] == [str(world.note.enquiry_id)]


def test_conversation_tag_filter_takes_a_parent_for_its_children(world: World) -> None:
    billing = ConversationTag.objects.get(name="Billing")
    export = run(request(world.admin, "enquiries", "xlsx", conversation_tag=billing.pk))
    assert [r["id"] for r in as_dicts(read(export))] == [str(world.e1.pk)]


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("plain = fine", "plain = fine"),
        ("", ""),
    ],
)
def test_neutralise(text: str, cell: str) -> None:
    assert exports.neutralise(text) == cell


# ------------------------------------------------------------------- rights


def test_an_agent_exports_only_what_they_served(world: World) -> None:
    alice = world.alice
    ids = {r["id"] for r in as_dicts(read(run(request(alice, "enquiries"))))}
    assert ids == {str(world.e1.pk), str(world.e2.pk)}
    messages = as_dicts(read(run(request(alice, "messages"))))
    assert {r["enquiry"] for r in messages} == {str(world.e1.pk), str(world.e2.pk)}
    customers = as_dicts(read(run(request(alice, "customers", "xlsx"))))
    # Ada's customer and the customer made with e2's visitor (customers.services).
    e2_customer = Visitor.objects.get(enquiries=world.e2).customer_id
    assert [r["id"] for r in customers] == [str(world.ada_c.pk), str(e2_customer)]
    assert as_dicts(read(run(request(alice, "notes")))) == []


def test_rights_are_those_at_run_time(world: World) -> None:
    export = request(world.alice, "enquiries")
    Staff.objects.filter(pk=world.alice.pk).update(role=Staff.Role.ADMIN)
    assert run(export).rows == 4
    export = request(world.alice, "enquiries")
    Staff.objects.filter(pk=world.alice.pk).update(is_active=False)
    assert exports.export_run(export_id=export.pk) == "failed"
    export.refresh_from_db()
    assert export.status == "failed" and "deactivated" in export.error and not export.file


def test_api_flow_and_download_rights(
    world: World, api: Callable[..., APIClient], clock: Clock, django_capture_on_commit_callbacks: Any
) -> None:
    alice = api(world.alice)
    response = alice.post("/api/v1/exports", {"kind": "enquiries", "format": "csv", "filters": {}}, format="json")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "pending" and body["download_url"] is None
    export_id = body["id"]
    tasks.export_run(export_id)
    detail = alice.get(f"/api/v1/exports/{export_id}").json()
    assert detail["status"] == "done" and detail["progress"] == 100 and detail["rows"] == 2
    assert detail["download_url"] == f"/api/v1/exports/{export_id}/download"
    expires = dt.datetime.fromisoformat(detail["expires_at"].replace("Z", "+00:00"))
    assert expires == clock.now + dt.timedelta(days=7)
    assert [e["id"] for e in alice.get("/api/v1/exports").json()["results"]] == [export_id]

    download = alice.get(detail["download_url"])
    assert download.status_code == 200
    assert download["Content-Type"].startswith("text/csv")
    assert "attachment" in download["Content-Disposition"]
    content = b"".join(download.streaming_content)  # type: ignore[attr-defined]
    assert len(list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))) == 3

    # Nobody else: another agent, an admin (404, as if it did not exist); a visitor (401/403).
    for other in (world.bob, world.admin):
        assert api(other).get(f"/api/v1/exports/{export_id}").status_code == 404
        assert api(other).get(f"/api/v1/exports/{export_id}/download").status_code == 404
        assert api(other).get("/api/v1/exports").json()["results"] == []
    visitor = Visitor.objects.first()
    assert api(visitor).get(f"/api/v1/exports/{export_id}/download").status_code in (401, 403)
    assert api().post("/api/v1/exports", {"kind": "enquiries", "format": "csv"}, format="json").status_code in (
        401,
        403,
    )

    # Seven days later: 410, and the sweep deletes the file.
    clock.advance(7 * 24 * 3600 + 1)
    alice = api(world.alice)  # a new session: the old one ended for idleness meanwhile
    gone = alice.get(f"/api/v1/exports/{export_id}/download")
    assert gone.status_code == 410 and gone.json()["code"] == "export_expired"
    path = Path(django_settings.MEDIA_ROOT) / Export.objects.get(pk=export_id).file
    assert path.is_file()
    with django_capture_on_commit_callbacks(execute=True):
        assert exports.exports_sweep()["expired"] == 1
    assert not path.exists()
    detail = alice.get(f"/api/v1/exports/{export_id}").json()
    assert detail["expired"] is True and detail["download_url"] is None
    assert alice.get(f"/api/v1/exports/{export_id}/download").status_code == 410


def test_download_before_done_is_409(world: World, api: Callable[..., APIClient]) -> None:
    export = request(world.alice, "enquiries")
    assert api(world.alice).get(f"/api/v1/exports/{export.pk}/download").status_code == 409


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "visitors", "format": "csv"}, "kind"),
        ({"kind": "enquiries", "format": "pdf"}, "format"),
        ({"format": "csv"}, "kind"),
        ({"kind": "enquiries", "format": "csv", "filters": {"from": "yesterday"}}, "filters"),
        ({"kind": "enquiries", "format": "csv", "filters": {"rating": 9}}, "filters"),
        ({"kind": "enquiries", "format": "csv", "filters": {"owner": "bob"}}, "filters"),
        ({"kind": "enquiries", "format": "csv", "filters": {"colour": "red"}}, "filters"),
        ({"kind": "enquiries", "format": "csv", "filters": {"status": "lost"}}, "filters"),
        ({"kind": "enquiries", "format": "csv", "filters": ["x"]}, "filters"),
    ],
)
def test_bad_input_is_400_and_writes_nothing(
    world: World, api: Callable[..., APIClient], body: dict[str, Any], field: str
) -> None:
    before = Export.objects.count()
    queued = len(background.scheduled)
    response = api(world.alice).post("/api/v1/exports", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    if field == "filters" and isinstance(body.get("filters"), dict):
        (key,) = body["filters"]
        assert key in response.json()["filters"]
    assert Export.objects.count() == before and len(background.scheduled) == queued
    assert not (Path(django_settings.MEDIA_ROOT) / "exports").exists()


def test_per_staff_limit(world: World, api: Callable[..., APIClient], settings: Any) -> None:
    settings.CC_EXPORT_MAX_ACTIVE = 2
    client = api(world.alice)
    for _ in range(2):
        assert client.post("/api/v1/exports", {"kind": "notes", "format": "csv"}, format="json").status_code == 202
    refused = client.post("/api/v1/exports", {"kind": "notes", "format": "csv"}, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "export_limit"
    # Others are not limited by Alice's exports; a finished one frees a place.
    assert api(world.bob).post("/api/v1/exports", {"kind": "notes", "format": "csv"}, format="json").status_code == 202
    run(Export.objects.filter(requested_by=world.alice).first())  # type: ignore[arg-type]
    assert client.post("/api/v1/exports", {"kind": "notes", "format": "csv"}, format="json").status_code == 202


# --------------------------------------------------------- running and races


def test_claim_has_one_winner(world: World) -> None:
    export = request(world.admin, "enquiries")
    assert exports.export_claim(export_id=export.pk) == 1
    assert exports.export_claim(export_id=export.pk) is None
    assert exports.export_run(export_id=export.pk) == "skipped"
    assert tasks.export_run(export.pk) == "skipped"


@pytest.mark.django_db(transaction=True)
def test_two_runners_race_one_wins(
    make_staff: Callable[..., Staff], widget: Channel, make_visitor: Callable[..., Visitor]
) -> None:
    require_postgres()
    from tests.concurrency import race

    admin = make_staff(role=Staff.Role.ADMIN)
    enquiry_services.enquiry_open(channel=widget, visitor=make_visitor(widget), message="hi")
    export = request(admin, "enquiries", status="open,missed")
    results = race([lambda: exports.export_run(export_id=export.pk)] * 2, what="an export runner")
    assert sorted(results) == ["done", "skipped"], results
    export.refresh_from_db()
    assert export.status == "done" and export.attempt == 1 and export.rows == 1
    files = list((Path(django_settings.MEDIA_ROOT) / "exports").iterdir())
    assert len(files) == 1, files


def test_a_stuck_run_is_retried_then_failed(world: World, settings: Any, clock: Clock) -> None:
    settings.CC_EXPORT_MAX_ATTEMPTS = 2
    export = request(world.admin, "enquiries")
    first = exports.export_claim(export_id=export.pk)
    assert first == 1
    clock.advance(settings.CC_EXPORT_STALE_SECONDS + 1)
    assert exports.exports_recover_stuck() == (1, 0)
    # The crashed run, if it wakes up, may write no more.
    zombie = exports._Run(export_id=export.pk, attempt=first)
    with pytest.raises(exports._Lost):
        zombie.beat()
    assert exports.export_claim(export_id=export.pk) == 2
    clock.advance(settings.CC_EXPORT_STALE_SECONDS + 1)
    assert exports.exports_recover_stuck() == (0, 1)
    export.refresh_from_db()
    assert export.status == "failed" and export.error


def test_the_sweep_queues_lost_pending_exports(world: World, clock: Clock) -> None:
    export = request(world.admin, "notes")
    background.scheduled.clear()
    assert exports.exports_sweep()["queued"] == 0  # just asked: its own task is on the way
    clock.advance(exports.PENDING_REQUEUE_SECONDS + 1)
    assert exports.exports_sweep()["queued"] == 1
    assert background.scheduled == [("history.tasks.export_run", (export.pk,), 0.0)]
    tasks.exports_sweep()  # the Celery task: the same sweep
    tasks.export_run(export.pk)
    export.refresh_from_db()
    assert export.status == "done" and export.rows == 1


def test_erasure_deletes_earlier_files(world: World, clock: Clock, django_capture_on_commit_callbacks: Any) -> None:
    """The erasure hook (history.hooks): files written before it that could hold the
    customer go (once the erasure commits); one filtered on another customer stays; a run
    going on starts again."""
    everything = run(request(world.admin, "customers"))
    other = run(request(world.admin, "enquiries", customer=world.ben_c.pk))
    running = request(world.admin, "messages")
    attempt = exports.export_claim(export_id=running.pk)
    media = Path(django_settings.MEDIA_ROOT)
    everything_path, other_path = media / everything.file, media / other.file
    clock.advance(5)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        hooks.run_erasure_hooks(world.ada_c.pk, [], [world.e1.pk])
    everything.refresh_from_db()
    other.refresh_from_db()
    running.refresh_from_db()
    assert everything.file == "" and everything.purged_at is not None and exports.export_is_expired(everything)
    assert everything_path.is_file()  # until the erasure commits
    for callback in callbacks:
        callback()
    assert not everything_path.exists() and other_path.is_file()
    assert other.file and other.purged_at is None
    assert running.status == "pending"
    with pytest.raises(exports._Lost):
        exports._Run(export_id=running.pk, attempt=attempt or 0).beat()
    assert run(running).status == "done"


def test_erasure_hook_is_registered() -> None:
    assert exports.exports_on_erasure in hooks.erasure_hooks


# ------------------------------------------------------------ memory, ticker


def _bulk_enquiries(like: Enquiry, n: int) -> None:
    rows = [
        Enquiry(
            channel_id=like.channel_id,
            destination_id=like.destination_id,
            kind=like.kind,
            visitor_id=like.visitor_id,
            owner_id=like.owner_id,
            status=Enquiry.Status.CLOSED,
            created_at=like.created_at,
            closed_at=like.created_at,
            topic="=1+1 bulk topic with some words in it",
        )
        for _ in range(n)
    ]
    Enquiry.objects.bulk_create(rows, batch_size=2000)


def _peak(export: Export) -> int:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        assert exports.export_run(export_id=export.pk) == "done"
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_memory_stays_flat_as_rows_grow(world: World, monkeypatch: pytest.MonkeyPatch, settings: Any, fmt: str) -> None:
    monkeypatch.setattr(exports, "CHUNK_ROWS", 200)
    settings.CC_EXPORT_PROGRESS_ROWS = 500
    _bulk_enquiries(world.e1, 600)
    small = request(world.admin, "enquiries", fmt, status="closed")
    small_peak = _peak(small)
    _bulk_enquiries(world.e1, 5400)
    large = request(world.admin, "enquiries", fmt, status="closed")
    large_peak = _peak(large)
    small.refresh_from_db()
    large.refresh_from_db()
    assert (small.rows, large.rows) == (600, 6000)
    # Ten times the rows, about the same memory (a list of all rows would be ~10x).
    assert large_peak < small_peak * 1.5 + 256 * 1024, (small_peak, large_peak)


@pytest.mark.django_db(transaction=True)
def test_the_embedded_ticker_runs_exports(
    make_staff: Callable[..., Staff],
    widget: Channel,
    make_visitor: Callable[..., Visitor],
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """CC_TIMERS="ticker": the request starts a thread on commit; the sweep (registered with
    the ticker) starts one for a pending export whose thread was lost."""
    settings.CC_TIMERS = "ticker"
    # Each thread closes its database connections when done (the test database is dropped
    # at the end, which PostgreSQL refuses while sessions are open).
    monkeypatch.setattr(background, "close_old_connections", connections.close_all)
    threads_before = threading.active_count()
    admin = make_staff(role=Staff.Role.ADMIN)
    enquiry_services.enquiry_open(channel=widget, visitor=make_visitor(widget), message="hi")
    export = request(admin, "enquiries", status="open,missed")  # committed: its thread starts
    lost = Export.objects.create(
        requested_by=admin,
        kind="customers",
        format="xlsx",
        filters={},
        created_at=export.created_at - dt.timedelta(seconds=exports.PENDING_REQUEUE_SECONDS + 1),
    )
    sweep = background.sweeps["history.exports.exports_sweep"]
    assert sweep.every == exports.EXPORT_SWEEP_SECONDS
    sweep.func()
    deadline = time.monotonic() + 30
    while Export.objects.filter(pk__in=[export.pk, lost.pk], status="done").count() < 2:
        assert time.monotonic() < deadline, list(Export.objects.values("pk", "status", "error"))
        time.sleep(0.05)  # polling for the threads' result (a condition, with a deadline)
    assert Export.objects.get(pk=export.pk).rows == 1
    while threading.active_count() > threads_before:  # the threads are closing their connections
        assert time.monotonic() < deadline, threading.enumerate()
        time.sleep(0.05)
