"""Files in rooms (SPEC 4, 7): upload checked by content and size, thumbnails, storage,
downloads with safe headers and room permissions, deletion after recall."""

from __future__ import annotations

import io
import json
import wave
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from PIL import Image

from contactcenter.org.errors import InvalidInput, NotAuthorized, NotFound
from enquiries import services as enquiry_services
from enquiries.auth import visitor_token_for
from enquiries.models import Enquiry
from rooms import files
from rooms import services as room_services
from rooms.files_api import content_disposition
from rooms.models import Message
from rooms.selectors import access_message
from tests.api.conftest import error, ok, visitor_client

PUBLIC_FILE_KEYS = {"name", "size", "content_type", "category", "url", "thumbnail_url", "width", "height"}


# ---------------------------------------------------------------------------- samples


def png_bytes(size: tuple[int, int] = (800, 600), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (200, 30, 30, 128) if mode == "RGBA" else (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def jpeg_bytes(size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (0, 90, 200)).save(out, "JPEG")
    return out.getvalue()


def gif_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("P", (40, 30), 1).save(out, "GIF", transparency=1)
    return out.getvalue()


def wav_bytes() -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * 800)
    return out.getvalue()


def docx_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<document/>")
    return out.getvalue()


def zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("hello.txt", "hi")
    return out.getvalue()


PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
OGG = b"OggS\x00\x02" + b"\x00" * 22 + b"OpusHead" + b"\x00" * 40
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * 30
WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82\x84webm" + (
    b"\x00" * 50
)
M4A = b"\x00\x00\x00\x20ftypM4A \x00\x00\x02\x00M4A isommp42" + b"\x00" * 50
MP4 = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + b"\x00" * 50
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 200


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored(media: Path) -> list[Path]:
    return sorted(p for p in media.rglob("*") if p.is_file()) if media.exists() else []


@pytest.fixture
def agent(make_staff, support):
    return make_staff(tags=[support], name="Alice Agent")


@pytest.fixture
def handled(open_enquiry, agent):
    e = open_enquiry(message="Where is my order?")
    enquiry_services.enquiry_pick_up(actor=agent, enquiry_id=e.pk)
    e.refresh_from_db()
    return e


@pytest.fixture
def agent_client(api, agent):
    return api(agent)


def files_url(enquiry: Enquiry) -> str:
    return f"/api/v1/rooms/{enquiry.room.pk}/files"


def visitor_of(enquiry: Enquiry):
    return visitor_client(visitor_token_for(enquiry.visitor_id))


def post_file(client, enquiry: Enquiry, name: str, content: bytes, content_type: str = "", **fields):
    body = {"file": upload(name, content, content_type or "application/octet-stream"), **fields}
    return client.post(files_url(enquiry), body, format="multipart")


# ---------------------------------------------------------------------------- upload


def test_staff_uploads_image_with_thumbnail(agent_client, agent, handled, media, events):
    events.clear()
    body = ok(
        post_file(agent_client, handled, "photo.png", png_bytes(), "image/png", text=" Look ", client_id="f-1"), 201
    )
    assert body["kind"] == "file" and body["text"] == "Look" and body["client_id"] == "f-1"
    assert body["author"] == {"type": "staff", "id": agent.pk, "name": "Alice Agent"}
    public = body["data"]["file"]
    assert set(public) == PUBLIC_FILE_KEYS
    assert public["name"] == "photo.png" and public["content_type"] == "image/png" and public["category"] == "image"
    assert (public["width"], public["height"]) == (800, 600) and public["size"] == len(png_bytes())
    assert public["url"] == f"/api/v1/messages/{body['id']}/file"
    assert public["thumbnail_url"] == f"/api/v1/messages/{body['id']}/thumbnail"
    # The storage path never leaves the server.
    assert "files/" not in json.dumps(body)

    info = Message.objects.get(pk=body["id"]).data["file"]
    original, thumb = media / info["path"], media / info["thumbnail"]
    assert original.read_bytes() == png_bytes() and "photo" not in info["path"]
    assert len(Path(info["path"]).stem) >= 32  # not guessable
    with Image.open(thumb) as image:
        assert image.size == (320, 240) and image.format == "JPEG"
    assert set(stored(media)) == {original, thumb}

    sent = events.of_type("message.created")
    assert sorted(g[0] for g, _ in sent) == sorted([f"room.{handled.room.pk}", f"visitor.{handled.visitor_id}"])
    assert all("path" not in p["data"]["message"]["data"]["file"] for _, p in sent)
    handled.refresh_from_db()
    assert handled.first_response_at is not None


