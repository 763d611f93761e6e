"""Micro-benchmark (not collected: run it by path) of the socket writer's CPU per batch:
``messages_post`` + the acks, as ``SocketWriter._write`` runs them, on PostgreSQL with real
commits. Prints time.thread_time per batch and per message.

    nice .venv/bin/pytest tests/rooms/bench_writer_cpu.py -s -p no:randomly
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

import pytest
from django.db import transaction

from contactcenter.gateway import socket_writer
from contactcenter.org import realtime
from rooms.services import PostRequest, messages_post

ROOMS = int(os.environ.get("BENCH_ROOMS", "24"))
BATCH = int(os.environ.get("BENCH_BATCH", "6"))
BATCHES = int(os.environ.get("BENCH_BATCHES", "400"))


@pytest.mark.django_db(transaction=True)
def test_writer_cpu(open_enquiry: Any, make_staff: Any, support: Any) -> None:
    from enquiries import services as enquiry_services

    enquiries = []
    for i in range(ROOMS):
        owner = make_staff(tags=[support], name=f"Olive Owner{i}")
        e = open_enquiry()
        enquiry_services.enquiry_pick_up(actor=owner, enquiry_id=e.pk)
        e.refresh_from_db()
        enquiries.append(e)
    k = 0

    def one_batch() -> float:
        nonlocal k
        requests = []
        for _ in range(BATCH):
            e = enquiries[k % ROOMS]
            requests.append(PostRequest(e.room.pk, f"bench message number {k} hello there", f"b{k}", visitor=e.visitor))
            k += 1
        t0 = time.thread_time()
        with realtime.sends_collected() as sends:
            results = messages_post(requests)
            items = [(req, None, None, "en", "chan", 0.0) for req in requests]
            created = socket_writer._skip_posters(sends, items, results)  # type: ignore[arg-type]
            answers = [socket_writer._answer(r, created) for r in results]
        spent = time.thread_time() - t0
        assert all(isinstance(a, dict) for a in answers), answers
        return spent

    for _ in range(50):
        one_batch()
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        prof = cProfile.Profile(time.thread_time)
        prof.enable()
        for _ in range(BATCHES):
            one_batch()
        prof.disable()
        stats = pstats.Stats(prof).sort_stats("cumulative")
        stats.print_stats(60)
        for name in filter(None, os.environ.get("BENCH_CALLEES", "").split(",")):
            stats.print_callees(name)
        for name in filter(None, os.environ.get("BENCH_CALLERS", "").split(",")):
            stats.print_callers(name)
        return
    rounds = []
    for _ in range(5):
        spent = [one_batch() for _ in range(BATCHES // 5)]
        rounds.append(statistics.median(spent))
    med = statistics.median(rounds)
    print(
        f"\nwriter CPU: rooms {ROOMS} batch {BATCH}: median per batch {med * 1000:.3f} ms, "
        f"per message {med * 1000 / BATCH:.3f} ms; rounds {[round(r * 1000, 3) for r in rounds]}"
    )
    assert transaction.get_autocommit()
