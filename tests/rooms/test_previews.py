"""Link previews (SPEC 4): fetched server-side against a local HTTP server, with SSRF
protection checked for every address and every redirect hop."""

from __future__ import annotations

import http.server
import io
import ipaddress
import json
import socket
import threading

import pytest
from PIL import Image

from rooms import previews, spaces
from rooms.previews import PreviewRefused, first_url, link_preview_fetch, message_preview_attach
from rooms.services import message_post, message_recall

OG_PAGE = b"""<!doctype html><html><head>
<title>Fallback title</title>
<meta property="og:title" content="  Spring   sale ">
<meta property="og:description" content="Everything &amp; more">
<meta property="og:image" content="/img/cover.png">
</head><body>Hi</body></html>"""


def _png(size=(8, 8)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


PNG = _png()
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'

PLAIN_PAGE = b"""<html><head><title>Plain page</title>
<meta name="description" content="Just a page"></head><body></body></html>"""


class _Handler(http.server.BaseHTTPRequestHandler):
    hits: list[tuple[str, str]]
    redirect_to: str = ""

    def log_message(self, *args):  # keep test output quiet
        pass

    def _send(self, status, body=b"", content_type="text/html; charset=utf-8", headers=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 - http.server's naming
        self.hits.append((self.path, self.headers.get("Host", "")))
        if self.path == "/og":
            self._send(200, OG_PAGE)
        elif self.path == "/plain":
            self._send(200, PLAIN_PAGE)
        elif self.path == "/redirect":
            self._send(302, headers={"Location": "/og"})
        elif self.path == "/redirect-away":
            self._send(302, headers={"Location": self.redirect_to})
        elif self.path.startswith("/loop"):
            n = int(self.path.removeprefix("/loop") or 0)
            self._send(302, headers={"Location": f"/loop{n + 1}"})
        elif self.path == "/json":
            self._send(200, b'{"title": "x"}', content_type="application/json")
        elif self.path == "/big":
            # The title comes after the first megabyte: never read, so no preview.
            self._send(200, b"<html><body>" + b"x" * (1024 * 1024 + 10) + b"<title>Too late</title></body></html>")
        elif self.path == "/img/cover.png":
            self._send(200, PNG, content_type="image/png")
        elif self.path == "/img/big.png":
            self._send(200, _png((600, 600)) + b"\0" * 300_000, content_type="image/png")
        elif self.path == "/img/big-unsized.png":
            # No Content-Length: the cap must hold while reading.
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(PNG + b"\0" * 300_000)
        elif self.path == "/img/fake.png":
            self._send(200, b"<html><script>alert(1)</script></html>", content_type="image/png")
        elif self.path == "/img/page":
            self._send(200, PNG)  # PNG bytes served as text/html
        elif self.path == "/img/vector.svg":
            self._send(200, SVG, content_type="image/svg+xml")
        elif self.path == "/img/redirect":
            self._send(302, headers={"Location": "/img/cover.png"})
        elif self.path == "/og-svg":
            self._send(200, OG_PAGE.replace(b"/img/cover.png", b"/img/vector.svg"))
        elif self.path == "/empty":
            self._send(200, b"<html><body>nothing</body></html>")
        else:
            self._send(404, b"not found")


@pytest.fixture
def server():
    hits: list[tuple[str, str]] = []
    handler = type("Handler", (_Handler,), {"hits": hits})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    httpd.hits = hits  # type: ignore[attr-defined]
    httpd.handler = handler  # type: ignore[attr-defined]
    httpd.base = f"http://127.0.0.1:{httpd.server_address[1]}"  # type: ignore[attr-defined]
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def _no_remembered_misses():
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def allow_private(settings):
    settings.CC_LINK_PREVIEW_ALLOW_PRIVATE = True


@pytest.fixture
def forbid_private(settings):
    settings.CC_LINK_PREVIEW_ALLOW_PRIVATE = False


# ---------------------------------------------------------------------------- URLs and parsing


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("see https://example.com/a?b=1.", "https://example.com/a?b=1"),
        ("(http://example.com/x) and https://second.example", "http://example.com/x"),
        ("HTTPS://EXAMPLE.COM!", "HTTPS://EXAMPLE.COM"),
        ("no link here, ftp://example.com", None),
        ("", None),
    ],
)
def test_first_url(text, url):
    assert first_url(text) == url


