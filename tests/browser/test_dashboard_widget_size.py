"""The admin sets a widget's desktop size in the channel form (issue 13): the fields show the
channel's size, the browser checks the bounds, the server refuses what the browser let
through with the message on the field, and a saved size reaches the widget's config."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.test_dashboard import (  # noqa: F401 - browser is a fixture
    ALICE,
    browser,
    finish,
    login,
    started_server,
)
from tests.integration.test_real_timers import support_widget


@pytest.fixture(scope="module")
def size_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with started_server(tmp_path_factory.mktemp("size"), staff=(ALICE,)) as (srv, http, headers):
        website = support_widget(http, headers, name="Website")
        yield {"base": srv.base, "key": website["key"]}


def test_admin_sets_the_widget_size(size_server: dict[str, Any], browser: Browser) -> None:  # noqa: F811
    ctx, admin = login(browser, size_server["base"], "admin@example.com")
    admin.goto(f"{size_server['base']}/app/admin/channels")
    admin.get_by_role("button", name="Edit channel Website").click()
    dialog = admin.locator("dialog[open]")
    width = dialog.get_by_label("Width on a computer (300–600 px)")
    height = dialog.get_by_label("Height on a computer (400–900 px)")
    expect(width).to_have_value("380")
    expect(height).to_have_value("600")
    # The browser checks the bounds first.
    width.fill("250")
    assert width.evaluate("(el) => el.validity.rangeUnderflow") is True
    # What gets past it (here: the form's checks switched off) the server refuses, on the field.
    width.evaluate("(el) => { el.form.noValidate = true; }")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.locator(".field-error")).to_have_text("The widget's width is 300 to 600 pixels.")
    expect(width).to_have_attribute("aria-invalid", "true")
    config = admin.evaluate("async (key) => (await fetch(`/api/v1/widget/channels/${key}`)).json()", size_server["key"])
    assert (config["width"], config["height"]) == (380, 600)
    width.fill("520")
    height.fill("700")
    dialog.get_by_role("button", name="Save").click()
    expect(admin.locator("dialog[open]")).to_have_count(0)
    config = admin.evaluate("async (key) => (await fetch(`/api/v1/widget/channels/${key}`)).json()", size_server["key"])
    assert (config["width"], config["height"]) == (520, 700)
    finish((ctx, admin))
