"""The release's version (issue 17, CHANGELOG.md): one number, ``contactcenter.__version__``,
equal to pyproject.toml's and to CHANGELOG.md's newest release, shown in the dashboard's footer."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

import contactcenter
from contactcenter.org.models import Staff
from tests.browser.test_pages import logged_in

ROOT = Path(__file__).resolve().parent.parent
# "## [0.10.0] - 2026-12-01" (Keep a Changelog); "## [Unreleased]" is not a release.
RELEASE_HEADING = re.compile(r"^## \[(?P<version>\d+\.\d+\.\d+[^\]]*)\] - (?P<date>\d{4}-\d{2}-\d{2})$", re.M)


def test_version_is_the_packages() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert re.fullmatch(r"\d+\.\d+\.\d+", contactcenter.__version__)
    assert contactcenter.__version__ == pyproject["project"]["version"]


def test_changelog_newest_release_is_this_version() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    releases = [m["version"] for m in RELEASE_HEADING.finditer(changelog)]
    assert releases, "CHANGELOG.md has no '## [x.y.z] - YYYY-MM-DD' release heading"
    assert releases[0] == contactcenter.__version__, (
        f"CHANGELOG.md's newest release is {releases[0]}; contactcenter.__version__ is {contactcenter.__version__}"
    )
    assert len(set(releases)) == len(releases), "a release appears twice in CHANGELOG.md"


@pytest.mark.django_db
def test_the_dashboard_footer_shows_the_version(make_staff: Callable[..., Staff]) -> None:
    page = logged_in(make_staff()).get("/app/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    footer = re.search(rb'<footer class="app-footer[^"]*">(.*?)</footer>', page.content, re.S)
    assert footer is not None
    assert footer.group(1).decode().strip() == f"Contact center {contactcenter.__version__}"
