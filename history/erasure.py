"""Erasing a customer on request (admins): their personal data goes everywhere, in one
transaction (all or nothing), and a ``CustomerErasure`` row records that it happened, by
whom and how much went, without any personal data.

What goes:
- the customer row (and customers merged into it, the same person): name, email, phone,
  identifier, custom fields, notes, customer tags; ``erased_at`` is set;
- every visitor of theirs: names, email, phone, photo (and the server's copy of it),
  languages, platform identity, device, UTM, extra, custom fields; their tokens stop working;
- their messages in every room (and forwarded copies of them): the text becomes
  ``ERASED_TEXT``, files are deleted from disk after commit; the staff-only intro message
  of their enquiries (it repeats the visitor form);
- their enquiries' first message, topic, rating comment and country; their notes (text,
  contact, files); the platform deliveries' payloads;
- what other parts of history keep (search index, exports): ``history.hooks`` erasure hooks.

Staff's own replies stay as written, the enquiries stay (counted in reports, without the
customer), and the merge records lose the fields they kept for an undo.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from channels_adapters.models import InboundEvent
from contactcenter.org import clock
from contactcenter.org.errors import Conflict, InvalidInput, NotAuthorized, NotFound
from contactcenter.org.models import Staff
from customers.models import Customer, CustomerErasure, CustomerMerge
from enquiries.models import Enquiry, EnquiryNote, Visitor
from history.hooks import run_erasure_hooks
from rooms import files as room_files
from rooms import previews
from rooms.models import Message

# What an erased message says instead (not translated: stored once, read by everyone).
ERASED_TEXT = "[erased]"
REASON_MAX = CustomerErasure._meta.get_field("reason").max_length or 200
LIVE = (Enquiry.Status.OPEN, Enquiry.Status.HANDLING)


def _clean_reason(reason: Any) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput.field("reason", _("Say why the customer's data is erased (e.g. their request of 1 May)."))
    clean = " ".join(reason.split())
    if len(clean) > REASON_MAX:
        raise InvalidInput.field("reason", _("The reason is limited to %(n)s characters.") % {"n": REASON_MAX})
    return clean


def _erase_messages(visitor_ids: list[int], enquiry_ids: list[int]) -> tuple[int, int]:
    """-> (messages erased, files deleted after commit)."""
    own = Message.objects.filter(author_visitor_id__in=visitor_ids)
    own_ids = list(own.values_list("id", flat=True))
    copies = list(Message.objects.filter(forwarded_from_id__in=own_ids).values_list("id", flat=True))
    intro_ids = list(
        Message.objects.filter(room__enquiry_id__in=enquiry_ids, kind=Message.Kind.SYSTEM, data__bot="intro")
        .exclude(pk__in=own_ids)
        .values_list("id", flat=True)
    )
    erased = [*own_ids, *copies]
    files = 0
    for message in Message.objects.filter(pk__in=erased, data__has_key="file").only("id", "data"):
        room_files.file_delete_on_commit(message)
        files += 1
    Message.objects.filter(pk__in=erased).update(kind=Message.Kind.TEXT, text=ERASED_TEXT, data={"erased": True})
    Message.objects.filter(pk__in=intro_ids).update(
        text=ERASED_TEXT, data={"bot": "intro", "visibility": "staff", "erased": True}
    )
    return len(erased) + len(intro_ids), files


def _erase_visitors(visitors: list[Visitor]) -> None:
    photos = [v.photo_url for v in visitors if v.photo_url]
    if photos:

        def forget() -> None:
            for url in photos:
                previews.preview_image_forget(url)

        transaction.on_commit(forget)
    Visitor.objects.filter(pk__in=[v.pk for v in visitors]).update(
        first_name="",
        last_name="",
        email="",
        phone="",
        photo_url="",
        language="",
        chat_language="",
        channel_identity="",
        device={},
        utm={},
        extra={},
        custom_fields=[],
        # Every token issued to them stops working.
        token_epoch=F("token_epoch") + 1,
    )


def _erase_customer_rows(customer_ids: list[int], now: Any) -> None:
    Customer.objects.filter(pk__in=customer_ids).update(
        name="", email="", phone="", identifier=None, custom_fields=[], notes="", erased_at=now
    )
    Customer.tags.through.objects.filter(customer_id__in=customer_ids).delete()
    # The merge records keep the customer's earlier fields for an undo: gone, and no undo.
    for merge in CustomerMerge.objects.filter(Q(customer_id__in=customer_ids) | Q(other_id__in=customer_ids)):
        moved = dict(merge.moved) if isinstance(merge.moved, dict) else {}
        moved.pop("fields", None)
        merge.moved = moved
        merge.undo_until = min(merge.undo_until, now)
        merge.save(update_fields=["moved", "undo_until"])


def customer_erase(*, actor: Staff, customer_id: int, reason: Any) -> CustomerErasure:
    """Erase a customer's personal data everywhere (see the module). Admins only; refused
    (409) for a customer already erased, one merged into another (erase that one), or one
    with a conversation still going on. Locks the customer row, then their enquiries."""
    if not actor.is_admin:
        raise NotAuthorized(_("Only admins can erase a customer's data."))
    clean_reason = _clean_reason(reason)
    now = clock.now()
    with transaction.atomic():
        customer = Customer.objects.select_for_update(no_key=True).filter(pk=customer_id).first()
        if customer is None:
            raise NotFound(_("Customer not found."))
        if customer.erased_at is not None:
            raise Conflict(_("This customer's data was already erased."), code="erased")
        if customer.merged_into_id is not None:
            raise Conflict(
                _("This customer was merged into customer %(id)s: erase that one.") % {"id": customer.merged_into_id},
                code="merged",
            )
        customer_ids = [customer.pk, *Customer.objects.filter(merged_into=customer).values_list("id", flat=True)]
        visitors = list(Visitor.objects.filter(customer_id__in=customer_ids))
        visitor_ids = [v.pk for v in visitors]
        enquiry_ids = list(
            Enquiry.objects.filter(visitor_id__in=visitor_ids)
            .order_by("id")
            .select_for_update(no_key=True)
            .values_list("id", flat=True)
        )
        if Enquiry.objects.filter(pk__in=enquiry_ids, status__in=LIVE).exists():
            raise Conflict(
                _("This customer has a conversation going on: end it first, then erase their data."), code="live"
            )
        messages, files = _erase_messages(visitor_ids, enquiry_ids)
        notes = EnquiryNote.objects.filter(enquiry_id__in=enquiry_ids).update(text="", contact="", files=[])
        Enquiry.objects.filter(pk__in=enquiry_ids).update(
            first_message="", topic="", rating_comment="", client_country=""
        )
        InboundEvent.objects.filter(enquiry_id__in=enquiry_ids).update(payload={})
        _erase_visitors(visitors)
        _erase_customer_rows(customer_ids, now)
        run_erasure_hooks(customer.pk, visitor_ids, enquiry_ids)
        return CustomerErasure.objects.create(
            customer_id_erased=customer.pk,
            actor=actor,
            reason=clean_reason,
            counts={
                "customers": len(customer_ids),
                "visitors": len(visitor_ids),
                "enquiries": len(enquiry_ids),
                "messages": messages,
                "files": files,
                "notes": notes,
            },
            created_at=now,
        )
