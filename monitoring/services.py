"""Supervision (SPEC section 5): join and take over. Admins only."""

from __future__ import annotations

from django.db import transaction

from contactcenter.errors import Conflict, NotAuthorized
from contactcenter.events import ADMINS_GROUP, RoomTakenOver, room_group, staff_group, visitor_group
from contactcenter.models import Staff
from contactcenter.realtime import send_event_on_commit
from enquiries.models import Enquiry, EnquiryEvent, Transfer
from enquiries.services import _end_pending_transfer, _lock_enquiry, _log
from rooms import services as room_services
from rooms.models import Room, RoomMember


def _require_admin(actor: Staff) -> None:
    if not actor.is_admin:
        raise NotAuthorized("Only admins can supervise enquiries.")


def enquiry_join(*, actor: Staff, enquiry_id: int) -> Enquiry:
    """Become a participant (not owner) of an enquiry's room."""
    _require_admin(actor)
    with transaction.atomic():
        enquiry = _lock_enquiry(enquiry_id)
        if enquiry.status not in (Enquiry.Status.HANDLING, Enquiry.Status.RESOLVED):
            raise Conflict(f"Only an enquiry being handled can be joined; this one is {enquiry.status}.")
        room = Room.objects.get(enquiry=enquiry)
        if RoomMember.objects.filter(room=room, staff=actor).exists():
            raise Conflict("You are already in this room.", code="already_member")
        also = [ADMINS_GROUP]
        if enquiry.owner_id:
            also.append(staff_group(enquiry.owner_id))
        room_services.room_member_add(
            room=room, staff=actor, role=RoomMember.Role.PARTICIPANT, also=also, enquiry_id=enquiry.pk
        )
        _log(enquiry, EnquiryEvent.Type.JOINED, actor=actor)
        room_services.system_message_post(
            room_id=room.pk, text=f"{actor.display_name} (admin) joined the conversation."
        )
    return enquiry


def enquiry_take_over(*, actor: Staff, enquiry_id: int) -> Enquiry:
    """Become the owner; the previous owner stays as a participant and is told."""
    _require_admin(actor)
    with transaction.atomic():
        enquiry = _lock_enquiry(enquiry_id)
        if enquiry.status not in (Enquiry.Status.HANDLING, Enquiry.Status.RESOLVED):
            raise Conflict(f"Only an enquiry being handled can be taken over; this one is {enquiry.status}.")
        if enquiry.owner_id == actor.pk:
            raise Conflict("You already own this enquiry.", code="already_owner")
        room = Room.objects.get(enquiry=enquiry)
        previous_id = enquiry.owner_id
        if enquiry.transfers.filter(status=Transfer.Status.PENDING).exists():
            _end_pending_transfer(enquiry)
        enquiry.owner = actor
        enquiry.save(update_fields=["owner"])
        if previous_id:
            RoomMember.objects.filter(room=room, staff_id=previous_id).update(role=RoomMember.Role.PARTICIPANT)
        room_services.room_member_add(room=room, staff=actor, role=RoomMember.Role.OWNER)
        _log(enquiry, EnquiryEvent.Type.TAKEN_OVER, actor=actor, data={"previous_owner": previous_id})
        room_services.system_message_post(
            room_id=room.pk, text=f"{actor.display_name} (admin) took over this conversation."
        )
        groups = [room_group(room.pk), staff_group(actor.pk), ADMINS_GROUP, visitor_group(enquiry.visitor_id)]
        if previous_id:
            groups.append(staff_group(previous_id))
        send_event_on_commit(
            groups,
            RoomTakenOver(
                room_id=room.pk,
                enquiry_id=enquiry.pk,
                by_id=actor.pk,
                by_name=actor.display_name,
                previous_owner_id=previous_id,
            ),
        )
    return enquiry
