"""Files in rooms: uploads checked by content, image thumbnails, storage under MEDIA_ROOT
in non-guessable paths, copies for forwards and deletion after a recall."""

from __future__ import annotations

import codecs
import contextlib
import dataclasses
import secrets
import shutil
import unicodedata
import warnings
from pathlib import Path, PurePosixPath
from typing import Any

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext, gettext_noop
from PIL import ExifTags, Image, ImageOps

from contactcenter.org.errors import Conflict, InvalidInput, NotFound
from contactcenter.org.models import Staff
from rooms import audio, services
from rooms.models import Message

THUMBNAIL_MAX_PX = 320
# Larger images are refused: decoding them would take too much memory (decompression bombs).
MAX_IMAGE_PIXELS = 50_000_000
_SNIFF_BYTES = 8192
_NAME_MAX_CHARS = 200


class UploadTooLarge(InvalidInput):
    status_code = 413
    default_message = "This file is too large."


@dataclasses.dataclass(frozen=True)
class FileType:
    content_type: str
    category: str  # image | video | document | voice
    extensions: tuple[str, ...]  # the first is used when the given name has none of them


_DOC = "document"
# Keyed by the MIME type that filetype detects from the content; nothing else is accepted.
ALLOWED: dict[str, FileType] = {
    "image/jpeg": FileType("image/jpeg", "image", (".jpg", ".jpeg", ".jpe", ".jfif")),
    "image/png": FileType("image/png", "image", (".png",)),
    "image/gif": FileType("image/gif", "image", (".gif",)),
    "image/webp": FileType("image/webp", "image", (".webp",)),
    "video/mp4": FileType("video/mp4", "video", (".mp4", ".m4v")),
    "video/webm": FileType("video/webm", "video", (".webm",)),
    "video/quicktime": FileType("video/quicktime", "video", (".mov",)),
    "application/pdf": FileType("application/pdf", _DOC, (".pdf",)),
    "application/msword": FileType("application/msword", _DOC, (".doc",)),
    "application/vnd.ms-excel": FileType("application/vnd.ms-excel", _DOC, (".xls",)),
    "application/vnd.ms-powerpoint": FileType("application/vnd.ms-powerpoint", _DOC, (".ppt",)),
    **{
        mime: FileType(mime, _DOC, (ext,))
        for mime, ext in (
            ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
            ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
            ("application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx"),
            ("application/vnd.oasis.opendocument.text", ".odt"),
            ("application/vnd.oasis.opendocument.spreadsheet", ".ods"),
            ("application/vnd.oasis.opendocument.presentation", ".odp"),
        )
    },
    "audio/ogg": FileType("audio/ogg", "voice", (".ogg", ".oga", ".opus")),
    "audio/mpeg": FileType("audio/mpeg", "voice", (".mp3",)),
    "audio/mp4": FileType("audio/mp4", "voice", (".m4a",)),
    "audio/x-wav": FileType("audio/wav", "voice", (".wav",)),
}
# Containers that hold either video or only sound: the client's hint picks voice.
_AUDIO_ONLY = {
    "video/webm": FileType("audio/webm", "voice", (".webm", ".weba")),
    "video/mp4": FileType("audio/mp4", "voice", (".m4a", ".mp4")),
}
# filetype recognises no plain text: these are accepted when they are valid UTF-8.
TEXT_TYPES = {
    ".txt": FileType("text/plain; charset=utf-8", _DOC, (".txt",)),
    ".csv": FileType("text/csv; charset=utf-8", _DOC, (".csv",)),
}
_REFUSED = gettext_noop(
    "This type of file is not allowed. Send images (JPEG, PNG, GIF, WebP), videos (MP4, WebM, MOV), "
    "documents (PDF, Office, OpenDocument, TXT, CSV) or voice messages (OGG/Opus, WebM, MP3, M4A, WAV)."
)


def _suffix(name: str) -> str:
    return PurePosixPath(name.lower()).suffix


