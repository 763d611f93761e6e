"""Supervision for admins: the live overview and today's counts, read from the enquiry event log,
and the API to join or take over an enquiry (the changes themselves are enquiry services)."""
