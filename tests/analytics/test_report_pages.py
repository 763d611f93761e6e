"""The report screens' pages (no browser needed): /app/reports and its sub-pages are the
dashboard's shell for every staff member (the front end and the API decide what each may
see), never for anonymous visitors; the shell offers Reports and loads its stylesheet; the
vendored Chart.js is served as a static file under the strict Content-Security-Policy."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from contactcenter.org.models import Staff
from tests.browser.test_pages import logged_in

pytestmark = pytest.mark.django_db

SUB_PAGES = ("", "/home", "/analytics", "/monitor", "/review", "/voc")


def test_report_pages_are_the_dashboard_shell_for_staff(make_staff: Callable[..., Staff], admin: Staff) -> None:
    for client in (logged_in(make_staff(name="Alice Agent")), logged_in(admin)):
        for sub in SUB_PAGES:
            page = client.get(f"/app/reports{sub}")
            assert page.status_code == 200, sub
            body = page.content.decode()
            assert 'href="/app/reports" data-nav data-section="reports"' in body
            assert "/static/css/reports.css" in body
            policy = page.headers["Content-Security-Policy"]
            assert "script-src 'self';" in policy and "unsafe-inline" not in policy.split("style-src")[0]
        assert client.get("/app/reports/").status_code == 404
        assert client.get("/app/reports/analytics/2").status_code == 404
        assert client.get("/app/reports/<b>").status_code == 404


def test_anonymous_visitors_are_sent_to_log_in() -> None:
    response = Client().get("/app/reports/analytics")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login/?next=/app/reports/analytics"


def test_the_vendored_chart_library_is_a_static_file() -> None:
    client = Client()
    js = client.get("/static/vendor/chartjs/chart.umd.min.js")
    assert js.status_code == 200
    assert js.headers["Content-Type"].startswith("text/javascript")
    body = b"".join(js.streaming_content) if js.streaming else js.content  # type: ignore[attr-defined]
    assert body.startswith(b"/*!\n * Chart.js v")
    licence = client.get("/static/vendor/chartjs/LICENSE.md")
    assert licence.status_code == 200
