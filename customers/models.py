"""Customers, customer tags and the record of merges and erasures."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class CustomerTag(models.Model):
    """A label staff put on customers ("VIP", "Wholesale"); admins define them."""

    name = models.CharField(max_length=60, unique=True)
    color = models.CharField(max_length=7, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]


class Customer(models.Model):
    """The person behind one or more visitors (``enquiries.Visitor.customer``).

    ``identifier`` is the host site's own id for them, proven by an HMAC
    (``ContactCenter.setVisitor``): unique when set, so every device of the same signed-in
    user lands on the same customer. ``merged_into`` is set on a customer merged into
    another (kept for the undo window); such a row is hidden from lists.
    """

    name = models.CharField(max_length=200, blank=True, default="")
    email = models.EmailField(blank=True, default="", db_index=True)
    phone = models.CharField(max_length=40, blank=True, default="", db_index=True)
    identifier = models.CharField(max_length=255, null=True, blank=True, unique=True)
    # [{"name": ..., "value": ...}], in order, as Visitor.custom_fields.
    custom_fields = models.JSONField(default=list, blank=True)
    notes = models.TextField(blank=True, default="")
    tags = models.ManyToManyField(CustomerTag, blank=True, related_name="customers")
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_from"
    )
    erased_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Last time one of their enquiries opened (the list's default order).
    last_seen_at = models.DateTimeField(null=True, blank=True, db_index=True)

    def __str__(self) -> str:
        return self.name or self.email or self.phone or f"Customer {self.pk}"


class CustomerMerge(models.Model):
    """``other`` merged into ``customer`` by ``actor``: what moved, so it can be undone
    until ``undo_until`` (30 days)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="merges")
    other = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # {"visitors": [ids], "fields": {...the customer's fields before}, "tags": [ids]}
    moved = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    undo_until = models.DateTimeField()
    undone_at = models.DateTimeField(null=True, blank=True)


class CustomerErasure(models.Model):
    """The record that a customer's data was erased on request, and by whom. It keeps no
    personal data: only the customer's id and counts of what went."""

    customer_id_erased = models.BigIntegerField(db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(max_length=200, blank=True, default="")
    counts = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
