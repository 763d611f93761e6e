"""Enquiries made outside the web process are announced (issue 12, item 11): an email taken
in by ``manage.py ingest_email`` (another process) reaches the agents' sockets at once, in
both ways of running.

- Embedded default (SQLite, in-memory channel layer): the command writes its events into
  the relay table in the transaction of its change; the web process's ticker sends them
  (``contactcenter.org.realtime.relay_drain``). Written while no server runs, they are sent
  when it starts.
- Production (PostgreSQL + Redis): the channel layer crosses processes by itself.

Real daphne processes, the ``websockets`` client, the command as a subprocess; every wait
is bounded and every subprocess is killed by a finalizer."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from django.db import transaction

from channels_adapters.models import Channel
from contactcenter.org import realtime
from contactcenter.org import services as org_services
from contactcenter.org.events import StaffAvailability, staff_group
from contactcenter.org.models import RelayedEvent, Staff, Tag
from tests.conftest import require_postgres, require_redis
from tests.integration.test_real_timers import (  # noqa: F401 - fixtures
    ADMIN_STAFF,
    AGENT_STAFF,
    Processes,
    Server,
    embedded_env,
    embedded_setup,
    processes,
    production_env,
    suite_redis_url,
    token_headers,
    wait_until,
)
from tests.integration.test_realtime_e2e import Socket
from tests.process_groups import ROOT

ADDRESS = "help@shop.example"
# Replies are not sent in these tests (no welcome message): any SMTP server will do.
CREDENTIALS = {"address": ADDRESS, "smtp_host": "127.0.0.1", "smtp_port": 2525}


def mail(msgid: str, text: str = "Where is my order?", sender: str = "Carol Customer <carol@example.org>") -> bytes:
    m = EmailMessage()
    m["From"] = sender
    m["To"] = ADDRESS
    m["Subject"] = "Order 1234 is late"
    m["Message-ID"] = msgid
    m.set_content(text)
    return m.as_bytes()


def ingest_email(env: dict[str, str], raw: bytes) -> str:
    """``manage.py ingest_email`` in a process of its own, as an MTA pipe runs it."""
    result = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "manage.py", "ingest_email"],
        cwd=ROOT,
        env=env,
        input=raw,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout.decode()


def _relayed(path: str) -> int:
    with contextlib.closing(sqlite3.connect(path, timeout=20)) as db:
        (count,) = db.execute("SELECT COUNT(*) FROM contactcenter_relayedevent").fetchone()
    return int(count)


# ------------------------------------------------------------------- the relay itself


def test_a_command_writes_its_events_in_its_transaction_and_the_server_sends_them(
    transactional_db: Any, settings: Any, make_staff: Callable[..., Staff], support: Tag
) -> None:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    agent = make_staff(tags=[support])
    sent: list[tuple[list[str], dict[str, Any]]] = []
    realtime.sinks.append(lambda groups, payload: sent.append((groups, payload)))
    try:
        settings.CC_REALTIME_RELAY = True  # a manage.py command
        assert realtime.relaying()
        with pytest.raises(RuntimeError), transaction.atomic():
            org_services.staff_set_availability(actor=agent, staff=agent, availability=Staff.Availability.AWAY)
            raise RuntimeError("rolled back")
        assert not RelayedEvent.objects.exists()  # nothing announced for a change undone
        org_services.staff_set_availability(actor=agent, staff=agent, availability=Staff.Availability.AWAY)
        assert RelayedEvent.objects.count() == 1
        assert sent == []  # not sent by the command
        assert realtime.relay_drain() == 0  # a command never drains

        settings.CC_REALTIME_RELAY = False  # the web process
        assert realtime.relay_drain() == 1
        expected = StaffAvailability(staff_id=agent.pk, availability="away").payload()
        assert [payload for _, payload in sent] == [expected]
        assert staff_group(agent.pk) in sent[0][0]
        assert not RelayedEvent.objects.exists()
        assert realtime.relay_drain() == 0
    finally:
        realtime.sinks.clear()


def test_with_redis_nothing_is_relayed(transactional_db: Any, settings: Any) -> None:
    settings.CC_REALTIME_RELAY = True
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer", "CONFIG": {"hosts": ["redis://x"]}}
    }
    assert not realtime.relaying()


# ------------------------------------------------------------------------ embedded


def test_embedded_an_ingested_email_reaches_the_agent_live_and_after_a_restart(
    processes: Processes,  # noqa: F811 - fixture
    embedded_env: dict[str, str],  # noqa: F811 - fixture
) -> None:
    env = embedded_env
    embedded_setup(env, ADMIN_STAFF, AGENT_STAFF)
    command_env = {**env, "CC_REALTIME_RELAY": "1"}  # as manage.py sets it (explicit here)
    server = Server(processes, env)
    server.start()
    ws_base = f"ws://127.0.0.1:{server.port}"
    with httpx.Client(base_url=server.base, timeout=10) as http:
        admin = token_headers(http, "admin@example.com")
        agent = token_headers(http, "agent@example.com")
        tags = http.get("/api/v1/tags", headers=admin).json()["results"]
        support = next(t["id"] for t in tags if t["name"] == "Support")
        made = http.post(
            "/api/v1/channels",
            headers=admin,
            json={
                "kind": "email",
                "name": "Mail",
                "destination_tag": support,
                "credentials": CREDENTIALS,
                "welcome_message": "",
            },
        )
        assert made.status_code == 201, made.text

        def ticket() -> str:
            got = http.post("/api/v1/auth/socket-ticket", headers=agent)
            assert got.status_code == 200, got.text
            return str(got.json()["ticket"])

        async def body() -> None:
            sock = await Socket.open(f"{ws_base}/ws/staff/?ticket={await asyncio.to_thread(ticket)}")
            await asyncio.to_thread(ingest_email, command_env, mail("<first@example.org>"))
            opened = await sock.until("enquiry.opened")
            assert opened["data"]["enquiry"]["first_message"].endswith("Where is my order?")
            assert opened["data"]["enquiry"]["channel_kind"] == "email"
            await sock.close()

        asyncio.run(asyncio.wait_for(body(), 60))
        assert _relayed(env["CC_SQLITE_PATH"]) == 0

    # The server is down while another mail comes in: kept, and sent once it is back.
    server.crash()
    ingest_email(command_env, mail("<second@example.org>", "A second order is late too", "Dan <dan@example.org>"))
    assert _relayed(env["CC_SQLITE_PATH"]) > 0
    server.start()
    wait_until(lambda: _relayed(env["CC_SQLITE_PATH"]) == 0, timeout=10, what="the relayed events to be sent")
    with httpx.Client(base_url=server.base, timeout=10) as http:
        agent = token_headers(http, "agent@example.com")
        inbox = http.get("/api/v1/enquiries", headers=agent).json()["results"]
        assert any("A second order" in e["first_message"] for e in inbox), inbox


# ---------------------------------------------------------------------- production


def test_production_an_ingested_email_reaches_the_agent_through_redis(
    transactional_db: Any,
    processes: Processes,  # noqa: F811 - fixture
    settings: Any,
    make_staff: Callable[..., Staff],
    make_channel: Callable[..., Channel],
    support: Tag,
) -> None:
    require_postgres()
    require_redis()
    agent = make_staff(tags=[support], name="Alice Agent")
    make_channel(tag=support, kind="email", welcome_message="", credentials=CREDENTIALS)
    env = production_env(
        suite_redis_url(settings.REDIS_URL),
        CC_CHANNEL_PREFIX=f"command-events-{os.getpid()}",
        CC_TIMERS="off",  # no Celery here: the command's background work is not what is tested
    )
    server = Server(processes, env)
    server.start()
    ticket = org_services.socket_ticket_issue(staff=_logged_in(agent))

    async def body() -> None:
        sock = await Socket.open(f"ws://127.0.0.1:{server.port}/ws/staff/?ticket={ticket}")
        await asyncio.to_thread(ingest_email, {**env, "CC_REALTIME_RELAY": "1"}, mail("<redis@example.org>"))
        opened = await sock.until("enquiry.opened")
        assert opened["data"]["enquiry"]["channel_kind"] == "email"
        await sock.close()

    asyncio.run(asyncio.wait_for(body(), 60))
    assert not RelayedEvent.objects.exists()


def _logged_in(staff: Staff) -> Staff:
    org_services.staff_login(staff=staff, kind=org_services.SessionKind.TOKEN)
    return staff
