"""Widget, web link and QR pages (issue 5); public links to staff files (media_links)."""

from django.urls import URLPattern, path

from channels_adapters import identity_api, media_links, widget_views

urlpatterns: list[URLPattern] = [
    path("widget/<str:key>/", widget_views.widget_page, name="widget"),
    path("l/<slug:slug>", widget_views.weblink_page, name="weblink"),
    path("api/v1/widget/channels/<str:key>", widget_views.WidgetChannelView.as_view()),
    path("api/v1/channels/<int:channel_id>/qr.png", widget_views.QRCodePNGView.as_view()),
    path("api/v1/channels/<int:channel_id>/qr.svg", widget_views.QRCodeSVGView.as_view()),
    path("api/v1/widget/identify", identity_api.WidgetIdentifyView.as_view()),
    path("api/v1/channels/<int:channel_id>/identity", identity_api.ChannelIdentityView.as_view()),
    path("api/v1/channels/<int:channel_id>/identity/rotate", identity_api.ChannelIdentityRotateView.as_view()),
    path("media-links/<str:token>/", media_links.media_link_view, name="media-link"),
]
