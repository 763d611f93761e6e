"""One posting pipeline (rooms.services.messages_post): every kind of message goes through
it, the differences between kinds are POST_POLICIES, other apps' rules come in through
rooms.hooks, and rooms imports neither enquiries nor channels_adapters."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from enquiries import intake, posting
from enquiries import services as enquiry_services
from rooms import files, hooks
from rooms import services as room_services
from rooms.models import Message, RoomMember

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
ROOMS = Path(__file__).resolve().parents[2] / "rooms"


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def seen(monkeypatch: Any) -> dict[str, list[Any]]:
    """Records the hooks' calls (a rule registered for the test) and the previews queued."""
    calls: dict[str, list[Any]] = {"check": [], "before_insert": [], "after_post": [], "preview": []}
    rules = hooks.PostRules(
        check=lambda post: calls["check"].append(post.kind),
        before_insert=lambda post: calls["before_insert"].append(post.kind),
        after_post=lambda post: calls["after_post"].append((post.kind, post.message.pk)),
    )
    monkeypatch.setattr(hooks, "_rules", [*hooks._rules, rules])
    monkeypatch.setattr(room_services, "preview_queue_on_commit", lambda m: calls["preview"].append(m.pk))
    return calls


def test_every_kind_has_a_policy_and_the_differences_are_the_table() -> None:
    assert set(room_services.POST_POLICIES) == {
        "visitor",
        "staff",
        "file",
        "forward",
        "platform",
        "system",
        "note_file",
    }
    system = room_services.POST_POLICIES["system"]
    assert not (system.rules or system.mentions or system.preview or system.after_post)
    assert not room_services.POST_POLICIES["visitor"].mentions
    assert room_services.POST_POLICIES["file"].mentions and room_services.POST_POLICIES["file"].preview
    assert room_services.POST_POLICIES["platform"].preview and not room_services.POST_POLICIES["platform"].idempotent


def test_the_apps_register_their_rules_at_startup() -> None:
    registered = hooks.post_rules()
    assert any(r.check is posting.post_check and r.after_post is posting.post_after for r in registered)
    from channels_adapters import outbound

    assert any(r.check is outbound.outbound_post_check for r in registered)
    assert hooks._locker is posting.rooms_lock


def test_every_kind_goes_through_the_hooks(handled: Any, seen: dict[str, list[Any]], media: Any) -> None:
    enquiry, owner = handled
    room_id = enquiry.room.pk
    visitor_message, _ = room_services.message_post(room_id=room_id, text="hi", visitor=enquiry.visitor)
    staff_message, _ = room_services.message_post(room_id=room_id, text="hello", staff=owner)
    upload = SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")
    file_message, _ = files.file_upload(room_id=room_id, upload=upload, text="the form", staff=owner)
    forwarded, _ = room_services.message_forward(message_id=staff_message.pk, room_id=room_id, staff=owner)
    system = room_services.system_message_post(room_id=room_id, text="note")
    assert seen["check"] == ["visitor", "staff", "file", "forward"]
    assert seen["before_insert"] == ["visitor", "staff", "file", "forward"]
    assert [pk for _kind, pk in seen["after_post"]] == [
        visitor_message.pk,
        staff_message.pk,
        file_message.pk,
        forwarded.pk,
    ]
    # System messages: no rules, no preview (the table); they are still posted in order.
    assert system.pk > forwarded.pk and system.pk not in seen["preview"]


def test_platform_message_goes_through_the_pipeline_with_a_preview(widget: Any, seen: dict[str, list[Any]]) -> None:
    # The intake is the same for every channel; a platform's or email's adapter calls it.
    channel = widget
    visitor = enquiry_services.visitor_create(channel=channel, fields={}, channel_identity="c@example.com")
    wrote = intake.customer_wrote(channel=channel, visitor=visitor, text="see https://example.com/x", data={})
    assert wrote.opened and wrote.message.text == "see https://example.com/x"
    again = intake.customer_wrote(channel=channel, visitor=visitor, text="and https://example.com/y", data={})
    assert not again.opened and again.enquiry.pk == wrote.enquiry.pk
    assert seen["check"] == ["platform", "platform"]
    assert seen["preview"] == [wrote.message.pk, again.message.pk]


def test_file_caption_mentions_notify_and_get_a_link_preview(
    handled: Any, make_staff: Any, events: Any, seen: dict[str, list[Any]], media: Any
) -> None:
    enquiry, owner = handled
    colleague = make_staff(name="Carl Colleague")
    RoomMember.objects.create(room=enquiry.room, staff=colleague)
    events.clear()
    upload = SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")
    message, _ = files.file_upload(
        room_id=enquiry.room.pk, upload=upload, text="@Carl Colleague see https://example.com/doc", staff=owner
    )
    assert message.kind == Message.Kind.FILE and message.data["mentions"] == [colleague.pk]
    assert [g for g, _ in events.of_type("mention.created")] == [[f"staff.{colleague.pk}"]]
    assert seen["preview"] == [message.pk]


def test_visitor_file_caption_mentions_nobody(handled: Any, make_staff: Any, media: Any) -> None:
    enquiry, _owner = handled
    upload = SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")
    message, _ = files.file_upload(room_id=enquiry.room.pk, upload=upload, text="@Olive Owner", visitor=enquiry.visitor)
    assert "mentions" not in message.data


def test_first_response_is_written_by_the_enquiries_hook(handled: Any, media: Any) -> None:
    enquiry, owner = handled
    assert enquiry.first_response_at is None
    upload = SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")
    message, _ = files.file_upload(room_id=enquiry.room.pk, upload=upload, staff=owner)
    enquiry.refresh_from_db()
    assert enquiry.first_response_at == message.created_at


def _imported_modules(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_rooms_imports_neither_enquiries_nor_channels_adapters() -> None:
    found = [
        (path.name, name)
        for path in sorted(ROOMS.glob("*.py"))
        for name in _imported_modules(path)
        if name.split(".")[0] in ("enquiries", "channels_adapters")
    ]
    assert found == []