def test_transparent_image_thumbnail_is_png(agent_client, handled, media):
    body = ok(post_file(agent_client, handled, "logo.png", png_bytes((1000, 200), "RGBA"), "image/png"), 201)
    assert body["data"]["file"]["width"] == 1000
    info = Message.objects.get(pk=body["id"]).data["file"]
    with Image.open(media / info["thumbnail"]) as image:
        assert image.format == "PNG" and image.size == (320, 64)


def test_retry_with_client_id_stores_nothing_new(agent_client, handled, media):
    first = ok(post_file(agent_client, handled, "a.pdf", PDF, "application/pdf", client_id="c-9"), 201)
    before = stored(media)
    retry = ok(post_file(agent_client, handled, "a.pdf", PDF, "application/pdf", client_id="c-9"), 200)
    assert retry["id"] == first["id"] and stored(media) == before
    assert Message.objects.filter(room=handled.room, client_id="c-9").count() == 1


def test_visitor_uploads_voice_message(handled, media):
    body = ok(post_file(visitor_of(handled), handled, "voice.ogg", OGG, "audio/ogg"), 201)
    public = body["data"]["file"]
    assert body["author"]["type"] == "visitor"
    assert (public["category"], public["content_type"], public["thumbnail_url"]) == ("voice", "audio/ogg", None)
    assert public["width"] is None and public["height"] is None


def test_visitor_file_reopens_resolved_enquiry(agent, handled):
    enquiry_services.enquiry_resolve(actor=agent, enquiry_id=handled.pk)
    ok(post_file(visitor_of(handled), handled, "doc.pdf", PDF, "application/pdf"), 201)
    handled.refresh_from_db()
    assert handled.status == Enquiry.Status.HANDLING


def test_closed_enquiry_refuses_files_and_keeps_no_file(agent, agent_client, handled, media):
    enquiry_services.enquiry_leave(actor=agent, enquiry_id=handled.pk)
    count = Message.objects.count()
    assert error(post_file(agent_client, handled, "doc.pdf", PDF), 409)["code"] == "closed"
    assert error(post_file(visitor_of(handled), handled, "doc.pdf", PDF), 409)["code"] == "closed"
    assert Message.objects.count() == count and stored(media) == []


def test_non_member_and_other_visitor_cannot_upload(api, make_staff, support, open_enquiry, handled, media):
    outsider = make_staff(tags=[support])
    other = open_enquiry(message="Mine")
    assert error(post_file(api(outsider), handled, "doc.pdf", PDF), 403)
    assert error(post_file(visitor_of(other), handled, "doc.pdf", PDF), 403)
    assert error(post_file(api(), handled, "doc.pdf", PDF), 401)
    assert stored(media) == []


def test_upload_to_missing_room_404(agent_client, handled):
    response = agent_client.post("/api/v1/rooms/999999/files", {"file": upload("a.pdf", PDF)}, format="multipart")
    error(response, 404)


def test_upload_with_reply_to(agent_client, handled, open_enquiry):
    first = Message.objects.filter(room=handled.room, kind="text").earliest("id")
    body = ok(post_file(agent_client, handled, "a.pdf", PDF, reply_to=first.pk), 201)
    assert body["reply_to"] == first.pk
    elsewhere = Message.objects.filter(room=open_enquiry().room).earliest("id")
    assert "reply_to" in error(post_file(agent_client, handled, "a.pdf", PDF, reply_to=elsewhere.pk), 400)


@pytest.mark.parametrize(
    ("name", "content", "declared", "content_type", "category"),
    [
        ("scan.pdf", PDF, "application/pdf", "application/pdf", "document"),
        (
            "letter.docx",
            docx_bytes(),
            "application/octet-stream",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "document",
        ),
        ("notes.txt", "Grüße, 你好\n".encode(), "text/plain", "text/plain; charset=utf-8", "document"),
        ("table.csv", b"a,b\n1,2\n", "text/csv", "text/csv; charset=utf-8", "document"),
        ("photo.jpg", jpeg_bytes(), "image/jpeg", "image/jpeg", "image"),
        ("anim.gif", gif_bytes(), "image/gif", "image/gif", "image"),
        ("clip.mp4", MP4, "video/mp4", "video/mp4", "video"),
        ("clip.webm", WEBM, "video/webm", "video/webm", "video"),
        ("voice.webm", WEBM, "audio/webm", "audio/webm", "voice"),
        ("voice.m4a", M4A, "audio/mp4", "audio/mp4", "voice"),
        ("voice.mp3", MP3, "audio/mpeg", "audio/mpeg", "voice"),
        ("voice.wav", wav_bytes(), "audio/wav", "audio/wav", "voice"),
    ],
)
def test_accepted_types(agent_client, handled, name, content, declared, content_type, category):
    public = ok(post_file(agent_client, handled, name, content, declared), 201)["data"]["file"]
    assert (public["content_type"], public["category"], public["name"]) == (content_type, category, name)
    assert (public["thumbnail_url"] is not None) == (category == "image")


