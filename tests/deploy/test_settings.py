"""Settings chosen by the environment, each loaded in a process of its own (as daphne,
Celery and manage.py load them): the secret key, the channel prefix, the Celery queue and
the demo accounts switch."""

from __future__ import annotations

import concurrent.futures
import json
import os
import secrets
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PRODUCTION = {"DATABASE_URL": "postgres://cc@127.0.0.1:1/ccprod", "REDIS_URL": "redis://127.0.0.1:1/0"}
MAKE_ONE = "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
SHOW = (
    "import json, contactcenter.settings as s; print(json.dumps({"
    "'key': s.SECRET_KEY, 'prefix': s.CC_CHANNEL_PREFIX, 'layer': s.CHANNEL_LAYERS['default'], "
    "'queue': s.CELERY_TASK_DEFAULT_QUEUE, 'control': s.CELERY_CONTROL_EXCHANGE, 'demo': s.CC_DEMO, "
    "'cache_prefix': s.CACHES['default'].get('KEY_PREFIX')}))"
)


def strong_key() -> str:
    return secrets.token_urlsafe(50)


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    """This environment without anything that chooses a mode, a key or a name."""
    chosen = ("DATABASE_URL", "REDIS_URL", "CC_SECRET_KEY", "CC_CHANNEL_PREFIX", "CC_CELERY_QUEUE", "CC_DEMO")
    env = {k: v for k, v in os.environ.items() if k not in chosen}
    env.update(DJANGO_SETTINGS_MODULE="contactcenter.settings", CC_SQLITE_PATH=str(tmp_path / "db.sqlite3"))
    env.update(extra)
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)


def load(tmp_path: Path, **extra: str) -> dict[str, Any]:
    result = run([sys.executable, "-c", SHOW], environment(tmp_path, **extra))
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def assert_refused(result: subprocess.CompletedProcess[str], problem: str) -> None:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr  # one line, no traceback
    assert problem in lines[0] and MAKE_ONE in lines[0], lines[0]


# ---------------------------------------------------------------------------- secret key


@pytest.mark.parametrize(
    "args",
    [
        [sys.executable, "manage.py", "check"],
        [str(BIN / "daphne"), "-p", "0", "contactcenter.asgi:application"],
        # The web process as deployed (contactcenter/asgi_server.py), under each server.
        ["daphne", sys.executable, "-m", "contactcenter.asgi_server", "--port", "0"],
        ["uvicorn", sys.executable, "-m", "contactcenter.asgi_server", "--port", "0"],
        [str(BIN / "celery"), "-A", "contactcenter", "worker", "--concurrency=1"],
        [str(BIN / "celery"), "-A", "contactcenter", "beat", "--schedule=/dev/null"],
    ],
    ids=["manage.py", "daphne", "web-daphne", "web-uvicorn", "celery-worker", "celery-beat"],
)
def test_production_processes_refuse_to_start_without_a_key(tmp_path: Path, args: list[str]) -> None:
    server = {}
    if args[0] in ("daphne", "uvicorn"):
        server["CC_ASGI_SERVER"], args = args[0], args[1:]
    assert_refused(run(args, environment(tmp_path, **PRODUCTION, **server)), "CC_SECRET_KEY is not set")


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("s3cret", "too short"),
        (secrets.token_urlsafe(30), "too short"),
        ("ab" * 40, "too few distinct characters"),
        ("embedded-development-key-not-for-production-use-0123456789", "public placeholder"),
        ("local-trial-only-change-me-before-deploying", "public placeholder"),
        ("django-insecure-" + secrets.token_urlsafe(50), "public placeholder"),
        ("change-me-" + secrets.token_urlsafe(50), "public placeholder"),
    ],
)
def test_production_refuses_a_weak_or_public_key(tmp_path: Path, key: str, problem: str) -> None:
    result = run([sys.executable, "-c", SHOW], environment(tmp_path, CC_SECRET_KEY=key, **PRODUCTION))
    assert_refused(result, problem)


@pytest.mark.parametrize("mode", [{"DATABASE_URL": PRODUCTION["DATABASE_URL"]}, {"REDIS_URL": PRODUCTION["REDIS_URL"]}])
def test_half_a_deployment_needs_a_key_too(tmp_path: Path, mode: dict[str, str]) -> None:
    assert_refused(run([sys.executable, "-c", SHOW], environment(tmp_path, **mode)), "CC_SECRET_KEY is not set")


def test_production_runs_on_a_strong_key(tmp_path: Path) -> None:
    key = strong_key()
    assert load(tmp_path, CC_SECRET_KEY=key, **PRODUCTION)["key"] == key
    assert not list(tmp_path.iterdir())  # no key file in production


