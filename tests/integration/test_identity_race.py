"""Issue 14 (widget identity verification) on PostgreSQL: three devices of a new signed-in
user verify at once: one customer, three visitors linked to it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from channels_adapters.identity import widget_visitor_identify
from channels_adapters.models import Channel
from customers.identity import identifier_hash
from customers.models import Customer
from enquiries.models import Visitor
from tests.concurrency import race
from tests.conftest import require_postgres


def test_devices_verifying_at_once_make_one_customer(transactional_db: Any, widget: Channel) -> None:
    require_postgres()
    signed = identifier_hash("user-42", widget.identity_secret)

    def device(n: int) -> Callable[[], tuple[Visitor, bool]]:
        def run() -> tuple[Visitor, bool]:
            return widget_visitor_identify(
                channel=widget,
                visitor=None,
                identifier="user-42",
                identifier_hash=signed,
                fields={"name": f"Ann {n}"},
            )

        return run

    results = race([device(1), device(2), device(3)], what="a device")
    assert all(isinstance(r, tuple) for r in results), results
    assert Customer.objects.filter(identifier="user-42").count() == 1
    customer = Customer.objects.get(identifier="user-42")
    visitors = {r[0].pk for r in results}
    assert len(visitors) == 3
    assert set(Visitor.objects.filter(customer=customer).values_list("pk", flat=True)) == visitors
