"""The web process under either ASGI server (``CC_ASGI_SERVER``, contactcenter/asgi_server.py):
the launcher's choice and command lines, a real uvicorn serving a visitor -> agent message
and a browser's staff socket (session cookie, Origin checked), forwarded headers believed
only from declared proxies under both servers, and a graceful stop on SIGTERM.

Servers are started as the deployment starts them (``python -m contactcenter.asgi_server``),
each on its own port, and killed by finalizers (the ``processes`` fixture)."""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from contactcenter import asgi_server
from tests.conftest import PASSWORD
from tests.deploy.stack import picked_up_widget_enquiry
from tests.integration.test_real_timers import (  # noqa: F401 - fixtures
    ADMIN_STAFF,
    AGENT_STAFF,
    BIN,
    Processes,
    embedded_env,
    embedded_server_env,
    embedded_setup,
    free_port,
    processes,
    support_widget,
    token_headers,
)
from tests.integration.test_realtime_e2e import Socket, post

# ---------------------------------------------------------------------------- launcher


def test_the_server_is_daphne_unless_uvicorn_is_asked_for() -> None:
    assert asgi_server.chosen_server({}) == "daphne"
    assert asgi_server.chosen_server({"CC_ASGI_SERVER": ""}) == "daphne"
    assert asgi_server.chosen_server({"CC_ASGI_SERVER": " Uvicorn "}) == "uvicorn"
    with pytest.raises(ValueError, match="CC_ASGI_SERVER: 'hypercorn' is not one of daphne, uvicorn"):
        asgi_server.chosen_server({"CC_ASGI_SERVER": "hypercorn"})


def test_daphne_is_started_lean_unless_turned_off() -> None:
    assert asgi_server.daphne_lean({}) is True
    assert asgi_server.daphne_lean({"CC_DAPHNE_LEAN": "1"}) is True
    for off in ("0", "false", "off", " NO "):
        assert asgi_server.daphne_lean({"CC_DAPHNE_LEAN": off}) is False


