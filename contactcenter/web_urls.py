"""Browser pages (dashboard); filled in by the dashboard work (issue 4)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
