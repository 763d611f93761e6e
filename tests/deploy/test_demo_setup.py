"""`make run` runs demo_setup: demo accounts with the public demo password only in the
embedded default (or with CC_DEMO=1); in production nothing is created and the command says
how to create the first admin."""

from __future__ import annotations

from io import StringIO
from typing import Any

from django.core.management import call_command

from contactcenter.org import services as org_services
from contactcenter.org.models import Staff
from tests.conftest import PASSWORD


def demo_setup() -> str:
    out = StringIO()
    call_command("demo_setup", stdout=out)
    return out.getvalue()


def test_production_creates_no_demo_accounts_and_says_how_to_make_an_admin(db: Any, settings: Any) -> None:
    settings.CC_DEMO = False
    out = demo_setup()
    assert not Staff.objects.exists()
    assert settings.CC_DEMO_PASSWORD not in out
    assert "python manage.py create_staff --email" in out and "--role admin" in out


def test_production_with_an_admin_says_so(db: Any, settings: Any) -> None:
    settings.CC_DEMO = False
    org_services.staff_create(
        actor=None, email="boss@example.org", password=PASSWORD, display_name="Boss", role=Staff.Role.ADMIN
    )
    out = demo_setup()
    assert list(Staff.objects.values_list("email", flat=True)) == ["boss@example.org"]
    assert "1 admin account(s) exist" in out and "example.com" not in out


def test_embedded_default_or_cc_demo_creates_the_demo_accounts_once(db: Any, settings: Any) -> None:
    settings.CC_DEMO = True
    out = demo_setup()
    demo_setup()
    emails = sorted(Staff.objects.values_list("email", flat=True))
    assert emails == ["admin@example.com", "agent@example.com"]
    assert settings.CC_DEMO_PASSWORD in out
