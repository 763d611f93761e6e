"""Runs the front end's unit tests (tests/js/*.test.js) with `node --test`.

They need only node (no npm packages). Without node they skip, except under CI=true.
"""

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import IN_CI

JS_TESTS = Path(__file__).resolve().parent


def test_node_unit_tests() -> None:
    node = shutil.which("node")
    if node is None:
        if IN_CI:
            pytest.fail("CI=true but node is not installed (the front end's unit tests need it).")
        pytest.skip("needs node for the front end's unit tests")
    files = sorted(str(p) for p in JS_TESTS.glob("*.test.js"))
    assert files, "no tests/js/*.test.js found"
    result = subprocess.run(  # noqa: S603 (fixed arguments, no shell)
        [node, "--test", *files],
        cwd=JS_TESTS.parent.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-4000:]
