"""Which visitors are the same customer without anyone saying so: the same platform user
on two channels of the same kind (through the real webhooks), an email address on two
email channels (through the real mail intake, ignoring case); never a likeness typed into a
widget form (a suggestion instead). And the migration that gives every older visitor one."""

from __future__ import annotations

import importlib
from email.message import EmailMessage
from typing import Any

import pytest
from django.apps import apps

from customers.models import Customer
from enquiries import services as enquiry_services
from enquiries.models import Enquiry, Visitor
from tests.channels import conftest as channels_conftest
from tests.channels.conftest import fixture_body, post_webhook, process_pending
from tests.channels.test_email import ingest

pytestmark = pytest.mark.django_db

# The channels tests' fixtures: a local platform server (autouse) and SMTP server, channels.
platform_api = channels_conftest.platform_api
_platform_isolation = channels_conftest._platform_isolation
smtp_server = channels_conftest.smtp_server
platform_channel = channels_conftest.platform_channel


@pytest.mark.parametrize("kind", ["messenger", "whatsapp", "line", "wechat"])
def test_the_same_platform_user_on_two_channels_of_a_kind_is_one_customer(kind: str, platform_channel: Any) -> None:
    first, second = platform_channel(kind), platform_channel(kind)
    for channel in (first, second):
        assert post_webhook(channel, fixture_body(kind)).status_code == 200
        process_pending()
    by_identity: dict[str, set[tuple[int | None, int | None]]] = {}
    for visitor in Visitor.objects.filter(channel__in=[first, second]):
        by_identity.setdefault(visitor.channel_identity, set()).add((visitor.channel_id, visitor.customer_id))
    assert by_identity
    customers = set()
    for pairs in by_identity.values():
        assert {channel for channel, _c in pairs} == {first.pk, second.pk}
        (customer_id,) = {c for _ch, c in pairs}  # one customer on both channels
        assert customer_id is not None
        customers.add(customer_id)
    assert len(customers) == len(by_identity)  # and different users are different customers
    for customer in Customer.objects.filter(pk__in=customers, visitors__enquiries__isnull=False).distinct():
        newest = Enquiry.objects.filter(visitor__customer=customer).latest("created_at")
        assert customer.last_seen_at == newest.created_at


def test_a_platform_user_is_not_the_same_as_one_of_another_kind(make_channel: Any, support: Any) -> None:
    whatsapp = make_channel(tag=support, kind="whatsapp", credentials=channels_conftest.CREDENTIALS["whatsapp"])
    line = make_channel(tag=support, kind="line", credentials=channels_conftest.CREDENTIALS["line"])
    a = enquiry_services.visitor_create(channel=whatsapp, fields={}, channel_identity="15551234567")
    b = enquiry_services.visitor_create(channel=line, fields={}, channel_identity="15551234567")
    assert a.customer_id != b.customer_id


def _mail(to: str, sender: str, msgid: str) -> bytes:
    m = EmailMessage()
    m["From"] = f"Carol Customer <{sender}>"
    m["To"] = to
    m["Subject"] = "Order 1234"
    m["Message-ID"] = msgid
    m.set_content("Where is my order?")
    return m.as_bytes()


def test_an_email_address_on_two_email_channels_is_one_customer_a_typed_one_is_only_suggested(
    make_channel: Any, support: Any, smtp_server: Any, widget: Any, make_visitor: Any
) -> None:
    channels = [
        make_channel(
            tag=support,
            kind="email",
            welcome_message="",
            credentials={"address": address, "smtp_host": "127.0.0.1", "smtp_port": smtp_server.port},
        )
        for address in ("help@shop.example", "sales@shop.example")
    ]
    ingest(_mail("help@shop.example", "carol@example.org", "<m1@example.org>"))
    ingest(_mail("sales@shop.example", "Carol@Example.ORG", "<m2@example.org>"))
    visitors = list(Visitor.objects.filter(channel__in=channels).order_by("pk"))
    assert len(visitors) == 2
    assert visitors[0].customer_id == visitors[1].customer_id
    customer = visitors[0].customer
    assert customer is not None
    assert customer.email == "carol@example.org" and customer.name == "Carol Customer"
    # The same address typed into the widget's form proves nothing: a customer of its own.
    typed = make_visitor(widget, first_name="Carol", last_name="C", email="carol@example.org")
    assert typed.customer_id != customer.pk
    # Two widget visitors with one email are two customers too.
    assert make_visitor(widget, email="carol@example.org").customer_id not in (typed.customer_id, customer.pk)