@pytest.mark.parametrize(
    ("name", "content", "declared"),
    [
        ("cat.png", EXE, "image/png"),  # a Windows program renamed
        ("cat.jpg", ELF, "image/jpeg"),  # a Linux program renamed
        ("page.html", b"<!DOCTYPE html><html><script>alert(1)</script></html>", "text/html"),
        ("page.png", b"<html><script>alert(1)</script></html>", "image/png"),
        ("icon.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "image/svg+xml"),
        ("archive.zip", zip_bytes(), "application/zip"),
        ("latin1.txt", "Grüße".encode("latin-1"), "text/plain"),
        ("nul.txt", b"abc\x00def", "text/plain"),
        ("noext", b"just some text", "text/plain"),
        ("broken.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png"),  # PNG signature, no image
    ],
)
def test_refused_types(agent_client, handled, media, name, content, declared):
    count = Message.objects.count()
    body = error(post_file(agent_client, handled, name, content, declared), 400)
    assert "file" in body and body["file"] == [body["detail"]]
    assert Message.objects.count() == count and stored(media) == []


def test_empty_file_refused(agent_client, handled):
    assert "file" in error(post_file(agent_client, handled, "empty.txt", b""), 400)


def test_size_limit(settings, agent_client, handled, media):
    settings.CC_MAX_UPLOAD_BYTES = 1000
    count = Message.objects.count()
    body = error(post_file(agent_client, handled, "big.pdf", PDF + b"x" * (1001 - len(PDF))), 413)
    assert "1000 bytes" in body["detail"] and "file" in body
    # A body far above the limit is refused before it is parsed.
    assert "1000 bytes" in error(post_file(agent_client, handled, "huge.pdf", PDF + b"x" * 100_000), 413)["detail"]
    assert Message.objects.count() == count and stored(media) == []
    ok(post_file(agent_client, handled, "exact.pdf", PDF + b"x" * (1000 - len(PDF))), 201)


def test_default_size_limit_is_25_mb():
    from contactcenter import settings as project_settings

    assert project_settings.CC_MAX_UPLOAD_BYTES == 25 * 1024 * 1024


def test_caption_too_long(settings, agent_client, handled, media):
    settings.CC_MESSAGE_MAX_CHARS = 5
    assert "text" in error(post_file(agent_client, handled, "a.pdf", PDF, text="too long"), 400)
    assert stored(media) == []


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\me\\report.pdf", "report.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe.pdf"),  # right-to-left override dropped; real type appended
        ("   ", "file.pdf"),
        ("...", "file.pdf"),
        ("Résumé 2026.PDF", "Résumé 2026.PDF"),
    ],
)
def test_file_names_are_cleaned(given, expected):
    assert files.file_clean_name(given, files.ALLOWED["application/pdf"]) == expected


# ---------------------------------------------------------------------------- failure leaves nothing


def test_failed_disk_write_leaves_no_row_and_no_file(monkeypatch, handled, agent, media):
    real_open = files._open_new

    class Broken:
        def __init__(self, relative: str) -> None:
            self.out = real_open(relative)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.out.close()

        def write(self, chunk: bytes) -> None:
            self.out.write(chunk[:10])
            raise OSError("disk full")

    monkeypatch.setattr(files, "_open_new", Broken)
    count = Message.objects.count()
    with pytest.raises(OSError, match="disk full"):
        files.file_upload(room_id=handled.room.pk, upload=upload("a.pdf", PDF), staff=agent)
    assert Message.objects.count() == count and stored(media) == []


