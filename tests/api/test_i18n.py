"""Languages (README "Languages"): the JavaScript catalogue, the pages in the staff member's
language, the language and time zone API, and compiled catalogues that match their sources."""

from __future__ import annotations

import ast
import gettext as gnu_gettext
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from contactcenter.org import services as org_services
from contactcenter.org.errors import InvalidInput, NotAuthorized
from contactcenter.org.models import Staff
from tests.api.conftest import error, ok
from tests.browser.test_pages import _policy, logged_in

pytestmark = pytest.mark.django_db

LOCALE_DIR = Path(settings.LOCALE_PATHS[0])


def _boot(page: Any) -> dict[str, Any]:
    found = re.search(rb'<script id="cc-boot" type="application/json">(.*?)</script>', page.content, re.S)
    assert found is not None
    return json.loads(found[1])


def _scripts(page: Any) -> list[str]:
    return re.findall(r"<script([^>]*)>", page.content.decode())


# ---------------------------------------------------------------- the JavaScript catalogue


def test_the_javascript_catalogue_is_served_per_language_and_cached() -> None:
    response = Client().get("/jsi18n/zh-hans.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    body = response.content.decode()
    assert "django.gettext" in body
    assert '"Quick replies": "\\u5feb\\u6377\\u56de\\u590d"' in body  # 快捷回复, JSON-escaped
    # A plain script: nothing a script-src 'self' policy (no 'unsafe-eval') would block.
    assert "eval(" not in body and "new Function" not in body
    assert "max-age=86400" in response["Cache-Control"]
    traditional = Client().get("/jsi18n/zh-hant.js").content.decode()
    assert '"Quick replies": "\\u5feb\\u901f\\u56de\\u8986"' in traditional  # 快速回覆
    assert Client().get("/jsi18n/en.js").status_code == 200
    assert Client().get("/jsi18n/xx.js").status_code == 404


def test_pages_load_their_languages_catalogue_before_the_modules_under_the_csp(
    make_staff: Callable[..., Staff],
) -> None:
    staff = make_staff()
    org_services.staff_set_preferences(actor=staff, staff=staff, language="zh-hans")
    page = logged_in(staff).get("/app/", HTTP_ACCEPT_LANGUAGE="en-US")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "\u6536\u4ef6\u7bb1" in html  # 收件箱 (Inbox), the staff member's choice over the browser's
    scripts = _scripts(page)
    catalogue = [s for s in scripts if "/jsi18n/" in s]
    assert len(catalogue) == 1 and 'type="module"' not in catalogue[0]
    assert re.fullmatch(r' src="/jsi18n/zh-hans\.js\?v=\w+"', catalogue[0])
    assert scripts.index(catalogue[0]) < next(i for i, s in enumerate(scripts) if 'type="module"' in s)
    assert _policy(page)["script-src"] == "'self'"  # a same-origin script: allowed as it is
    src = re.search(r'src="([^"]+)"', catalogue[0])
    assert src is not None
    assert Client().get(src[1]).status_code == 200


def test_the_login_page_follows_the_browsers_language() -> None:
    page = Client().get("/login/", HTTP_ACCEPT_LANGUAGE="zh-TW,zh;q=0.9")
    html = page.content.decode()
    assert '<html lang="zh-hant">' in html and "\u767b\u5165" in html  # 登入
    assert any('src="/jsi18n/zh-hant.js' in s for s in _scripts(page))
    english = Client().get("/login/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert '<html lang="en">' in english and "Staff log in" in english


# ---------------------------------------------------------------- language and time zone


def test_staff_choose_their_language_and_time_zone(make_staff: Callable[..., Staff], api: Callable[..., Any]) -> None:
    staff = make_staff()
    assert staff.language == "" and staff.time_zone == ""  # the browser's, the business's
    client = api(staff)
    assert ok(client.get("/api/v1/me/preferences")) == {
        "language": "",
        "time_zone": "",
        "effective_time_zone": settings.TIME_ZONE,
    }
    body = ok(
        client.patch("/api/v1/me/preferences", {"language": "zh-hant", "time_zone": "Asia/Taipei"}, format="json")
    )
    assert body == {"language": "zh-hant", "time_zone": "Asia/Taipei", "effective_time_zone": "Asia/Taipei"}
    staff.refresh_from_db()
    assert (staff.language, staff.time_zone) == ("zh-hant", "Asia/Taipei")
    assert ok(client.get("/api/v1/me"))["language"] == "zh-hant"
    # One at a time; "" goes back to the default.
    ok(client.patch("/api/v1/me/preferences", {"time_zone": ""}, format="json"))
    staff.refresh_from_db()
    assert (staff.language, staff.time_zone) == ("zh-hant", "")


@pytest.mark.parametrize(
    ("body", "field", "text"),
    [
        ({"language": "klingon"}, "language", "Unknown language: klingon."),
        ({"language": "zh-hans", "time_zone": "Mars/Olympus"}, "time_zone", "Unknown time zone: Mars/Olympus."),
        ({"time_zone": "../../etc/passwd"}, "time_zone", "Unknown time zone"),
        ({"time_zone": "x" * 61}, "time_zone", "no more than 60"),
        ({"language": 7}, "language", "Unknown language"),
    ],
)
def test_unknown_languages_and_time_zones_are_refused_and_change_nothing(
    make_staff: Callable[..., Staff], api: Callable[..., Any], body: dict[str, Any], field: str, text: str
) -> None:
    staff = make_staff()
    answer = error(api(staff).patch("/api/v1/me/preferences", body, format="json"), 400)
    assert text in answer["detail"], answer
    assert field in answer
    staff.refresh_from_db()
    assert (staff.language, staff.time_zone) == ("", "")


def test_refusals_are_worded_in_the_staff_members_language(make_staff: Callable[..., Staff]) -> None:
    staff = make_staff()
    org_services.staff_set_preferences(actor=staff, staff=staff, language="zh-hans")
    client = logged_in(staff)
    csrf = client.cookies["csrftoken"].value if "csrftoken" in client.cookies else ""
    response = client.patch(
        "/api/v1/me/preferences",
        {"time_zone": "Mars/Olympus"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400, response.content
    assert response.json()["detail"].startswith("\u672a\u77e5\u7684\u65f6\u533a")  # 未知的时区


def test_the_service_checks_both_choices_before_writing(make_staff: Callable[..., Staff]) -> None:
    staff = make_staff()
    for bad in ({"language": "zh", "time_zone": "Asia/Tokyo"}, {"language": "en", "time_zone": "Nowhere/Land"}):
        with pytest.raises(InvalidInput) as refused:
            org_services.staff_set_preferences(actor=staff, staff=staff, **bad)
        assert set(refused.value.fields) <= {"language", "time_zone"} and refused.value.fields
        staff.refresh_from_db()
        assert (staff.language, staff.time_zone) == ("", "")
    org_services.staff_set_preferences(actor=staff, staff=staff, language="zh-hans", time_zone="Asia/Tokyo")
    staff.refresh_from_db()
    assert (staff.language, staff.time_zone) == ("zh-hans", "Asia/Tokyo")


def test_only_the_staff_member_or_an_admin_sets_their_preferences(
    make_staff: Callable[..., Staff], admin: Staff
) -> None:
    alice, bob = make_staff(), make_staff()
    with pytest.raises(NotAuthorized):
        org_services.staff_set_preferences(actor=bob, staff=alice, language="zh-hans")
    org_services.staff_set_preferences(actor=admin, staff=alice, time_zone="Europe/Paris")
    alice.refresh_from_db()
    assert (alice.language, alice.time_zone) == ("", "Europe/Paris")


def test_the_dashboard_shows_times_in_the_staff_members_or_the_business_time_zone(
    make_staff: Callable[..., Staff], admin: Staff
) -> None:
    org_services.org_settings_update(
        actor=admin, changes={"work_hours": {"timezone": "Asia/Shanghai", "days": {"mon": [["09:00", "18:00"]]}}}
    )
    staff = make_staff()
    boot = _boot(logged_in(staff).get("/app/", HTTP_ACCEPT_LANGUAGE="zh-CN"))
    assert boot["time_zone"] == "Asia/Shanghai" and boot["business_time_zone"] == "Asia/Shanghai"
    assert boot["locale"] == "zh-hans"  # the browser's, mapped to the catalogue's language
    assert {"code": "zh-hant", "name": "\u7e41\u9ad4\u4e2d\u6587"} in boot["languages"]
    org_services.staff_set_preferences(actor=staff, staff=staff, language="en", time_zone="America/New_York")
    boot = _boot(logged_in(staff).get("/app/", HTTP_ACCEPT_LANGUAGE="zh-CN"))
    assert (boot["locale"], boot["time_zone"]) == ("en", "America/New_York")


# ---------------------------------------------------------------- the catalogues


def _po_entries(path: Path) -> dict[tuple[str | None, str], list[str]]:
    """(msgctxt, msgid) -> msgstr forms of the translated, non-fuzzy entries of a .po file
    (a small reader: GNU msgfmt may not be installed where the tests run)."""
    found: dict[tuple[str | None, str], list[str]] = {}
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        fields: dict[str, str] = {}
        key = ""
        fuzzy = False
        for line in block.splitlines():
            if line.startswith("#,") and "fuzzy" in line:
                fuzzy = True
            elif match := re.match(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) (\".*\")$", line):
                key = match[1]
                fields[key] = ast.literal_eval(match[2])
            elif line.startswith('"') and key:
                fields[key] += ast.literal_eval(line)
        if "msgid" not in fields or fields["msgid"] == "" or fuzzy:
            continue
        forms = [fields[k] for k in sorted(k for k in fields if k.startswith("msgstr"))]
        if all(forms):
            found[(fields.get("msgctxt"), fields["msgid"])] = forms
    return found


def _mo_entries(path: Path) -> dict[tuple[str | None, str], list[str]]:
    with path.open("rb") as handle:
        catalog: dict[Any, str] = gnu_gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
    found: dict[tuple[str | None, str], list[str]] = {}
    for raw, text in catalog.items():
        msgid, index = (raw, 0) if isinstance(raw, str) else raw
        if msgid == "":
            continue
        context, _, msgid = msgid.rpartition("\x04") if "\x04" in msgid else ("", "", msgid)
        found.setdefault((context or None, msgid), []).insert(index, text)
    return found


PO_FILES = sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po"))


STAFF_LOCALES = ["zh_Hans", "zh_Hant"]  # every text (settings.CC_STAFF_LANGUAGES)
VISITOR_LOCALES = ["ja", "th"]  # the visitor's texts only (locale/visitor_sources.txt)


def test_there_are_catalogues_for_every_language() -> None:
    names = {str(p.relative_to(LOCALE_DIR)) for p in PO_FILES}
    assert {translation.to_locale(code) for code, _name in settings.LANGUAGES} == {
        "en",
        *STAFF_LOCALES,
        *VISITOR_LOCALES,
    }
    assert [translation.to_locale(code) for code in settings.CC_STAFF_LANGUAGES] == ["en", *STAFF_LOCALES]
    for locale in STAFF_LOCALES + VISITOR_LOCALES:
        assert {f"{locale}/LC_MESSAGES/django.po", f"{locale}/LC_MESSAGES/djangojs.po"} <= names


@pytest.mark.parametrize("po", PO_FILES, ids=lambda p: str(p.relative_to(LOCALE_DIR)))
def test_every_catalogue_is_compiled_and_up_to_date(po: Path) -> None:
    """The committed .mo says what its .po says (run scripts/i18n.sh after editing a .po)."""
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{mo} is missing: run scripts/i18n.sh"
    source, compiled = _po_entries(po), _mo_entries(mo)
    # msgid forms of plural entries: the .mo keys a plural by its singular msgid.
    assert source == compiled, "run scripts/i18n.sh compile"
    assert "Plural-Forms: nplurals=1; plural=0;" in po.read_text(encoding="utf-8")


@pytest.mark.parametrize("po", PO_FILES, ids=lambda p: str(p.relative_to(LOCALE_DIR)))
def test_every_text_is_translated_with_its_placeholders(po: Path) -> None:
    text = po.read_text(encoding="utf-8")
    assert "#, fuzzy" not in text
    for (_context, msgid), forms in _po_entries(po).items():
        for form in forms:
            assert sorted(re.findall(r"%\(\w+\)[sd]|\{\w+\}", form)) == sorted(
                re.findall(r"%\(\w+\)[sd]|\{\w+\}", msgid)
            )
    untranslated = re.findall(r'^msgstr(?:\[\d\])? ""\n(?!")', text + "\n", re.M)
    assert len(untranslated) == 0, f"{po}: translate the empty entries (scripts/i18n.sh)"


# ---------------------------------------------------------------- every text is in the catalogues

ROOT = Path(settings.BASE_DIR)
_JS_STRING = r'"(?:[^"\\\n]|\\.)*"' + r"|'(?:[^'\\\n]|\\.)*'"
_JS_CALLS = [
    re.compile(rf"\bgettext\(\s*({_JS_STRING})\s*\)"),
    re.compile(rf"\bpgettext\(\s*({_JS_STRING})\s*,\s*({_JS_STRING})\s*\)"),
    re.compile(rf"\bngettext\(\s*({_JS_STRING})\s*,\s*({_JS_STRING})\s*,"),
]
_PY_STRING = r'"(?:[^"\\\n]|\\.)*"' + r"|'(?:[^'\\\n]|\\.)*'"
_PY_CALL = re.compile(rf"\b(?:gettext|gettext_lazy|gettext_noop|ngettext|_)\(\s*({_PY_STRING})\s*[,)]")
_TEMPLATE_TAG = re.compile(r'{%\s*translate\s+"([^"]*)"\s*%}')
_TEMPLATE_BLOCK = re.compile(r"{%\s*blocktranslate\b([^%]*)%}(.*?){%\s*endblocktranslate\s*%}", re.S)


def _visitor_source(path: str) -> bool:
    """Whether a file is one of locale/visitor_sources.txt (msggrep's globs: * stops at /)."""
    for line in (LOCALE_DIR / "visitor_sources.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            pattern = re.escape(line.strip()).replace(r"\*", "[^/]*")
            if re.fullmatch(pattern, path):
                return True
    return False


def _js_text(literal: str) -> str:
    if literal.startswith("'"):  # a single-quoted JavaScript string, as a JSON one
        literal = '"' + literal[1:-1].replace("\\'", "'").replace('"', '\\"') + '"'
    return str(json.loads(literal))


def _texts_in_code() -> dict[str, dict[tuple[str | None, str], set[str]]]:
    """(msgctxt, msgid) of the texts marked for translation in the code, per domain, with the
    files they are in: the calls with literal arguments (what xgettext extracts, read with
    regular expressions so that GNU gettext is not needed to run this check)."""
    found: dict[str, dict[tuple[str | None, str], set[str]]] = {"django": {}, "djangojs": {}}

    def add(domain: str, key: tuple[str | None, str], path: Path) -> None:
        found[domain].setdefault(key, set()).add(str(path.relative_to(ROOT)))

    scripts = [*(ROOT / "static" / "js").rglob("*.js"), *(ROOT / "static" / "widget").rglob("*.js")]
    for path in sorted(scripts):
        source = path.read_text(encoding="utf-8")
        for match in _JS_CALLS[0].finditer(source):
            add("djangojs", (None, _js_text(match[1])), path)
        for match in _JS_CALLS[1].finditer(source):
            add("djangojs", (_js_text(match[1]), _js_text(match[2])), path)
        for match in _JS_CALLS[2].finditer(source):
            add("djangojs", (None, _js_text(match[1])), path)
    for app in ("contactcenter", "rooms", "enquiries", "channels_adapters", "monitoring"):
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for match in _PY_CALL.finditer(path.read_text(encoding="utf-8")):
                add("django", (None, ast.literal_eval(match[1])), path)
    for path in sorted((ROOT / "templates").rglob("*.html")):
        source = path.read_text(encoding="utf-8")
        for match in _TEMPLATE_TAG.finditer(source):
            add("django", (None, match[1]), path)
        for match in _TEMPLATE_BLOCK.finditer(source):
            text = match[2]
            if "trimmed" in match[1].split():
                text = " ".join(line.strip() for line in text.splitlines() if line.strip())
            add("django", (None, re.sub(r"{{\s*(\w+)\s*}}", r"%(\1)s", text)), path)
    return found


def test_the_widget_and_the_visitors_texts_are_found() -> None:
    texts = _texts_in_code()
    assert (None, "Start chat") in texts["djangojs"]  # static/widget/chat/start.js
    assert (None, "Chat with %(name)s") in texts["django"]  # a blocktranslate of templates/widget
    assert (None, "%(name)s joined the conversation.") in texts["django"]  # gettext_noop
    assert _visitor_source("static/widget/chat/start.js") and _visitor_source("templates/weblink.html")
    assert not _visitor_source("static/js/dashboard/app.js") and not _visitor_source("templates/login.html")


@pytest.mark.parametrize("locale", STAFF_LOCALES + VISITOR_LOCALES)
def test_every_text_marked_in_the_code_is_translated(locale: str) -> None:
    """Texts added since the catalogues were made show in English: run scripts/i18n.sh (make
    messages), translate the new entries in locale/*/LC_MESSAGES/*.po, and run it again. The
    visitor's languages (ja, th) translate the texts of locale/visitor_sources.txt only."""
    for domain, places in _texts_in_code().items():
        texts = set(places)
        if locale in VISITOR_LOCALES:
            texts = {key for key, paths in places.items() if any(_visitor_source(p) for p in paths)}
        assert texts, domain
        catalogue = _po_entries(LOCALE_DIR / locale / "LC_MESSAGES" / f"{domain}.po")
        missing = sorted(f"{ctx}|{msgid}" if ctx else msgid for ctx, msgid in texts - set(catalogue))
        assert not missing, f"{locale} {domain}.po lacks (run scripts/i18n.sh and translate): {missing}"
