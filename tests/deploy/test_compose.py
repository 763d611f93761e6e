"""docker-compose.yml, read as Compose reads it (no Docker engine needed): a media volume
shared by web and worker, healthchecks, migrations once in a one-shot service, no default
secret key; and the image's own command does not migrate."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text()))


def services(compose: dict[str, Any]) -> dict[str, Any]:
    return dict(compose["services"])


def test_media_is_a_named_volume_shared_by_web_and_worker(compose: dict[str, Any]) -> None:
    assert "media" in compose["volumes"]
    for name in ("web", "worker"):
        service = services(compose)[name]
        mounts = {m.split(":")[0]: m.split(":")[1] for m in service["volumes"]}
        assert mounts.get("media") == service["environment"]["CC_MEDIA_ROOT"], name


def test_migrate_runs_once_before_the_processes(compose: dict[str, Any]) -> None:
    migrate = services(compose)["migrate"]
    assert migrate["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("web", "worker", "beat"):
        service = services(compose)[name]
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name
        assert "migrate" not in " ".join(service["command"]), name


def test_the_image_command_does_not_migrate() -> None:
    (cmd,) = re.findall(r"^CMD (.*)$", (ROOT / "Dockerfile").read_text(), flags=re.MULTILINE)
    assert "migrate" not in cmd and "contactcenter.asgi_server" in cmd


def test_healthchecks(compose: dict[str, Any]) -> None:
    web = services(compose)["web"]["healthcheck"]["test"]
    assert "http://127.0.0.1:8000/readyz" in " ".join(web)
    worker = services(compose)["worker"]["healthcheck"]["test"]
    assert worker[0] == "CMD-SHELL" and "inspect ping -d celery@$$HOSTNAME" in worker[1]
    for name in ("postgres", "redis", "web", "worker"):
        check = services(compose)[name]["healthcheck"]
        assert check["test"] and check["interval"] and check["retries"], name


def test_web_healthcheck_host_is_allowed(compose: dict[str, Any]) -> None:
    """The healthcheck sends Host: localhost; whatever CC_ALLOWED_HOSTS says, it is allowed."""
    web = services(compose)["web"]
    assert "'Host': 'localhost'" in " ".join(web["healthcheck"]["test"])
    assert web["environment"]["CC_ALLOWED_HOSTS"].split(",")[0] == "localhost"


def test_healthz_answers_ok_without_authentication(db: Any) -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert Client().post("/healthz").status_code == 405


def test_no_default_secret_key(compose: dict[str, Any]) -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    for name in ("migrate", "web", "worker", "beat"):
        value = services(compose)[name]["environment"]["CC_SECRET_KEY"]
        # ${VAR:?message}: Compose refuses to start when it is unset or empty.
        assert re.fullmatch(r"\$\{CC_SECRET_KEY:\?[^}]+\}", value), value
    assert "CC_SECRET_KEY:-" not in text and "CC_SECRET_KEY-" not in text


def test_first_admin_documented(compose: dict[str, Any]) -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    assert "docker compose run --rm web python manage.py create_staff" in text
    assert "--role admin" in text