def file_clean_name(name: str, file_type: FileType) -> str:
    """The user's file name without directories, control or direction-changing characters,
    ending in an extension of its real type (so "invoice.pdf.exe" holding a PDF is saved
    by the browser as "invoice.pdf.exe.pdf", never as a program)."""
    name = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = name.strip().strip(".").strip()[:_NAME_MAX_CHARS]
    if not name:
        name = "file"
    if _suffix(name) not in file_type.extensions:
        name += file_type.extensions[0]
    return name


def file_sniff(*, head: bytes, name: str, declared_type: str = "") -> FileType:
    """The type of a file judged by its first bytes; the name and the client's declared
    type only choose between readings of the same verified content. Raises InvalidInput."""
    kind = filetype.guess(head)
    if kind is None:
        text_type = TEXT_TYPES.get(_suffix(name))
        if text_type is None:
            raise InvalidInput.field("file", gettext(_REFUSED))
        return text_type
    file_type = ALLOWED.get(kind.mime)
    if file_type is None:
        raise InvalidInput.field("file", gettext(_REFUSED))
    sound = _AUDIO_ONLY.get(kind.mime)
    if sound is not None:
        # The container's track headers decide; only when they are not in the first bytes,
        # the client's hint (type or name) does.
        only_sound = audio.audio_only(head, kind.mime)
        if only_sound is None:
            only_sound = declared_type.lower().startswith("audio/") or _suffix(name) in (".weba", ".m4a")
        if only_sound:
            return sound
    return file_type


def media_path(relative: str) -> Path:
    """The absolute path of a stored file, refusing anything outside MEDIA_ROOT."""
    root = Path(settings.MEDIA_ROOT).resolve()
    full = (root / relative).resolve()
    if root not in full.parents:
        raise NotFound("File not found.")
    return full


def _new_relative_path(suffix: str) -> str:
    token = secrets.token_urlsafe(24)
    return f"files/{token[:2]}/{token}{suffix}"


def _open_new(relative: str) -> Any:
    full = media_path(relative)
    full.parent.mkdir(parents=True, exist_ok=True)
    return full.open("xb")


def _remove(relatives: list[str]) -> None:
    for relative in relatives:
        with contextlib.suppress(FileNotFoundError, NotFound):
            media_path(relative).unlink()


def _stored_paths(info: Any) -> list[str]:
    if not isinstance(info, dict):
        return []
    return [p for p in (info.get("path"), info.get("thumbnail")) if isinstance(p, str) and p]


def file_discard(*, info: Any) -> None:
    """Delete at once the files of a message that was never saved."""
    _remove(_stored_paths(info))


def file_delete_on_commit(message: Message) -> None:
    """Delete the message's stored file and thumbnail once the transaction commits; a
    rollback leaves them, as the message then still refers to them."""
    paths = _stored_paths(message.data.get("file"))
    if paths:
        transaction.on_commit(lambda: _remove(paths))


def _write(upload: UploadedFile, relative: str, *, utf8: bool) -> int:
    """Copy the upload to ``relative``; returns the size. Text must decode as UTF-8."""
    size = 0
    decoder = codecs.getincrementaldecoder("utf-8")("strict") if utf8 else None
    upload.seek(0)
    with _open_new(relative) as out:
        for chunk in upload.chunks():
            size += len(chunk)
            if size > settings.CC_MAX_UPLOAD_BYTES:
                raise UploadTooLarge.field("file", upload_limit_message())
            if decoder is not None:
                try:
                    text = decoder.decode(chunk)
                except UnicodeDecodeError:
                    raise InvalidInput.field("file", "Text files must be UTF-8 encoded.") from None
                if "\x00" in text:
                    raise InvalidInput.field("file", "Text files cannot contain null characters.")
            out.write(chunk)
        if decoder is not None:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                raise InvalidInput.field("file", "Text files must be UTF-8 encoded.") from None
    return size


def upload_limit_message() -> str:
    limit = settings.CC_MAX_UPLOAD_BYTES
    shown = f"{limit / (1024 * 1024):g} MB" if limit >= 1024 * 1024 else f"{limit} bytes"
    return gettext("Files are limited to %(size)s.") % {"size": shown}


