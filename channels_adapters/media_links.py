"""Time-limited public links to staff files, for platforms that fetch media from a URL
(LINE, and WeChat or LINE for files they cannot send as media):
``{CC_PUBLIC_BASE_URL}/media-links/<signed token>/``.

The token is signed with the secret key (django.core.signing) and names the message and
the variant (the file, or a preview image); it is good for CC_MEDIA_LINK_MAX_AGE_SECONDS.
A link to a recalled message or a file that has gone answers 404, like a bad or expired
token. No session is needed: whoever holds the link may fetch the file, as the customer's
platform must.
"""

from __future__ import annotations

import functools
import io

from django.conf import settings
from django.core import signing
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe
from PIL import Image, ImageDraw

from contactcenter.org.errors import NotFound
from rooms import files
from rooms.files_api import content_disposition
from rooms.models import Message

_SALT = "cc.media-link"


def media_link(message_id: int, *, preview: bool = False) -> str:
    """The public link to a message's file (or its preview image); "" when
    CC_PUBLIC_BASE_URL is not set."""
    base = str(settings.CC_PUBLIC_BASE_URL or "").rstrip("/")
    if not base:
        return ""
    token = signing.dumps({"m": message_id, "p": int(preview)}, salt=_SALT, compress=True)
    return f"{base}/media-links/{token}/"


@functools.cache
def _video_preview() -> bytes:
    """A plain preview image for videos (LINE shows one before the video plays)."""
    image = Image.new("RGB", (320, 180), (32, 32, 32))
    ImageDraw.Draw(image).polygon([(140, 60), (140, 120), (190, 90)], fill=(235, 235, 235))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


@require_safe
def media_link_view(request: HttpRequest, token: str) -> HttpResponse | FileResponse:
    try:
        data = signing.loads(token, salt=_SALT, max_age=settings.CC_MEDIA_LINK_MAX_AGE_SECONDS)
        message_id, preview = int(data["m"]), bool(data["p"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):  # SignatureExpired is a BadSignature
        raise Http404 from None
    message = Message.objects.filter(pk=message_id).first()
    if message is None:
        raise Http404
    try:
        full, info = files.file_for_download(message)
        if preview and info.get("category") == "image":
            full, _ = files.file_for_download(message, thumbnail=True)
    except NotFound:
        raise Http404 from None
    if preview and info.get("category") == "video":
        response: HttpResponse | FileResponse = HttpResponse(_video_preview(), content_type="image/jpeg")
    elif preview and info.get("category") == "image":
        response = FileResponse(full.open("rb"), content_type="image/png" if full.suffix == ".png" else "image/jpeg")
    elif preview:
        raise Http404
    else:
        response = FileResponse(full.open("rb"), content_type=info["content_type"])
        response["Content-Disposition"] = content_disposition(info["name"], inline=info["category"] != "document")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response
