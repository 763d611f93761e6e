"""Link previews for URLs in messages (SPEC 4), fetched by the server without letting a
message make it reach internal addresses (SSRF).

The fetch resolves the host itself, refuses the request if any address is private,
loopback, link-local, multicast, reserved or unspecified, and then connects to the
checked address (not to the name again, so a DNS answer that changes between the check
and the connection cannot slip through). Redirects are followed by hand, each hop checked
the same way, at most ``MAX_REDIRECTS``. Only ports 80 and 443, 3 s timeouts, at most
1 MB of ``text/html``. ``CC_LINK_PREVIEW_ALLOW_PRIVATE`` lifts the address and port
checks (tests against a local server only).

The preview's image is never loaded by the agents' browsers from the page's host (that
would leak their addresses and let a message make every browser GET an intranet URL): the
server fetches it with the same guard, at most ``CC_LINK_PREVIEW_IMAGE_MAX_BYTES``, keeps it
only when its bytes are a PNG, JPEG, GIF or WebP image, caches it on disk under
``MEDIA_ROOT/previews/`` and serves it at ``/api/v1/messages/<id>/preview-image`` to those
who may see the message (see ``message_public_data``).
"""

from __future__ import annotations

import hashlib
import io
import ipaddress
import logging
import os
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
from bs4 import BeautifulSoup
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from contactcenter.org.background import run_after_commit
from contactcenter.org.events import MessagePreview
from rooms.models import Message, Room

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 3.0
MAX_BYTES = 1024 * 1024
MAX_REDIRECTS = 3
ALLOWED_PORTS = {80, 443}
URL_MAX = 2048
USER_AGENT = "ContactCenterLinkPreview/1.0"

# The first http(s) URL in a text; trailing sentence punctuation is not part of it.
URL_RE = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\""

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
T = TypeVar("T")

# Preview images: formats a browser shows and that carry no script (no SVG), by what
# Pillow reads in the bytes, not by what the server says they are.
IMAGE_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
IMAGE_SUFFIXES = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp"}
IMAGE_MAX_PIXELS = 25_000_000
IMAGE_MISS_SECONDS = 600  # a failed image fetch is not retried for this long


class PreviewRefused(Exception):
    """The URL may not be fetched (address, port, scheme) or did not give a usable page."""


def first_url(text: str) -> str | None:
    match = URL_RE.search(text or "")
    if match is None:
        return None
    url = match.group(0).rstrip(_TRAILING)
    return url if len(url) <= URL_MAX else None


