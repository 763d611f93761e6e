"""Entry points: widget, web links, messaging platforms and email."""

from __future__ import annotations

import secrets

from django.db import models

from contactcenter.org.models import ChannelKind
from customers.identity import identity_secret_new


def new_channel_key() -> str:
    return secrets.token_urlsafe(16)


VISITOR_FORM_FIELDS = ("first_name", "last_name", "email", "phone")
# The UTM parameters an admin may set on a web link, in the order the link shows them.
WEBLINK_UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")


# The widget panel's size bounds on a desktop (CSS pixels), checked in
# services.channel_widget_settings.
WIDGET_DEFAULT_WIDTH, WIDGET_WIDTH_RANGE = 380, (300, 600)
WIDGET_DEFAULT_HEIGHT, WIDGET_HEIGHT_RANGE = 600, (400, 900)


class WidgetPosition(models.TextChoices):
    LEFT = "left"
    RIGHT = "right"


class Channel(models.Model):
    Kind = ChannelKind

    kind = models.CharField(max_length=12, choices=Kind.choices)
    name = models.CharField(max_length=120)
    # Public identifier used by the widget and web links (not a secret).
    key = models.CharField(max_length=40, unique=True, default=new_channel_key)
    destination = models.ForeignKey("contactcenter.Destination", on_delete=models.PROTECT, related_name="channels")
    welcome_message = models.TextField(blank=True, default="")
    custom_info = models.TextField(blank=True, default="")
    # Platform credentials; never returned in full by the API.
    credentials = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # Widget and web link settings (SPEC 6). Validated in services.channel_widget_settings.
    # Sites allowed to embed the widget's iframe (CSP frame-ancestors); empty: any site.
    allowed_domains = models.JSONField(default=list, blank=True)
    widget_color = models.CharField(max_length=7, default="#2563eb")
    widget_position = models.CharField(max_length=5, choices=WidgetPosition.choices, default=WidgetPosition.RIGHT)
    widget_greeting = models.CharField(max_length=200, blank=True, default="")
    widget_logo_url = models.URLField(max_length=500, blank=True, default="")
    widget_company_name = models.CharField(max_length=120, blank=True, default="")
    # The chat panel's size on a desktop, in CSS pixels (phones always get the full screen).
    widget_width = models.PositiveSmallIntegerField(default=WIDGET_DEFAULT_WIDTH)
    widget_height = models.PositiveSmallIntegerField(default=WIDGET_DEFAULT_HEIGHT)
    show_tag_directory = models.BooleanField(default=False)
    show_staff_directory = models.BooleanField(default=False)
    # Who the staff directory lists (channels_adapters.directory); none chosen: every active
    # staff member with a tag, as before the choice existed.
    directory_staff = models.ManyToManyField(
        "contactcenter.Staff", blank=True, related_name="directory_channels", help_text="Staff shown in the directory."
    )
    form_enabled = models.BooleanField(default=False)
    # The widget's Note button: the visitor leaves a note (with files) without chatting.
    note_button = models.BooleanField(default=True)
    # The visitor may rate a conversation while it goes on ("Rate this conversation").
    visitor_may_rate_anytime = models.BooleanField(default=False)
    # Subset of VISITOR_FORM_FIELDS the visitor must fill in when the form is enabled.
    form_required_fields = models.JSONField(default=list, blank=True)
    # A web link /l/<slug> (tag or staff link, by the channel's destination).
    weblink_slug = models.SlugField(max_length=60, unique=True, null=True, blank=True)
    # The campaign tags the admin puts on the web link and its QR code (WEBLINK_UTM_KEYS to
    # short texts): the shown link and the QR code carry them as ?utm_*=, and the page
    # records the query's utm_* with the enquiry. One set per link, as a channel has one link.
    weblink_utm = models.JSONField(default=dict, blank=True)
    # The key of the host site's identifier hashes (ContactCenter.setVisitor: HMAC-SHA256 of
    # the signed-in user's id): admins only (channels_adapters.identity_api), rotated there.
    identity_secret = models.CharField(max_length=64, default=identity_secret_new)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"


class InboundEvent(models.Model):
    """A platform delivery already taken in (mid, wamid, webhookEventId, MsgId, Message-ID):
    a redelivery finds its row and is ignored."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="inbound_events")
    provider_key = models.CharField(max_length=255)
    received_at = models.DateTimeField(auto_now_add=True)
    # The normalised item (platforms.base.Inbound) kept for the background task.
    payload = models.JSONField(default=dict, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # The enquiry the event went to: an email reply threads to it by Message-ID.
    enquiry = models.ForeignKey("enquiries.Enquiry", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["channel", "provider_key"], name="inbound_event_once")]
        # The sweep and statuses waiting for their send look only at unprocessed events.
        indexes = [
            models.Index(
                fields=["channel", "id"], condition=models.Q(processed_at__isnull=True), name="inbound_event_waiting"
            )
        ]


class OutboundMessage(models.Model):
    """A staff message sent out through a platform's send API (or SMTP), with its delivery state."""

    class State(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        DELIVERED = "delivered"
        READ = "read"
        FAILED = "failed"

    message = models.OneToOneField("rooms.Message", on_delete=models.CASCADE, related_name="outbound")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="outbound_messages")
    provider_message_id = models.CharField(max_length=255, blank=True, default="", db_index=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    error = models.TextField(blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=0)
    # A file message whose caption follows as a separate text (platforms.base.FileSent): set
    # once the file has gone out while the caption has not, so that a retry (by any worker)
    # sends only the caption. ``file_message_id`` may be "" (WeChat gives no ids), hence the
    # timestamp as the marker. Kept apart from provider_message_id, which is set only when
    # the whole message is sent: statuses for the file wait until then (inbound.status_apply).
    file_sent_at = models.DateTimeField(null=True, blank=True)
    file_message_id = models.CharField(max_length=255, blank=True, default="")
    # When the next try is due: set when the send is queued and when a retry is scheduled
    # with back-off. A pending message whose try is overdue lost its task (worker crash,
    # broker outage, restart of the embedded ticker): outbound.outbound_resume_due queues
    # it again.
    next_try_at = models.DateTimeField(null=True, blank=True)
    # The lease of the try under way: a try claims the message until now +
    # CC_OUTBOUND_CLAIM_SECONDS and clears it when it ends. No other try (a duplicate task,
    # the sweep) starts while it lives; one past its end means the try crashed.
    claimed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # The outbound sweep looks only at pending messages, by when their try is due.
        indexes = [
            models.Index(fields=["next_try_at"], condition=models.Q(state="pending"), name="outbound_pending_due")
        ]
