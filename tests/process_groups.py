"""Subprocesses, each in a process group of its own, so that a signal reaches its children
too (Celery's pool and beat). Plain Python, no pytest: bench/chat_load.py uses it as well."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def start_in_group(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start ``args`` in the repository root, stdout and stderr into ``log``."""
    with log.open("wb") as out:
        return subprocess.Popen(  # noqa: S603 - fixed argv
            args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    """Send ``sig`` to the process group of ``proc``, unless it has exited."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)


def reap_group(proc: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """Wait for ``proc`` to exit; past ``timeout``, kill its group and wait again."""
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        signal_group(proc, signal.SIGKILL)
        proc.wait(timeout=timeout)
