"""State changes of channels (entry points)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.translation import gettext, ngettext

from channels_adapters.directory import channel_directory_set, directory_staff_clean
from channels_adapters.models import (
    VISITOR_FORM_FIELDS,
    WEBLINK_UTM_KEYS,
    WIDGET_HEIGHT_RANGE,
    WIDGET_WIDTH_RANGE,
    Channel,
    WidgetPosition,
)
from channels_adapters.platforms import (
    CREDENTIAL_KINDS,
    SendError,
    connection_check,
    credentials_clean,
    credentials_merge,
)
from contactcenter.org import clock
from contactcenter.org.errors import DomainError, InvalidInput, NotAuthorized, NotFound
from contactcenter.org.models import Staff, Tag
from contactcenter.org.services import TagUsage, destination_for
from enquiries.models import Enquiry


def _clean_texts(welcome_message: Any, custom_info: Any) -> tuple[str, str]:
    if not isinstance(welcome_message, str) or len(welcome_message) > 2000:
        raise InvalidInput.field("welcome_message", "The welcome message is limited to 2,000 characters.")
    if not isinstance(custom_info, str):
        raise InvalidInput.field("custom_info", "Custom info must be text.")
    limit = settings.CC_CUSTOM_INFO_MAX_CHARS
    if len(custom_info) > limit:
        raise InvalidInput.field(
            "custom_info", f"Custom info is limited to {limit:,} characters; this is {len(custom_info):,}."
        )
    return welcome_message, custom_info


# ------------------------------------------------------------------ widget settings

WIDGET_SETTINGS = (
    "allowed_domains",
    "widget_color",
    "widget_position",
    "widget_greeting",
    "widget_logo_url",
    "widget_company_name",
    "widget_width",
    "widget_height",
    "show_tag_directory",
    "show_staff_directory",
    "directory_staff",
    "form_enabled",
    "form_required_fields",
    "weblink_slug",
    "weblink_utm",
    "note_button",
    "visitor_may_rate_anytime",
)
MAX_ALLOWED_DOMAINS = 50
# A CSP host-source: optional scheme, a host (optionally "*." first), optional port.
_DOMAIN = re.compile(
    r"^(?:(?P<scheme>https?)://)?(?P<host>(?:\*\.)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*"
    r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?::(?P<port>\d{1,5}|\*))?$"
)
_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")


def clean_domain(value: Any) -> str:
    """One allowed embedding domain as a CSP host-source, e.g. ``shop.example.com``,
    ``*.example.com``, ``https://example.com:8443``. A trailing slash or path is refused."""
    text = value.strip().lower() if isinstance(value, str) else ""
    match = _DOMAIN.match(text)
    if not match or len(text) > 255:
        raise InvalidInput.field(
            "allowed_domains",
            f"{str(value)[:80]!r} is not a domain: use a host name such as shop.example.com, *.example.com "
            "or https://example.com:8443 (no path).",
        )
    return text


UTM_VALUE_MAX_CHARS = 100