def test_failed_insert_leaves_no_file(monkeypatch, handled, agent, media):
    def fail(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(room_services, "_messages_insert", fail)
    count = Message.objects.count()
    with pytest.raises(RuntimeError):
        files.file_upload(room_id=handled.room.pk, upload=upload("a.png", png_bytes()), staff=agent)
    assert Message.objects.count() == count and stored(media) == []


def test_refused_author_leaves_no_file(make_staff, support, handled, media):
    with pytest.raises(NotAuthorized):
        files.file_upload(room_id=handled.room.pk, upload=upload("a.png", png_bytes()), staff=make_staff())
    assert stored(media) == []


def test_service_refuses_bad_caption_before_storing(handled, agent, media):
    with pytest.raises(InvalidInput):
        files.file_upload(room_id=handled.room.pk, upload=upload("a.pdf", PDF), text=42, staff=agent)
    assert stored(media) == []


# ---------------------------------------------------------------------------- downloads


@pytest.fixture
def image_message(agent_client, handled):
    return ok(post_file(agent_client, handled, "Café photo.png", png_bytes(), "image/png"), 201)


@pytest.fixture
def pdf_message(agent_client, handled):
    return ok(post_file(agent_client, handled, 'Résumé "2026".pdf', PDF, "application/pdf"), 201)


def file_url(body, what="file"):
    return f"/api/v1/messages/{body['id']}/{what}"


def test_download_document_as_attachment(agent_client, pdf_message):
    response = agent_client.get(file_url(pdf_message))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"Resume _2026_.pdf\"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%222026%22.pdf"
    )
    assert "sandbox" in response["Content-Security-Policy"]


def test_download_image_inline_with_thumbnail(agent_client, image_message):
    response = agent_client.get(file_url(image_message))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith('inline; filename="Cafe photo.png"; filename*=UTF-8')
    assert response["X-Content-Type-Options"] == "nosniff"
    thumb = agent_client.get(file_url(image_message, "thumbnail"))
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    assert thumb["Content-Disposition"].startswith("inline;") and thumb["X-Content-Type-Options"] == "nosniff"
    with Image.open(io.BytesIO(b"".join(thumb.streaming_content))) as image:
        assert max(image.size) == 320


def test_voice_and_text_headers(agent_client, handled):
    voice = ok(post_file(agent_client, handled, "v.ogg", OGG, "audio/ogg"), 201)
    response = agent_client.get(file_url(voice))
    assert response["Content-Type"] == "audio/ogg" and response["Content-Disposition"] == 'inline; filename="v.ogg"'
    text = ok(post_file(agent_client, handled, "n.txt", b"<script>x</script>", "text/html"), 201)
    response = agent_client.get(file_url(text))
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="n.txt"'
    assert response["X-Content-Type-Options"] == "nosniff"


def test_no_thumbnail_for_documents(agent_client, pdf_message):
    assert "thumbnail" in error(agent_client.get(file_url(pdf_message, "thumbnail")), 404)["detail"]


def test_download_permissions(api, make_staff, support, admin, open_enquiry, handled, pdf_message, image_message):
    outsider = make_staff(tags=[support])
    other = open_enquiry(message="Mine")
    for what, body in (("file", pdf_message), ("thumbnail", image_message)):
        url = file_url(body, what)
        assert error(api(outsider).get(url), 403)
        assert error(visitor_of(other).get(url), 403)
        assert error(api().get(url), 401)
        assert api(admin).get(url).status_code == 200
        assert visitor_of(handled).get(url).status_code == 200
    assert error(api(admin).get("/api/v1/messages/999999/file"), 404)


def test_errors_are_json_whatever_the_accept_header(api, make_staff, support, pdf_message):
    response = api(make_staff(tags=[support])).get(file_url(pdf_message), HTTP_ACCEPT="image/png")
    error(response, 403)


def test_text_message_has_no_file(agent_client, handled):
    text = Message.objects.filter(room=handled.room, kind="text").earliest("id")
    error(agent_client.get(f"/api/v1/messages/{text.pk}/file"), 404)


def test_visitor_is_not_told_of_staff_only_messages(handled):
    hidden = Message.objects.filter(room=handled.room, data__visibility="staff").earliest("id")
    assert hidden is not None
    with pytest.raises(NotFound):
        access_message(handled.visitor, hidden.pk)


def test_session_login_downloads(client, agent, pdf_message):
    client.force_login(agent)
    from contactcenter.org.auth import SESSION_EPOCH_KEY

    session = client.session
    session[SESSION_EPOCH_KEY] = str(agent.auth_epoch)
    session.save()
    response = client.get(file_url(pdf_message))
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment;")


def test_content_disposition_plain_ascii():
    assert content_disposition("report.pdf", inline=False) == 'attachment; filename="report.pdf"'
    assert content_disposition("a\\b;c.pdf", inline=True).startswith('inline; filename="a_b_c.pdf"; filename*=')


# ---------------------------------------------------------------------------- recall deletes the file