def address_forbidden(ip: IPAddress) -> bool:
    """True for every address a preview must never reach: private, loopback, link-local
    (cloud metadata at 169.254.169.254), multicast, reserved, unspecified, and anything not
    globally routable (carrier-grade NAT, documentation ranges). IPv4 inside IPv6
    (::ffff:10.0.0.1, 64:ff9b::/96 NAT64 excepted) is judged as the IPv4 address."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return address_forbidden(ip.ipv4_mapped)
        if ip.sixtofour is not None and address_forbidden(ip.sixtofour):
            return True
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


@dataclass(frozen=True)
class _Target:
    url: str  # as written, for Host/SNI and relative redirects
    scheme: str
    host: str
    port: int
    address: IPAddress


def _resolve(url: str, *, allow_private: bool | None = None) -> _Target:
    """Check a URL and resolve its host; every address it resolves to must be allowed.
    ``allow_private`` None: CC_LINK_PREVIEW_ALLOW_PRIVATE."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise PreviewRefused("only http and https")
    if parts.username or parts.password:
        raise PreviewRefused("credentials in URL")
    host = parts.hostname
    if not host:
        raise PreviewRefused("no host")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise PreviewRefused("bad port") from exc
    if allow_private is None:
        allow_private = settings.CC_LINK_PREVIEW_ALLOW_PRIVATE
    if port not in ALLOWED_PORTS and not allow_private:
        raise PreviewRefused(f"port {port} not allowed")
    try:
        addresses: list[IPAddress] = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            ascii_host = host.encode("idna").decode("ascii")
            infos = socket.getaddrinfo(ascii_host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise PreviewRefused("host does not resolve") from exc
        # Scope ids ("fe80::1%eth0") are dropped: the address itself decides.
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    if not addresses:
        raise PreviewRefused("host does not resolve")
    if not allow_private:
        for address in addresses:
            if address_forbidden(address):
                raise PreviewRefused(f"address {address} not allowed")
    return _Target(url=url, scheme=scheme, host=host, port=port, address=addresses[0])


def _pinned_url(target: _Target) -> str:
    """The URL with the host replaced by the checked address."""
    parts = urlsplit(target.url)
    literal = f"[{target.address}]" if target.address.version == 6 else str(target.address)
    return urlunsplit((target.scheme, f"{literal}:{target.port}", parts.path or "/", parts.query, ""))


def _host_header(target: _Target) -> str:
    host = f"[{target.host}]" if ":" in target.host else target.host
    default = 443 if target.scheme == "https" else 80
    return host if target.port == default else f"{host}:{target.port}"


@dataclass(frozen=True)
class PinnedRequest:
    """A request to a checked URL: sent to ``url`` (the host replaced by the checked
    address) with these ``headers`` (Host) and httpx ``extensions`` (TLS SNI)."""

    url: str
    headers: dict[str, str]
    extensions: dict[str, Any]
    address: str


def ssrf_pinned_request(url: str, *, allow_private: bool) -> PinnedRequest:
    """The link previews' SSRF guard for other outgoing requests (outgoing webhooks): check
    ``url`` (http or https, no credentials, ports 80 and 443, every address the host
    resolves to public) and pin it to the checked address, so that a DNS answer that
    changes before the connection (rebinding) cannot send it elsewhere. The caller sends it
    without following redirects and without the environment's proxies. Raises
    PreviewRefused saying why. ``allow_private`` lifts the address and port checks."""
    target = _resolve(url, allow_private=allow_private)
    extensions: dict[str, Any] = {"sni_hostname": target.host} if target.scheme == "https" else {}
    return PinnedRequest(
        url=_pinned_url(target),
        headers={"Host": _host_header(target)},
        extensions=extensions,
        address=str(target.address),
    )


def _read_html(response: httpx.Response, deadline: float) -> str:
    content_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type != "text/html":
        raise PreviewRefused(f"content type {content_type or 'missing'}")
    body = bytearray()
    for chunk in response.iter_bytes():
        body.extend(chunk)
        if len(body) >= MAX_BYTES or time.monotonic() > deadline:
            break
    encoding = response.charset_encoding or "utf-8"
    try:
        return bytes(body[:MAX_BYTES]).decode(encoding, errors="replace")
    except LookupError:
        return bytes(body[:MAX_BYTES]).decode("utf-8", errors="replace")


def _fetch(url: str, *, accept: str, read: Callable[[httpx.Response, float], T]) -> tuple[str, T]:
    """(final URL, what ``read`` made of the body) of a GET, following at most
    MAX_REDIRECTS redirects, each hop checked by ``_resolve``. Raises PreviewRefused for
    anything not allowed or not usable."""
    deadline = time.monotonic() + TIMEOUT_SECONDS * 2
    # trust_env=False: no proxy from the environment may carry the request elsewhere.
    with httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False, trust_env=False) as client:
        for _hop in range(MAX_REDIRECTS + 1):
            target = _resolve(url)
            extensions: dict[str, Any] = {}
            if target.scheme == "https":
                # TLS checks the certificate against the name, while the socket goes to the
                # checked address.
                extensions["sni_hostname"] = target.host
            headers = {"Host": _host_header(target), "User-Agent": USER_AGENT, "Accept": accept}
            try:
                with client.stream("GET", _pinned_url(target), headers=headers, extensions=extensions) as response:
                    if response.is_redirect:
                        location = response.headers.get("location")
                        if not location:
                            raise PreviewRefused("redirect without a location")
                        url = urljoin(url, location)
                        continue
                    if response.status_code != 200:
                        raise PreviewRefused(f"status {response.status_code}")
                    return url, read(response, deadline)
            except httpx.HTTPError as exc:
                raise PreviewRefused(f"fetch failed: {exc.__class__.__name__}") from exc
    raise PreviewRefused("too many redirects")


def fetch_html(url: str) -> tuple[str, str]:
    """(final URL, HTML) of a page. Raises PreviewRefused."""
    return _fetch(url, accept="text/html", read=_read_html)


