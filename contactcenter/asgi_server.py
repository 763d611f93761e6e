"""Start the web process under the ASGI server that ``CC_ASGI_SERVER`` names (README
"Configuration"): ``daphne`` (the default) or ``uvicorn`` (uvloop, httptools, ``websockets``).

    python -m contactcenter.asgi_server [--host 127.0.0.1] [--port 8000]

scripts/run.sh, the Dockerfile, docker-compose.yml and the deployment tests start the web
process through this, so that the choice is made in one place. The server replaces this
process (``exec``): its pid is the one that counts for /metrics and for signals.

Both servers are given the same behaviour:

- Client address: neither rewrites it from forwarded headers. ``scope["client"]`` is the
  TCP peer and the app alone decides what to believe (``contactcenter.org.client_address``:
  ``X-Forwarded-For`` only from ``CC_TRUSTED_PROXIES`` or through ``CC_PROXY_COUNT``). uvicorn
  would otherwise believe ``X-Forwarded-For`` from any peer in its ``--forwarded-allow-ips``
  (by default 127.0.0.1: every client of a server on loopback without a proxy in front).
- Websocket keepalive: a ping after 20 s without one, the socket closed when the pong has
  not come 30 s later (daphne's defaults); incoming messages of at most 1 MiB; no
  per-message compression (daphne offers none, and a zlib context per socket costs
  hundreds of kB of memory).
- Shutdown (SIGTERM): stop accepting, close the sockets, give the app 10 s to finish
  (daphne's application close timeout); clients reconnect to another process and sync.
- No lifespan protocol (the app starts its ticker on import under both).

daphne is started through ``contactcenter.daphne_lean`` (its own command line, with a lean
queue per connection that the sockets' consumers share as their inbox: less memory per idle
socket) unless ``CC_DAPHNE_LEAN=0``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

SERVERS = ("daphne", "uvicorn")
APPLICATION = "contactcenter.asgi:application"
PING_INTERVAL = 20  # seconds (daphne's --ping-interval default)
PING_TIMEOUT = 30  # seconds (daphne's --ping-timeout default)
MAX_MESSAGE = 1024 * 1024  # bytes (daphne's --websocket-max-message-size default)
CLOSE_TIMEOUT = 10  # seconds (daphne's --application-close-timeout default)


def chosen_server(environ: dict[str, str] | os._Environ[str] = os.environ) -> str:
    """``CC_ASGI_SERVER`` (empty: daphne); raises ValueError naming a bad value."""
    name = (environ.get("CC_ASGI_SERVER") or "daphne").strip().lower()
    if name not in SERVERS:
        raise ValueError(f"CC_ASGI_SERVER: {name!r} is not one of {', '.join(SERVERS)}")
    return name


def daphne_lean(environ: dict[str, str] | os._Environ[str] = os.environ) -> bool:
    """``CC_DAPHNE_LEAN`` (default on): daphne through ``contactcenter.daphne_lean``, whose
    lean per-connection queue is also the sockets' inbox (less memory per idle socket);
    ``0`` runs daphne's own script."""
    return (environ.get("CC_DAPHNE_LEAN") or "1").strip().lower() not in ("0", "false", "no", "off")


def server_argv(server: str, host: str, port: int, bin_dir: Path, *, lean: bool = True) -> list[str]:
    """The command line that serves the app on host:port under ``server`` (daphne: through
    ``contactcenter.daphne_lean`` when ``lean``)."""
    if server == "daphne":
        start = [str(bin_dir / "python"), "-m", "contactcenter.daphne_lean"] if lean else [str(bin_dir / "daphne")]
        return [
            *start,
            "-b",
            host,
            "-p",
            str(port),
            "--ping-interval",
            str(PING_INTERVAL),
            "--ping-timeout",
            str(PING_TIMEOUT),
            "--websocket-max-message-size",
            str(MAX_MESSAGE),
            "--application-close-timeout",
            str(CLOSE_TIMEOUT),
            APPLICATION,
        ]
    return [
        str(bin_dir / "uvicorn"),
        "--host",
        host,
        "--port",
        str(port),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--ws",
        "websockets",
        "--ws-ping-interval",
        str(PING_INTERVAL),
        "--ws-ping-timeout",
        str(PING_TIMEOUT),
        "--ws-max-size",
        str(MAX_MESSAGE),
        "--ws-per-message-deflate",
        "false",
        "--no-proxy-headers",
        "--lifespan",
        "off",
        "--timeout-graceful-shutdown",
        str(CLOSE_TIMEOUT),
        "--no-server-header",
        "--no-access-log",
        APPLICATION,
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    args = parser.parse_args(argv)
    try:
        server = chosen_server()
    except ValueError as exc:
        sys.exit(str(exc))
    command = server_argv(server, args.host, args.port, Path(sys.executable).parent, lean=daphne_lean())
    os.execv(command[0], command)  # noqa: S606 - a fixed command line


if __name__ == "__main__":
    main()
