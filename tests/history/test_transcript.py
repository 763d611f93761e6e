"""The transcript downloads: GET /api/v1/enquiries/{id}/transcript.txt and .pdf (the PDF's
text layer holds the Chinese, Japanese and Thai text), and what they say."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from history import transcripts
from tests.api.conftest import _check_responses_against_schema, error  # noqa: F401
from tests.history.history_fixtures import CHINESE, JAPANESE, PDF, THAI, World, world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def test_text_transcript(world: World, api: Callable[..., APIClient]) -> None:
    response = api(world.alice).get(f"/api/v1/enquiries/{world.e1.pk}/transcript.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="conversation-{world.e1.pk}-2026-03-02.txt"'
    text = response.content.decode()
    assert f"Conversation: #{world.e1.pk}" in text
    assert "Customer: Chen Wei" in text
    assert "Owner: Alice Agent" in text
    assert "Topic: Late parcel" in text
    assert "Tags: Billing > Refund" in text
    assert "Rating" not in text  # agents do not see ratings by default
    assert f"Chen Wei: {CHINESE}" in text
    assert f"Alice Agent: {JAPANESE} / {THAI}" in text
    link = f"http://testserver/api/v1/history/{world.e1.pk}/files/{world.file_message.pk}"
    assert f"[File: invoice 发票.pdf, {len(PDF)} B] {link}" in text
    assert "(message recalled)" in text and "a secret typo" not in text
    assert "second wording (edited)" in text and "first wording" not in text
    assert "System: " in text  # system messages, worded for staff
    # Oldest first.
    assert text.index(CHINESE) < text.index(JAPANESE) < text.index("second wording")


def test_admin_transcript_has_the_rating(world: World, api: Callable[..., APIClient]) -> None:
    text = api(world.admin).get(f"/api/v1/enquiries/{world.e1.pk}/transcript.txt").content.decode()
    assert "Rating: 5/5 - 很好" in text


def test_pdf_transcript_has_every_script_in_its_text_layer(world: World, api: Callable[..., APIClient]) -> None:
    from pypdf import PdfReader

    response = api(world.alice).get(f"/api/v1/enquiries/{world.e1.pk}/transcript.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="conversation-{world.e1.pk}-2026-03-02.pdf"'
    assert response.content.startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    squeezed = "".join(text.split())
    assert "Chen Wei" in text and "Alice Agent" in text
    if not transcripts.pdf_fonts():
        pytest.skip("no Unicode font on this machine (fonts-wqy-microhei, fonts-thai-tlwg)")
    assert "".join(CHINESE.split()) in squeezed
    assert "".join(JAPANESE.split()) in squeezed
    assert "สวัสดีครับ" in squeezed
    assert "invoice发票.pdf" in squeezed
    assert "(messagerecalled)" in squeezed


def test_pdf_without_fonts_still_downloads(world: World, api: Callable[..., APIClient], settings: Any) -> None:
    from pypdf import PdfReader

    transcripts.pdf_fonts.cache_clear()
    settings.CC_PDF_FONTS = ["/nonexistent/font.ttf"]
    try:
        response = api(world.admin).get(f"/api/v1/enquiries/{world.e1.pk}/transcript.pdf")
    finally:
        transcripts.pdf_fonts.cache_clear()
    assert response.status_code == 200
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "no Unicode font" in text
    assert "Chen Wei" in text


def test_long_transcript_pdf_has_several_pages(world: World, api: Callable[..., APIClient]) -> None:
    from pypdf import PdfReader

    # The enquiry is closed: posting would be refused, so use a handled one (e4 picked up).
    from enquiries import services as enquiry_services
    from rooms import services as room_services

    enquiry_services.enquiry_pick_up(actor=world.alice, enquiry_id=world.e4.pk)
    for n in range(120):
        room_services.message_post(room_id=world.e4.room.pk, text=f"line {n} {CHINESE * 3}", staff=world.alice)
    response = api(world.alice).get(f"/api/v1/enquiries/{world.e4.pk}/transcript.pdf")
    assert response.status_code == 200
    assert len(PdfReader(io.BytesIO(response.content)).pages) > 2


def test_downloads_are_refused_to_others(world: World, api: Callable[..., APIClient]) -> None:
    error(api(world.carol).get(f"/api/v1/enquiries/{world.e1.pk}/transcript.txt"), 404)
    error(api(world.bob).get(f"/api/v1/enquiries/{world.e1.pk}/transcript.pdf"), 404)
    assert api(world.e1.visitor).get(f"/api/v1/enquiries/{world.e1.pk}/transcript.txt").status_code in (401, 403)
    assert api().get(f"/api/v1/enquiries/{world.e1.pk}/transcript.pdf").status_code in (401, 403)