def clean_weblink_utm(value: Any) -> dict[str, str]:
    """The UTM parameters of a web link: an object of WEBLINK_UTM_KEYS to short printable
    texts (at most UTM_VALUE_MAX_CHARS, no control characters); an empty value drops its
    key. Returned in WEBLINK_UTM_KEYS order, the order of the link's query string."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput.field(
            "weblink_utm", gettext('The UTM parameters are an object such as {"utm_source": "poster"}.')
        )
    unknown = sorted(str(k)[:40] for k in value if k not in WEBLINK_UTM_KEYS)
    if unknown:
        raise InvalidInput.field(
            "weblink_utm",
            gettext("Unknown UTM parameter %(names)s: use %(keys)s.")
            % {"names": ", ".join(unknown), "keys": ", ".join(WEBLINK_UTM_KEYS)},
        )
    clean: dict[str, str] = {}
    for key in WEBLINK_UTM_KEYS:
        item = value.get(key)
        if item is None:
            continue
        text = item.strip() if isinstance(item, str) else None
        if text is None or len(text) > UTM_VALUE_MAX_CHARS or not text.isprintable():
            raise InvalidInput.field(
                f"weblink_utm.{key}",
                gettext("%(key)s is text of at most %(limit)s characters, without line breaks or control characters.")
                % {"key": key, "limit": UTM_VALUE_MAX_CHARS},
            )
        if text:
            clean[key] = text
    return clean


def channel_widget_settings(values: dict[str, Any]) -> dict[str, Any]:
    """Validated widget / web link settings from ``values`` (only the keys present)."""
    clean: dict[str, Any] = {}
    if "allowed_domains" in values:
        domains = values["allowed_domains"] or []
        if not isinstance(domains, list) or len(domains) > MAX_ALLOWED_DOMAINS:
            raise InvalidInput.field("allowed_domains", f"Give a list of at most {MAX_ALLOWED_DOMAINS} domains.")
        clean["allowed_domains"] = list(dict.fromkeys(clean_domain(d) for d in domains))
    if "widget_color" in values:
        colour = values["widget_color"]
        if not isinstance(colour, str) or not _HEX_COLOUR.match(colour):
            raise InvalidInput.field("widget_color", "The colour is a hex colour such as #2563eb.")
        clean["widget_color"] = colour.lower()
    if "widget_position" in values:
        if values["widget_position"] not in WidgetPosition.values:
            raise InvalidInput.field("widget_position", "The position is left or right.")
        clean["widget_position"] = values["widget_position"]
    for name, limit in (("widget_greeting", 200), ("widget_company_name", 120)):
        if name in values:
            text = values[name] if isinstance(values[name], str) else None
            if text is None or len(text.strip()) > limit:
                raise InvalidInput.field(name, f"{name.replace('_', ' ')} is text of at most {limit} characters.")
            clean[name] = text.strip()
    for name, (low, high), message in (
        ("widget_width", WIDGET_WIDTH_RANGE, gettext("The widget's width is %(low)s to %(high)s pixels.")),
        ("widget_height", WIDGET_HEIGHT_RANGE, gettext("The widget's height is %(low)s to %(high)s pixels.")),
    ):
        if name in values:
            size = values[name]
            if isinstance(size, bool) or not isinstance(size, int) or not low <= size <= high:
                raise InvalidInput.field(name, message % {"low": low, "high": high})
            clean[name] = size
    if "widget_logo_url" in values:
        url = values["widget_logo_url"] or ""
        if url:
            try:
                if not isinstance(url, str) or len(url) > 500:
                    raise ValidationError("too long")
                URLValidator(schemes=["https", "http"])(url)
            except ValidationError:
                raise InvalidInput.field("widget_logo_url", "The logo is an http(s) URL.") from None
        clean["widget_logo_url"] = url
    for name in (
        "show_tag_directory",
        "show_staff_directory",
        "form_enabled",
        "note_button",
        "visitor_may_rate_anytime",
    ):
        if name in values:
            if not isinstance(values[name], bool):
                raise InvalidInput.field(name, f"{name} is true or false.")
            clean[name] = values[name]
    if "directory_staff" in values:
        clean["directory_staff"] = directory_staff_clean(values["directory_staff"])
    if "form_required_fields" in values:
        fields = values["form_required_fields"] or []
        if not isinstance(fields, list) or any(f not in VISITOR_FORM_FIELDS for f in fields):
            raise InvalidInput.field(
                "form_required_fields", f"Required fields are a list of: {', '.join(VISITOR_FORM_FIELDS)}."
            )
        clean["form_required_fields"] = [f for f in VISITOR_FORM_FIELDS if f in fields]
    if "weblink_slug" in values:
        slug = values["weblink_slug"] or None
        if slug is not None and (not isinstance(slug, str) or not _SLUG.match(slug)):
            raise InvalidInput.field(
                "weblink_slug", "The link name is 1 to 60 lower-case letters, digits and dashes, e.g. sales-team."
            )
        clean["weblink_slug"] = slug
    if "weblink_utm" in values:
        clean["weblink_utm"] = clean_weblink_utm(values["weblink_utm"])
    return clean


def _slug_free(slug: str | None, channel: Channel | None) -> None:
    others = Channel.objects.filter(weblink_slug=slug)
    if channel is not None:
        others = others.exclude(pk=channel.pk)
    if slug and others.exists():
        raise InvalidInput.field("weblink_slug", f"The link name {slug!r} is already used by another channel.")


class TooManyEnquiries(DomainError):
    status_code = 429
    default_message = "Too many conversations started recently. Please try again later."


def widget_enquiry_allowed(*, visitor_id: int | None) -> None:
    """At most CC_WIDGET_MAX_ENQUIRIES_PER_HOUR new enquiries per visitor per hour (429).
    New visitors have no history; the per-address throttle covers them."""
    if visitor_id is None:
        return
    limit = settings.CC_WIDGET_MAX_ENQUIRIES_PER_HOUR
    since = clock.now() - dt.timedelta(hours=1)
    if Enquiry.objects.filter(visitor_id=visitor_id, created_at__gte=since).count() >= limit:
        raise TooManyEnquiries(
            ngettext(
                "You have started %(limit)s conversation in the last hour, the most we allow. Please try again later.",
                "You have started %(limit)s conversations in the last hour, the most we allow. Please try again later.",
                limit,
            )
            % {"limit": limit},
            code="too_many_enquiries",
        )


def channel_create(
    *,
    actor: Staff,
    kind: str,
    name: str,
    destination_tag: Tag | None = None,
    destination_staff: Staff | None = None,
    welcome_message: Any = "",
    custom_info: Any = "",
    credentials: dict[str, Any] | None = None,
    **widget_settings: Any,
) -> Channel:
    if not actor.is_admin:
        raise NotAuthorized("Only admins can manage channels.")
    if kind not in Channel.Kind.values:
        raise InvalidInput.field("kind", f"kind must be one of {', '.join(Channel.Kind.values)}.")
    name = (name or "").strip() if isinstance(name, str) else ""
    if not name or len(name) > 120:
        raise InvalidInput.field("name", "Name must be 1 to 120 characters.")
    if (destination_tag is None) == (destination_staff is None):
        raise InvalidInput.field("destination_tag", "Give exactly one of destination_tag or destination_staff.")
    welcome, info = _clean_texts(welcome_message, custom_info)
    unknown = set(widget_settings) - set(WIDGET_SETTINGS)
    if unknown:
        raise InvalidInput(f"Unknown channel settings: {', '.join(sorted(unknown))}.")
    look = channel_widget_settings(widget_settings)
    listed = look.pop("directory_staff", [])
    with transaction.atomic():
        _slug_free(look.get("weblink_slug"), None)
        destination = destination_for(tag=destination_tag, staff=destination_staff)
        channel = Channel.objects.create(
            kind=kind,
            name=name,
            destination=destination,
            welcome_message=welcome,
            custom_info=info,
            credentials=credentials_clean(kind, credentials),
            **look,
        )
        if listed:
            channel_directory_set(channel, listed)
        return channel


def channel_update(*, actor: Staff, channel: Channel, changes: dict[str, Any]) -> Channel:
    if not actor.is_admin:
        raise NotAuthorized("Only admins can manage channels.")
    welcome, info = _clean_texts(
        changes.get("welcome_message", channel.welcome_message), changes.get("custom_info", channel.custom_info)
    )
    fields = ["welcome_message", "custom_info"]
    channel.welcome_message, channel.custom_info = welcome, info
    if "name" in changes:
        name = str(changes["name"] or "").strip()
        if not name or len(name) > 120:
            raise InvalidInput.field("name", "Name must be 1 to 120 characters.")
        channel.name = name
        fields.append("name")
    if "is_active" in changes:
        channel.is_active = bool(changes["is_active"])
        fields.append("is_active")
    if "credentials" in changes:
        channel.credentials = credentials_merge(channel.kind, channel.credentials, changes["credentials"])
        fields.append("credentials")
    look = channel_widget_settings(changes)
    listed = look.pop("directory_staff", None)
    for key, value in look.items():
        setattr(channel, key, value)
        fields.append(key)
    with transaction.atomic():
        if "weblink_slug" in look:
            _slug_free(look["weblink_slug"], channel)
        if listed is not None:
            channel_directory_set(channel, listed)
        if "destination_tag" in changes or "destination_staff" in changes:
            channel.destination = destination_for(
                tag=changes.get("destination_tag"), staff=changes.get("destination_staff")
            )
            fields.append("destination")
        channel.save(update_fields=fields)
    return channel


def channel_connection_test(
    *, actor: Staff, kind: str, channel_id: int | None, credentials: dict[str, Any]
) -> tuple[bool, str]:
    """Test ``credentials`` of a ``kind`` channel (over the saved ones of ``channel_id``,
    as an edit would merge them) with one harmless call to the platform. Returns (True,
    what answered) or (False, the platform's error). Changes nothing. Raises InvalidInput
    for incomplete credentials, NotFound for an unknown channel."""
    if not actor.is_admin:
        raise NotAuthorized("Only admins can manage channels.")
    if kind not in CREDENTIAL_KINDS:
        raise InvalidInput.field("kind", f"A {kind} channel has no platform account to test.")
    saved: dict[str, Any] = {}
    if channel_id is not None:
        channel = Channel.objects.filter(pk=channel_id).first()
        if channel is None:
            raise NotFound("Channel not found.")
        if channel.kind != kind:
            raise InvalidInput.field("kind", f"Channel {channel_id} is a {channel.kind} channel, not {kind}.")
        saved = channel.credentials or {}
    clean = credentials_merge(kind, saved, credentials)
    try:
        return True, connection_check(kind, clean, channel_id=channel_id)
    except SendError as exc:
        return False, gettext("%(platform)s answered: %(error)s") % {
            "platform": CREDENTIAL_KINDS[kind].label,
            "error": str(exc),
        }


def tag_channels_usage(*, tag: Tag, usage: TagUsage) -> None:
    """For contactcenter.org.services.tag_usage: channels routing to ``tag`` refuse its
    deletion (their customers would reach nobody) until they get another destination."""
    names = list(Channel.objects.filter(destination__tag=tag).order_by("id").values_list("name", flat=True))
    if names:
        usage.blockers.append(
            ngettext(
                "The channel %(names)s routes to it: give it another destination first.",
                "The channels %(names)s route to it: give them another destination first.",
                len(names),
            )
            % {"names": ", ".join(f"“{n}”" for n in names)}
        )
