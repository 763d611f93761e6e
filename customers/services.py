"""Changes of customers: the customer of a new visitor, the profile staff edit, customer
tags, the moment a customer was last seen.

This app sits below visitors and enquiries and knows nothing of them: the apps that create
visitors find the proven customer themselves (``enquiries.services.visitor_create``: the
same platform identity on another channel of the same kind) and hand it here. Merges,
which move visitors, live above them (``history.customers``).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from contactcenter.org.errors import Conflict, InvalidInput, NotAuthorized, NotFound
from contactcenter.org.models import Staff
from contactcenter.org.text import text_check
from customers.models import Customer, CustomerTag

NAME_MAX = 200
PHONE_MAX = 40
NOTES_MAX = 10_000
TAG_NAME_MAX = 60
CUSTOM_FIELDS_MAX = 30
CUSTOM_FIELD_NAME_MAX = 60
CUSTOM_FIELD_VALUE_MAX = 500

_PHONE = re.compile(r"^\+?[0-9][0-9 ()./-]{3,38}$")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


def phone_digits(phone: str) -> str:
    """The digits of a phone number: how two spellings of one number compare."""
    return "".join(ch for ch in phone if ch.isdigit())


def live_customer(customer: Customer | None) -> Customer | None:
    """``customer``, or the customer it was merged into (following the chain); None for an
    erased one (an erased customer is never linked to again)."""
    seen = 0
    while customer is not None and customer.merged_into_id is not None and seen < 20:
        customer = customer.merged_into
        seen += 1
    if customer is None or customer.erased_at is not None:
        return None
    return customer


def customer_for_new_visitor(
    *,
    proven: Customer | None,
    name: str = "",
    email: str = "",
    phone: str = "",
    custom_fields: list[dict[str, str]] | None = None,
    seen_at: dt.datetime | None = None,
) -> Customer:
    """The customer of a visitor being created: ``proven`` (the customer the caller found by
    a proven identity: the same platform user on another channel of the same kind, an email
    enquiry's address) with its empty fields filled from the visitor's, else a new customer
    with the visitor's name, email and phone. Unproven likenesses (the same email typed in a
    widget form) never link here: staff see them as possible duplicates. The caller holds
    the transaction that creates the visitor. ``seen_at``: when the visitor's first enquiry
    opens, if the caller knows it: a new customer is written seen then (``customer_seen``
    in the same INSERT instead of an UPDATE after it)."""
    customer = live_customer(proven)
    if customer is None:
        return Customer.objects.create(
            name=name[:NAME_MAX],
            email=email,
            phone=phone[:PHONE_MAX],
            custom_fields=list(custom_fields or []),
            last_seen_at=seen_at,
        )
    changed = []
    for field, value in (("name", name[:NAME_MAX]), ("email", email), ("phone", phone[:PHONE_MAX])):
        if value and not getattr(customer, field):
            setattr(customer, field, value)
            changed.append(field)
    if changed:
        customer.save(update_fields=[*changed, "updated_at"])
    return customer


def customer_seen(*, customer_id: int | None, when: dt.datetime, known: dt.datetime | None = None) -> None:
    """One of the customer's enquiries opened at ``when``: the list's order (most recently
    seen first). A single conditional UPDATE: never moves the moment back. ``known``: the
    customer's ``last_seen_at`` as this transaction wrote or read it; since it only moves
    forward, when it is already ``when`` or later the UPDATE would change nothing and is
    not sent (a new widget visitor's customer, written seen: ``customer_for_new_visitor``)."""
    if customer_id is None or (known is not None and known >= when):
        return
    Customer.objects.filter(Q(last_seen_at__lt=when) | Q(last_seen_at__isnull=True), pk=customer_id).update(
        last_seen_at=when
    )


# ------------------------------------------------------------------ the profile


def _clean_text(name: str, value: Any, limit: int) -> str:
    if not isinstance(value, str):
        raise InvalidInput.field(name, _("This must be text."))
    value = text_check(value.strip(), field=name)
    if len(value) > limit:
        raise InvalidInput.field(name, _("At most %(limit)d characters.") % {"limit": limit})
    return value


def clean_custom_fields(value: Any) -> list[dict[str, str]]:
    """Staff's name/value pairs about a customer: at most CUSTOM_FIELDS_MAX, each name 1 to
    CUSTOM_FIELD_NAME_MAX characters and unique (ignoring case), each value at most
    CUSTOM_FIELD_VALUE_MAX characters."""
    if not isinstance(value, list):
        raise InvalidInput.field("custom_fields", _("Custom fields are a list of {name, value}."))
    if len(value) > CUSTOM_FIELDS_MAX:
        raise InvalidInput.field(
            "custom_fields", _("A customer has at most %(n)d custom fields.") % {"n": CUSTOM_FIELDS_MAX}
        )
    clean: list[dict[str, str]] = []
    seen: set[str] = set()
    for item in value:
        if not isinstance(item, dict) or set(item) - {"name", "value"}:
            raise InvalidInput.field("custom_fields", _("Each custom field is {name, value}."))
        name = _clean_text("custom_fields", item.get("name"), CUSTOM_FIELD_NAME_MAX)
        text = _clean_text("custom_fields", item.get("value", ""), CUSTOM_FIELD_VALUE_MAX)
        if not name:
            raise InvalidInput.field("custom_fields", _("A custom field needs a name."))
        if name.casefold() in seen:
            raise InvalidInput.field("custom_fields", _("The custom field %(name)s is given twice.") % {"name": name})
        seen.add(name.casefold())
        clean.append({"name": name, "value": text})
    return clean


def _clean_profile(changes: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    if "name" in changes:
        clean["name"] = _clean_text("name", changes["name"], NAME_MAX)
    if "email" in changes:
        email = _clean_text("email", changes["email"], 254).lower()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                raise InvalidInput.field("email", _("Enter a valid email address.")) from None
        clean["email"] = email
    if "phone" in changes:
        phone = _clean_text("phone", changes["phone"], PHONE_MAX)
        if phone and not _PHONE.match(phone):
            raise InvalidInput.field("phone", _("Enter a phone number: digits, spaces, +, -, (, ), . or /."))
        clean["phone"] = phone
    if "notes" in changes:
        clean["notes"] = _clean_text("notes", changes["notes"], NOTES_MAX)
    if "custom_fields" in changes:
        clean["custom_fields"] = clean_custom_fields(changes["custom_fields"])
    return clean


def customer_update(*, actor: Staff, customer_id: int, changes: dict[str, Any]) -> Customer:
    """Staff edit a customer's profile: ``name``, ``email``, ``phone``, ``notes``,
    ``custom_fields`` (the whole list) and ``tags`` (the whole list of tag ids). Everything
    is checked before anything is written. The caller has checked that ``actor`` may see
    the customer (``history.customers.access_customer``). Locks the customer row."""
    clean = _clean_profile(changes)
    tags: list[CustomerTag] | None = None
    if "tags" in changes:
        ids = changes["tags"]
        if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise InvalidInput.field("tags", _("Tags are a list of customer tag ids."))
        found = {t.pk: t for t in CustomerTag.objects.filter(pk__in=ids)}
        missing = [i for i in ids if i not in found]
        if missing:
            raise InvalidInput.field(
                "tags", _("Unknown customer tag: %(ids)s.") % {"ids": ", ".join(str(i) for i in missing)}
            )
        tags = [found[i] for i in dict.fromkeys(ids)]
    with transaction.atomic():
        customer = Customer.objects.select_for_update().filter(pk=customer_id).first()
        if customer is None or customer.erased_at is not None:
            raise NotFound(_("No such customer."))
        if customer.merged_into_id is not None:
            raise Conflict(_("This customer was merged into another one; edit that one."), code="merged")
        for key, value in clean.items():
            setattr(customer, key, value)
        customer.save(update_fields=[*clean, "updated_at"])
        if tags is not None:
            customer.tags.set(tags)
    return customer


# ------------------------------------------------------------------ customer tags


def _require_admin(actor: Staff) -> None:
    if not actor.is_admin:
        raise NotAuthorized(_("Only admins can do this."))


def _clean_tag(name: Any, color: Any) -> dict[str, str]:
    clean: dict[str, str] = {}
    if name is not None:
        clean["name"] = _clean_text("name", name, TAG_NAME_MAX)
        if not clean["name"]:
            raise InvalidInput.field("name", _("A tag needs a name."))
    if color is not None:
        if not isinstance(color, str) or (color and not _COLOR.match(color)):
            raise InvalidInput.field("color", _("A colour is written #rrggbb."))
        clean["color"] = color.lower()
    return clean


def _name_taken(name: str, exclude: int | None = None) -> bool:
    tags = CustomerTag.objects.filter(name__iexact=name)
    if exclude is not None:
        tags = tags.exclude(pk=exclude)
    return tags.exists()


def customer_tag_create(*, actor: Staff, name: str, color: str = "") -> CustomerTag:
    """Admins define customer tags; names are unique ignoring case."""
    _require_admin(actor)
    clean = _clean_tag(name, color)
    if _name_taken(clean["name"]):
        raise InvalidInput.field("name", _("A customer tag with this name exists."))
    try:
        with transaction.atomic():
            return CustomerTag.objects.create(**clean)
    except IntegrityError:  # The same name created at the same moment.
        raise InvalidInput.field("name", _("A customer tag with this name exists.")) from None


def customer_tag_update(*, actor: Staff, tag_id: int, name: str | None = None, color: str | None = None) -> CustomerTag:
    """Admins rename or recolour a customer tag."""
    _require_admin(actor)
    clean = _clean_tag(name, color)
    tag = CustomerTag.objects.filter(pk=tag_id).first()
    if tag is None:
        raise NotFound(_("No such customer tag."))
    if "name" in clean and _name_taken(clean["name"], exclude=tag.pk):
        raise InvalidInput.field("name", _("A customer tag with this name exists."))
    for key, value in clean.items():
        setattr(tag, key, value)
    try:
        with transaction.atomic():
            tag.save(update_fields=list(clean))
    except IntegrityError:
        raise InvalidInput.field("name", _("A customer tag with this name exists.")) from None
    return tag


def customer_tag_delete(*, actor: Staff, tag_id: int) -> None:
    """Admins delete a customer tag: it goes from every customer."""
    _require_admin(actor)
    deleted, _rows = CustomerTag.objects.filter(pk=tag_id).delete()
    if not deleted:
        raise NotFound(_("No such customer tag."))
