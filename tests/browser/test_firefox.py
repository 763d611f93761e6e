"""The agent's main flow in Firefox: Debian's firefox-esr, driven over WebDriver BiDi by
puppeteer-core (tests/browser/firefox/flow.mjs; no browser download, no geckodriver).

Runs against the same real daphne as the Chromium tests. Skipped when firefox-esr, node or
the script's node_modules are missing, except under CI=true, where .ci/run installs them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.browser.test_dashboard import PASSWORD, SHOTS, TAKE_SCREENSHOTS, Visitor, server  # noqa: F401 - server is a fixture

HERE = Path(__file__).resolve().parent / "firefox"
FIREFOX = Path("/usr/bin/firefox-esr")
NODE = shutil.which("node")


def _require_firefox() -> None:
    missing = [
        what
        for what, ok in (
            ("firefox-esr", FIREFOX.exists()),
            ("node", NODE is not None),
            ("puppeteer-core", (HERE / "node_modules" / "puppeteer-core").exists()),
        )
        if not ok
    ]
    if missing:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {', '.join(missing)} missing (.ci/run installs them)")
        pytest.skip(f"needs {', '.join(missing)}")


def test_agent_flow_in_firefox(server: dict[str, Any]) -> None:  # noqa: F811
    _require_firefox()
    visitor = Visitor(server["base"], server["key"], "Fay", "Does this work in Firefox?")
    env = {
        **os.environ,
        "BASE": server["base"],
        "EMAIL": "bob@example.com",
        "PASSWORD": PASSWORD,
        "VISITOR": "Fay",
        # flow.mjs writes its screenshot only when given a folder (make screenshots).
        "SHOTS": str(SHOTS) if TAKE_SCREENSHOTS else "",
        "FIREFOX": str(FIREFOX),
    }
    proc = subprocess.Popen(
        [str(NODE), "flow.mjs"], cwd=HERE, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        # The agent's reply reaches the visitor; the visitor answers; Firefox must show it live.
        # flow.mjs waits for the answer with waitForFunction: it is found whenever it comes.
        visitor.wait_for(lambda m: m["text"] == "Hello from Firefox", "the agent's reply from Firefox", timeout=60)
        visitor.say("Reply seen in Firefox")
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, out
    assert out.strip().endswith("ok"), out
