"""Websocket consumers: thin. Authenticate, join groups, forward layer events."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from contactcenter import services
from contactcenter.auth import session_is_current, visitor_id_from_token
from contactcenter.events import ADMINS_GROUP, room_group, staff_group, visitor_group
from contactcenter.models import Staff


def _query(scope: dict[str, Any], name: str) -> str:
    values = parse_qs(scope.get("query_string", b"").decode()).get(name) or [""]
    return values[0]


class EventForwardMixin:
    groups_joined: list[str]

    async def event_forward(self, message: dict[str, Any]) -> None:
        event = message["event"]
        await self.send_json(event)  # type: ignore[attr-defined]
        await self.on_event(event)

    async def on_event(self, event: dict[str, Any]) -> None:
        return None

    async def join(self, group: str) -> None:
        if group not in self.groups_joined:
            self.groups_joined.append(group)
            await self.channel_layer.group_add(group, self.channel_name)  # type: ignore[attr-defined]

    async def leave(self, group: str) -> None:
        if group in self.groups_joined:
            self.groups_joined.remove(group)
            await self.channel_layer.group_discard(group, self.channel_name)  # type: ignore[attr-defined]

    async def disconnect(self, code: int) -> None:
        for group in list(self.groups_joined):
            await self.leave(group)


@database_sync_to_async
def _staff_from_scope(scope: dict[str, Any]) -> tuple[Staff, list[int]] | None:
    from rooms.models import RoomMember

    token = _query(scope, "token")
    staff: Staff | None = None
    if token:
        staff = services.token_authenticate(token)
    else:
        user = scope.get("user")
        session = scope.get("session")
        if isinstance(user, Staff) and session is not None and session_is_current(session, user):
            staff = Staff.objects.filter(pk=user.pk, is_active=True).first()
    if staff is None:
        return None
    rooms = list(RoomMember.objects.filter(staff=staff).values_list("room_id", flat=True))
    return staff, rooms


class StaffConsumer(EventForwardMixin, AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.groups_joined = []
        found = await _staff_from_scope(self.scope)
        if found is None:
            await self.close(code=4401)
            return
        self.staff, rooms = found
        await self.accept()
        await self.join(staff_group(self.staff.pk))
        if self.staff.is_admin:
            await self.join(ADMINS_GROUP)
        for room_id in rooms:
            await self.join(room_group(room_id))
        await self.send_json({"type": "hello", "data": {"staff_id": self.staff.pk}})

    async def on_event(self, event: dict[str, Any]) -> None:
        data = event.get("data", {})
        kind = event.get("type")
        if kind == "session.ended":
            # Logged in elsewhere or deactivated: this socket's credentials are dead.
            await self.close(code=4001)
            return
        if kind == "room.member_joined" and data.get("staff_id") == self.staff.pk:
            await self.join(room_group(data["room_id"]))
        elif kind == "room.member_left" and data.get("staff_id") == self.staff.pk:
            await self.leave(room_group(data["room_id"]))
        elif kind == "enquiry.picked_up":
            enquiry = data.get("enquiry") or {}
            owner = enquiry.get("owner") or {}
            if owner.get("id") == self.staff.pk and enquiry.get("room"):
                await self.join(room_group(enquiry["room"]))
        elif (
            kind == "enquiry.transferred" and data.get("state") == "accepted" and data.get("owner_id") == self.staff.pk
        ):
            room_id = await _room_of(data["enquiry_id"])
            if room_id:
                await self.join(room_group(room_id))
        elif kind == "room.taken_over" and data.get("by_id") == self.staff.pk:
            await self.join(room_group(data["room_id"]))

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong", "data": {}})


@database_sync_to_async
def _room_of(enquiry_id: int) -> int | None:
    from rooms.models import Room

    return Room.objects.filter(enquiry_id=enquiry_id).values_list("id", flat=True).first()


class VisitorConsumer(EventForwardMixin, AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.groups_joined = []
        visitor_id = visitor_id_from_token(_query(self.scope, "visitor_token"))
        if visitor_id is None:
            await self.close(code=4401)
            return
        await self.accept()
        await self.join(visitor_group(visitor_id))
        await self.send_json({"type": "hello", "data": {"visitor_id": visitor_id}})

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong", "data": {}})
