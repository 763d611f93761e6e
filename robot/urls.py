"""API routes of the robot app, mounted under /api/v1/ by contactcenter/urls.py."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from robot import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("kb/articles", api.ArticlesView.as_view()),
    path("kb/articles/import", api.ArticlesImportView.as_view()),
    path("kb/articles/<int:article_id>", api.ArticleDetailView.as_view()),
    path("kb/match", api.MatchView.as_view()),
    path("robot/channels", api.RobotChannelsView.as_view()),
    path("robot/channels/<int:channel_id>", api.RobotChannelView.as_view()),
    path("robot/stats", api.RobotStatsView.as_view()),
    path("widget/enquiries/<int:enquiry_id>/robot/handover", api.VisitorHandoverView.as_view()),
]