def test_a_merged_customer_s_platform_user_links_to_the_customer_it_was_merged_into(
    make_channel: Any, support: Any, admin: Any
) -> None:
    from history.customers import customer_merge

    line = [make_channel(tag=support, kind="line", credentials=channels_conftest.CREDENTIALS["line"]) for _ in "ab"]
    first = enquiry_services.visitor_create(channel=line[0], fields={}, channel_identity="Uabc")
    other = enquiry_services.visitor_create(channel=line[0], fields={"first_name": "Zed"}, channel_identity="Uxyz")
    assert first.customer is not None and other.customer is not None
    customer_merge(actor=admin, customer_id=other.customer.pk, other_id=first.customer.pk)
    later = enquiry_services.visitor_create(channel=line[1], fields={}, channel_identity="Uabc")
    assert later.customer_id == other.customer_id


def test_the_migration_gives_every_older_visitor_a_customer_linking_proven_ones(
    make_channel: Any, support: Any, widget: Any, make_visitor: Any, open_enquiry: Any
) -> None:
    wa = [
        make_channel(tag=support, kind="whatsapp", credentials=channels_conftest.CREDENTIALS["whatsapp"]) for _ in "ab"
    ]
    smtp = {"smtp_host": "127.0.0.1", "smtp_port": 25}
    mail = make_channel(tag=support, kind="email", credentials={"address": "x@shop.example", **smtp})
    mail2 = make_channel(tag=support, kind="email", credentials={"address": "y@shop.example", **smtp})
    made = [
        enquiry_services.visitor_create(channel=wa[0], fields={}, channel_identity="4477001"),
        enquiry_services.visitor_create(channel=wa[1], fields={}, channel_identity="4477001"),
        enquiry_services.visitor_create(channel=mail, fields={}, channel_identity="Ann@example.org"),
        enquiry_services.visitor_create(channel=mail2, fields={}, channel_identity="ann@example.org"),
        make_visitor(widget, first_name="Wanda", email="ann@example.org"),
        make_visitor(widget, first_name="Will", last_name=""),
    ]
    enquiry = open_enquiry(visitor=made[5])
    # As before customers existed.
    Visitor.objects.update(customer=None)
    Customer.objects.all().delete()
    backfill = importlib.import_module("customers.migrations.0002_customers_backfill").backfill
    backfill(apps, None)
    backfill(apps, None)  # twice: nothing more
    ids = [Visitor.objects.get(pk=v.pk).customer_id for v in made]
    assert None not in ids
    assert ids[0] == ids[1] and ids[2] == ids[3]
    assert len({ids[0], ids[2], ids[4], ids[5]}) == 4
    assert Customer.objects.count() == 4
    will = Customer.objects.get(pk=ids[5] or 0)
    assert will.name == "Will" and will.last_seen_at == enquiry.created_at
    assert Customer.objects.get(pk=ids[4] or 0).email == "ann@example.org"


def test_a_caller_that_proved_the_customer_gives_it_and_no_other_is_made(widget: Any, admin: Any) -> None:
    from history.customers import customer_list

    known = enquiry_services.visitor_create(channel=widget, fields={"first_name": "Known"}).customer
    assert known is not None
    before = Customer.objects.count()
    again = enquiry_services.visitor_create(channel=widget, fields={"first_name": "Other device"}, customer=known)
    assert again.customer_id == known.pk and Customer.objects.count() == before
    # A customer whose visitors all went to another one is listed nowhere.
    left = enquiry_services.visitor_create(channel=widget, fields={"first_name": "Anon"})
    empty = left.customer
    Visitor.objects.filter(pk=left.pk).update(customer=known)
    assert empty is not None and empty.pk not in {c.pk for c in customer_list(admin)}
