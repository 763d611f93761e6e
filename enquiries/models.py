"""Visitors, enquiries, alerts, transfers, notes and the enquiry event log."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Visitor(models.Model):
    """The customer, from the visitor form or the channel profile."""

    first_name = models.CharField(max_length=100, blank=True, default="")
    last_name = models.CharField(max_length=100, blank=True, default="")
    email = models.EmailField(blank=True, default="")
    phone = models.CharField(max_length=40, blank=True, default="")
    photo_url = models.URLField(blank=True, default="")
    language = models.CharField(max_length=20, blank=True, default="")
    # The language of the visitor's chat (widget or web link: one of settings.LANGUAGES, set
    # when they start): the system messages they read and their socket's answers are worded
    # in it (rooms.system_texts). ``language`` is the platform profile's.
    chat_language = models.CharField(max_length=20, blank=True, default="")
    # Platform identity (PSID, wa_id, LINE userId, WeChat openid, email address).
    channel = models.ForeignKey("channels_adapters.Channel", null=True, on_delete=models.SET_NULL)
    channel_identity = models.CharField(max_length=255, blank=True, default="")
    device = models.JSONField(default=dict, blank=True)
    utm = models.JSONField(default=dict, blank=True)
    extra = models.JSONField(default=dict, blank=True)
    # Name/value pairs staff add about the customer: [{"name": ..., "value": ...}], in order
    # (enquiries.services.visitor_update limits them). Kept with the visitor until customers
    # exist, which take them over as they are.
    custom_fields = models.JSONField(default=list, blank=True)
    # The person behind this visitor (customers app): set when the visitor is created or
    # proven (same platform user, an email enquiry's address, a host site's signed
    # identifier) and moved by a merge. None only for rows older than customers.
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="visitors"
    )
    # Carried in every visitor token; raising it (enquiries.services.visitor_tokens_revoke)
    # makes every token issued before invalid.
    token_epoch = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "channel_identity"],
                condition=~models.Q(channel_identity=""),
                name="visitor_unique_channel_identity",
            )
        ]

    # A visitor authenticates API calls (Authorization: Visitor <token>); DRF and Django
    # code that asks whether request.user is authenticated must get an answer.
    is_authenticated = True
    is_anonymous = False

    @property
    def display_name(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return name or self.email or self.phone or f"Visitor {self.pk}"


class ConversationTag(models.Model):
    """What a conversation was about, in a two-level tree admins define ("Billing" >
    "Refund"): a tag with a ``parent`` is a child; a child has no children."""

    name = models.CharField(max_length=60)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="conversation_tag_unique_name"),
            models.UniqueConstraint(
                fields=["name"], condition=models.Q(parent__isnull=True), name="conversation_tag_unique_root_name"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.parent.name} > {self.name}" if self.parent_id and self.parent else self.name


class Enquiry(models.Model):
    class Status(models.TextChoices):
        OPEN = "open"
        HANDLING = "handling"
        RESOLVED = "resolved"
        CLOSED = "closed"
        MISSED = "missed"

    class Kind(models.TextChoices):
        BROADCAST = "broadcast"
        DIRECT = "direct"

    class MissedReason(models.TextChoices):
        TIMEOUT = "timeout"
        NOBODY_AVAILABLE = "nobody_available"
        OUT_OF_HOURS = "out_of_hours"
        ALL_REJECTED = "all_rejected"
        # The visitor left a note without chatting (the widget's Note button).
        NOTE_LEFT = "note_left"

    channel = models.ForeignKey("channels_adapters.Channel", on_delete=models.PROTECT, related_name="enquiries")
    destination = models.ForeignKey("contactcenter.Destination", on_delete=models.PROTECT, related_name="enquiries")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    visitor = models.ForeignKey(Visitor, on_delete=models.PROTECT, related_name="enquiries")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    missed_reason = models.CharField(max_length=20, choices=MissedReason.choices, blank=True, default="")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="owned_enquiries"
    )
    first_message = models.TextField(blank=True, default="")
    # What the customer came through when it differs from the channel's kind: "weblink" for
    # the Engage Now page of a widget channel's web link. Empty: the channel's kind.
    via = models.CharField(max_length=12, blank=True, default="")
    # The country of the address the enquiry was opened from (contactcenter.org.geoip), "" if
    # unknown; the address itself is not kept.
    client_country = models.CharField(max_length=2, blank=True, default="")
    topic = models.CharField(max_length=200, blank=True, default="")
    labels = models.JSONField(default=list, blank=True)
    # Conversation tags the owner (or an admin) set (OrgSettings.require_conversation_tag).
    tags = models.ManyToManyField(ConversationTag, blank=True, related_name="enquiries")
    created_at = models.DateTimeField(db_index=True)
    picked_up_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    missed_at = models.DateTimeField(null=True, blank=True)
    # Deadlines (SPEC 3): the 60 s maximum wait, the end of a returning customer's head
    # start, the auto-close of a resolved enquiry. Enforced by enquiries.timers.sweep.
    deadline_at = models.DateTimeField(null=True, blank=True, db_index=True)
    broadcast_at = models.DateTimeField(null=True, blank=True, db_index=True)
    auto_close_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Open but held by the channel's robot (robot app, ``enquiries.hooks.register_open_holder``):
    # nobody is alerted and no deadline runs until ``enquiry_robot_handover`` routes it as a
    # new enquiry (the 60 s wait counted from then), or the conversation ends with the robot.
    robot_held = models.BooleanField(default=False, db_default=False)  # db_default: 0.9.0 inserts without it (Upgrades)
    rating_score = models.PositiveSmallIntegerField(null=True, blank=True)
    rating_comment = models.TextField(blank=True, default="")
    rated_at = models.DateTimeField(null=True, blank=True)
    # When staff asked the visitor to rate (the room's "Ask for a rating"): the visitor may
    # then rate while the conversation goes on.
    rating_invited_at = models.DateTimeField(null=True, blank=True)
    # Follow-up of a missed enquiry (its note): who it is assigned to, and when and by whom
    # it was marked handled (enquiries.services.missed_follow_up_update).
    followup_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    followup_handled_at = models.DateTimeField(null=True, blank=True)
    followup_handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    # Not a column: the queue position routing gave it in enquiry_open (None unless it
    # waits for people), for the opening request's answer without another query.
    opened_position: int | None = None

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["destination", "status", "created_at"]),
            # History (history.selectors.history_page): newest first, keyset pages on
            # (created_at, id); finished enquiries only, and by owner or channel.
            models.Index(
                fields=["-created_at", "-id"],
                condition=models.Q(status__in=["resolved", "closed", "missed"]),
                name="enquiry_history_finished",
            ),
            models.Index(fields=["owner", "-created_at", "-id"], name="enquiry_history_owner"),
            models.Index(fields=["channel", "-created_at", "-id"], name="enquiry_history_channel"),
        ]


class Transfer(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        ACCEPTED = "accepted"
        LAPSED = "lapsed"

    enquiry = models.ForeignKey(Enquiry, on_delete=models.CASCADE, related_name="transfers")
    from_staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    to_staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # SET_NULL: a tag is deleted only with no pending transfer to it (tag_delete); past ones keep their messages.
    to_tag = models.ForeignKey("contactcenter.Tag", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    deadline_at = models.DateTimeField(db_index=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # At most one pending transfer per enquiry.
            models.UniqueConstraint(
                fields=["enquiry"], condition=models.Q(status="pending"), name="transfer_one_pending"
            )
        ]


class EnquiryAlert(models.Model):
    """A staff member alerted for an enquiry (or for a transfer of it): their panel row."""

    enquiry = models.ForeignKey(Enquiry, on_delete=models.CASCADE, related_name="alerts")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alerts")
    transfer = models.ForeignKey(Transfer, null=True, blank=True, on_delete=models.CASCADE, related_name="alerts")
    created_at = models.DateTimeField()
    rejected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["enquiry", "staff"], condition=models.Q(transfer__isnull=True), name="alert_once_per_enquiry"
            ),
            models.UniqueConstraint(
                fields=["transfer", "staff"], condition=models.Q(transfer__isnull=False), name="alert_once_per_transfer"
            ),
        ]


class EnquiryNote(models.Model):
    """A note the visitor leaves on a missed enquiry, or with the widget's Note button (an
    enquiry missed at once, reason "note_left")."""

    enquiry = models.OneToOneField(Enquiry, on_delete=models.CASCADE, related_name="note")
    text = models.TextField()
    contact = models.CharField(max_length=255, blank=True, default="")
    # The note's files, each a visitor file message of the enquiry's room:
    # [{"message": id, "name", "category", "content_type", "size"}].
    files = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()


class EnquiryEvent(models.Model):
    class Type(models.TextChoices):
        OPENED = "opened"
        ALERTED = "alerted"
        PICKED_UP = "picked_up"
        REJECTED = "rejected"
        TRANSFER_STARTED = "transfer_started"
        TRANSFERRED = "transferred"
        TRANSFER_LAPSED = "transfer_lapsed"
        JOINED = "joined"
        TAKEN_OVER = "taken_over"
        RESOLVED = "resolved"
        KEPT_OPEN = "kept_open"
        REOPENED = "reopened"
        CLOSED = "closed"
        LEFT = "left"
        MISSED = "missed"
        NOTE_LEFT = "note_left"
        RATED = "rated"
        RATING_INVITED = "rating_invited"
        FOLLOW_UP_JOINED = "follow_up_joined"
        FOLLOW_UP_ASSIGNED = "follow_up_assigned"
        FOLLOW_UP_HANDLED = "follow_up_handled"
        FOLLOW_UP_REOPENED = "follow_up_reopened"
        TOPIC_SET = "topic_set"
        TAGS_SET = "tags_set"
        # The robot handed a held enquiry over to people (data: {"reason": ...}).
        HANDED_OVER = "handed_over"

    enquiry = models.ForeignKey(Enquiry, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=20, choices=Type.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    # True when the visitor acted (actor is then null); null actor otherwise means the system.
    by_visitor = models.BooleanField(default=False)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["id"]
