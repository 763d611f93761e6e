"""Issue 13 (cta) on PostgreSQL: a visitor replacing its conversation from two tabs at
once, while an agent picks the old one up, never ends with two open enquiries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from channels_adapters.models import Channel
from contactcenter.org.errors import Conflict
from contactcenter.org.models import Staff, Tag
from enquiries import services
from enquiries.models import Enquiry, Visitor
from tests.concurrency import race
from tests.conftest import require_postgres


def test_two_tabs_replace_at_once(
    transactional_db: Any,
    make_staff: Callable[..., Staff],
    support: Tag,
    widget: Channel,
    make_visitor: Callable[..., Visitor],
) -> None:
    require_postgres()
    agent = make_staff(tags=[support], name="Alice Agent")
    visitor = make_visitor(widget)
    old = services.enquiry_open(channel=widget, visitor=visitor, message="first")

    def replace(n: int) -> Callable[[], Enquiry]:
        def run() -> Enquiry:
            return services.widget_enquiry_open(
                channel=widget, visitor=visitor, fields={}, device={}, utm={}, message=f"tab {n}", replaces=old.pk
            )

        return run

    def pick_up() -> Enquiry:
        return services.enquiry_pick_up(actor=agent, enquiry_id=old.pk)

    results = race([replace(1), replace(2), pick_up], what="a replace")
    opened = [r for r in results[:2] if isinstance(r, Enquiry)]
    refused = [r for r in results[:2] if isinstance(r, Conflict)]
    assert len(opened) == 1 and len(refused) == 1, results
    old.refresh_from_db()
    assert old.status == "closed"
    assert list(Enquiry.objects.filter(visitor=visitor, status__in=["open", "handling"])) == [opened[0]]
