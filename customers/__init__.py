"""Customers: the person behind visitors and platform accounts (SPEC section 9).

Below rooms and enquiries: a ``Visitor`` (widget visitor, WhatsApp number, LINE user, email
address) points at its ``Customer``; this app knows nothing of visitors or enquiries.
"""
