"""Fixtures of the ai tests: fake providers of both shapes, configured through the
environment's settings (CC_AI_*) or left unconfigured."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache

from tests.ai.fake_provider import FakeProvider

KEY = "sk-test-SECRET-key-0123456789"


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    server = FakeProvider()
    yield server
    server.stop()


@pytest.fixture
def openai_env(fake: FakeProvider, settings: Any) -> FakeProvider:
    settings.CC_AI_PROVIDER = "openai"
    settings.CC_AI_BASE_URL = fake.url + "/v1"
    settings.CC_AI_API_KEY = KEY
    settings.CC_AI_MODEL = "gpt-test"
    return fake


@pytest.fixture
def azure_env(fake: FakeProvider, settings: Any) -> FakeProvider:
    settings.CC_AI_PROVIDER = "azure"
    settings.CC_AI_BASE_URL = fake.url
    settings.CC_AI_API_KEY = KEY
    settings.CC_AI_MODEL = "my-deployment"
    settings.CC_AI_API_VERSION = "2024-10-21"
    return fake


@pytest.fixture(autouse=True)
def _no_ai_by_default(settings: Any) -> None:
    settings.CC_AI_PROVIDER = ""
    settings.CC_AI_TIMEOUT_SECONDS = 5
    # Rate-limit counters are keyed by staff id; ids start again in every SQLite test.
    cache.clear()
