"""Widget, web link and QR pages (issue 5)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
