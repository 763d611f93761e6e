"""The widget panel's desktop size (issue 13): an admin sets widget_width / widget_height
per channel within bounds; bad values are refused with a message and change nothing; the
public configuration carries the size to the chat page (and from there to the loader)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache

from channels_adapters.models import Channel
from channels_adapters.services import channel_widget_settings
from contactcenter.org.errors import InvalidInput
from contactcenter.org.models import Staff, Tag
from tests.api.conftest import counts, error, ok

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttles() -> None:
    cache.clear()


@pytest.fixture
def agent(make_staff: Callable[..., Staff], support: Tag) -> Staff:
    return make_staff(tags=[support], name="Alice Agent")


def test_defaults_in_the_api_and_the_public_config(api: Any, admin: Any, widget: Channel) -> None:
    got = ok(api(admin).get(f"/api/v1/channels/{widget.pk}"))
    assert (got["widget_width"], got["widget_height"]) == (380, 600)
    config = ok(api().get(f"/api/v1/widget/channels/{widget.key}"))
    assert (config["width"], config["height"]) == (380, 600)


def test_admin_sets_the_size(api: Any, admin: Any, widget: Channel) -> None:
    got = ok(
        api(admin).patch(f"/api/v1/channels/{widget.pk}", {"widget_width": 600, "widget_height": 400}, format="json")
    )
    assert (got["widget_width"], got["widget_height"]) == (600, 400)
    widget.refresh_from_db()
    assert (widget.widget_width, widget.widget_height) == (600, 400)
    config = ok(api().get(f"/api/v1/widget/channels/{widget.key}"))
    assert (config["width"], config["height"]) == (600, 400)
    # The chat page carries it in its embedded configuration too.
    page = api().get(f"/widget/{widget.key}/")
    assert b'"width": 600' in page.content and b'"height": 400' in page.content


def test_create_with_a_size(api: Any, admin: Any, support: Any) -> None:
    body = {"kind": "widget", "name": "Big", "destination_tag": support.pk, "widget_width": 520, "widget_height": 880}
    got = ok(api(admin).post("/api/v1/channels", body, format="json"), 201)
    assert (got["widget_width"], got["widget_height"]) == (520, 880)


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("widget_width", 299, "300 to 600"),
        ("widget_width", 601, "300 to 600"),
        ("widget_width", "wide", "valid integer"),
        ("widget_width", None, "null"),
        ("widget_width", 400.5, "valid integer"),
        ("widget_height", 399, "400 to 900"),
        ("widget_height", 901, "400 to 900"),
        ("widget_height", -1, "400 to 900"),
        ("widget_height", [500], "valid integer"),
    ],
)
def test_bad_sizes_are_refused(api: Any, admin: Any, widget: Channel, field: str, value: Any, words: str) -> None:
    client = api(admin)
    before = counts()
    body = error(client.patch(f"/api/v1/channels/{widget.pk}", {field: value, "name": "Renamed"}, format="json"), 400)
    assert field in body and words in str(body[field]) + body["detail"], body
    assert counts() == before
    widget.refresh_from_db()
    assert (widget.widget_width, widget.widget_height) == (380, 600)
    assert widget.name != "Renamed"


def test_bad_size_on_create_makes_no_channel(api: Any, admin: Any, support: Any) -> None:
    before = Channel.objects.count()
    body = {"kind": "widget", "name": "Huge", "destination_tag": support.pk, "widget_height": 2000}
    got = error(api(admin).post("/api/v1/channels", body, format="json"), 400)
    assert "400 to 900" in str(got["widget_height"])
    assert Channel.objects.count() == before


def test_agents_cannot_change_the_size(api: Any, agent: Any, widget: Channel) -> None:
    error(api(agent).patch(f"/api/v1/channels/{widget.pk}", {"widget_width": 500}, format="json"), 403)
    widget.refresh_from_db()
    assert widget.widget_width == 380


@pytest.mark.parametrize("value", [True, 300.0, "500", 1000])
def test_the_service_checks_the_type_and_bounds(value: Any) -> None:
    with pytest.raises(InvalidInput):
        channel_widget_settings({"widget_width": value})


def test_the_service_keeps_only_given_keys() -> None:
    assert channel_widget_settings({"widget_width": 300, "widget_height": 900}) == {
        "widget_width": 300,
        "widget_height": 900,
    }
    assert channel_widget_settings({}) == {}
