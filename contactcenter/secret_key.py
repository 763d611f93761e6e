"""Django's SECRET_KEY, which signs visitor tokens, file links and sessions.

A deployment (DATABASE_URL or REDIS_URL set) must be given a strong key in CC_SECRET_KEY.
The embedded default generates a random key on its first start and keeps it in a file
beside the SQLite file (mode 0600), so each install has its own key and restarts keep it.

Imported by the settings module: standard library only."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

MAKE_ONE = "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
MIN_LENGTH = 50
MIN_DISTINCT = 10

# Keys that have been public (this project's former defaults) and fragments that mark a
# placeholder somebody meant to replace; a random key contains none of them.
PUBLIC_KEYS = frozenset(
    {
        "embedded-development-key-not-for-production-use-0123456789",
        "local-trial-only-change-me-before-deploying",
    }
)
PLACEHOLDER_FRAGMENTS = (
    "django-insecure",
    "change-me",
    "change_me",
    "changeme",
    "not-for-production",
    "placeholder",
    "your-secret",
    "secret-key-here",
)


def key_problem(key: str) -> str | None:
    """Why ``key`` is not fit to sign anything, or None when it is."""
    if not key:
        return "CC_SECRET_KEY is not set (it is required when DATABASE_URL or REDIS_URL is set)"
    lowered = key.lower()
    if key in PUBLIC_KEYS or any(fragment in lowered for fragment in PLACEHOLDER_FRAGMENTS):
        return "CC_SECRET_KEY is a public placeholder value"
    if len(key) < MIN_LENGTH:
        return f"CC_SECRET_KEY is too short ({len(key)} characters, at least {MIN_LENGTH} needed)"
    if len(set(key)) < MIN_DISTINCT:
        return f"CC_SECRET_KEY has too few distinct characters (at least {MIN_DISTINCT} needed)"
    return None


def refusal(problem: str) -> str:
    """The one line printed when a process refuses to start."""
    return f"Refusing to start: {problem}. Set CC_SECRET_KEY to a strong random key, made with: {MAKE_ONE}"


def key_file_for(sqlite_path: str) -> Path:
    """The key file of the embedded database at ``sqlite_path`` (git- and docker-ignored)."""
    return Path(sqlite_path).with_suffix(".secret-key")


def embedded_key(path: Path) -> str:
    """The key kept in ``path``, created (random, mode 0600) if there is none yet.

    Several processes may start at once (daphne, manage.py): the key is written to a file
    of this process's own and linked into place, so the first one wins, the others read
    its key, and nobody ever reads a half-written file."""
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(50) + "\n")
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(temp, path)
        except FileExistsError:
            pass  # another process was first: use its key
    finally:
        temp.unlink(missing_ok=True)
    return _read(path)


def _read(path: Path) -> str:
    key = path.read_text().strip()
    problem = key_problem(key)
    if problem:
        raise SystemExit(f"{path} holds a key that is not fit for use ({problem}); delete the file to get a new one")
    return key
