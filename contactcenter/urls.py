from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from channels_adapters import api as channel_api
from contactcenter import views, web
from contactcenter.ops import views as ops_views
from contactcenter.org import api as org_api
from enquiries import api as enquiry_api
from enquiries.photos_api import VisitorPhotoView
from monitoring import api as monitoring_api
from rooms import api as room_api
from rooms.files_api import urlpatterns as rooms_files_urls
from rooms.rooms_api import urlpatterns as rooms_features_urls

api_v1 = [
    path("auth/token", org_api.TokenLoginView.as_view()),
    path("auth/session", org_api.SessionLoginView.as_view()),
    path("auth/logout", org_api.LogoutView.as_view()),
    path("auth/socket-ticket", org_api.SocketTicketView.as_view()),
    path("me", org_api.MeView.as_view()),
    path("me/preferences", org_api.MePreferencesView.as_view()),
    path("tags", org_api.TagsView.as_view()),
    path("tags/<int:tag_id>", org_api.TagDetailView.as_view()),
    path("staff", org_api.StaffListView.as_view()),
    path("staff/<int:staff_id>", org_api.StaffDetailView.as_view()),
    path("settings", org_api.SettingsView.as_view()),
    path("channels", channel_api.ChannelsView.as_view()),
    path("channels/<int:channel_id>", channel_api.ChannelDetailView.as_view()),
    path("channels/kinds", channel_api.ChannelKindsView.as_view()),
    path("channels/test-connection", channel_api.ConnectionTestView.as_view()),
    path("widget/enquiries", channel_api.WidgetEnquiriesView.as_view()),
    path("widget/notes", channel_api.WidgetNotesView.as_view()),
    path("widget/enquiries/<int:enquiry_id>", enquiry_api.VisitorEnquiryView.as_view()),
    path("widget/enquiries/<int:enquiry_id>/note", enquiry_api.VisitorNoteView.as_view()),
    path("widget/enquiries/<int:enquiry_id>/rating", enquiry_api.VisitorRatingView.as_view()),
    path("widget/enquiries/<int:enquiry_id>/end", enquiry_api.VisitorEndView.as_view()),
    path("widget/history", channel_api.WidgetHistoryView.as_view()),
    path("enquiries", enquiry_api.EnquiryListView.as_view()),
    path("enquiries/<int:enquiry_id>", enquiry_api.EnquiryDetailView.as_view()),
    path("enquiries/<int:enquiry_id>/pick-up", enquiry_api.PickUpView.as_view()),
    path("enquiries/<int:enquiry_id>/reject", enquiry_api.RejectView.as_view()),
    path("enquiries/<int:enquiry_id>/resolve", enquiry_api.ResolveView.as_view()),
    path("enquiries/<int:enquiry_id>/leave", enquiry_api.LeaveView.as_view()),
    path("enquiries/<int:enquiry_id>/keep-open", enquiry_api.KeepOpenView.as_view()),
    path("enquiries/<int:enquiry_id>/close", enquiry_api.CloseView.as_view()),
    path("enquiries/<int:enquiry_id>/rating-invite", enquiry_api.RatingInviteView.as_view()),
    path("me/load", enquiry_api.MyLoadView.as_view()),
    path("messages/<int:message_id>/retry-send", channel_api.MessageRetrySendView.as_view()),
    path("enquiries/<int:enquiry_id>/transfer", enquiry_api.TransferView.as_view()),
    path("enquiries/<int:enquiry_id>/visitor", enquiry_api.EnquiryVisitorView.as_view()),
    path("enquiries/<int:enquiry_id>/follow-up", enquiry_api.FollowUpView.as_view()),
    path("visitors/<int:visitor_id>/revoke-tokens", enquiry_api.VisitorTokensRevokeView.as_view()),
    path("visitors/<int:visitor_id>/photo", VisitorPhotoView.as_view()),
    path("enquiries/<int:enquiry_id>/join", monitoring_api.JoinView.as_view()),
    path("enquiries/<int:enquiry_id>/take-over", monitoring_api.TakeOverView.as_view()),
    path("monitoring/overview", monitoring_api.OverviewView.as_view()),
    path("rooms/<int:room_id>/messages", room_api.RoomMessagesView.as_view()),
]

urlpatterns = [
    path("", web.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", ops_views.readyz, name="readyz"),
    path("metrics", ops_views.metrics_view, name="metrics"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    *[path(f"api/v1/{p.pattern}", p.callback) for p in api_v1],
    # Rooms features (files; messages edit/recall/forward; direct rooms, spaces, quick replies...).
    path("api/v1/", include(rooms_files_urls)),
    path("api/v1/", include(rooms_features_urls)),
    # After the conversation: history, search, customers, exports (history/urls.py).
    path("api/v1/", include("history.urls")),
    # Notifications (notifications/urls.py); analytics, reviews, VOC (analytics/urls.py).
    path("api/v1/", include("notifications.urls")),
    path("api/v1/", include("analytics.urls")),
    # AI assist (ai/urls.py), the robot and knowledge base (robot/urls.py), outgoing webhooks.
    path("api/v1/", include("ai.urls")),
    path("api/v1/", include("robot.urls")),
    path("api/v1/", include("integrations.urls")),
    # Browser pages: the staff dashboard, and the visitor's widget / web link pages.
    path("", include("contactcenter.web_urls")),
    path("", include("channels_adapters.widget_urls")),
    path("webhooks/", include("channels_adapters.webhook_urls")),
]

handler400 = "contactcenter.views.bad_request"
handler403 = "contactcenter.views.permission_denied"
handler404 = "contactcenter.views.not_found"
handler500 = "contactcenter.views.server_error"
