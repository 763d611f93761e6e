"""Content-Security-Policy of the server's HTML pages.

The dashboard and login pages run only the project's own ES modules (no inline script, no
eval), load images only from this server (link-preview images and visitor photos are the
server's copies, see rooms.previews) or as data:/blob: URLs, talk only to this server over
HTTP and its websocket, and may not be framed. A script injected into a page despite the
escaping could then neither run inline nor send data elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse


def content_security_policy(
    request: HttpRequest,
    *,
    frame_ancestors: Iterable[str] = ("'none'",),
    img_src: Iterable[str] = (),
    style_inline: bool = False,
) -> str:
    """The policy for a page of this server. ``img_src`` adds image sources (the visitor's
    pages show logos and avatars an admin set as URLs); ``style_inline`` allows style
    attributes (the widget's accent colour)."""
    host = request.get_host()  # validated against ALLOWED_HOSTS by get_host()
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", *(["'unsafe-inline'"] if style_inline else [])],
        "img-src": ["'self'", "data:", "blob:", *img_src],
        "media-src": ["'self'", "blob:"],
        "font-src": ["'self'"],
        # 'self' covers the same host's ws(s) in current browsers; spelled out for older ones.
        "connect-src": ["'self'", f"ws://{host}", f"wss://{host}"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": list(frame_ancestors),
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


def csp_protected(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Give a staff page (dashboard, login, error pages) the strict policy: never framed."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = content_security_policy(request)
        return response

    return wrapped
