"""The system messages of an enquiry's room that the visitor reads: stored with a text code
and its values, worded in each reader's language (rooms.system_texts, README "Languages").
gettext_noop marks them for makemessages; they are translated when read."""

from __future__ import annotations

from django.utils.translation import gettext_noop

VISITOR_TEXTS = {
    "joined": gettext_noop("%(name)s joined the conversation."),
    "missed_closed": gettext_noop("We are closed right now. Leave a note and we will get back to you."),
    "missed_nobody": gettext_noop("Sorry, nobody is available right now. Leave a note and we will get back to you."),
    "transferred": gettext_noop("Transferred from %(from)s to %(to)s."),
    "transferred_to": gettext_noop("Transferred to %(to)s."),
    "resolved": gettext_noop("%(name)s marked this enquiry resolved."),
    "reopened": gettext_noop("The customer wrote again: enquiry reopened."),
    "closed": gettext_noop("This conversation is closed."),
    "left": gettext_noop("%(name)s left the conversation."),
    # An admin who took over from the room: staff read "... (admin) took over this conversation."
    "rating_invite": gettext_noop("%(name)s asks you to rate this conversation."),
    "looks_after": gettext_noop("%(name)s is now looking after your conversation."),
}
