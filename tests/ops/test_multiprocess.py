"""Several processes, one /metrics (PROMETHEUS_MULTIPROC_DIR): counters of every process add
up, gone processes' counters stay, and their live gauges (sockets) go. Real processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]

COUNT = """
import sys
from contactcenter.org import metrics
metrics.messages_posted.labels("visitor").inc()
metrics.sockets_connected.labels("staff").inc()
if sys.argv[1] == "stay":
    print("counted", flush=True)
    sys.stdin.read()  # lives until the test closes its stdin
"""

SCRAPE = """
import django
django.setup()
from django.test import Client
print(Client().get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode())
"""


def _env(directory: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        PROMETHEUS_MULTIPROC_DIR=str(directory),
        DJANGO_SETTINGS_MODULE="contactcenter.settings",
        CC_SQLITE_PATH=str(directory.parent / "scrape.sqlite3"),
    )
    return env


def _scrape(directory: Path) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-c", SCRAPE], env=_env(directory), cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    samples = {}
    for family in text_string_to_metric_families(out.stdout):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_processes_add_up_and_gone_ones_leave_their_sockets(tmp_path: Path) -> None:
    directory = tmp_path / "metrics"
    env = _env(directory)
    for _ in range(2):
        subprocess.run([sys.executable, "-c", COUNT, "exit"], env=env, cwd=ROOT, check=True, timeout=60)  # noqa: S603
    staying = subprocess.Popen(  # noqa: S603 - fixed argv
        [sys.executable, "-c", COUNT, "stay"], env=env, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert staying.stdout is not None and staying.stdout.readline() == b"counted\n"
        files = sorted(p.name for p in directory.iterdir())
        assert any(name.startswith("gauge_livesum_") for name in files), files
        samples = _scrape(directory)
        # Three processes posted one message each; the two gone still count.
        assert samples[("cc_messages_posted_total", (("sender", "visitor"),))] == 3
        # Only the process still running has a socket open.
        assert samples[("cc_sockets_connected", (("kind", "staff"),))] == 1
    finally:
        assert staying.stdin is not None
        staying.stdin.close()
        staying.wait(timeout=30)
    deadline = time.monotonic() + 10
    while staying.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    samples = _scrape(directory)
    assert samples[("cc_messages_posted_total", (("sender", "visitor"),))] == 3
    assert samples.get(("cc_sockets_connected", (("kind", "staff"),)), 0) == 0
