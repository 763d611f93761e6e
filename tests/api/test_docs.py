"""/api/docs/ is served whole by this server: Swagger UI from the sidecar package's static
files, no script, style or image from another origin, and no schema sent to a validator."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from django.test import Client


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.urls.append(value)


def test_api_docs_load_only_same_origin_assets_that_are_served(db) -> None:
    client = Client()
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    parser = _Assets()
    parser.feed(html)
    assert parser.urls, "no assets found"
    scripts = [u for u in parser.urls if u.endswith(".js")]
    assert any(u.endswith("swagger-ui-bundle.js") for u in scripts), parser.urls
    assert any(u.endswith(".css") for u in parser.urls), parser.urls
    for url in parser.urls:
        # Same origin: a path on this server, never a scheme or a protocol-relative URL.
        assert url.startswith("/") and not url.startswith("//"), url
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert asset.getvalue(), url
    # Nothing absolute anywhere in the page itself (inline script included).
    assert not re.search(r"https?://", html), re.findall(r"https?://[^\s\"']+", html)
    assert '"validatorUrl": null' in html


def test_api_docs_schema_is_served(db) -> None:
    response = Client().get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
