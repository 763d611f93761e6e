"""State changes of direct rooms, spaces and room memberships (SPEC 2, 4).

Enquiry rooms get their members through the enquiry lifecycle (pick up, transfer, join,
take over); the member operations here are for spaces only. Locks: the room row, taken
with ``select_for_update`` after any staff row (SPEC lock order).
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from contactcenter.org.errors import Conflict, InvalidInput, NotAuthorized, NotFound
from contactcenter.org.models import Staff
from rooms.models import Room, RoomMember
from rooms.selectors import access_room
from rooms.services import room_member_add, room_member_remove

NAME_MAX = 120
DESCRIPTION_MAX = 2000
SPACE_MEMBERS_MAX = 500


def direct_key(a: int, b: int) -> str:
    low, high = sorted((a, b))
    return f"{low}:{high}"


def _active_staff(staff_id: Any, field: str) -> Staff:
    if isinstance(staff_id, Staff):
        staff = staff_id
        if not staff.is_active:
            raise InvalidInput.field(field, "That staff member is not active.")
        return staff
    if isinstance(staff_id, bool) or not isinstance(staff_id, int):
        raise InvalidInput.field(field, "Give a staff id.")
    found = Staff.objects.filter(pk=staff_id, is_active=True).first()
    if found is None:
        raise InvalidInput.field(field, "No active staff member has that id.")
    return found


def direct_room_open(*, actor: Staff, staff: Staff | int) -> tuple[Room, bool]:
    """The direct room between ``actor`` and ``staff``: the existing one, or a new one with
    both as members. Returns (room, created). Two simultaneous calls for the same pair make
    one room: ``direct_key`` is unique, so the loser of the insert reads the winner's row."""
    other = _active_staff(staff, "staff")
    if other.pk == actor.pk:
        raise InvalidInput.field("staff", "A direct room needs another staff member.")
    key = direct_key(actor.pk, other.pk)
    existing = Room.objects.filter(direct_key=key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            room = Room.objects.create(kind=Room.Kind.DIRECT, direct_key=key, created_by=actor)
            # Both announced, the creator too: their open sockets join the room's group, so
            # the other side's messages reach them live.
            room_member_add(room=room, staff=other, role=RoomMember.Role.OWNER)
            room_member_add(room=room, staff=actor, role=RoomMember.Role.OWNER)
    except IntegrityError:
        existing = Room.objects.filter(direct_key=key).first()
        if existing is None:
            raise
        return existing, False
    return room, True


def _clean_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput.field("name", "A space needs a name.")
    name = name.strip()
    if len(name) > NAME_MAX:
        raise InvalidInput.field("name", f"The name is limited to {NAME_MAX} characters.")
    return name


def _clean_description(description: Any) -> str:
    if description is None:
        return ""
    if not isinstance(description, str):
        raise InvalidInput.field("description", "The description must be text.")
    description = description.strip()
    if len(description) > DESCRIPTION_MAX:
        raise InvalidInput.field("description", f"The description is limited to {DESCRIPTION_MAX} characters.")
    return description


def _clean_members(members: Any) -> list[Staff]:
    if members is None:
        return []
    if not isinstance(members, list | tuple) or len(members) > SPACE_MEMBERS_MAX:
        raise InvalidInput.field("members", f"Give a list of at most {SPACE_MEMBERS_MAX} staff ids.")
    ids: list[int] = []
    for value in members:
        staff_id = value.pk if isinstance(value, Staff) else value
        if isinstance(staff_id, bool) or not isinstance(staff_id, int):
            raise InvalidInput.field("members", "Give a list of staff ids.")
        ids.append(staff_id)
    found = {s.pk: s for s in Staff.objects.filter(pk__in=ids, is_active=True)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise InvalidInput.field("members", f"No active staff member has id {missing[0]}.")
    return [found[i] for i in dict.fromkeys(ids)]


def space_create(
    *, actor: Staff, name: Any, description: Any = "", is_private: bool = False, members: Any = None
) -> Room:
    """A new space owned by ``actor``, with ``members`` as participants."""
    clean_name = _clean_name(name)
    clean_description = _clean_description(description)
    if not isinstance(is_private, bool):
        raise InvalidInput.field("is_private", "is_private must be true or false.")
    others = [s for s in _clean_members(members) if s.pk != actor.pk]
    with transaction.atomic():
        room = Room.objects.create(
            kind=Room.Kind.SPACE,
            name=clean_name,
            description=clean_description,
            is_private=is_private,
            created_by=actor,
        )
        # The creator too, so their open sockets join the room's group (see direct_room_open).
        room_member_add(room=room, staff=actor, role=RoomMember.Role.OWNER)
        for staff in others:
            room_member_add(room=room, staff=staff)
    return room


def _space_for(actor: Staff, room_id: int) -> tuple[Room, RoomMember | None]:
    """Lock and return the space with the actor's membership. Caller is in a transaction."""
    room = access_room(actor, room_id, lock=True)
    if room.kind != Room.Kind.SPACE:
        raise Conflict("Only spaces have editable details and members.", code="not_space")
    member = RoomMember.objects.filter(room=room, staff=actor).first()
    return room, member


def _may_manage(actor: Staff, member: RoomMember | None) -> bool:
    return actor.is_admin or (member is not None and member.role == RoomMember.Role.OWNER)


def space_update(*, actor: Staff, room_id: int, changes: dict[str, Any]) -> Room:
    """Change a space's name, description or privacy: its owner or an admin."""
    unknown = set(changes) - {"name", "description", "is_private"}
    if unknown:
        name = sorted(unknown)[0]
        raise InvalidInput.field(name, f"{name} cannot be changed here.")
    with transaction.atomic():
        room, member = _space_for(actor, room_id)
        if not _may_manage(actor, member):
            raise NotAuthorized("Only the space's owner or an admin can change it.")
        fields: list[str] = []
        if "name" in changes:
            room.name = _clean_name(changes["name"])
            fields.append("name")
        if "description" in changes:
            room.description = _clean_description(changes["description"])
            fields.append("description")
        if "is_private" in changes:
            if not isinstance(changes["is_private"], bool):
                raise InvalidInput.field("is_private", "is_private must be true or false.")
            room.is_private = changes["is_private"]
            fields.append("is_private")
        if fields:
            room.save(update_fields=fields)
    return room


def space_member_add(*, actor: Staff, room_id: int, staff: Staff | int) -> RoomMember:
    """Invite ``staff`` into a space. Public spaces: any member may invite; private spaces:
    the owner or an admin. Adding a member twice changes nothing."""
    new = _active_staff(staff, "staff")
    with transaction.atomic():
        room, member = _space_for(actor, room_id)
        allowed = _may_manage(actor, member) or (member is not None and not room.is_private)
        if not allowed:
            raise NotAuthorized("Only the owner or an admin can invite into a private space.")
        return room_member_add(room=room, staff=new)


def _remove(room: Room, staff_id: int) -> None:
    """Remove a member; a space left without an owner passes ownership to its longest member."""
    removed = room_member_remove(room=room, staff_id=staff_id)
    if removed is None:
        raise NotFound("That staff member is not in this space.")
    if removed.role == RoomMember.Role.OWNER and not room.members.filter(role=RoomMember.Role.OWNER).exists():
        heir = room.members.order_by("joined_at", "id").first()
        if heir is not None:
            heir.role = RoomMember.Role.OWNER
            heir.save(update_fields=["role"])


def space_member_remove(*, actor: Staff, room_id: int, staff_id: int) -> None:
    """Remove a member from a space: the owner or an admin removes anyone, a member removes
    (leaves) themselves."""
    with transaction.atomic():
        room, member = _space_for(actor, room_id)
        if staff_id != actor.pk and not _may_manage(actor, member):
            raise NotAuthorized("Only the space's owner or an admin can remove members.")
        _remove(room, staff_id)


def space_join(*, actor: Staff, room_id: int) -> RoomMember:
    """Join a public space. Private spaces are by invitation only, for admins too (they may
    still monitor them read-only, or an admin invites themselves)."""
    with transaction.atomic():
        room = Room.objects.select_for_update(of=("self",), no_key=True).filter(pk=room_id).first()
        if room is None or room.kind != Room.Kind.SPACE:
            raise NotFound("Space not found.")
        if room.is_private:
            member = RoomMember.objects.filter(room=room, staff=actor).first()
            if member is None:
                raise NotAuthorized("This space is private: members join by invitation.")
            return member
        return room_member_add(room=room, staff=actor)


def room_membership_update(*, actor: Staff, room_id: int, mute: Any) -> RoomMember:
    """Set the actor's notification mode for a room they belong to."""
    if mute not in RoomMember.Mute.values:
        raise InvalidInput.field("mute", f"mute must be one of: {', '.join(RoomMember.Mute.values)}.")
    member = RoomMember.objects.filter(room_id=room_id, staff=actor).first()
    if member is None:
        if not Room.objects.filter(pk=room_id).exists():
            raise NotFound("Room not found.")
        raise NotAuthorized("You are not a member of this room.")
    if member.mute != mute:
        member.mute = mute
        member.save(update_fields=["mute"])
    return member
