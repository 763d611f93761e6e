"""Browser pages of the staff dashboard (issue 4): login, logout, the dashboard shell and
its admin pages. The shell is one page whose ES modules route between sections without
reloading, so the websocket stays open; each section also has its own URL."""

from django.urls import URLPattern, path, re_path

from contactcenter import web

urlpatterns: list[URLPattern] = [
    path("login/", web.login_page, name="login"),
    path("logout/", web.logout_view, name="logout"),
    path("app/", web.dashboard, name="dashboard"),
    # Django's JavaScript catalogue, per language (contactcenter.web.js_catalogue).
    re_path(r"^jsi18n/(?P<language>[a-z-]{2,16})\.js$", web.js_catalogue, name="js-catalogue"),
    path("app/rooms/<int:room_id>", web.room_page, name="dashboard-room"),
    re_path(r"^app/(?P<section>inbox|assigned|missed|quick-replies|exports)$", web.list_page, name="dashboard-list"),
    path("app/admin/<slug:section>", web.admin_page, name="dashboard-admin"),
    # Customers: the list and a customer's profile (static/js/dashboard/customers.js).
    re_path(r"^app/(?P<section>customers)(?:/\d{1,18})?$", web.list_page, name="dashboard-customers"),
    # History: the list and one conversation's transcript (static/js/dashboard/history.js).
    re_path(r"^app/(?P<section>history)(?:/\d+)?$", web.list_page, name="dashboard-history"),
    path("app/search", web.list_page, {"section": "search"}, name="dashboard-search"),
    # Reports > Review: reviews, and one conversation under review (static/js/dashboard/review.js).
    re_path(
        r"^app/reports/review(?:/\d{1,18})?$", web.list_page, {"section": "reports/review"}, name="dashboard-review"
    ),
    # Reports: Home, Analytics, Monitor (static/js/dashboard/reports.js), Review, VOC.
    re_path(r"^app/(?P<section>reports)(?:/[a-z-]{1,32})?$", web.list_page, name="dashboard-reports"),
]