def test_a_bad_server_name_stops_the_start_in_one_line(tmp_path: Path) -> None:
    result = subprocess.run(  # noqa: S603 - fixed argv
        [str(BIN / "python"), "-m", "contactcenter.asgi_server", "--port", "0"],
        env={"CC_ASGI_SERVER": "gunicorn", "PATH": "/usr/bin:/bin"},
        cwd=Path(asgi_server.__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert result.stderr.strip() == "CC_ASGI_SERVER: 'gunicorn' is not one of daphne, uvicorn"


def test_both_servers_get_the_same_socket_settings() -> None:
    def option(argv: list[str], name: str) -> str:
        return argv[argv.index(name) + 1]

    daphne = asgi_server.server_argv("daphne", "0.0.0.0", 8000, Path("/b"))  # noqa: S104 - not bound here
    uvicorn = asgi_server.server_argv("uvicorn", "0.0.0.0", 8000, Path("/b"))  # noqa: S104 - not bound here
    assert daphne[:3] == ["/b/python", "-m", "contactcenter.daphne_lean"] and uvicorn[0] == "/b/uvicorn"
    plain = asgi_server.server_argv("daphne", "0.0.0.0", 8000, Path("/b"), lean=False)  # noqa: S104 - not bound here
    assert plain[0] == "/b/daphne" and plain[1:] == daphne[3:]
    assert daphne[-1] == uvicorn[-1] == "contactcenter.asgi:application"
    assert option(daphne, "--ping-interval") == option(uvicorn, "--ws-ping-interval") == "20"
    assert option(daphne, "--ping-timeout") == option(uvicorn, "--ws-ping-timeout") == "30"
    assert option(daphne, "--websocket-max-message-size") == option(uvicorn, "--ws-max-size") == str(1024 * 1024)
    assert option(daphne, "--application-close-timeout") == option(uvicorn, "--timeout-graceful-shutdown") == "10"
    # uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1 (its default): the app
    # alone decides, from CC_TRUSTED_PROXIES / CC_PROXY_COUNT.
    assert "--no-proxy-headers" in uvicorn and "--proxy-headers" not in uvicorn
    assert "--forwarded-allow-ips" not in uvicorn
    assert option(uvicorn, "--ws-per-message-deflate") == "false"
    assert (option(uvicorn, "--loop"), option(uvicorn, "--http"), option(uvicorn, "--ws")) == (
        "uvloop",
        "httptools",
        "websockets",
    )
    assert option(uvicorn, "--lifespan") == "off"
    assert "--proxy-headers" not in daphne


# ---------------------------------------------------------------------------- real servers


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An embedded database migrated once for this module, with an admin and an agent;
    each test serves a copy of it (a migration per test would triple the module's time)."""
    tmp = tmp_path_factory.mktemp("asgi-template")
    env = embedded_server_env(tmp)
    embedded_setup(env, ADMIN_STAFF, AGENT_STAFF)
    return Path(env["CC_SQLITE_PATH"])


@pytest.fixture
def served_env(migrated: Path, embedded_env: dict[str, str]) -> dict[str, str]:  # noqa: F811 - fixture
    """``embedded_env`` on a copy of the migrated database (and of its key)."""
    target = Path(embedded_env["CC_SQLITE_PATH"])
    shutil.copyfile(migrated, target)
    key = migrated.with_suffix(".secret-key")  # none when CC_SECRET_KEY is set
    if key.exists():
        shutil.copyfile(key, target.with_suffix(".secret-key"))
    return embedded_env


class WebProcess:
    """One web process started through the launcher, as scripts/run.sh and the image do."""

    def __init__(self, procs: Processes, env: dict[str, str], server: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        args = [str(BIN / "python"), "-m", "contactcenter.asgi_server", "--host", "127.0.0.1", "--port", str(self.port)]
        self.proc = procs.start(server, args, dict(env, CC_ASGI_SERVER=server))
        procs.wait_ready(
            self.proc,
            lambda: httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200,
            what=f"{server} to serve",
            timeout=60,
            interval=0.1,
            not_yet=(httpx.TransportError,),
        )


@pytest.mark.parametrize("server", ["daphne", "uvicorn"])
def test_each_server_serves_a_visitor_to_agent_message_and_a_staff_browser_socket(
    processes: Processes,  # noqa: F811 - fixture
    served_env: dict[str, str],
    server: str,
) -> None:
    web = WebProcess(processes, served_env, server)
    ws_base = f"ws://127.0.0.1:{web.port}"
    # The launcher execs the server: the process started is the server itself (its pid is
    # the one /metrics files and signals refer to); daphne through contactcenter.daphne_lean.
    cmdline = Path(f"/proc/{web.proc.pid}/cmdline").read_bytes().decode(errors="replace")
    assert ("contactcenter.daphne_lean" if server == "daphne" else "uvicorn") in cmdline

    with httpx.Client(base_url=web.base, timeout=10) as http:
        agent_auth = token_headers(http, "agent@example.com")
        channel = support_widget(http, token_headers(http, "admin@example.com"), name="Site")
        _enquiry, room, visitor_token = picked_up_widget_enquiry(http, channel["key"], agent_auth)
        # A browser's session, as the login page makes it; its cookie goes on the socket.
        login = http.post("/api/v1/auth/session", json={"email": "agent@example.com", "password": PASSWORD})
        assert login.status_code == 200, login.text
        cookie = "; ".join(f"{name}={value}" for name, value in http.cookies.items())
        assert "sessionid=" in cookie

    async def body() -> None:
        staff_url = f"{ws_base}/ws/staff/"
        # A cross-site page cannot use the agent's cookie: refused before the handshake completes.
        with pytest.raises(Exception, match="403"):
            async with connect(staff_url, origin="http://evil.example", additional_headers={"Cookie": cookie}):  # type: ignore[arg-type]
                pass
        agent = Socket(await connect(staff_url, origin=web.base, additional_headers={"Cookie": cookie}))  # type: ignore[arg-type]
        assert (await agent.next())["type"] == "hello"
        visitor = await Socket.open(f"{ws_base}/ws/visitor/?visitor_token={visitor_token}")

        mine = await post(visitor, room, "Where is my parcel?", "v-1")
        assert (await agent.message(mine["id"]))["text"] == "Where is my parcel?"
        reply = await post(agent, room, "Let me check.", "a-1")
        assert (await visitor.message(reply["id"]))["text"] == "Let me check."
        # The same client_id again: the same message, not a second one.
        assert (await post(visitor, room, "Where is my parcel?", "v-1"))["id"] == mine["id"]
        assert await agent.silent("message.created", 0.3) == []
        await agent.close()
        await visitor.close()

    asyncio.run(asyncio.wait_for(body(), 60))


@pytest.mark.parametrize(
    ("server", "trusted"),
    [("daphne", False), ("uvicorn", False), ("uvicorn", True)],
    ids=["daphne-no-proxy-declared", "uvicorn-no-proxy-declared", "uvicorn-proxy-declared"],
)
def test_forwarded_for_is_believed_only_from_declared_proxies(
    processes: Processes,  # noqa: F811 - fixture
    served_env: dict[str, str],
    server: str,
    trusted: bool,
) -> None:
    """Logins are limited per client address (CC_LOGIN_RATE). A client that names another
    address in each X-Forwarded-For is still one client unless its peer is a declared proxy."""
    env = dict(served_env, CC_LOGIN_RATE="2/min", CC_TRUSTED_PROXIES="127.0.0.1" if trusted else "")
    web = WebProcess(processes, env, server)
    statuses = []
    with httpx.Client(base_url=web.base, timeout=10) as http:
        for i in range(4):
            response = http.post(
                "/api/v1/auth/token",
                json={"email": f"nobody{i}@example.com", "password": "wrong"},
                headers={"X-Forwarded-For": f"203.0.113.{i + 1}"},
            )
            statuses.append(response.status_code)
    if trusted:
        assert 429 not in statuses, statuses
    else:
        assert statuses[2:] == [429, 429], statuses


@pytest.mark.parametrize("server", ["daphne", "uvicorn"])
def test_sigterm_closes_the_sockets_and_stops_the_process(
    processes: Processes,  # noqa: F811 - fixture
    served_env: dict[str, str],
    server: str,
) -> None:
    web = WebProcess(processes, served_env, server)
    with httpx.Client(base_url=web.base, timeout=10) as http:
        channel = support_widget(http, token_headers(http, "admin@example.com"), name="Site")
        opened = http.post(
            "/api/v1/widget/enquiries",
            json={"channel_key": channel["key"], "message": "Hello?", "visitor": {"first_name": "Vera"}},
        )
        assert opened.status_code == 201, opened.text
    token = opened.json()["visitor_token"]

    async def body() -> Any:
        visitor = await Socket.open(f"ws://127.0.0.1:{web.port}/ws/visitor/?visitor_token={token}")
        web.proc.send_signal(signal.SIGTERM)
        with pytest.raises(ConnectionClosed):
            while True:
                await visitor.next(timeout=15)

    asyncio.run(asyncio.wait_for(body(), 30))
    # Stopped within the app's close timeout (10 s), with the exit status of a clean stop.
    assert web.proc.wait(timeout=15) in (0, -signal.SIGTERM, 1), processes.log(web.proc)
