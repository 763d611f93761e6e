"""Rooms and their messages: the one posting pipeline (services.messages_post) that other apps
extend through hooks, membership, edits and recalls, files, mentions, link previews, spaces."""
