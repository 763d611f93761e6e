"""Scale-out, tested (issue 17): HAProxy with deploy/haproxy.cfg in front of two daphne
processes, two Celery workers and one beat, on one PostgreSQL database (the test database)
and Redis (a channel prefix and a Celery queue of this test's own), in production mode.

Visitors (widget API, then their sockets) and agents (token, tickets, sockets) go through
the balancer only. Midway, the daphne that sweeps the timers (it holds the web ticker's
advisory lock) is killed with SIGKILL. Every socket that was on it reconnects through the
balancer to the other process and syncs; nothing posted is lost or stored twice (posts are
sent again until acknowledged), no connection gets a message twice live, and the enquiries
left waiting are missed at their deadline exactly once, with the web ticker, two workers and
beat all sweeping.

Runs under CI=true (.ci/run installs haproxy); elsewhere it skips only without haproxy,
PostgreSQL or Redis. Bounded: every wait has a limit, the whole body 150 s."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from django.db import connection

from contactcenter.org.models import Staff, Tag
from enquiries.models import Enquiry, EnquiryEvent
from rooms.models import Message
from tests.conftest import require_postgres, require_redis
from tests.deploy.stack import (
    MAX_WAIT,
    AsyncRetrying,
    Peer,
    Retrying,
    Stack,
    require_binary,
    run_peers,
    stack_env,
    staff_tokens,
    wait_for,
    widget_channel_key,
    widget_enquiry,
)
from tests.integration.test_real_timers import (  # noqa: F401 - fixtures
    FIRE_WITHIN,
    Processes,
    processes,
)

CONVERSATIONS = 4
POSTS = 12  # per side and conversation
WAITING = 5  # enquiries nobody picks up: missed at their deadline


def timers_holder() -> int | None:
    """The pid of the daphne whose web ticker holds the timers' lock (its connection's
    application_name, contactcenter.org.background.SweepLock)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT application_name FROM pg_stat_activity WHERE datname = current_database()"
            " AND application_name LIKE 'contactcenter timers %%'"
        )
        rows = [r[0] for r in cursor.fetchall()]
    return int(rows[0].rsplit(":", 1)[1]) if len(rows) == 1 else None