def _read_image(response: httpx.Response, deadline: float) -> bytes:
    """The body of an image response, refused above the size cap (by Content-Length
    before reading, or as soon as the bytes read pass it)."""
    limit = settings.CC_LINK_PREVIEW_IMAGE_MAX_BYTES
    content_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if not content_type.startswith("image/"):
        raise PreviewRefused(f"content type {content_type or 'missing'}")
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise PreviewRefused(f"image of {length} bytes is over {limit}")
    body = bytearray()
    for chunk in response.iter_bytes():
        body.extend(chunk)
        if len(body) > limit:
            raise PreviewRefused(f"image over {limit} bytes")
        if time.monotonic() > deadline:
            raise PreviewRefused("image took too long")
    return bytes(body)


def image_type(body: bytes) -> str:
    """The content type of an image by its bytes (PNG, JPEG, GIF or WebP of at most
    IMAGE_MAX_PIXELS); PreviewRefused for anything else. Reads the header only: no
    decoding, so a decompression bomb costs nothing here."""
    from PIL import Image, UnidentifiedImageError  # Pillow loads its plugins on first use only.

    try:
        with Image.open(io.BytesIO(body)) as image:
            kind, (width, height) = image.format, image.size
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise PreviewRefused("not an image") from exc
    if kind not in IMAGE_TYPES:
        raise PreviewRefused(f"image format {kind} not allowed")
    if width * height > IMAGE_MAX_PIXELS:
        raise PreviewRefused(f"image of {width}x{height} pixels is too large")
    return IMAGE_TYPES[kind]


def fetch_image(url: str) -> tuple[bytes, str]:
    """(bytes, content type) of an image URL, fetched with the preview's guard and caps and
    checked by content. Raises PreviewRefused."""
    _final, body = _fetch(url, accept="image/png,image/jpeg,image/gif,image/webp", read=_read_image)
    return body, image_type(body)


