"""Widget identity verification (``ContactCenter.setVisitor({identifier, identifier_hash})``).

The host site signs its signed-in user's id with the channel's identity secret (HMAC-SHA256,
hex). A matching hash makes the widget's visitor that customer's (``customers.identity``);
each device stays a visitor of its own, and the widget's history (GET
/api/v1/widget/history) lists every verified device's enquiries of the channel
(``enquiries.selectors.visitor_history_scope``). A wrong or missing hash is refused and
changes nothing. Admins read and rotate the secret (``identity_api``); nobody else sees it.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from channels_adapters.models import Channel
from contactcenter.org.errors import InvalidInput, NotAuthorized
from contactcenter.org.models import Staff
from customers.identity import (
    IDENTIFIER_MAX,
    customer_for_identifier,
    identifier_hash_matches,
    identity_secret_new,
)
from enquiries.models import Visitor
from enquiries.selectors import VISITOR_IDENTITY_KEY
from enquiries.services import visitor_create

log = logging.getLogger(__name__)

IDENTITY_KINDS = (Channel.Kind.WIDGET, Channel.Kind.WEBLINK)
# The visitor's own fields the host site may fill in along with a verified identifier.
VISITOR_FIELDS = ("first_name", "last_name", "email", "phone")


def visitor_identifier(visitor: Visitor | None) -> str | None:
    """The identifier a visitor proved (None: anonymous)."""
    if visitor is None:
        return None
    value = (visitor.extra or {}).get(VISITOR_IDENTITY_KEY)
    return value if isinstance(value, str) and value else None


def _identifier_clean(identifier: Any) -> str:
    if not isinstance(identifier, str) or not identifier:
        raise InvalidInput.field("identifier", _("The identifier is required."))
    if len(identifier) > IDENTIFIER_MAX:
        raise InvalidInput.field(
            "identifier", _("The identifier is limited to %(limit)s characters.") % {"limit": IDENTIFIER_MAX}
        )
    if any(ord(c) < 32 or ord(c) == 127 for c in identifier):
        raise InvalidInput.field("identifier", _("The identifier must not contain control characters."))
    return identifier


def identity_verify(*, channel: Channel, identifier: Any, identifier_hash: Any) -> str:
    """The identifier when ``identifier_hash`` is its HMAC with the channel's secret;
    else InvalidInput (missing or malformed) or NotAuthorized (403, a wrong hash)."""
    identifier = _identifier_clean(identifier)
    if not isinstance(identifier_hash, str) or not identifier_hash.strip():
        raise InvalidInput.field("identifier_hash", _("identifier_hash is required with an identifier."))
    if not identifier_hash_matches(identifier, identifier_hash, channel.identity_secret):
        message = _(
            "identifier_hash does not match the identifier: compute it as the hex HMAC-SHA256 of the "
            "identifier with this channel's identity secret."
        )
        raise NotAuthorized(message, code="identity_not_verified", fields={"identifier_hash": [message]})
    return identifier


def widget_visitor_identify(
    *,
    channel: Channel,
    visitor: Visitor | None,
    identifier: Any,
    identifier_hash: Any,
    fields: dict[str, Any],
    device: Any = None,
    language: str = "",
) -> tuple[Visitor, bool]:
    """The visitor of the host site's verified user ``identifier`` on this browser, and
    whether it is a new one (the widget then forgets the conversation it showed).

    ``visitor`` is the browser's current one (its token), or None:
    - verified with the same identifier: kept (its fields updated);
    - anonymous, of this channel: adopted (the user signed in while chatting; what this
      browser said before is theirs: the host vouches for the browser now);
    - verified with another identifier, or of another channel: left untouched, and a new
      visitor starts for this identifier (a token never changes hands);
    - none: a new visitor.
    The hash is checked before anything is read or written. Takes the visitor's row lock.
    """
    if channel.kind not in IDENTITY_KINDS or not channel.is_active:
        raise InvalidInput.field("channel_key", _("Unknown channel."))
    identifier = identity_verify(channel=channel, identifier=identifier, identifier_hash=identifier_hash)
    own = {k: v for k, v in fields.items() if k in VISITOR_FIELDS and isinstance(v, str) and v.strip()}
    name = fields.get("name")
    if isinstance(name, str) and name.strip() and not (own.get("first_name") or own.get("last_name")):
        own["first_name"] = name.strip()[:100]
    with transaction.atomic():
        customer = customer_for_identifier(identifier=identifier, fields=fields)
        current = Visitor.objects.select_for_update().filter(pk=visitor.pk).first() if visitor is not None else None
        proven = visitor_identifier(current)
        keep = current is not None and current.channel_id == channel.pk and proven in (None, identifier)
        if current is not None and keep:
            changed = [k for k, v in own.items() if getattr(current, k) != v]
            for key in changed:
                setattr(current, key, own[key])
            current.extra = {**(current.extra or {}), VISITOR_IDENTITY_KEY: identifier}
            current.customer = customer
            current.save(update_fields=[*changed, "extra", "customer"])
            if proven is None:
                log.info("widget visitor %s verified as customer %s (adopted)", current.pk, customer.pk)
            return current, False
        fresh = visitor_create(channel=channel, fields=own, device=device, language=language, customer=customer)
        fresh.extra = {VISITOR_IDENTITY_KEY: identifier}
        fresh.save(update_fields=["extra"])
        log.info("widget visitor %s verified as customer %s (new device)", fresh.pk, customer.pk)
        return fresh, True


def channel_identity_secret_rotate(*, actor: Staff, channel: Channel) -> Channel:
    """A new identity secret for the channel: every hash made with the old one is refused
    from now on (visitors already verified stay so until their token ends)."""
    if not actor.is_admin:
        raise NotAuthorized(_("Only admins can manage channels."))
    if channel.kind not in IDENTITY_KINDS:
        raise InvalidInput.field("channel", _("Only widget and web link channels verify visitors."))
    channel.identity_secret = identity_secret_new()
    channel.save(update_fields=["identity_secret"])
    log.info("identity secret of channel %s rotated by staff %s", channel.pk, actor.pk)
    return channel
