"""The visitor's languages (README "Languages"): the widget and web link pages, their
catalogue, the widget API's refusals and the visitor's system messages in the visitor's
language (?lang=, else Accept-Language), while the dashboard keeps its own languages."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from channels_adapters.models import Channel
from contactcenter.org import services as org_services
from contactcenter.org.errors import InvalidInput
from contactcenter.org.events import room_group, visitor_group
from contactcenter.org.models import Staff
from enquiries import services as enquiry_services
from enquiries.models import Enquiry, Visitor
from rooms.models import Message
from tests.api.conftest import error, ok, visitor_client
from tests.browser.test_pages import _policy

pytestmark = pytest.mark.django_db

JA_LOADING = "読み込み中…"
TH_LOADING = "กำลังโหลด…"


def _scripts(html: str) -> list[str]:
    return re.findall(r"<script([^>]*)>", html)


def _page(url: str, accept: str = "") -> tuple[str, Any]:
    response = Client().get(url, HTTP_ACCEPT_LANGUAGE=accept) if accept else Client().get(url)
    assert response.status_code == 200, response.content[:300]
    return response.content.decode(), response


# ---------------------------------------------------------------- choosing the language


@pytest.mark.parametrize(
    ("query", "accept", "language", "text"),
    [
        ("", "ja-JP,ja;q=0.9,en;q=0.8", "ja", JA_LOADING),  # the browser's
        ("?lang=th", "ja-JP", "th", TH_LOADING),  # the loader's data-lang wins
        ("?lang=th-TH", "", "th", TH_LOADING),  # a region is fine
        ("?lang=zh-TW", "en", "zh-hant", "載入中…"),  # Taiwan: Traditional
        ("?lang=zh-CN", "en", "zh-hans", "加载中…"),
        ("?lang=en", "ja", "en", "Loading…"),  # English asked for, over a Japanese browser
        ("?lang=klingon", "ja", "ja", JA_LOADING),  # unknown: the browser's
        ("?lang=%3Cscript%3E", "fr", "en", "Loading…"),  # nothing served: English
    ],
)
def test_the_widget_page_speaks_the_chosen_language(
    widget: Channel, query: str, accept: str, language: str, text: str
) -> None:
    html, response = _page(f"/widget/{widget.key}/{query}", accept)
    assert f'<html lang="{language}">' in html
    assert text in html
    scripts = _scripts(html)
    catalogue = [s for s in scripts if "/jsi18n/" in s]
    assert len(catalogue) == 1 and re.fullmatch(rf' src="/jsi18n/{language}\.js\?v=\w+"', catalogue[0])
    # A classic same-origin script before the module: window.django is there when the
    # modules (and their module-level labels) run, under the page's script-src 'self'.
    assert scripts.index(catalogue[0]) < next(i for i, s in enumerate(scripts) if 'type="module"' in s)
    assert _policy(response)["script-src"] == "'self'"
    assert "Accept-Language" in response.get("Vary", "")


def test_the_widget_page_is_translated(widget: Channel) -> None:
    html, _response = _page(f"/widget/{widget.key}/?lang=ja")
    assert "通常数分以内にお返事します" in html  # the subtitle without a greeting
    assert 'aria-label="チャットを閉じる"' in html
    assert re.search(r"<title>.+ とチャット</title>", html)


def test_the_web_link_page_is_translated(make_channel: Callable[..., Channel], support: Any) -> None:
    make_channel(kind="weblink", tag=support, weblink_slug="help")
    html, _response = _page("/l/help", "zh-TW,zh;q=0.9")
    assert '<html lang="zh-hant">' in html
    assert "立即諮詢" in html  # Engage now
    assert f"與我們的 {support.name} 團隊聊天" in html  # Chat with our Support team
    assert any('src="/jsi18n/zh-hant.js' in s for s in _scripts(html))


@pytest.mark.parametrize(
    ("language", "msgid", "translated"),
    [
        ("ja", "Start chat", "チャットを開始"),
        ("th", "Start chat", "เริ่มแชท"),
        ("zh-hans", "Start chat", "开始聊天"),
        ("zh-hant", "Start chat", "開始聊天"),
        ("ja", "Chat with us", "チャットで問い合わせる"),
    ],
)
def test_the_widgets_catalogue_is_served_per_language(language: str, msgid: str, translated: str) -> None:
    response = Client().get(f"/jsi18n/{language}.js")
    assert response.status_code == 200
    body = response.content.decode().encode().decode("unicode_escape")
    assert f'"{msgid}": "{translated}"' in body


# ---------------------------------------------------------------- the widget API


def test_the_widget_apis_refusals_are_in_the_visitors_language(widget_open: Any, agent: Staff, api: Any) -> None:
    client = api()
    client.credentials(HTTP_ACCEPT_LANGUAGE="ja")
    body = error(widget_open(client, channel_key="no-such-key"), 400)
    assert body["detail"] == "不明なチャネルです。"
    body = error(widget_open(client, message=""), 400)
    assert "message" in body and body["detail"]
    assert not re.search(r"[A-Za-z]{4,}", body["detail"].replace("message", "")), body  # DRF's, in Japanese
    client.credentials(HTTP_ACCEPT_LANGUAGE="th")
    assert error(widget_open(client, tag="Nope"), 400)["detail"] == "ไม่พบแท็กนี้"


def test_a_required_field_is_named_in_the_visitors_language(
    widget: Channel, widget_open: Any, agent: Staff, api: Any
) -> None:
    widget.form_enabled, widget.form_required_fields = True, ["first_name"]
    widget.save(update_fields=["form_enabled", "form_required_fields"])
    client = api()
    client.credentials(HTTP_ACCEPT_LANGUAGE="zh-CN")
    body = error(widget_open(client), 400)
    assert body["detail"] == "请填写名。"


def test_the_409_and_429_answers_are_translated(widget_open: Any, agent: Staff, api: Any) -> None:
    first = ok(widget_open(), 201)
    client = visitor_client(first["visitor_token"])
    Enquiry.objects.filter(pk=first["id"]).update(status="closed")
    room = Enquiry.objects.get(pk=first["id"]).room.pk
    client.credentials(HTTP_AUTHORIZATION=f"Visitor {first['visitor_token']}", HTTP_ACCEPT_LANGUAGE="ja")
    body = error(client.post(f"/api/v1/rooms/{room}/messages", {"text": "hi"}, format="json"), 409)
    assert body["detail"] == "この会話は終了しました。新しい会話を始めてください。"


# ---------------------------------------------------------------- the visitor's language is kept


def test_the_visitors_language_is_recorded_at_start(widget_open: Any, agent: Staff, api: Any) -> None:
    client = api()
    client.credentials(HTTP_ACCEPT_LANGUAGE="th-TH,th;q=0.9")
    got = ok(widget_open(client), 201)
    visitor = Visitor.objects.get(enquiries__pk=got["id"])
    assert (visitor.chat_language, visitor.language) == ("th", "")  # language: a platform profile's
    # Back later, in Japanese: the latest is kept.
    Enquiry.objects.filter(pk=got["id"]).update(status="closed")
    again = visitor_client(got["visitor_token"])
    again.credentials(HTTP_AUTHORIZATION=f"Visitor {got['visitor_token']}", HTTP_ACCEPT_LANGUAGE="ja")
    ok(widget_open(again), 201)
    assert Visitor.objects.get().chat_language == "ja"


def test_system_messages_are_worded_in_each_readers_language(
    widget_open: Any, agent: Staff, api: Any, events: Any
) -> None:
    client = api()
    client.credentials(HTTP_ACCEPT_LANGUAGE="ja")
    got = ok(widget_open(client), 201)
    enquiry = Enquiry.objects.get(pk=got["id"])
    events.clear()
    # The agent's own request is in Chinese: the stored text stays English all the same.
    org_services.staff_set_preferences(actor=agent, staff=agent, language="zh-hans")
    enquiry_services.enquiry_pick_up(actor=agent, enquiry_id=enquiry.pk)
    joined = Message.objects.get(room=enquiry.room, data__text_code="joined")
    assert joined.text == "Alice Agent joined the conversation."
    assert joined.data["text_params"] == {"name": "Alice Agent"}
    # Live: the visitor's copy in Japanese, the staff's in English.
    to_visitor = [p for p in events.to_group(visitor_group(enquiry.visitor_id)) if p["type"] == "message.created"]
    assert [p["data"]["message"]["text"] for p in to_visitor] == ["Alice Agent が会話に参加しました。"]
    to_room = [p for p in events.to_group(room_group(enquiry.room.pk)) if p["type"] == "message.created"]
    assert [p["data"]["message"]["text"] for p in to_room] == ["Alice Agent joined the conversation."]
    # Read again over REST: in the language of the visitor's request.
    reader = visitor_client(got["visitor_token"])
    reader.credentials(HTTP_AUTHORIZATION=f"Visitor {got['visitor_token']}", HTTP_ACCEPT_LANGUAGE="th")
    texts = [m["text"] for m in ok(reader.get(f"/api/v1/rooms/{enquiry.room.pk}/messages"))["results"]]
    assert "Alice Agent เข้าร่วมการสนทนาแล้ว" in texts
    staff_texts = [m["text"] for m in ok(api(agent).get(f"/api/v1/rooms/{enquiry.room.pk}/messages"))["results"]]
    assert "Alice Agent joined the conversation." in staff_texts


@pytest.mark.parametrize(
    ("code", "params", "ja"),
    [
        ("missed_closed", {}, "ただいま営業時間外です。メモを残していただければ、折り返しご連絡します。"),
        ("transferred", {"from": "A", "to": "B"}, "A から B に転送されました。"),
        ("resolved", {"name": "A"}, "A がこのお問い合わせを解決済みにしました。"),
        ("closed", {}, "この会話は終了しました。"),
        ("left", {"name": "A"}, "A が会話から退出しました。"),
        ("looks_after", {"name": "A"}, "これからは A がこの会話を担当します。"),
    ],
)
def test_every_visitor_system_text_is_translated(code: str, params: dict[str, str], ja: str) -> None:
    from django.utils import translation

    from rooms.system_texts import system_message_fields, system_text

    fields = system_message_fields(code, params)
    with translation.override("ja"):
        assert system_text(fields["data"], fields["text"]) == ja
    # Unknown code or broken values: the stored text.
    assert system_text({"text_code": "nope"}, "stored") == "stored"
    assert system_text({"text_code": "joined", "text_params": {}}, "stored") == "stored"


# ---------------------------------------------------------------- the dashboard keeps its languages


def test_the_dashboard_stays_in_the_staff_languages(make_staff: Callable[..., Staff]) -> None:
    html = Client().get("/login/", HTTP_ACCEPT_LANGUAGE="ja,zh-TW;q=0.8").content.decode()
    assert '<html lang="zh-hant">' in html  # Japanese is not a dashboard language: the next one
    html = Client().get("/login/", HTTP_ACCEPT_LANGUAGE="th").content.decode()
    assert '<html lang="en">' in html
    staff = make_staff()
    with pytest.raises(InvalidInput):
        org_services.staff_set_preferences(actor=staff, staff=staff, language="ja")


def test_platform_customers_get_system_messages_in_their_language() -> None:
    from channels_adapters import outbound
    from rooms.system_texts import system_message_fields

    fields = system_message_fields("joined", {"name": "Alice"})
    system = Message(kind=Message.Kind.SYSTEM, text=fields["text"], data=fields["data"])
    assert outbound._customer_text(system, "ja") == "Alice が会話に参加しました。"
    assert outbound._customer_text(system, "th-TH") == "Alice เข้าร่วมการสนทนาแล้ว"
    assert outbound._customer_text(system, "") == "Alice joined the conversation."
    assert outbound._customer_text(system, "xx_YY") == "Alice joined the conversation."
    text = Message(kind=Message.Kind.TEXT, text="%(name)s stays as typed", data={"text_code": "joined"})
    assert outbound._customer_text(text, "ja") == "%(name)s stays as typed"
