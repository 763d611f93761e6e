"""Notifications' tables."""