def _too_many_pixels(width: int, height: int) -> InvalidInput:
    return InvalidInput.field(
        "file",
        f"This image is too large ({width} × {height} pixels); images are limited to "
        f"{MAX_IMAGE_PIXELS // 1_000_000} megapixels.",
    )


def _image_details(relative: str) -> tuple[int, int, str | None]:
    """Width and height (as displayed) and the stored thumbnail of an image.

    Kept quick for the request that uploads it: a JPEG is decoded at 1/2 to 1/8 of its
    size (``Image.draft``, the scale the thumbnail needs), so a 49-megapixel photo costs
    about a tenth of a second; other formats cannot be decoded smaller, and above
    CC_THUMBNAIL_MAX_PIXELS get no thumbnail (clients show the image itself). Above
    MAX_IMAGE_PIXELS (decompression bombs) the image is refused from its header alone."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(media_path(relative)) as image:
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise _too_many_pixels(width, height)
                if image.format == "JPEG":
                    if image.getexif().get(ExifTags.Base.Orientation) in (5, 6, 7, 8):
                        width, height = height, width  # shown turned a quarter
                    image.draft(None, (THUMBNAIL_MAX_PX, THUMBNAIL_MAX_PX))
                elif width * height > settings.CC_THUMBNAIL_MAX_PIXELS:
                    return width, height, None
                image.load()
                shown = ImageOps.exif_transpose(image)
                if image.format != "JPEG":
                    width, height = shown.size
                thumb = shown.copy()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInput.field(
            "file", f"This image is too large; images are limited to {MAX_IMAGE_PIXELS // 1_000_000} megapixels."
        ) from None
    except (OSError, ValueError, SyntaxError):
        raise InvalidInput.field("file", gettext("This image is damaged or cannot be read.")) from None
    thumb.thumbnail((THUMBNAIL_MAX_PX, THUMBNAIL_MAX_PX))
    transparent = thumb.mode in ("RGBA", "LA", "PA") or (thumb.mode == "P" and "transparency" in thumb.info)
    if transparent:
        thumb, fmt, suffix = thumb.convert("RGBA"), "PNG", ".png"
    else:
        thumb, fmt, suffix = thumb.convert("RGB"), "JPEG", ".jpg"
    thumb_path = _new_relative_path(f"-thumb{suffix}")
    try:
        with _open_new(thumb_path) as out:
            thumb.save(out, fmt, **({"quality": 85} if fmt == "JPEG" else {}))
    except BaseException:
        _remove([thumb_path])
        raise
    return width, height, thumb_path


def _voice_details(relative: str, content_type: str, size: int) -> tuple[int | None, int]:
    """The length of a stored recording (None when its content does not tell) and its
    size: a WebM recorded by a browser gets its missing Duration written in, so that
    players show the length and a seek bar before it has played to the end."""
    full = media_path(relative)
    content = full.read_bytes()
    duration_ms = audio.audio_duration_ms(content, content_type)
    if content_type == "audio/webm" and duration_ms:
        fixed = audio.webm_with_duration(content, duration_ms)
        if fixed is not None and len(fixed) <= settings.CC_MAX_UPLOAD_BYTES:
            full.write_bytes(fixed)
            size = len(fixed)
    return duration_ms or None, size


def file_store(*, upload: UploadedFile) -> dict[str, Any]:
    """Check an upload by content and size, store it (and an image's thumbnail) under
    MEDIA_ROOT, and return the description kept in ``message.data["file"]``. On any
    failure nothing stays on disk. Raises InvalidInput / UploadTooLarge."""
    if upload.size is None or upload.size <= 0:
        raise InvalidInput.field("file", gettext("The file is empty."))
    if upload.size > settings.CC_MAX_UPLOAD_BYTES:
        raise UploadTooLarge.field("file", upload_limit_message())
    upload.seek(0)
    head = upload.read(_SNIFF_BYTES)
    file_type = file_sniff(head=head, name=upload.name or "", declared_type=upload.content_type or "")
    name = file_clean_name(upload.name or "", file_type)
    path = _new_relative_path(file_type.extensions[0])
    info: dict[str, Any] = {
        "name": name,
        "size": 0,
        "content_type": file_type.content_type,
        "category": file_type.category,
        "path": path,
        "thumbnail": None,
        "width": None,
        "height": None,
    }
    if file_type.category == "voice":
        info["duration_ms"] = None
    try:
        info["size"] = _write(upload, path, utf8=file_type.content_type.startswith("text/"))
        if file_type.category == "image":
            info["width"], info["height"], info["thumbnail"] = _image_details(path)
        elif file_type.category == "voice":
            info["duration_ms"], info["size"] = _voice_details(path, file_type.content_type, info["size"])
    except BaseException:
        file_discard(info=info)
        raise
    return info


def file_copy(*, info: Any) -> dict[str, Any]:
    """Copies of a message's stored file and thumbnail, for a forward."""

    if not isinstance(info, dict) or not info.get("path"):
        raise Conflict("This message's file is no longer available.", code="gone")
    copied = {**info, "path": _new_relative_path(PurePosixPath(info["path"]).suffix), "thumbnail": None}
    try:
        with media_path(info["path"]).open("rb") as src, _open_new(copied["path"]) as dst:
            shutil.copyfileobj(src, dst)
        if info.get("thumbnail"):
            copied["thumbnail"] = _new_relative_path(PurePosixPath(info["thumbnail"]).suffix)
            with media_path(info["thumbnail"]).open("rb") as src, _open_new(copied["thumbnail"]) as dst:
                shutil.copyfileobj(src, dst)
    except FileNotFoundError:
        file_discard(info=copied)
        raise Conflict("This message's file is no longer available.", code="gone") from None
    except BaseException:
        file_discard(info=copied)
        raise
    return copied


def file_upload(
    *,
    room_id: int,
    upload: UploadedFile,
    text: Any = "",
    client_id: Any = "",
    staff: Staff | None = None,
    visitor: Model | None = None,
    reply_to_id: int | None = None,
) -> tuple[Message, bool]:
    """Post a file (with an optional caption) as ``staff`` or ``visitor`` through
    ``rooms.services.messages_post`` (kind "file": the rules of message_post, and the
    caption's @mentions and link preview as a text's). Returns (message, created); a retry
    with the same ``client_id`` returns the first message and stores nothing.

    The file is written before the transaction so the room lock is not held during disk
    I/O; if the message is not saved the file is deleted again. Locks: the enquiry row,
    then the room row.
    """
    if (staff is None) == (visitor is None):
        raise ValueError("exactly one author")
    caption = services.message_text_clean(kind="file", text=text)
    client_id = services.message_client_id_clean(client_id)
    existing = services.message_existing(room_id=room_id, client_id=client_id, staff=staff, visitor=visitor)
    if existing is not None:
        return existing, False
    info = file_store(upload=upload)
    request = services.PostRequest(
        room_id,
        caption,
        client_id,
        staff=staff,
        visitor=visitor,
        reply_to_id=reply_to_id,
        kind="file",
        data={"file": info},
    )
    try:
        message, created = services.message_post_request(request)
    except BaseException:
        file_discard(info=info)
        raise
    if not created:  # The same client_id raced in from another connection: the first one stands.
        file_discard(info=info)
    return message, created


def file_for_download(message: Message, *, thumbnail: bool = False) -> tuple[Path, dict[str, Any]]:
    """The path on disk and the description of a message's file (or its thumbnail). The
    caller has checked access (rooms.selectors.access_message). Raises NotFound."""
    info = message.data.get("file")
    if message.recalled_at is not None or message.kind != Message.Kind.FILE or not isinstance(info, dict):
        raise NotFound("File not found.")
    relative = info.get("thumbnail") if thumbnail else info.get("path")
    if not isinstance(relative, str) or not relative:
        raise NotFound("This file has no thumbnail." if thumbnail else "File not found.")
    full = media_path(relative)
    if not full.is_file():
        raise NotFound("File not found.")
    return full, info