def test_embedded_generates_a_key_once_and_keeps_it(tmp_path: Path) -> None:
    key_file = tmp_path / "db.secret-key"
    first = load(tmp_path)["key"]
    assert key_file.read_text().strip() == first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first) >= 50
    assert load(tmp_path)["key"] == first  # reused on the next start
    other = tmp_path / "other"
    assert load(other)["key"] != first  # another install has its own


def test_embedded_processes_starting_together_share_one_key(tmp_path: Path) -> None:
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        keys = {k["key"] for k in pool.map(lambda _: load(tmp_path), range(4))}
    assert len(keys) == 1
    assert (tmp_path / "db.secret-key").read_text().strip() in keys


def test_embedded_uses_a_key_that_is_set_but_checks_it(tmp_path: Path) -> None:
    key = strong_key()
    assert load(tmp_path, CC_SECRET_KEY=key)["key"] == key
    assert not (tmp_path / "db.secret-key").exists()
    result = run([sys.executable, "-c", SHOW], environment(tmp_path, CC_SECRET_KEY="short"))
    assert_refused(result, "too short")


def test_key_files_are_ignored_by_git_and_docker() -> None:
    result = run(["git", "check-ignore", "-q", "db.secret-key"], dict(os.environ))
    assert result.returncode == 0, "db.secret-key is not git-ignored"
    dockerignore = (ROOT / ".dockerignore").read_text().splitlines()
    assert "*.secret-key" in dockerignore and "**/*.secret-key" in dockerignore


def test_no_secret_key_committed_in_settings() -> None:
    text = (ROOT / "contactcenter" / "settings.py").read_text()
    assert 'SECRET_KEY = "' not in text and "SECRET_KEY = '" not in text


# ---------------------------------------------------------------------------- channel prefix


def test_channel_prefix_follows_the_database_name_and_redis_db(tmp_path: Path) -> None:
    key = strong_key()
    one = load(tmp_path, CC_SECRET_KEY=key, DATABASE_URL="postgres://cc@db:5432/shop_one", REDIS_URL="redis://r:6379/0")
    two = load(tmp_path, CC_SECRET_KEY=key, DATABASE_URL="postgres://cc@db:5432/shop_two", REDIS_URL="redis://r:6379/0")
    other_db = load(tmp_path, CC_SECRET_KEY=key, DATABASE_URL="postgres://cc@db:5432/shop_one", REDIS_URL="redis://r/4")
    assert one["prefix"] == "cc-shop_one-0"
    assert two["prefix"] == "cc-shop_two-0"
    assert other_db["prefix"] == "cc-shop_one-4"
    assert one["layer"]["CONFIG"]["prefix"] == "cc-shop_one-0"
    # Cache keys too (rate counters, lockouts, webhook nonces): apart per deployment.
    assert (one["cache_prefix"], two["cache_prefix"]) == ("cc-shop_one-0", "cc-shop_two-0")
    # The same deployment reached by another host name keeps its prefix.
    same = load(tmp_path, CC_SECRET_KEY=key, DATABASE_URL="postgres://cc@10.0.0.5/shop_one", REDIS_URL="redis://x/0")
    assert same["prefix"] == one["prefix"]


def test_channel_prefix_can_be_set(tmp_path: Path) -> None:
    loaded = load(tmp_path, CC_SECRET_KEY=strong_key(), CC_CHANNEL_PREFIX="site-a", **PRODUCTION)
    assert loaded["prefix"] == "site-a" and loaded["layer"]["CONFIG"]["prefix"] == "site-a"


@pytest.mark.parametrize("layer", ["pubsub", "core"])
def test_both_redis_layers_get_the_prefix(tmp_path: Path, layer: str) -> None:
    loaded = load(tmp_path, CC_SECRET_KEY=strong_key(), CC_CHANNEL_LAYER=layer, **PRODUCTION)
    assert loaded["layer"]["CONFIG"]["prefix"] == "cc-ccprod-0"


# ---------------------------------------------------------------------------- celery queue


def test_celery_queue_defaults_to_celerys_own_and_can_be_set(tmp_path: Path) -> None:
    key = strong_key()
    default = load(tmp_path, CC_SECRET_KEY=key, **PRODUCTION)
    assert (default["queue"], default["control"]) == ("celery", "celery")
    own = load(tmp_path, CC_SECRET_KEY=key, CC_CELERY_QUEUE="site-a", **PRODUCTION)
    assert (own["queue"], own["control"]) == ("site-a", "site-a")


# ---------------------------------------------------------------------------- demo accounts


def test_demo_accounts_only_in_the_embedded_default_or_when_asked(tmp_path: Path) -> None:
    key = strong_key()
    assert load(tmp_path)["demo"] is True
    assert load(tmp_path, CC_SECRET_KEY=key, **PRODUCTION)["demo"] is False
    assert load(tmp_path, CC_SECRET_KEY=key, CC_DEMO="1", **PRODUCTION)["demo"] is True
    assert load(tmp_path, CC_DEMO="0")["demo"] is False
