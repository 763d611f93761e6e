from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from channels_adapters import services as channel_services
from channels_adapters.models import Channel
from contactcenter.org import services
from contactcenter.org.models import Staff, Tag

FIRST_ADMIN = (
    "Production mode: no demo accounts are created (CC_DEMO=1 would).\n"
    "Create the first admin with:\n"
    "  python manage.py create_staff --email you@example.org --password '<a strong password>' --role admin\n"
)


class Command(BaseCommand):
    help = (
        "Embedded default (or CC_DEMO=1): create (once) a demo admin, a demo agent, a Support tag and a "
        "widget channel, and print credentials. Otherwise create nothing and say how to create the first admin."
    )

    def handle(self, *args: Any, **opts: Any) -> None:
        if not settings.CC_DEMO:
            admins = Staff.objects.filter(role=Staff.Role.ADMIN, is_active=True).count()
            if admins:
                self.stdout.write(f"Production mode: no demo accounts are created; {admins} admin account(s) exist.")
            else:
                self.stdout.write(FIRST_ADMIN)
            return
        self._demo()

    def _demo(self) -> None:
        password = settings.CC_DEMO_PASSWORD
        tag, _ = Tag.objects.get_or_create(name="Support")
        admin = Staff.objects.filter(email="admin@example.com").first() or services.staff_create(
            actor=None,
            email="admin@example.com",
            password=password,
            display_name="Demo Admin",
            role=Staff.Role.ADMIN,
            tags=[tag],
            availability=Staff.Availability.ACTIVE,
        )
        if not Staff.objects.filter(email="agent@example.com").exists():
            services.staff_create(
                actor=None,
                email="agent@example.com",
                password=password,
                display_name="Demo Agent",
                role=Staff.Role.AGENT,
                tags=[tag],
                availability=Staff.Availability.ACTIVE,
            )
        if not services.org_settings_get().company_name.strip():
            # What visitors see as the business (the widget's header, the web link page).
            services.org_settings_update(actor=admin, changes={"company_name": "Demo Shop"})
        channel = Channel.objects.filter(kind=Channel.Kind.WIDGET).first() or channel_services.channel_create(
            actor=admin,
            kind=Channel.Kind.WIDGET,
            name="Website",
            destination_tag=tag,
            welcome_message="Hello! An agent will be with you shortly.",
        )
        self.stdout.write(
            f"\nDemo accounts (password for both: {password})\n  admin: admin@example.com\n"
            f"  agent: agent@example.com\nWidget channel key: {channel.key}\n"
        )
