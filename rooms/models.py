"""Rooms, their members and messages."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Room(models.Model):
    class Kind(models.TextChoices):
        ENQUIRY = "enquiry"
        DIRECT = "direct"
        SPACE = "space"
        CONFERENCE = "conference"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    enquiry = models.OneToOneField(
        "enquiries.Enquiry", null=True, blank=True, on_delete=models.CASCADE, related_name="room"
    )
    name = models.CharField(max_length=120, blank=True, default="")
    description = models.TextField(blank=True, default="")
    is_private = models.BooleanField(default=False)
    # Direct rooms: "<lower staff id>:<higher staff id>", so a pair has one direct room.
    direct_key = models.CharField(max_length=40, null=True, blank=True, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_message_at = models.DateTimeField(null=True, blank=True)


class RoomMember(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner"
        PARTICIPANT = "participant"

    class Mute(models.TextChoices):
        ALL = "all"
        MENTIONS = "mentions"
        MUTE = "mute"

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="members")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.PARTICIPANT)
    last_read_message_id = models.BigIntegerField(default=0)
    mute = models.CharField(max_length=10, choices=Mute.choices, default=Mute.ALL)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["room", "staff"], name="member_once")]


class RoomParticipant(models.Model):
    """Every staff member who was ever a member of a room (RoomMember rows go when they
    leave): what an agent may find in history and search (SPEC section 9: "agents find
    only enquiries they owned or were members of"). Written by ``room_member_add``."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="participants")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    first_joined_at = models.DateTimeField(auto_now_add=True)
    # The room's enquiry, its created_at and status (None for direct rooms and spaces),
    # copied when the row is written: an agent's History is then one range of the index
    # below, newest first, instead of a join through every room per request
    # (bench/RESULTS-history.md).
    enquiry = models.ForeignKey("enquiries.Enquiry", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    enquiry_created_at = models.DateTimeField(null=True, blank=True)
    # The enquiry's status, kept by a database trigger on the enquiry's status (migration
    # rooms 0004), so that a status filter reads the index alone.
    enquiry_status = models.CharField(max_length=12, null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["staff", "room"], name="room_participant_unique")]
        indexes = [
            models.Index(
                fields=["staff", "-enquiry_created_at", "-enquiry", "enquiry_status"],
                condition=models.Q(enquiry__isnull=False),
                name="room_participant_history",
            )
        ]


class Message(models.Model):
    class Kind(models.TextChoices):
        TEXT = "text"
        FILE = "file"
        SYSTEM = "system"

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    text = models.TextField(blank=True, default="")
    author_staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_visitor = models.ForeignKey(
        "enquiries.Visitor", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    client_id = models.CharField(max_length=64, blank=True, default="")
    reply_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    forwarded_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    edited_at = models.DateTimeField(null=True, blank=True)
    recalled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["room", "id"])]
        constraints = [
            # A retry with the same client_id from the same author never makes a second message.
            models.UniqueConstraint(
                fields=["room", "author_staff", "client_id"],
                condition=~models.Q(client_id="") & models.Q(author_staff__isnull=False),
                name="message_idempotent_staff",
            ),
            models.UniqueConstraint(
                fields=["room", "author_visitor", "client_id"],
                condition=~models.Q(client_id="") & models.Q(author_visitor__isnull=False),
                name="message_idempotent_visitor",
            ),
        ]


class QuickReply(models.Model):
    """A saved phrase or link inserted by a shortcut: personal (owner set) or shared (owner null)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="quick_replies"
    )
    shortcut = models.CharField(max_length=40)
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["shortcut"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "shortcut"], name="quick_reply_once_per_owner"),
            models.UniqueConstraint(
                fields=["shortcut"], condition=models.Q(owner__isnull=True), name="quick_reply_shared_once"
            ),
        ]
