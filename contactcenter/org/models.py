"""Organisation-wide models: staff, tags, destinations, settings, API tokens; the channel kinds."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models


class ChannelKind(models.TextChoices):
    """The kinds of entry point a customer writes through (``channels_adapters.Channel.Kind``),
    here so that apps below the adapters can filter and validate by kind."""

    WIDGET = "widget"
    WEBLINK = "weblink"
    MESSENGER = "messenger"
    WHATSAPP = "whatsapp"
    LINE = "line"
    WECHAT = "wechat"
    EMAIL = "email"
    SMS = "sms"


class StaffManager(BaseUserManager["Staff"]):
    # Only used by Django's own tooling (createsuperuser); the product creates staff
    # through contactcenter.org.services.staff_create.
    def create_user(self, email: str, password: str | None = None, **extra: Any) -> Staff:
        staff = self.model(email=self.normalize_email(email).lower(), **extra)
        staff.set_password(password)
        staff.save()
        return staff

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> Staff:
        extra["role"] = Staff.Role.ADMIN
        return self.create_user(email, password, **extra)


class Staff(AbstractBaseUser):
    class Role(models.TextChoices):
        AGENT = "agent"
        ADMIN = "admin"

    class Availability(models.TextChoices):
        ACTIVE = "active"
        BUSY = "busy"
        AWAY = "away"
        OFFLINE = "offline"

    email = models.EmailField(unique=True)
    display_name = models.CharField(max_length=120)
    avatar_url = models.URLField(blank=True, default="")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.AGENT)
    availability = models.CharField(max_length=10, choices=Availability.choices, default=Availability.OFFLINE)
    max_concurrent = models.PositiveIntegerField(default=5)
    is_active = models.BooleanField(default=True)
    phone = models.CharField(max_length=40, blank=True, default="")
    # Their own choices (contactcenter.org.i18n): one of settings.CC_STAFF_LANGUAGES, empty for the
    # browser's language; an IANA time zone, empty for the business's.
    language = models.CharField(max_length=16, blank=True, default="")
    time_zone = models.CharField(max_length=60, blank=True, default="")
    tags: models.ManyToManyField[Tag, Any] = models.ManyToManyField("Tag", related_name="staff", blank=True)
    # Rotated at every login: sessions and tokens carry the epoch they were issued in, so a
    # login on a second device ends the first one's session.
    auth_epoch = models.UUIDField(default=uuid.uuid4)
    # The one live session (browser or API token) of this staff member, if any: when it
    # ends for idleness (renewed by activity), and what kind it is. NULL: none is live.
    # Every way a session ends (contactcenter.org.services.staff_session_end) clears both.
    session_expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    session_kind = models.CharField(max_length=10, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = StaffManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []  # type: ignore[misc]

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.display_name or self.email

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN

    @property
    def is_staff(self) -> bool:  # Django admin/tooling compatibility; there is no Django admin.
        return False


class Tag(models.Model):
    name = models.CharField(max_length=80, unique=True)
    # Shown to staff when an enquiry to this tag starts; wins over the channel's (SPEC 2).
    custom_info = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Destination(models.Model):
    """Where an entry point routes: a tag (broadcast) or one staff member (direct)."""

    class Type(models.TextChoices):
        TAG = "tag"
        STAFF = "staff"

    name = models.CharField(max_length=120)
    type = models.CharField(max_length=10, choices=Type.choices)
    # A deleted tag leaves its destination behind (tag NULL, name kept) for the history and
    # reports of the enquiries that went there (contactcenter.org.services.tag_delete).
    tag = models.OneToOneField(Tag, null=True, blank=True, on_delete=models.SET_NULL, related_name="destination")
    staff = models.OneToOneField(Staff, null=True, blank=True, on_delete=models.PROTECT, related_name="destination")

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="destination_one_endpoint",
                condition=(
                    models.Q(type="tag", staff__isnull=True)
                    | models.Q(type="staff", staff__isnull=False, tag__isnull=True)
                ),
            )
        ]

    def __str__(self) -> str:
        return self.name


class OrgSettings(models.Model):
    """The single row of admin settings (pk=1)."""

    auto_close_enabled = models.BooleanField(default=True)
    auto_close_minutes = models.PositiveIntegerField(default=15)
    # None: always open. Else {"timezone": "Europe/London", "days": {"mon": [["09:00", "18:00"]], ...}}
    work_hours = models.JSONField(null=True, blank=True, default=None)
    ratings_visible_to_agents = models.BooleanField(default=False)
    # An agent may keep a resolved enquiry open (no auto-close) instead of waiting for it.
    agents_may_keep_open = models.BooleanField(default=False)
    company_name = models.CharField(max_length=120, blank=True, default="")
    # Resolving an enquiry is refused until it has a conversation tag.
    require_conversation_tag = models.BooleanField(default=False)
    # Closed conversations older than this many days are deleted by a daily task; None: kept.
    retention_days = models.PositiveIntegerField(null=True, blank=True, default=None)
    updated_at = models.DateTimeField(auto_now=True)


class AuthToken(models.Model):
    """An API token; only its SHA-256 is stored."""

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    epoch = models.UUIDField()
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField()


class SocketTicket(models.Model):
    """A one-time pass for an API client's staff socket (``/ws/staff/?ticket=``): valid
    for a few seconds and once (redeemed by a conditional delete), tied to the session
    (epoch) of the token that asked for it. Only its SHA-256 is stored."""

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="socket_tickets")
    key_hash = models.CharField(max_length=64, unique=True)
    epoch = models.UUIDField()
    expires_at = models.DateTimeField(db_index=True)


class RelayedEvent(models.Model):
    """A realtime event committed by a process that has no sockets (a management command
    in the embedded default, whose in-memory channel layer reaches only itself), waiting
    for the web process to send it (``contactcenter.org.realtime.relay_drain``). Written in
    the transaction of the change it announces: committed together, or not at all."""

    groups = models.JSONField()
    message = models.JSONField()
    created_at = models.DateTimeField()
