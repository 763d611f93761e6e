"""Which provider to talk to: the environment (CC_AI_PROVIDER and friends) when it names a
provider, else the row an admin saved (``AISettings``). The API key saved by an admin is
encrypted at rest with Fernet, under a key derived from SECRET_KEY (changing SECRET_KEY
makes a saved key unreadable: the admin enters it again)."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

from ai.models import AISettings

PROVIDERS = ("azure", "openai")


@dataclasses.dataclass(frozen=True)
class ProviderConfig:
    provider: str  # "azure" | "openai"
    base_url: str
    api_key: str = dataclasses.field(repr=False)  # never in a repr, a log line or a traceback's locals
    model: str
    api_version: str
    redact: bool
    source: str  # "environment" | "settings"


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"cc-ai-settings-key:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def key_encrypt(api_key: str) -> str:
    return _fernet().encrypt(api_key.encode()).decode() if api_key else ""


def key_decrypt(token: str) -> str | None:
    """The saved key; "" when none was saved; None when it cannot be read (SECRET_KEY changed)."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        return None


def env_configured() -> bool:
    return bool(settings.CC_AI_PROVIDER)


def ai_settings_row() -> AISettings:
    row = AISettings.objects.filter(pk=1).first()
    return row if row is not None else AISettings(pk=1)


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a provider's base URL, or None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "an http(s) URL such as https://example.openai.azure.com"
    return None


def provider_config() -> ProviderConfig | None:
    """The provider to use, or None when none is (completely) configured."""
    if env_configured():
        config = ProviderConfig(
            provider=settings.CC_AI_PROVIDER,
            base_url=settings.CC_AI_BASE_URL,
            api_key=settings.CC_AI_API_KEY,
            model=settings.CC_AI_MODEL,
            api_version=settings.CC_AI_API_VERSION,
            redact=settings.CC_AI_REDACT or ai_settings_row().redact,
            source="environment",
        )
    else:
        row = ai_settings_row()
        if row.provider not in PROVIDERS:
            return None
        key = key_decrypt(row.api_key_encrypted)
        if key is None:
            return None
        config = ProviderConfig(
            provider=row.provider,
            base_url=row.base_url,
            api_key=key,
            model=row.model,
            api_version=row.api_version or settings.CC_AI_API_VERSION,
            redact=settings.CC_AI_REDACT or row.redact,
            source="settings",
        )
    return config if config_complete(config) else None


def config_complete(config: ProviderConfig) -> bool:
    """Azure needs a URL, a key, a deployment and an API version; an OpenAI-compatible
    server a URL and a model (local servers may need no key)."""
    if not config.base_url or url_problem(config.base_url) or not config.model:
        return False
    if config.provider == "azure":
        return bool(config.api_key and config.api_version)
    return config.provider == "openai"
