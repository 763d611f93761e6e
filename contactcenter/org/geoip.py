"""Where a client address is, offline: the ISO 3166-1 country its block was assigned to by
the Regional Internet Registries, from the table shipped inside the ``iptocc`` package
(refreshed with each of its releases; no network, no file to download).

``CC_GEOIP_ENABLED`` (env ``CC_GEOIP=0``) turns it off. Private, loopback, link-local,
reserved and otherwise non-global addresses have no location, nor has anything that is not
an address (a unix socket, a test client's "unknown").
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from iptocc import country_code


def country_for_address(address: str) -> str:
    """The upper-case ISO 3166-1 alpha-2 code of ``address``'s country, or "" when unknown,
    not a public address, or the lookup is turned off."""
    if not settings.CC_GEOIP_ENABLED:
        return ""
    try:
        parsed = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return ""
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    if not parsed.is_global:
        return ""
    code = country_code(str(parsed))
    return code.upper() if isinstance(code, str) and len(code) == 2 and code.isalpha() else ""