def _image_key(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()


def _image_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "previews"


def _cached_image(key: str) -> tuple[Path, str] | None:
    folder = _image_dir() / key[:2]
    for content_type, suffix in IMAGE_SUFFIXES.items():
        path = folder / f"{key}{suffix}"
        if path.is_file():
            return path, content_type
    return None


def _cache_get(key: str) -> Any:
    try:
        return cache.get(key)
    except Exception:  # The cache (Redis) being down only costs a refetch.
        logger.warning("cache unavailable for preview images", exc_info=True)
        return None


def _cache_set(key: str, value: Any, timeout: float) -> None:
    try:
        cache.set(key, value, timeout)
    except Exception:
        logger.warning("cache unavailable for preview images", exc_info=True)


def preview_image_forget(url: str) -> None:
    """Delete the disk copy of the image at ``url`` (a customer's erased profile photo)."""
    found = _cached_image(_image_key(url))
    if found is not None:
        found[0].unlink(missing_ok=True)


def preview_image_cached(url: str) -> tuple[Path, str]:
    """(path on disk, content type) of the image at ``url``: from the disk cache
    (``MEDIA_ROOT/previews/``, keyed by the URL's SHA-256), else fetched by ``fetch_image``
    and stored. A refused URL is remembered for IMAGE_MISS_SECONDS so that viewers cannot
    make the server fetch it again and again. Raises PreviewRefused."""
    key = _image_key(url)
    found = _cached_image(key)
    if found is not None:
        return found
    miss_key = f"cc:preview-image-miss:{key}"
    if _cache_get(miss_key):
        raise PreviewRefused("image fetch failed recently")
    try:
        body, content_type = fetch_image(url)
    except PreviewRefused:
        _cache_set(miss_key, 1, IMAGE_MISS_SECONDS)
        raise
    path = _image_dir() / key[:2] / f"{key}{IMAGE_SUFFIXES[content_type]}"
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written beside and renamed, so a concurrent reader never sees half a file.
    partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    partial.write_bytes(body)
    os.replace(partial, path)
    return path, content_type


def preview_public(message_id: int, preview: dict[str, Any]) -> dict[str, Any]:
    """The preview as clients see it: the image is the server's copy, never the page's URL."""
    public = {key: preview.get(key, "") for key in ("url", "title", "description")}
    public["image"] = f"/api/v1/messages/{message_id}/preview-image" if preview.get("image") else ""
    return public


def _meta(soup: BeautifulSoup, *keys: str) -> str:
    for key in keys:
        for attr in ("property", "name"):
            tag = soup.find("meta", attrs={attr: key})
            content = tag.get("content") if tag is not None else None  # type: ignore[union-attr]
            if isinstance(content, str) and content.strip():
                return content.strip()
    return ""


def parse_preview(html: str, base_url: str) -> dict[str, str]:
    """Title, description and image from og: tags, falling back to <title> and the
    description meta tag. The image is made absolute and must be http(s)."""
    soup = BeautifulSoup(html, "html.parser")
    title = _meta(soup, "og:title", "twitter:title")
    if not title and soup.title is not None and soup.title.string:
        title = soup.title.string.strip()
    description = _meta(soup, "og:description", "twitter:description", "description")
    image = _meta(soup, "og:image", "og:image:url", "twitter:image")
    if image:
        image = urljoin(base_url, image)
        if urlsplit(image).scheme not in ("http", "https") or len(image) > URL_MAX:
            image = ""
    return {
        "title": " ".join(title.split())[:300],
        "description": " ".join(description.split())[:1000],
        "image": image,
    }


def link_preview_fetch(url: str) -> dict[str, str] | None:
    """The preview of ``url``, or None when it may not be fetched or has nothing to show."""
    try:
        final_url, html = fetch_html(url)
    except PreviewRefused as exc:
        logger.debug("no link preview for %s: %s", url, exc)  # a URL someone wrote: not at INFO
        return None
    found = parse_preview(html, final_url)
    if not found["title"] and not found["description"]:
        return None
    return {"url": url, **found}


# The kinds whose text gets a link preview: texts, and files' captions (the posting
# policy, rooms.services.POST_POLICIES, says which posts ask for one).
_PREVIEWED = (Message.Kind.TEXT, Message.Kind.FILE)


def message_preview_attach(*, message_id: int) -> Message | None:
    """Fetch the preview of the first URL of a text message (or a file's caption) and store it in
    ``data["preview"]``, then send ``message.preview`` (to the room and, when the visitor
    may see the message, to the visitor). Safe to run twice and on a message
    that has gone, been recalled or lost its URL meanwhile (then it does nothing). The
    fetch happens outside any transaction; the write locks the room row."""
    from rooms.services import message_events_send  # Imported here: rooms.services imports this module.

    message = Message.objects.filter(pk=message_id).first()
    if message is None or message.kind not in _PREVIEWED or message.recalled_at is not None:
        return None
    url = first_url(message.text)
    if url is None or (message.data or {}).get("preview", {}).get("url") == url:
        return None
    preview = link_preview_fetch(url)
    if preview is None:
        return None
    if preview["image"]:
        # Fetched now (outside any transaction) so that viewers get it from the cache.
        try:
            preview_image_cached(preview["image"])
        except PreviewRefused as exc:
            logger.debug("no preview image %s: %s", preview["image"], exc)
            preview["image"] = ""
    with transaction.atomic():
        room = (
            Room.objects.select_for_update(of=("self",), no_key=True).select_related("enquiry").get(pk=message.room_id)
        )
        message = Message.objects.filter(pk=message_id).first()
        if message is None or message.recalled_at is not None or first_url(message.text) != url:
            return None
        message.data = {**(message.data or {}), "preview": preview}
        message.save(update_fields=["data"])
        message_events_send(room, message, MessagePreview)
    return message


def preview_queue_on_commit(message: Message) -> None:
    """After commit, fetch the preview of a text message with a URL in the background
    (contactcenter.org.background: a Celery task, a thread, or nothing when timers are "off":
    tests call ``message_preview_attach`` directly, so no test reaches out to the network
    by accident). A preview is a nicety: a failed enqueue is only logged."""
    if not settings.CC_LINK_PREVIEW_ENABLED or message.kind not in _PREVIEWED or first_url(message.text) is None:
        return
    # Imported here: rooms.tasks imports this module.
    from rooms.tasks import message_link_preview  # rooms.tasks imports this module

    run_after_commit(message_link_preview, message.pk)
