"""URL patterns filled in by the feature work (issue 3)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
