"""Identity verification of widget visitors (``ContactCenter.setVisitor``): the host site
proves that a visitor is its signed-in user ``identifier`` with
``identifier_hash = hex(HMAC-SHA256(key=channel secret, msg=identifier))``; a proven
identifier is one customer on every device.

This module knows only customers and hashes (the customers layer knows nothing of visitors,
enquiries or channels): ``channels_adapters.identity`` checks a channel's hash with
``identifier_hash_matches`` and links the visitor to ``customer_for_identifier``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from customers.models import Customer

# The longest identifier accepted (Customer.identifier's column).
IDENTIFIER_MAX = 255
# Customer fields the host site may set with a verified identifier (it vouches for them).
IDENTITY_FIELDS = {"name": 200, "email": 254, "phone": 40}


def identity_secret_new() -> str:
    """A new channel identity secret: 32 random bytes as 64 hex characters."""
    return secrets.token_hex(32)


def identifier_hash(identifier: str, secret: str) -> str:
    """What the host site computes: hex HMAC-SHA256 of the identifier (UTF-8) with the secret."""
    return hmac.new(secret.encode(), identifier.encode(), hashlib.sha256).hexdigest()


def identifier_hash_matches(identifier: str, given: str, secret: str) -> bool:
    """Whether ``given`` is the identifier's hash with ``secret``, compared in constant time
    (upper-case hex is accepted). An empty secret never matches."""
    if not secret or not isinstance(given, str) or not isinstance(identifier, str):
        return False
    return hmac.compare_digest(identifier_hash(identifier, secret).encode(), given.strip().lower().encode())


def customer_for_identifier(*, identifier: str, fields: dict[str, Any] | None = None) -> Customer:
    """The customer of a verified ``identifier``: the existing one (followed through a merge
    to the customer it went into), else a new one. ``fields`` (name, email, phone; others
    ignored) are the host site's and overwrite the customer's when given (not empty).
    Safe under concurrency: two devices of a new user at once make one customer
    (``identifier`` is unique; the loser of the insert reads the winner's row)."""
    changes = {
        k: str(v).strip()[:n]
        for k, n in IDENTITY_FIELDS.items()
        if isinstance(v := (fields or {}).get(k), str) and v.strip()
    }
    customer = Customer.objects.filter(identifier=identifier).first()
    if customer is None:
        try:
            with transaction.atomic():
                customer = Customer.objects.create(identifier=identifier, last_seen_at=timezone.now(), **changes)
            return customer
        except IntegrityError:
            customer = Customer.objects.get(identifier=identifier)
    seen = 0
    while customer.merged_into_id is not None and seen < 10:  # merged away: the one it went into
        customer = Customer.objects.get(pk=customer.merged_into_id)
        seen += 1
    stale = [k for k, v in changes.items() if getattr(customer, k) != v]
    for key in stale:
        setattr(customer, key, changes[key])
    if stale:
        customer.save(update_fields=[*stale, "updated_at"])
    return customer
