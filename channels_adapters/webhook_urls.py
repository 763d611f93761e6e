"""Platform webhook URLs (issue 6)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
