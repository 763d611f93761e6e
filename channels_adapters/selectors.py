"""Reads of channels."""

from __future__ import annotations

from django.utils.translation import gettext

from channels_adapters.models import Channel


def public_name(channel: Channel, company_name: str) -> str:
    """The name a customer sees (the widget's header, the web link page, an email's sender):
    the channel's own public name ("Name in the header"), else the company's (Settings:
    ``company_name``), else a plain "Customer service". Never the channel's internal name
    ("Website", "Agent link"): that one is for staff."""
    return channel.widget_company_name.strip() or company_name.strip() or gettext("Customer service")
