"""A small finished History for the History and transcript tests: three agents' enquiries
on two channels, a transfer, a customer, a rating, conversation tags and a file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from channels_adapters.models import Channel
from contactcenter.org.models import Staff, Tag
from customers.models import Customer
from enquiries import services as enquiry_services
from enquiries.models import ConversationTag, Enquiry
from rooms import files
from rooms import services as room_services
from rooms.models import Message

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
CHINESE = "您好，我的订单还没有到"
JAPANESE = "こんにちは、注文が届きません"
THAI = "สวัสดีครับ สินค้ายังไม่มาถึง"


@dataclass
class World:
    admin: Staff
    alice: Staff
    bob: Staff
    carol: Staff
    widget: Channel
    sales_channel: Channel
    sales: Tag
    support: Tag
    customer: Customer
    billing: ConversationTag
    refund: ConversationTag
    # Alice's, closed, rated 5, customer, tag Refund, a file, Chinese text.
    e1: Enquiry
    # Bob's, resolved, on the sales channel.
    e2: Enquiry
    # Alice picked up and transferred to Bob, who resolved it: Alice was a member.
    e3: Enquiry
    # Open, not finished: never in History.
    e4: Enquiry
    # Carol's (another agent's), closed.
    e5: Enquiry
    file_message: Message
    recalled: Message
    edited: Message


def finish(enquiry: Enquiry, owner: Staff, *, close: bool = True) -> Enquiry:
    enquiry_services.enquiry_resolve(actor=owner, enquiry_id=enquiry.pk)
    if close:
        enquiry_services.enquiry_close(actor=owner, enquiry_id=enquiry.pk)
    enquiry.refresh_from_db()
    return enquiry


@pytest.fixture(name="world")
def world_fixture(
    clock: Any,
    settings: Any,
    tmp_path: Path,
    admin: Staff,
    make_staff: Callable[..., Staff],
    make_tag: Callable[..., Tag],
    make_channel: Callable[..., Channel],
    make_visitor: Callable[..., Any],
    open_enquiry: Callable[..., Enquiry],
    support: Tag,
    widget: Channel,
) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"
    alice = make_staff(tags=[support], name="Alice Agent")
    bob = make_staff(tags=[support], name="Bob Agent")
    carol = make_staff(tags=[support], name="Carol Agent")
    sales = make_tag("Sales")
    bob.tags.add(sales)
    sales_channel = make_channel(tag=sales)
    billing = ConversationTag.objects.create(name="Billing")
    refund = ConversationTag.objects.create(name="Refund", parent=billing)
    customer = Customer.objects.create(name="Chen Wei", email="chen@example.com")

    clock.set(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC))
    visitor = make_visitor(widget, first_name="Chen", last_name="Wei")
    visitor.customer = customer
    visitor.save(update_fields=["customer"])
    e1 = open_enquiry(visitor=visitor, message=CHINESE)
    enquiry_services.enquiry_pick_up(actor=alice, enquiry_id=e1.pk)
    room_id = e1.room.pk
    clock.advance(30)
    room_services.message_post(room_id=room_id, text=f"{JAPANESE} / {THAI}", staff=alice)
    upload = SimpleUploadedFile("invoice 发票.pdf", PDF, content_type="application/pdf")
    file_message, _ = files.file_upload(room_id=room_id, upload=upload, text="the invoice", staff=alice)
    recalled, _ = room_services.message_post(room_id=room_id, text="a secret typo", staff=alice)
    room_services.message_recall(message_id=recalled.pk, staff=alice)
    edited, _ = room_services.message_post(room_id=room_id, text="first wording", staff=alice)
    room_services.message_edit(message_id=edited.pk, text="second wording", staff=alice)
    enquiry_services.enquiry_topic_set(actor=alice, enquiry_id=e1.pk, topic="Late parcel")
    e1.tags.add(refund)
    clock.advance(60)
    e1 = finish(e1, alice)
    enquiry_services.enquiry_rate(visitor=visitor, enquiry_id=e1.pk, score=5, comment="很好")

    clock.set(dt.datetime(2026, 3, 3, 9, 0, tzinfo=dt.UTC))
    e2 = open_enquiry(channel=sales_channel, message="Price list please")
    enquiry_services.enquiry_pick_up(actor=bob, enquiry_id=e2.pk)
    clock.advance(120)
    e2 = finish(e2, bob, close=False)

    clock.set(dt.datetime(2026, 3, 4, 9, 0, tzinfo=dt.UTC))
    e3 = open_enquiry(message="Transfer me")
    enquiry_services.enquiry_pick_up(actor=alice, enquiry_id=e3.pk)
    enquiry_services.enquiry_transfer(actor=alice, enquiry_id=e3.pk, to_staff=bob)
    enquiry_services.enquiry_pick_up(actor=bob, enquiry_id=e3.pk)
    e3 = finish(e3, bob)
    e3.tags.add(billing)

    clock.set(dt.datetime(2026, 3, 5, 9, 0, tzinfo=dt.UTC))
    e4 = open_enquiry(message="Still waiting")

    clock.set(dt.datetime(2026, 3, 5, 10, 0, tzinfo=dt.UTC))
    e5 = open_enquiry(message="Carol's customer")
    enquiry_services.enquiry_pick_up(actor=carol, enquiry_id=e5.pk)
    e5 = finish(e5, carol)
    return World(
        admin=admin,
        alice=alice,
        bob=bob,
        carol=carol,
        widget=widget,
        sales_channel=sales_channel,
        sales=sales,
        support=support,
        customer=customer,
        billing=billing,
        refund=refund,
        e1=e1,
        e2=e2,
        e3=e3,
        e4=e4,
        e5=e5,
        file_message=file_message,
        recalled=recalled,
        edited=edited,
    )
