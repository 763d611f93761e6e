"""State changes of channels (entry points)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction

from channels_adapters.models import Channel
from contactcenter.errors import InvalidInput, NotAuthorized
from contactcenter.models import Staff, Tag
from contactcenter.services import destination_for


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
    with transaction.atomic():
        destination = destination_for(tag=destination_tag, staff=destination_staff)
        return Channel.objects.create(
            kind=kind,
            name=name,
            destination=destination,
            welcome_message=welcome,
            custom_info=info,
            credentials=credentials or {},
        )


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
    with transaction.atomic():
        if "destination_tag" in changes or "destination_staff" in changes:
            channel.destination = destination_for(
                tag=changes.get("destination_tag"), staff=changes.get("destination_staff")
            )
            fields.append("destination")
        channel.save(update_fields=fields)
    return channel