def test_fetch_og_tags(server, allow_private):
    preview = link_preview_fetch(f"{server.base}/og")
    assert preview == {
        "url": f"{server.base}/og",
        "title": "Spring sale",
        "description": "Everything & more",
        "image": f"{server.base}/img/cover.png",
    }


def test_fetch_falls_back_to_title_and_description(server, allow_private):
    preview = link_preview_fetch(f"{server.base}/plain")
    assert preview is not None
    assert (preview["title"], preview["description"], preview["image"]) == ("Plain page", "Just a page", "")


def test_follows_a_redirect(server, allow_private):
    preview = link_preview_fetch(f"{server.base}/redirect")
    assert preview is not None and preview["title"] == "Spring sale"
    assert preview["url"] == f"{server.base}/redirect"
    assert [p for p, _ in server.hits] == ["/redirect", "/og"]


def test_at_most_three_redirects(server, allow_private):
    assert link_preview_fetch(f"{server.base}/loop") is None
    assert [p for p, _ in server.hits] == ["/loop", "/loop1", "/loop2", "/loop3"]


@pytest.mark.parametrize("path", ["/json", "/big", "/empty", "/missing"])
def test_unusable_pages_give_no_preview(server, allow_private, path):
    assert link_preview_fetch(f"{server.base}{path}") is None


def test_connects_to_the_checked_address_with_the_original_host(server, allow_private, monkeypatch):
    """The name is resolved once, checked, and the connection goes to that address; the
    Host header keeps the name (no second lookup a rebinding DNS could answer)."""
    port = server.server_address[1]
    lookups = []

    def fake_getaddrinfo(host, port_, *args, **kwargs):
        lookups.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port_))]

    monkeypatch.setattr(previews.socket, "getaddrinfo", fake_getaddrinfo)
    preview = link_preview_fetch(f"http://preview.test:{port}/og")
    assert preview is not None and preview["title"] == "Spring sale"
    # The socket layer may "resolve" the IP literal again; the name is looked up once.
    assert [h for h in lookups if h != "127.0.0.1"] == ["preview.test"]
    assert server.hits == [("/og", f"preview.test:{port}")]


# ---------------------------------------------------------------------------- SSRF refusals


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://127.1.2.3/",
        "http://10.0.0.5/",
        "http://172.16.0.1/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[fe80::1]/",
        "http://[fc00::1]/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "http://240.0.0.1/",
        "http://100.64.0.1/",
        "http://localhost/",
        "http://8.8.8.8:8080/",
        "http://8.8.8.8:22/",
        "ftp://8.8.8.8/",
        "file:///etc/passwd",
        "http://user:pass@8.8.8.8/",
    ],
)
def test_refused_before_any_connection(forbid_private, url, monkeypatch):
    def no_connect(*args, **kwargs):
        raise AssertionError("must not connect")

    monkeypatch.setattr(previews.httpx.Client, "stream", no_connect)
    with pytest.raises(PreviewRefused):
        previews.fetch_html(url)
    assert link_preview_fetch(url) is None


def test_local_server_refused_when_private_not_allowed(server, forbid_private):
    assert link_preview_fetch(f"{server.base}/og") is None
    assert server.hits == []


def test_every_resolved_address_is_checked(forbid_private, monkeypatch):
    """A name with one public and one private address is refused."""

    def fake_getaddrinfo(host, port, *args, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", port)),
        ]

    monkeypatch.setattr(previews.socket, "getaddrinfo", fake_getaddrinfo)
    with pytest.raises(PreviewRefused, match="10.1.2.3"):
        previews.fetch_html("http://mixed.example/")


def test_hostname_resolving_to_loopback_is_refused(forbid_private, monkeypatch):
    def fake_getaddrinfo(host, port, *args, **kwargs):
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::1", port, 0, 0))]

    monkeypatch.setattr(previews.socket, "getaddrinfo", fake_getaddrinfo)
    with pytest.raises(PreviewRefused):
        previews.fetch_html("https://rebind.example/")


@pytest.mark.parametrize("target", ["http://10.0.0.1/", "http://169.254.169.254/latest/meta-data/", "http://[::1]/"])
def test_redirect_to_private_address_is_refused(server, forbid_private, monkeypatch, target):
    """The local server stands in for a public site (its address and port are let through);
    its redirect to an internal address is refused before that hop is requested."""
    port = server.server_address[1]
    real = previews.address_forbidden
    monkeypatch.setattr(previews, "ALLOWED_PORTS", {80, 443, port})
    monkeypatch.setattr(
        previews, "address_forbidden", lambda ip: False if ip == ipaddress.ip_address("127.0.0.1") else real(ip)
    )
    server.handler.redirect_to = target
    assert previews.fetch_html(f"{server.base}/og")[1].startswith("<!doctype html>")
    server.hits.clear()
    with pytest.raises(PreviewRefused, match="not allowed"):
        previews.fetch_html(f"{server.base}/redirect-away")
    assert [p for p, _ in server.hits] == ["/redirect-away"]