def test_two_processes_behind_haproxy_survive_a_crash(
    transactional_db: Any,
    processes: Processes,  # noqa: F811 - fixture
    settings: Any,
    make_staff: Callable[..., Staff],
    support: Tag,
    tmp_path: Path,
) -> None:
    require_postgres()
    require_redis()
    require_binary("haproxy")
    tokens, admin_token = staff_tokens(make_staff, support, 2, max_concurrent=20)

    stack = Stack(processes, tmp_path, stack_env(settings, tmp_path))
    stack.start_daphne(2)
    stack.start_celery(workers=2)
    stack.start_haproxy()
    started = time.monotonic()

    http = httpx.Client(base_url=stack.base, timeout=10, transport=Retrying())
    key = widget_channel_key(http, admin_token, support)

    def open_enquiry(name: str) -> dict[str, Any]:
        return widget_enquiry(http, key, name)

    # Conversations: a visitor opens by the widget API, an agent picks up by REST.
    chats = []
    for n in range(CONVERSATIONS):
        opened = open_enquiry(f"Chat {n}")
        agent_auth = {"Authorization": f"Token {tokens[n % 2]}"}
        picked = http.post(f"/api/v1/enquiries/{opened['id']}/pick-up", headers=agent_auth)
        assert picked.status_code == 200, picked.text
        chats.append(opened)

    async def body() -> None:
        async with httpx.AsyncClient(base_url=stack.base, timeout=10, transport=AsyncRetrying()) as ahttp:

            def ticket_url(token: str) -> Callable[[], Any]:
                async def url() -> str:
                    got = await ahttp.post("/api/v1/auth/socket-ticket", headers={"Authorization": f"Token {token}"})
                    if got.status_code != 200:
                        raise OSError(f"no ticket: {got.status_code}")  # retried by the peer
                    return f"{stack.ws_base}/ws/staff/?ticket={got.json()['ticket']}"

                return url

            def visitor_url(token: str) -> Callable[[], Any]:
                async def url() -> str:
                    return f"{stack.ws_base}/ws/visitor/?visitor_token={token}"

                return url

            agent_peers = [
                Peer(f"agent{a}", ticket_url(tokens[a]), [c["room"] for n, c in enumerate(chats) if n % 2 == a])
                for a in range(2)
            ]
            visitor_peers = [
                Peer(f"visitor{n}", visitor_url(c["visitor_token"]), [c["room"]]) for n, c in enumerate(chats)
            ]
            peers = agent_peers + visitor_peers

            async def scenario() -> None:
                await wait_for(lambda: all(p.connects == 1 for p in peers), timeout=30, what="every socket")
                holder = await asyncio.to_thread(_wait_holder, [p.pid for _, p in stack.web])

                async def post_round(i: int) -> None:
                    for n, chat in enumerate(chats):
                        room = chat["room"]
                        await visitor_peers[n].post(room, f"v{n}-{i}", f"v{n}-{i}")
                        await agent_peers[n % 2].post(room, f"a{n}-{i}", f"a{n}-{i}")

                for i in range(POSTS // 2):
                    await post_round(i)
                await wait_for(
                    lambda: all(not p.pending for p in peers), timeout=30, what="the first half acknowledged"
                )
                # Enquiries nobody picks up: their deadlines fall after the crash.
                waiting = [await asyncio.to_thread(open_enquiry, f"Waiting {n}") for n in range(WAITING)]
                stack.kill_web(holder)  # mid-run, by pid: the process that sweeps the timers
                for i in range(POSTS // 2, POSTS):
                    await post_round(i)  # some go to dead connections: sent again after reconnecting

                await wait_for(lambda: any(p.closes for p in peers), timeout=10, what="a socket of the killed process")
                await wait_for(
                    lambda: all(p.connects == 1 + len(p.closes) for p in peers) and all(not p.pending for p in peers),
                    timeout=45,
                    what="every dropped socket to reconnect and every post to be acknowledged",
                )

                # Everything posted reaches both sides of each room, live or by sync.
                posted = {cid: mid for p in peers for cid, mid in p.acked.items()}
                by_room: dict[int, set[int]] = {c["room"]: set() for c in chats}
                for n, chat in enumerate(chats):
                    by_room[chat["room"]] |= {posted[f"v{n}-{i}"] for i in range(POSTS)}
                    by_room[chat["room"]] |= {posted[f"a{n}-{i}"] for i in range(POSTS)}

                def everyone_has_everything() -> bool:
                    return all(by_room[room] <= p.has(room) for p in peers for room in p.rooms)

                await wait_for(everyone_has_everything, timeout=30, what="every message at every socket")
                for peer in peers:
                    assert len(peer.closes) <= 1, (peer.name, peer.closes)  # dropped once, by the crash
                    assert peer.connects == 1 + len(peer.closes), peer.name
                    assert peer.live_duplicates == [], (peer.name, peer.live_duplicates)
                    assert peer.errors == [], (peer.name, peer.errors)
                    assert all(code in (1006, 1011, 1012, None) for code in peer.closes), (peer.name, peer.closes)

                # The timers: missed at the deadline once, with the sweeper gone midway.
                ids = [w["id"] for w in waiting]
                await asyncio.to_thread(_wait_missed, ids)
                after = await asyncio.to_thread(_wait_holder, [p.pid for _, p in stack.web])
                assert after != holder, "the surviving process took the timers over"

            await run_peers(peers, scenario)

    try:
        asyncio.run(asyncio.wait_for(body(), 150))
    except BaseException:
        print(stack.logs())
        raise
    finally:
        http.close()
        stack.close()
    assert time.monotonic() - started < 150

    # Stored once each: the posts sent twice (after a reconnect) were deduped on client_id.
    rooms = [c["room"] for c in chats]
    texts = list(
        Message.objects.filter(room_id__in=rooms, client_id__regex=r"^[va]\d+-\d+$").values_list("client_id", flat=True)
    )
    assert len(texts) == len(set(texts)) == CONVERSATIONS * POSTS * 2
    # No enquiry of a conversation was missed; each waiting one exactly once, on time.
    chat_ids = [c["id"] for c in chats]
    assert Enquiry.objects.filter(pk__in=chat_ids, status=Enquiry.Status.MISSED).count() == 0
    waiting_ids = list(Enquiry.objects.exclude(pk__in=chat_ids).values_list("pk", flat=True))
    assert len(waiting_ids) == WAITING
    for enquiry in Enquiry.objects.filter(pk__in=waiting_ids):
        assert enquiry.status == Enquiry.Status.MISSED
        assert enquiry.missed_reason == Enquiry.MissedReason.TIMEOUT
        assert enquiry.missed_at is not None
        late = (enquiry.missed_at - enquiry.created_at).total_seconds() - MAX_WAIT
        assert 0 <= late <= FIRE_WITHIN + 2, f"missed {late:.2f}s after its deadline"
    missed = EnquiryEvent.objects.filter(enquiry_id__in=waiting_ids, type=EnquiryEvent.Type.MISSED)
    assert sorted(missed.values_list("enquiry_id", flat=True)) == sorted(waiting_ids)


def _wait_holder(pids: list[int], timeout: float = 20) -> int:
    """The pid (one of ``pids``) whose web ticker holds the timers' lock, once one does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        holder = timers_holder()
        if holder in pids:
            connection.close()  # opened on this worker thread
            return holder
        time.sleep(0.1)
    connection.close()
    raise AssertionError(f"no daphne of {pids} took the timers' lock within {timeout}s")


def _wait_missed(ids: list[int], timeout: float = MAX_WAIT + 20) -> None:
    deadline = time.monotonic() + timeout
    while Enquiry.objects.filter(pk__in=ids, status=Enquiry.Status.MISSED).count() < len(ids):
        if time.monotonic() > deadline:
            raise AssertionError(f"the waiting enquiries were not all missed within {timeout}s")
        time.sleep(0.1)
    connection.close()  # opened on this worker thread
