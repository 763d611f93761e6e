"""Project basics (issue 17): one licence for the project's files, third-party files with their
own licence listed in NOTICE, and the contributor and security documents."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_project_is_apache_2_licensed() -> None:
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in licence and "Version 2.0, January 2004" in licence
    assert "END OF TERMS AND CONDITIONS" in licence
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["license"] == {"text": "Apache-2.0"}


def test_vendored_files_keep_their_licence_and_are_listed_in_notice() -> None:
    notice = (ROOT / "NOTICE").read_text(encoding="utf-8")
    vendored = sorted(p for p in (ROOT / "static" / "vendor").iterdir() if p.is_dir())
    assert vendored
    for folder in vendored:
        licences = list(folder.glob("LICENSE*"))
        assert licences, f"{folder.relative_to(ROOT)} has no licence file"
        for licence in licences:
            assert licence.relative_to(ROOT).as_posix() in notice


def test_contributing_and_security_documents() -> None:
    contributing = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    for needed in ("make test", "make lint", "make messages", "db_default", "test_migration_rule.py"):
        assert needed in contributing, needed
    security = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    assert "privately" in security and "Supported versions" in security