@pytest.mark.parametrize(
    ("address", "forbidden"),
    [
        ("93.184.216.34", False),
        ("2606:2800:220:1:248:1893:25c8:1946", False),
        ("127.0.0.1", True),
        ("10.255.255.255", True),
        ("169.254.169.254", True),
        ("::", True),
        ("::ffff:10.0.0.1", True),
        ("2002:0a00:0001::1", True),  # 6to4 wrapping 10.0.0.1
        ("ff02::1", True),
        ("198.51.100.7", True),  # documentation range: not global
    ],
)
def test_address_forbidden(address, forbidden):
    assert previews.address_forbidden(ipaddress.ip_address(address)) is forbidden


# ---------------------------------------------------------------------------- the service


@pytest.fixture
def room(make_staff):
    ann = make_staff(name="Ann Agent")
    bob = make_staff(name="Bob Builder", email="bob@example.com")
    return spaces.space_create(actor=ann, name="Links", members=[bob.pk]), ann


def test_attach_stores_preview_and_sends_preview_event(server, allow_private, room, events):
    space, ann = room
    message, _ = message_post(room_id=space.pk, text=f"@bob look: {server.base}/og.", staff=ann)
    events.clear()
    updated = message_preview_attach(message_id=message.pk)
    assert updated is not None
    message.refresh_from_db()
    assert message.data["preview"]["title"] == "Spring sale"
    assert message.data["preview"]["url"] == f"{server.base}/og"
    assert message.data["mentions"]  # kept
    # Its own event (not an edit): the message shows no "(edited)".
    assert not events.of_type("message.edited")
    ready = events.of_type("message.preview")
    assert len(ready) == 1 and ready[0][0] == [f"room.{space.pk}"]
    sent = ready[0][1]["data"]["message"]
    assert sent["edited_at"] is None
    # The image is the server's copy, fetched once now; no browser gets the page's host.
    assert sent["data"]["preview"]["image"] == f"/api/v1/messages/{message.pk}/preview-image"
    assert ("/img/cover.png", f"127.0.0.1:{server.server_address[1]}") in server.hits
    assert _third_party_urls(sent, server) == []
    # Running again changes nothing and fetches nothing.
    hits = len(server.hits)
    assert message_preview_attach(message_id=message.pk) is None
    assert len(server.hits) == hits


def test_attach_tolerates_gone_recalled_and_linkless(server, allow_private, room, events):
    space, ann = room
    assert message_preview_attach(message_id=999_999) is None
    plain, _ = message_post(room_id=space.pk, text="no link", staff=ann)
    assert message_preview_attach(message_id=plain.pk) is None
    linked, _ = message_post(room_id=space.pk, text=f"{server.base}/og", staff=ann)
    message_recall(message_id=linked.pk, staff=ann)
    events.clear()
    assert message_preview_attach(message_id=linked.pk) is None
    assert not events.of_type("message.preview")
    assert server.hits == []


def test_attach_refused_url_stores_nothing(server, forbid_private, room):
    space, ann = room
    message, _ = message_post(room_id=space.pk, text=f"{server.base}/og", staff=ann)
    assert message_preview_attach(message_id=message.pk) is None
    message.refresh_from_db()
    assert "preview" not in message.data and server.hits == []


def test_queued_as_celery_task_on_commit(settings, room, monkeypatch, django_capture_on_commit_callbacks):
    from rooms import tasks

    space, ann = room
    queued = []
    monkeypatch.setattr(tasks.message_link_preview, "apply_async", lambda args, countdown: queued.append(args[0]))
    settings.CC_TIMERS = "celery"
    with django_capture_on_commit_callbacks(execute=True):
        message, _ = message_post(room_id=space.pk, text="read https://example.com/post", staff=ann)
        assert queued == []  # not before commit
    assert queued == [message.pk]
    with django_capture_on_commit_callbacks(execute=True):
        message_post(room_id=space.pk, text="no link", staff=ann)
    settings.CC_LINK_PREVIEW_ENABLED = False
    with django_capture_on_commit_callbacks(execute=True):
        message_post(room_id=space.pk, text="https://example.com/other", staff=ann)
    settings.CC_LINK_PREVIEW_ENABLED = True
    settings.CC_TIMERS = "off"
    with django_capture_on_commit_callbacks(execute=True):
        message_post(room_id=space.pk, text="https://example.com/third", staff=ann)
    assert queued == [message.pk]


