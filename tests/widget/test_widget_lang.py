"""The widget in the visitor's language, in Debian's Chromium (README "Languages"): a
Japanese browser gets the widget, its start form and its errors in Japanese, and the agent's
"joined" system message in Japanese while staff read it in English; data-lang="th" on the
loader gives Thai (on a phone); a Traditional Chinese browser gets the web link page in
Traditional Chinese. Screenshots: widget-ja.png, widget-th-phone.png, weblink-zh-hant.png."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.test_real_timers import ADMIN_STAFF, AGENT_STAFF, Server, support_widget, token_headers
from tests.widget.test_widget_browser import (
    CHROMIUM,
    HOST_PAGE,
    SHOTS,
    TAKE_SCREENSHOTS,
    _csp_violation,
    host_servers,
    product,
)

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

__all__ = ["host_servers", "product"]  # fixtures, used by name
assert ADMIN_STAFF and AGENT_STAFF

FRAME = "iframe[src*='/widget/']"


def _shot(page: Any, name: str) -> None:
    if TAKE_SCREENSHOTS:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"))


def _watch(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if _csp_violation(m) else None)
    return errors


@pytest.mark.timeout(120)
def test_the_widget_speaks_the_visitors_language(product: Server, host_servers: tuple[Path, list[str]]) -> None:
    site, (allowed_origin, _other) = host_servers
    base = product.base
    http = httpx.Client(base_url=base, timeout=10)
    admin = token_headers(http, "admin@example.com")
    agent = token_headers(http, "agent@example.com")
    channel = support_widget(
        http,
        admin,
        name="Acme site",
        allowed_domains=[allowed_origin.removeprefix("http://")],
        widget_company_name="Acme",
        form_enabled=True,
        form_required_fields=["first_name"],
        weblink_slug="acme-help",
    )
    (site / "shop.html").write_text(HOST_PAGE.format(base=base, key=channel["key"]))
    # A phone-ready host page (its own viewport), with the chat's language set on the loader.
    thai = (
        HOST_PAGE.format(base=base, key=channel["key"])
        .replace(" async>", ' data-lang="th" async>')
        .replace('<meta charset="utf-8">', '<meta charset="utf-8"><meta name="viewport" content="width=device-width">')
    )
    (site / "shop-th.html").write_text(thai)

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            # ---- A Japanese browser: the widget, its form and its errors in Japanese.
            ja = browser.new_context(locale="ja-JP", viewport={"width": 1000, "height": 760})
            page = ja.new_page()
            errors = _watch(page)
            page.goto(f"{allowed_origin}/shop.html")
            launcher = page.locator(".cc-launcher")
            expect(launcher).to_have_attribute("aria-label", "チャットで問い合わせる")  # from cc:ready
            launcher.click()
            frame = page.frame_locator(FRAME)
            frame.locator("#cc-app[data-ready=true]").wait_for()
            assert frame.locator("html").get_attribute("lang") == "ja"
            assert frame.locator(".cc-subtitle").inner_text() == "通常数分以内にお返事します"
            assert frame.locator("label[for=cc-first-message]").inner_text() == "メッセージ"
            submit = frame.locator(".cc-start button[type=submit]")
            assert submit.inner_text() == "チャットを開始"
            submit.click()
            expect(frame.locator("[data-error=first_name]")).to_have_text("名を入力してください。")
            expect(frame.locator("[data-error=message]")).to_have_text("会話を始めるにはメッセージを入力してください。")
            frame.locator("[name=first_name]").fill("Yuki")
            frame.locator("[name=email]").fill("not-an-email")
            frame.locator("#cc-first-message").fill("注文について質問があります")
            submit.click()
            expect(frame.locator("[data-error=email]")).to_have_text("有効なメールアドレスを入力してください。")
            frame.locator("[name=email]").fill("yuki@example.com")
            submit.click()
            status = frame.locator(".cc-status")
            expect(status).to_have_text("担当者をお待ちください。順番は 1 番目です。")

            # The agent picks it up: the visitor reads "joined" in Japanese, staff in English.
            enquiry = http.get("/api/v1/enquiries?status=open", headers=agent).json()["results"][0]
            picked = http.post(f"/api/v1/enquiries/{enquiry['id']}/pick-up", headers=agent)
            assert picked.status_code == 200, picked.text
            expect(frame.locator(".cc-system").filter(has_text="Alice Agent が会話に参加しました。")).to_have_count(1)
            expect(frame.locator(".cc-subtitle")).to_have_text("Alice Agent とチャット中")
            _shot(page, "widget-ja")
            room = enquiry["room"]
            staff_texts = [
                m["text"] for m in http.get(f"/api/v1/rooms/{room}/messages", headers=agent).json()["results"]
            ]
            assert "Alice Agent joined the conversation." in staff_texts
            assert not any("参加" in t for t in staff_texts)
            # The staff dashboard itself stays in a dashboard language for this browser.
            dashboard = ja.new_page()
            dashboard.goto(f"{base}/login/")
            assert dashboard.locator("html").get_attribute("lang") == "en"
            assert errors == []

            # ---- data-lang="th" on the loader, an English phone: Thai.
            phone = browser.new_context(
                locale="en-US", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
            )
            page = phone.new_page()
            errors = _watch(page)
            page.goto(f"{allowed_origin}/shop-th.html")
            launcher = page.locator(".cc-launcher")
            expect(launcher).to_have_attribute("aria-label", "แชทกับเรา")
            launcher.tap()
            frame = page.frame_locator(FRAME)
            frame.locator("#cc-app[data-ready=true]").wait_for()
            assert frame.locator("html").get_attribute("lang") == "th"
            assert frame.locator(".cc-start button[type=submit]").inner_text() == "เริ่มแชท"
            assert frame.locator("#cc-first-message").get_attribute("placeholder") == "มีอะไรให้เราช่วยไหม?"
            frame.locator(".cc-start button[type=submit]").tap()
            expect(frame.locator("[data-error=first_name]")).to_have_text("โปรดกรอกชื่อ")
            box = page.locator(FRAME).bounding_box()
            assert box is not None and box["width"] == 390  # the whole phone screen
            _shot(page, "widget-th-phone")
            assert errors == []

            # ---- The web link page for a Traditional Chinese browser.
            zh = browser.new_context(locale="zh-TW", viewport={"width": 900, "height": 700})
            page = zh.new_page()
            errors = _watch(page)
            page.goto(f"{base}/l/acme-help")
            assert page.locator("html").get_attribute("lang") == "zh-hant"
            assert page.locator(".cc-engage-to").inner_text() == "與我們的 Support 團隊聊天"
            engage = page.locator(".cc-engage-now")
            assert engage.inner_text() == "立即諮詢"
            engage.click()
            expect(page.locator(".cc-start button[type=submit]")).to_have_text("開始聊天")
            _shot(page, "weblink-zh-hant")
            assert errors == []
        finally:
            browser.close()
