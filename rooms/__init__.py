"""Rooms and their messages: membership, posting, edits and recalls, files, mentions, link
previews, quick replies and staff spaces."""
