"""API routes of the history app, mounted under /api/v1/ by contactcenter/urls.py."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from enquiries import conversation_tags_api
from history import erasure_api

urlpatterns: list[URLPattern | URLResolver] = [
    # Conversation tags (enquiries.conversation_tags) and erasure (history.erasure).
    path("conversation-tags", conversation_tags_api.ConversationTagsView.as_view()),
    path("conversation-tags/<int:tag_id>", conversation_tags_api.ConversationTagDetailView.as_view()),
    path("customers/<int:customer_id>/erase", erasure_api.CustomerEraseView.as_view()),
]