def test_task_calls_the_service(server, allow_private, room):
    from rooms.tasks import message_link_preview

    space, ann = room
    message, _ = message_post(room_id=space.pk, text=f"{server.base}/plain", staff=ann)
    assert message_link_preview(message.pk) is True
    assert message_link_preview(message.pk) is False
    assert message_link_preview(999_999) is False


# ---------------------------------------------------------------------------- preview images


def _third_party_urls(message: dict, server) -> list[str]:
    """Places in a message's JSON that name the test server (standing in for a third-party
    host), apart from the text the sender wrote and the link the preview card opens."""
    data = json.loads(json.dumps(message))
    data["text"] = ""
    if isinstance(data.get("data", {}).get("preview"), dict):
        assert data["data"]["preview"]["url"] in message["text"]
        data["data"]["preview"]["url"] = ""
    host = server.base.split("//", 1)[1]
    found: list[str] = []

    def walk(value, where):
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{where}.{key}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{where}[{index}]")
        elif isinstance(value, str) and host in value:
            found.append(where)

    walk(data, "message")
    return found


def test_fetch_image_checks_content(server, allow_private):
    body, content_type = previews.fetch_image(f"{server.base}/img/cover.png")
    assert (body, content_type) == (PNG, "image/png")
    assert previews.fetch_image(f"{server.base}/img/redirect") == (PNG, "image/png")


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/img/fake.png", "not an image"),  # says image/png, is HTML
        ("/img/page", "content type text/html"),  # is a PNG, said to be HTML
        ("/img/vector.svg", "not an image"),  # SVG may carry script: never kept
        ("/og", "content type text/html"),
        ("/missing", "status 404"),
    ],
)
def test_fetch_image_refuses_what_is_not_an_image(server, allow_private, path, reason):
    with pytest.raises(PreviewRefused, match=reason):
        previews.fetch_image(f"{server.base}{path}")


@pytest.mark.parametrize("path", ["/img/big.png", "/img/big-unsized.png"])
def test_fetch_image_refuses_oversized_bodies(server, allow_private, settings, path):
    settings.CC_LINK_PREVIEW_IMAGE_MAX_BYTES = 200_000
    with pytest.raises(PreviewRefused, match="over 200000"):
        previews.fetch_image(f"{server.base}{path}")
    settings.CC_LINK_PREVIEW_IMAGE_MAX_BYTES = 2_000_000
    assert previews.fetch_image(f"{server.base}{path}")[1] == "image/png"


def test_image_too_many_pixels_is_refused(monkeypatch):
    monkeypatch.setattr(previews, "IMAGE_MAX_PIXELS", 63)
    with pytest.raises(PreviewRefused, match="too large"):
        previews.image_type(PNG)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1/a.png", "http://169.254.169.254/latest/meta-data/", "http://[::1]/x.png", "http://10.0.0.1/"],
)
def test_fetch_image_refuses_private_addresses(forbid_private, monkeypatch, url):
    def no_connect(*args, **kwargs):
        raise AssertionError("must not connect")

    monkeypatch.setattr(previews.httpx.Client, "stream", no_connect)
    with pytest.raises(PreviewRefused, match="not allowed"):
        previews.fetch_image(url)


def test_image_is_cached_on_disk_and_misses_are_remembered(server, allow_private, media):
    path, content_type = previews.preview_image_cached(f"{server.base}/img/cover.png")
    assert path.read_bytes() == PNG and content_type == "image/png"
    assert media in path.parents
    assert previews.preview_image_cached(f"{server.base}/img/cover.png") == (path, "image/png")
    assert [p for p, _ in server.hits] == ["/img/cover.png"]
    for _ in range(2):
        with pytest.raises(PreviewRefused):
            previews.preview_image_cached(f"{server.base}/img/fake.png")
    assert [p for p, _ in server.hits] == ["/img/cover.png", "/img/fake.png"]


