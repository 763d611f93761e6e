"""@mentions in staff messages (SPEC 4): ``@Display Name`` or ``@email-local-part`` of a
room member, and ``@all`` in spaces. Called by rooms.services.message_post inside its
transaction."""

from __future__ import annotations

from typing import Any

from contactcenter.org.events import MentionCreated, staff_group
from contactcenter.org.realtime import send_event_on_commit
from rooms.models import Message, Room, RoomMember
from rooms.selectors import message_data, should_notify

# Characters that continue a name: "@bob" is not a mention of "bo" and "@bob_x" not of "bob".
_NAME_CHARS = "_-"


def _continues(char: str) -> bool:
    return char.isalnum() or char in _NAME_CHARS


def mentions_parse(*, text: str, room: Room, author_id: int | None) -> dict[str, Any]:
    """``{"mentions": [staff ids], "mention_all": bool}`` for a message, or {} when it
    mentions nobody. Only current members can be mentioned; the author is left out.

    At each "@" (not inside a word, so an email address is no mention) the longest member
    name that follows wins, so "@Ann Lee" mentions Ann Lee rather than Ann.
    """
    if "@" not in text:
        return {}
    tokens: list[tuple[str, int]] = []
    for staff_id, name, email in RoomMember.objects.filter(room=room).values_list(
        "staff_id", "staff__display_name", "staff__email"
    ):
        if staff_id == author_id:
            continue
        for token in (name.strip().lower(), email.split("@", 1)[0].lower()):
            if token:
                tokens.append((token, staff_id))
    allow_all = room.kind == Room.Kind.SPACE
    if allow_all:
        tokens.append(("all", 0))
    tokens.sort(key=lambda t: len(t[0]), reverse=True)

    lowered = text.lower()
    mentioned: list[int] = []
    mention_all = False
    start = lowered.find("@")
    while start != -1:
        if start == 0 or not _continues(lowered[start - 1]):
            rest = lowered[start + 1 :]
            for token, staff_id in tokens:
                if rest.startswith(token) and (len(rest) == len(token) or not _continues(rest[len(token)])):
                    if staff_id == 0:
                        mention_all = True
                    elif staff_id not in mentioned:
                        mentioned.append(staff_id)
                    break
        start = lowered.find("@", start + 1)
    if not mentioned and not mention_all:
        return {}
    return {"mentions": mentioned, "mention_all": mention_all}


def mention_events(*, room: Room, message: Message) -> None:
    """Queue ``mention.created`` for each mentioned member (every member for ``@all``) who
    takes notifications at all (see ``should_notify``: a room muted to "mentions" still
    notifies; one muted entirely does not)."""
    data = message.data if isinstance(message.data, dict) else {}
    if not data.get("mentions") and not data.get("mention_all"):
        return
    members = RoomMember.objects.filter(room=room)
    if not data.get("mention_all"):
        members = members.filter(staff_id__in=data["mentions"])
    groups = [staff_group(m.staff_id) for m in members if should_notify(m, message)]
    if groups:
        payload = MentionCreated(room_id=room.pk, message=message_data(message), mention_all=bool(data["mention_all"]))
        send_event_on_commit(groups, payload)
