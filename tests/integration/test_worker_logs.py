"""Production logs: the sweeps beat runs every second (and every 30 s) log nothing when they
did nothing, one line when they did something; other tasks keep Celery's lines. Run for
real: a Celery worker with embedded beat, reading its log."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from typing import Any

from channels_adapters.tasks import inbound_process
from contactcenter.org.models import Staff, Tag
from enquiries.models import Enquiry
from tests.integration.test_real_timers import (  # noqa: F401 - fixtures
    MAX_WAIT,
    Processes,
    celery_worker,
    processes,
    wait_until,
)


def test_sweeps_that_did_nothing_log_nothing(
    celery_worker: subprocess.Popen[bytes],  # noqa: F811 - fixture
    processes: Processes,  # noqa: F811 - fixture
    settings: Any,
    make_staff: Callable[..., Staff],
    support: Tag,
    open_enquiry: Callable[..., Enquiry],
) -> None:
    make_staff(tags=[support])
    # No deadline task is queued ("off" here): only beat's sweep, every second, can miss it,
    # after MAX_WAIT seconds of sweeps that find nothing to do.
    settings.CC_TIMERS = "off"
    enquiry = open_enquiry()
    wait_until(
        lambda: Enquiry.objects.get(pk=enquiry.pk).status == Enquiry.Status.MISSED,
        timeout=MAX_WAIT + 5,
        what="beat's sweep to miss the enquiry",
    )
    # Another task, sent after those sweeps: its lines come after theirs would have.
    sent = inbound_process.apply_async(args=[[]])
    wait_until(
        lambda: f"inbound_process[{sent.id}] succeeded" in processes.log(celery_worker),
        timeout=10,
        what="the worker to log the other task",
    )
    log = next(path for proc, path in processes.procs if proc is celery_worker).read_text(errors="replace")
    assert f"inbound_process[{sent.id}] received" in log
    assert "beat: Starting..." in log  # beat's INFO lines are shown...
    assert "Sending due task" not in log  # ...but not the sweeps it sends
    assert not re.search(r"sweep_timers\[|inbound_sweep\[|outbound_sweep\[", log), log
    # The sweep that missed the enquiry says so, once.
    # (JSON lines in production: the message ends at its closing quote.)
    assert re.findall(r'timer sweep: [^"\n]*', log) == ["timer sweep: missed 1"], log