def test_recall_deletes_file_after_commit(
    agent_client, image_message, media, events, django_capture_on_commit_callbacks
):
    info = Message.objects.get(pk=image_message["id"]).data["file"]
    original, thumb = media / info["path"], media / info["thumbnail"]
    assert original.exists() and thumb.exists()
    with django_capture_on_commit_callbacks(execute=True):
        body = ok(agent_client.delete(f"/api/v1/messages/{image_message['id']}"))
    assert body["recalled_at"] is not None and body["data"] == {} and body["text"] == ""
    assert not original.exists() and not thumb.exists() and stored(media) == []
    error(agent_client.get(file_url(image_message)), 404)
    error(agent_client.get(file_url(image_message, "thumbnail")), 404)
    recalled = events.of_type("message.recalled")
    assert recalled and all(p["data"]["message"]["data"] == {} for _, p in recalled)


def test_recall_rolled_back_keeps_file(agent, image_message, media, django_capture_on_commit_callbacks):
    info = Message.objects.get(pk=image_message["id"]).data["file"]
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            room_services.message_recall(message_id=image_message["id"], staff=agent)
            raise RuntimeError("rolled back")
    assert (media / info["path"]).exists() and (media / info["thumbnail"]).exists()


def test_delete_never_leaves_media_root(media, tmp_path):
    outside = tmp_path / "keep.txt"
    outside.write_text("keep")
    files.file_discard(info={"path": "../keep.txt", "thumbnail": "/etc/hostname"})
    assert outside.exists()


# ---------------------------------------------------------------------------- large images (issue 10)


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` (a decompression bomb's header): only its
    header is ever read."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


@pytest.fixture
def decoded_sizes(monkeypatch) -> list[tuple[int, int]]:
    """The size of every image Pillow decodes (a JPEG's after its draft scale)."""
    from PIL import ImageFile

    sizes: list[tuple[int, int]] = []
    original = ImageFile.ImageFile.load

    def load(self, *args, **kwargs):
        if getattr(self, "tile", None):  # still to be decoded
            sizes.append(self.size)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return sizes


def test_49_megapixel_jpeg_is_thumbnailed_from_a_small_decode(agent_client, handled, media, decoded_sizes):
    """The 1.7 s of issue 10: a 7000 x 7000 photo. The JPEG is decoded at 1/8 scale."""
    out = io.BytesIO()
    Image.new("RGB", (7000, 7000), (0, 90, 200)).save(out, "JPEG", quality=50)  # one colour: small
    body = ok(post_file(agent_client, handled, "huge.jpg", out.getvalue()), 201)
    info = body["data"]["file"]
    assert (info["width"], info["height"]) == (7000, 7000)
    assert info["thumbnail_url"]
    assert decoded_sizes and max(w * h for w, h in decoded_sizes) <= 1000 * 1000, decoded_sizes
    message = Message.objects.get(pk=body["id"])
    with Image.open(media / message.data["file"]["thumbnail"]) as thumb:
        assert max(thumb.size) == files.THUMBNAIL_MAX_PX


def test_rotated_jpeg_reports_its_displayed_size(agent_client, handled):
    exif = Image.Exif()
    exif[0x0112] = 6  # turned a quarter
    out = io.BytesIO()
    Image.new("RGB", (400, 200), (0, 90, 200)).save(out, "JPEG", exif=exif)
    info = ok(post_file(agent_client, handled, "turned.jpg", out.getvalue()), 201)["data"]["file"]
    assert (info["width"], info["height"]) == (200, 400)
    thumb = agent_client.get(info["thumbnail_url"])
    with Image.open(io.BytesIO(b"".join(thumb.streaming_content))) as image:
        assert image.size == (160, 320)


def test_large_non_jpeg_gets_no_inline_thumbnail(settings, agent_client, handled, media, decoded_sizes):
    settings.CC_THUMBNAIL_MAX_PIXELS = 100_000
    info = ok(post_file(agent_client, handled, "big.png", png_bytes((800, 600))), 201)["data"]["file"]
    assert (info["width"], info["height"]) == (800, 600)
    assert info["thumbnail_url"] is None
    assert decoded_sizes == []  # never decoded
    assert len(stored(media)) == 1  # the file alone
    settings.CC_THUMBNAIL_MAX_PIXELS = 1_000_000
    assert ok(post_file(agent_client, handled, "big.png", png_bytes((800, 600))), 201)["data"]["file"]["thumbnail_url"]


@pytest.mark.parametrize(("width", "height"), [(8000, 8000), (20000, 20000)])
def test_decompression_bomb_is_refused_clearly(agent_client, handled, media, width, height):
    before = Message.objects.count()
    body = error(post_file(agent_client, handled, "bomb.png", _png_header_only(width, height)), 400)
    assert "This image is too large" in body["detail"] and "50 megapixels" in body["detail"]
    assert Message.objects.count() == before
    assert stored(media) == []
