"""Languages in a real browser (issue 12, item 16): a staff member whose browser speaks English
in New York chooses Simplified Chinese and Shanghai time in the dashboard; the page comes back
in Chinese (its texts, <html lang>, the JavaScript catalogue loaded under the page's
Content-Security-Policy) with dates, times and durations in Chinese, on a 24-hour clock, in
Shanghai time. A second agent whose browser asks for Traditional Chinese gets the login page
and the dashboard in it without choosing anything."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

# Importing it skips this module too where Chromium is missing (outside CI).
from tests.browser import test_dashboard
from tests.browser.test_dashboard import (
    CSP_WATCH,
    HEIGHT,
    WIDTH,
    Visitor,
    finish,
    login,
    running_server,
    screenshot,
)
from tests.conftest import PASSWORD

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
browser = test_dashboard.browser  # the fixture: Debian's Chromium, once for the module


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with running_server(tmp_path_factory.mktemp("browser-i18n")) as srv:
        yield srv


def _chinese_date(now: dt.datetime) -> str:
    local = now.astimezone(SHANGHAI)
    return f"{local.year}年{local.month}月{local.day}日"


def test_a_staff_member_works_in_simplified_chinese_and_shanghai_time(server: dict[str, Any], browser: Browser) -> None:
    base = server["base"]
    # The browser: American English in New York. The login page and the dashboard start in it.
    alice_ctx, alice = login(browser, base, "alice@example.com")
    expect(alice.locator("html")).to_have_attribute("lang", "en")
    expect(alice.locator('.mainnav [data-section="inbox"]')).to_have_text("Inbox")

    # Alice chooses her language and time zone in the top bar; the page comes back in them.
    alice.get_by_role("button", name=re.compile("Language and time zone")).click()
    dialog = alice.locator("dialog[open]")
    dialog.get_by_label("Language").select_option("zh-hans")
    dialog.get_by_label("Time zone").select_option("Asia/Shanghai")
    screenshot(alice, "dashboard-language-dialog.png")
    before = dt.datetime.now(dt.UTC)  # the start screen's clock is drawn after this
    with alice.expect_navigation():
        dialog.get_by_role("button", name="Save").click()
    expect(alice.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(alice.locator('.mainnav [data-section="inbox"]')).to_have_text("收件箱")
    expect(alice.locator('.mainnav [data-section="missed"]')).to_have_text("未接待")
    expect(alice.locator("#panel-title")).to_contain_text("待处理咨询")
    expect(alice.locator("#socket-state")).to_have_text("已连接")  # a text of app.js, from the catalogue
    assert alice.evaluate("typeof window.django.gettext") == "function"
    assert alice.evaluate("window.django.gettext('Quick replies')") == "快捷回复"
    expect(alice.get_by_role("button", name=re.compile("语言和时区"))).to_contain_text("简体中文")

    # The date and time on the start screen: Chinese, 24-hour, Shanghai time (not New York's).
    clock = alice.locator("#home-clock")
    expect(clock).to_contain_text("Asia/Shanghai")
    text = clock.inner_text()
    after = dt.datetime.now(dt.UTC)
    found = re.fullmatch(r"现在：(\d{4}年\d{1,2}月\d{1,2}日) (\d{2}):(\d{2})（Asia/Shanghai）", text)
    assert found, text
    assert found[1] in {_chinese_date(before), _chinese_date(after)}, text
    assert int(found[2]) in {before.astimezone(SHANGHAI).hour, after.astimezone(SHANGHAI).hour}, text
    assert not re.search(r"AM|PM|上午|下午|晚上", text), text

    # A visitor writes: the waiting time counts in Chinese; the message's time is on a 24-hour clock.
    ann = Visitor(base, server["key"], "Ann", "你好，我的订单还没到。")
    card = alice.locator(f'.enquiry-card[data-enquiry="{ann.enquiry}"]')
    expect(card).to_contain_text("Ann")
    expect(card.locator(".wait")).to_have_text(re.compile(r"^\d+秒$|^\d+分\d{2}秒$"))
    screenshot(alice, "dashboard-zh-hans.png")
    card.locator("button.primary").click()
    expect(alice).to_have_url(re.compile(rf"/app/rooms/{ann.room}$"))
    stamp = alice.locator(".msg.by-visitor time[datetime]").first
    expect(stamp).to_have_text(re.compile(r"^\d{2}:\d{2}$"))
    iso = stamp.get_attribute("datetime")
    assert iso is not None
    sent = dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(SHANGHAI)
    assert stamp.inner_text() == f"{sent:%H:%M}"
    finish((alice_ctx, alice))


def _login_in(browser: Browser, base: str, email: str, locale: str) -> tuple[BrowserContext, Page]:
    context = browser.new_context(
        viewport={"width": WIDTH, "height": HEIGHT}, base_url=base, locale=locale, timezone_id="Asia/Taipei"
    )
    context.add_init_script(CSP_WATCH)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and "CSP" in msg.text else None)
    page.errors = errors  # type: ignore[attr-defined]
    page.goto("/login/")
    return context, page


def test_the_browsers_traditional_chinese_is_used_until_one_chooses(server: dict[str, Any], browser: Browser) -> None:
    bob_ctx, bob = _login_in(browser, server["base"], "bob@example.com", "zh-TW")
    expect(bob.locator("html")).to_have_attribute("lang", "zh-hant")
    bob.get_by_label("電子郵件").fill("bob@example.com")
    bob.get_by_label("密碼").fill("wrong-password-0")
    bob.get_by_role("button", name="登入").click()
    # The server's refusal, in the browser's language.
    expect(bob.locator("#login-error")).to_have_text("電子郵件或密碼錯誤。")
    bob.get_by_label("密碼").fill(PASSWORD)
    bob.get_by_role("button", name="登入").click()
    expect(bob).to_have_url(re.compile(r"/app/"))
    expect(bob.locator('.mainnav [data-section="inbox"]')).to_have_text("收件匣")
    expect(bob.locator("#socket-state")).to_have_text("已連線")
    # Traditional Chinese (Taiwan) reads a 12-hour clock with the day period's name (上午, 晚上...);
    # Bob's time zone is the business's (UTC).
    expect(bob.locator("#home-clock")).to_contain_text("UTC")
    assert re.search(r"[\u4e00-\u9fff]{2}\s?\d{1,2}:\d{2}", bob.locator("#home-clock").inner_text())
    finish((bob_ctx, bob))