def test_preview_without_a_usable_image_shows_none(server, allow_private, room):
    space, ann = room
    message, _ = message_post(room_id=space.pk, text=f"{server.base}/og-svg", staff=ann)
    assert message_preview_attach(message_id=message.pk) is not None
    message.refresh_from_db()
    assert message.data["preview"]["title"] == "Spring sale" and message.data["preview"]["image"] == ""


@pytest.fixture
def previewed(server, allow_private, room, api):
    space, ann = room
    message, _ = message_post(room_id=space.pk, text=f"see {server.base}/og", staff=ann)
    message_preview_attach(message_id=message.pk)
    server.hits.clear()
    return message, ann, space


def test_preview_image_served_to_members_from_the_cache(previewed, server, api):
    message, ann, space = previewed
    client = api(ann)
    listed = client.get(f"/api/v1/rooms/{space.pk}/messages").json()
    mine = next(m for m in (listed["results"] if isinstance(listed, dict) else listed) if m["id"] == message.pk)
    assert mine["data"]["preview"]["image"] == f"/api/v1/messages/{message.pk}/preview-image"
    assert _third_party_urls(mine, server) == []
    response = client.get(f"/api/v1/messages/{message.pk}/preview-image")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert server.hits == []  # served from the server's copy


def test_preview_image_needs_access_to_the_message(previewed, api, make_staff):
    message, _ann, _space = previewed
    outsider = make_staff(name="Olga Outsider", email="olga@example.com")
    assert api(outsider).get(f"/api/v1/messages/{message.pk}/preview-image").status_code == 403
    assert api().get(f"/api/v1/messages/{message.pk}/preview-image").status_code in (401, 403)


def test_preview_image_of_a_recalled_message_is_gone(previewed, api):
    message, ann, _space = previewed
    message_recall(message_id=message.pk, staff=ann)
    assert api(ann).get(f"/api/v1/messages/{message.pk}/preview-image").status_code == 404


def test_stored_third_party_image_is_never_handed_out(server, forbid_private, room, api):
    """A preview stored before images were proxied (or whose host is internal) still gives
    clients only the server's URL, and the server refuses to fetch a private address."""
    space, ann = room
    message, _ = message_post(room_id=space.pk, text="https://example.com/post", staff=ann)
    Message = type(message)
    data = {
        **message.data,
        "preview": {
            "url": "https://example.com/post",
            "title": "T",
            "description": "",
            "image": f"{server.base}/img/cover.png",
        },
    }
    Message.objects.filter(pk=message.pk).update(data=data)
    from rooms.selectors import message_data

    message.refresh_from_db()
    shown = message_data(message)
    assert shown["data"]["preview"]["image"] == f"/api/v1/messages/{message.pk}/preview-image"
    assert _third_party_urls(shown, server) == []
    assert api(ann).get(f"/api/v1/messages/{message.pk}/preview-image").status_code == 404
    assert server.hits == []


def test_visitor_photo_is_served_by_the_server(server, allow_private, api, make_staff, make_visitor):
    from enquiries.selectors import visitor_data

    ann = make_staff(name="Ann Agent")
    visitor = make_visitor(first_name="Vera")
    # As a messaging platform's profile sets it (channels_adapters.inbound).
    type(visitor).objects.filter(pk=visitor.pk).update(photo_url=f"{server.base}/img/cover.png")
    visitor.refresh_from_db()
    assert visitor_data(visitor)["photo_url"] == f"/api/v1/visitors/{visitor.pk}/photo"
    response = api(ann).get(f"/api/v1/visitors/{visitor.pk}/photo")
    assert response.status_code == 200 and b"".join(response.streaming_content) == PNG
    assert api().get(f"/api/v1/visitors/{visitor.pk}/photo").status_code in (401, 403)
    plain = make_visitor(first_name="Pat")
    assert visitor_data(plain)["photo_url"] == ""
    assert api(ann).get(f"/api/v1/visitors/{plain.pk}/photo").status_code == 404


def test_preview_reaches_the_visitor_of_an_enquiry(server, allow_private, handled, events):
    """The widget gets the preview live too: the event goes to the visitor's group."""
    enquiry, owner = handled
    message, _ = message_post(room_id=enquiry.room.pk, text=f"See {server.base}/og", staff=owner)
    events.clear()
    assert message_preview_attach(message_id=message.pk) is not None
    groups = [g for g, _ in events.of_type("message.preview")]
    assert [f"room.{enquiry.room.pk}"] in groups and [f"visitor.{enquiry.visitor_id}"] in groups
