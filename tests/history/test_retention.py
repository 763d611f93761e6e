"""Retention: finished conversations older than the setting's days are deleted with their
rooms, messages and files, in batches, once a day, idempotently; nothing when it is off."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from contactcenter.org import background
from contactcenter.org import services as org_services
from enquiries import services as enquiry_services
from enquiries.models import Enquiry, EnquiryEvent, Visitor
from history import hooks, retention
from history.models import RetentionRun
from rooms import files
from rooms.models import Message, Room

DAY = 24 * 3600


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored(media: Path) -> list[Path]:
    return sorted(p for p in media.rglob("*") if p.is_file()) if media.exists() else []


def png() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "PNG")
    return SimpleUploadedFile("receipt.png", out.getvalue(), content_type="image/png")


@pytest.fixture
def world(clock, open_enquiry, make_staff, support, media, django_capture_on_commit_callbacks):
    """Enquiries ended 40 days ago (closed with a file, resolved, missed), one ended 10 days
    ago, one still handled since 40 days: {name: enquiry}."""
    owner = make_staff(tags=[support], name="Olive Owner", max_concurrent=10)

    def handled(text: str) -> Enquiry:
        enquiry = open_enquiry(message=text)
        enquiry_services.enquiry_pick_up(actor=owner, enquiry_id=enquiry.pk)
        return Enquiry.objects.get(pk=enquiry.pk)

    with django_capture_on_commit_callbacks(execute=True):
        old_closed = handled("old closed")
        files.file_upload(room_id=old_closed.room.pk, upload=png(), visitor=old_closed.visitor)
        enquiry_services.enquiry_resolve(actor=owner, enquiry_id=old_closed.pk)
        enquiry_services.enquiry_close(actor=owner, enquiry_id=old_closed.pk)
        old_resolved = handled("old resolved")
        enquiry_services.enquiry_resolve(actor=owner, enquiry_id=old_resolved.pk)
        old_missed = open_enquiry(message="old missed")
        enquiry_services.enquiries_expire_overdue(clock.advance(600))
        still_handled = handled("still going")
        clock.advance(30 * DAY)
        recent = handled("recent")
        enquiry_services.enquiry_resolve(actor=owner, enquiry_id=recent.pk)
        enquiry_services.enquiry_close(actor=owner, enquiry_id=recent.pk)
        clock.advance(10 * DAY)
    old_missed.refresh_from_db()
    assert old_missed.status == Enquiry.Status.MISSED
    return {
        "old_closed": old_closed,
        "old_resolved": old_resolved,
        "old_missed": old_missed,
        "still_handled": still_handled,
        "recent": recent,
    }


def _alive(world) -> set[str]:
    ids = set(Enquiry.objects.values_list("id", flat=True))
    return {name for name, e in world.items() if e.pk in ids}


def test_off_by_default_deletes_nothing(world, clock):
    assert retention.retention_run(now=clock.now) == {"enquiries": 0, "messages": 0, "files": 0}
    assert retention.retention_sweep(clock.now) is None
    assert _alive(world) == set(world)


def test_deletes_finished_conversations_older_than_the_setting(
    world, clock, admin, media, caplog, django_capture_on_commit_callbacks
):
    org_services.org_settings_update(actor=admin, changes={"retention_days": 30})
    assert len(stored(media)) == 2  # the picture and its thumbnail
    room_ids = [e.room.pk for e in (world["old_closed"], world["old_resolved"], world["old_missed"])]
    seen: list[list[int]] = []

    def hook(ids):
        seen.append(list(ids))

    hooks.register_retention_hook(hook)
    try:
        with caplog.at_level(logging.INFO, logger="history.retention"):
            with django_capture_on_commit_callbacks(execute=True):
                done = retention.retention_run(now=clock.now, batch_size=2)  # two batches
    finally:
        hooks.retention_hooks.remove(hook)
    assert done["enquiries"] == 3 and done["files"] == 1 and done["messages"] > 3
    assert _alive(world) == {"still_handled", "recent"}
    assert not Room.objects.filter(pk__in=room_ids).exists()
    assert not Message.objects.filter(room_id__in=room_ids).exists()
    assert not EnquiryEvent.objects.filter(enquiry_id__in=[world["old_closed"].pk]).exists()
    assert stored(media) == []  # the files are gone from disk
    assert sorted(i for batch in seen for i in batch) == sorted(
        world[n].pk for n in ("old_closed", "old_resolved", "old_missed")
    )
    assert "deleted 3 enquiries" in caplog.text
    # The customers stay; the others are untouched; a second run finds nothing.
    assert Visitor.objects.filter(pk=world["old_closed"].visitor_id).exists()
    assert Message.objects.filter(room=world["recent"].room).exists()
    assert retention.retention_run(now=clock.now)["enquiries"] == 0


def test_a_failing_batch_deletes_nothing_of_it(world, clock, admin):
    org_services.org_settings_update(actor=admin, changes={"retention_days": 30})

    def boom(ids):
        raise RuntimeError("index down")

    hooks.register_retention_hook(boom)
    try:
        with pytest.raises(RuntimeError):
            retention.retention_run(now=clock.now, batch_size=10)
    finally:
        hooks.retention_hooks.remove(boom)
    assert _alive(world) == set(world)


def test_the_daily_sweep_runs_once_a_day(world, clock, admin):
    org_services.org_settings_update(actor=admin, changes={"retention_days": 30})
    first = retention.retention_sweep(clock.now)
    assert first is not None and first["enquiries"] == 3
    assert retention.retention_sweep(clock.now) is None  # the same day: claimed already
    run = RetentionRun.objects.get()
    assert run.enquiries == 3 and run.finished_at is not None
    clock.advance(21 * DAY)  # the recent one is now 31 days old
    second = retention.retention_sweep(clock.now)
    assert second is not None and second["enquiries"] == 1
    assert RetentionRun.objects.count() == 2
    # The embedded ticker knows it (hourly; the day's claim keeps it to one run a day) and
    # beat has it.
    assert background.sweeps["history.retention.retention_sweep"].every == 3600.0
    from django.conf import settings

    assert settings.CELERY_BEAT_SCHEDULE["retention-daily"]["task"] == retention.retention_daily.name


def test_settings_bounds(api, admin):
    from tests.api.conftest import error, ok

    assert ok(api(admin).patch("/api/v1/settings", {"retention_days": 3650}, format="json"))["retention_days"] == 3650
    error(api(admin).patch("/api/v1/settings", {"retention_days": 0}, format="json"), 400)
    error(api(admin).patch("/api/v1/settings", {"retention_days": -3}, format="json"), 400)
