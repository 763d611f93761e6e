"""API routes of the history app, mounted under /api/v1/ by contactcenter/urls.py."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from enquiries import conversation_tags_api
from history import customers_api, erasure_api, exports_api, search_api
from history.history_api import urlpatterns as history_list_urls

urlpatterns: list[URLPattern | URLResolver] = [
    # Conversation tags (enquiries.conversation_tags) and erasure (history.erasure).
    path("conversation-tags", conversation_tags_api.ConversationTagsView.as_view()),
    path("conversation-tags/<int:tag_id>", conversation_tags_api.ConversationTagDetailView.as_view()),
    path("customers/<int:customer_id>/erase", erasure_api.CustomerEraseView.as_view()),
]

# Customers (history/customers_api.py).
urlpatterns += [
    path("customers", customers_api.CustomerListView.as_view()),
    path("customers/<int:customer_id>", customers_api.CustomerDetailView.as_view()),
    path("customers/<int:customer_id>/enquiries", customers_api.CustomerEnquiriesView.as_view()),
    path("customers/<int:customer_id>/duplicates", customers_api.CustomerDuplicatesView.as_view()),
    path("customers/<int:customer_id>/merge", customers_api.CustomerMergeView.as_view()),
    path("customers/<int:customer_id>/merges/<int:merge_id>/undo", customers_api.CustomerMergeUndoView.as_view()),
    path("customer-tags", customers_api.CustomerTagsView.as_view()),
    path("customer-tags/<int:tag_id>", customers_api.CustomerTagDetailView.as_view()),
]

# History: the list, transcripts and their files, transcript downloads (history/history_api.py).
urlpatterns += history_list_urls

# Search (history/search_api.py).
urlpatterns += [path("search", search_api.SearchView.as_view(), name="search")]

# Exports (history/exports_api.py).
urlpatterns += [
    path("exports", exports_api.ExportsView.as_view()),
    path("exports/<int:export_id>", exports_api.ExportDetailView.as_view()),
    path("exports/<int:export_id>/download", exports_api.ExportDownloadView.as_view()),
]
