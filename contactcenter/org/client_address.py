"""The client's address, for rate limits: forwarded headers are believed only when they
come from a proxy the deployment has declared.

- ``CC_TRUSTED_PROXIES`` (IPs or CIDRs, comma-separated): when the peer is one of them, the
  client is the right-most address of ``X-Forwarded-For`` that is not a trusted proxy
  (each proxy appends the address it saw; entries to the left of an untrusted one may
  have been written by the client itself).
- ``CC_PROXY_COUNT`` (N proxies in front, each appending to ``X-Forwarded-For``): the
  client is the N-th address from the right.
- Neither: the peer address (``REMOTE_ADDR``) alone; ``X-Forwarded-For`` is ignored.

A header that is malformed (an entry that is not an IP address) or shorter than the
proxies that should have written it is ignored: the peer address is used. An IPv6 client
is limited by its /64 network, which one subscriber gets whole (``client_rate_key``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_networks(value: str | Iterable[str]) -> tuple[Network, ...]:
    """``CC_TRUSTED_PROXIES`` as networks; raises ValueError naming a bad entry."""
    items = value.split(",") if isinstance(value, str) else list(value)
    networks: list[Network] = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"CC_TRUSTED_PROXIES: {item!r} is not an IP address or network") from None
    return tuple(networks)


@lru_cache(maxsize=8)
def _trusted(value: tuple[str, ...] | str) -> tuple[Network, ...]:
    return parse_networks(value)


def _address(text: str) -> Address | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_trusted(address: Address, trusted: tuple[Network, ...]) -> bool:
    return any(address.version == net.version and address in net for net in trusted)


def resolve_client(peer: str, forwarded_for: str | None) -> str:
    """The client's address from the peer address and an ``X-Forwarded-For`` value, under
    the configured proxies (module docstring). Returns the peer as given when it is not an
    address (a unix socket, a test client)."""
    peer_address = _address(peer or "")
    if peer_address is None:
        return peer or "unknown"
    raw = settings.CC_TRUSTED_PROXIES
    trusted = _trusted(tuple(raw) if isinstance(raw, list | tuple) else raw)
    count = settings.CC_PROXY_COUNT
    if not forwarded_for or not (trusted or count > 0):
        return str(peer_address)
    entries = [_address(part) for part in forwarded_for.split(",")]
    hops = [e for e in entries if e is not None]
    if len(hops) != len(entries):
        return str(peer_address)  # malformed: believe none of it
    if trusted:
        if not _is_trusted(peer_address, trusted):
            return str(peer_address)
        for hop in reversed(hops):
            if not _is_trusted(hop, trusted):
                return str(hop)
        return str(hops[0]) if hops else str(peer_address)
    if len(hops) < count:
        return str(peer_address)
    return str(hops[-count])


def client_ip(request: Any) -> str:
    """The client's address of a Django or DRF request."""
    meta = request.META
    return resolve_client(meta.get("REMOTE_ADDR", ""), meta.get("HTTP_X_FORWARDED_FOR"))


def client_ip_from_scope(scope: dict[str, Any]) -> str:
    """The client's address of an ASGI (websocket or HTTP) scope."""
    client = scope.get("client") or ("", 0)
    forwarded = None
    for name, value in scope.get("headers") or ():
        if name == b"x-forwarded-for":
            # Several header lines are one list, in order.
            text = value.decode("latin-1")
            forwarded = text if forwarded is None else f"{forwarded},{text}"
    return resolve_client(str(client[0] or ""), forwarded)


def client_rate_key(address: str) -> str:
    """What a per-address limit counts: the address, or an IPv6 address's /64 network
    (one subscriber's share, which they can rotate through at will)."""
    parsed = _address(address)
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return address


def client_ident(request: Any) -> str:
    """The key of a per-address rate limit for ``request``."""
    return client_rate_key(client_ip(request))
