"""Reads of the robot: the article list, each channel's robot, and the robot's figures."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from analytics.reports import period_parse
from channels_adapters.models import Channel
from contactcenter.org import clock
from contactcenter.org.errors import NotFound
from contactcenter.org.i18n import business_time_zone
from robot.matching import match_articles, token_set
from robot.models import Article, RobotConversation, RobotSettings, RobotTurn
from robot.services import ROBOT_CHANNEL_KINDS

UNANSWERED_SCAN = 2000  # latest unanswered questions grouped
UNANSWERED_GROUPS = 50
GROUP_AT = 0.6  # two questions this alike (weighted token overlap) are one group


def article_list(*, q: str = "", tag: str = "") -> list[Article]:
    """Every article, newest first; ``q``: those matching it, best first; ``tag``: with it."""
    articles = list(Article.objects.order_by("-id"))
    if tag:
        articles = [a for a in articles if tag.casefold() in (t.casefold() for t in a.tags)]
    if q.strip():
        return [m.article for m in match_articles(q, articles, limit=len(articles))]
    return articles


def channel_of(channel_id: int) -> Channel:
    channel = Channel.objects.filter(pk=channel_id).first()
    if channel is None:
        raise NotFound(_("Channel not found."))
    return channel


def _settings_data(channel: Channel, row: RobotSettings | None) -> dict[str, Any]:
    row = row or RobotSettings(channel_id=channel.pk)
    return {
        "channel": channel.pk,
        "channel_name": channel.name,
        "channel_kind": channel.kind,
        "available": channel.kind in ROBOT_CHANNEL_KINDS,
        "enabled": row.enabled,
        "welcome_message": row.welcome_message,
        "handover_after_turns": row.handover_after_turns,
        "confidence_threshold": row.confidence_threshold,
    }


def robot_channel(channel: Channel) -> dict[str, Any]:
    return _settings_data(channel, RobotSettings.objects.filter(channel=channel).first())


def robot_channels() -> list[dict[str, Any]]:
    rows = {r.channel_id: r for r in RobotSettings.objects.all()}
    return [_settings_data(c, rows.get(c.pk)) for c in Channel.objects.order_by("id")]


def period(raw_from: str | None, raw_to: str | None) -> tuple[dt.datetime, dt.datetime]:
    """The figures' period (``analytics.reports.period_parse``); default the last 30 days."""
    if not raw_from and not raw_to:
        import zoneinfo  # only for the default

        today = clock.now().astimezone(zoneinfo.ZoneInfo(business_time_zone())).date()
        raw_from, raw_to = (today - dt.timedelta(days=29)).isoformat(), today.isoformat()
    found = period_parse(raw_from, raw_to)
    return found.start, found.end


def _grouped(turns: QuerySet[RobotTurn]) -> list[dict[str, Any]]:
    """Unanswered questions grouped by likeness (the first of a group names it)."""
    groups: list[dict[str, Any]] = []
    for question, created_at in turns.order_by("-created_at").values_list("question", "created_at")[:UNANSWERED_SCAN]:
        tokens = token_set(question)
        if not tokens:
            continue
        home = None
        for group in groups:
            shared = len(tokens & group["tokens"])
            if shared and 2 * shared / (len(tokens) + len(group["tokens"])) >= GROUP_AT:
                home = group
                break
        if home is None:
            groups.append({"question": question, "count": 1, "examples": [], "last_at": created_at, "tokens": tokens})
            continue
        home["count"] += 1
        if question != home["question"] and question not in home["examples"] and len(home["examples"]) < 3:
            home["examples"].append(question)
    groups.sort(key=lambda g: (-g["count"], -g["last_at"].timestamp()))
    return [
        {"question": g["question"], "count": g["count"], "examples": g["examples"], "last_at": g["last_at"].isoformat()}
        for g in groups[:UNANSWERED_GROUPS]
    ]


def robot_stats(*, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """The robot's figures for conversations it started in [start, end)."""
    conversations = RobotConversation.objects.filter(created_at__gte=start, created_at__lt=end)
    states = dict(conversations.values_list("state").annotate(n=Count("pk")).values_list("state", "n"))
    reasons = dict(
        conversations.filter(state=RobotConversation.State.HANDED_OVER)
        .values_list("handover_reason")
        .annotate(n=Count("pk"))
        .values_list("handover_reason", "n")
    )
    resolved = states.get(RobotConversation.State.ENDED, 0)
    handed_over = states.get(RobotConversation.State.HANDED_OVER, 0)
    turns = RobotTurn.objects.filter(created_at__gte=start, created_at__lt=end)
    answers = turns.aggregate(
        n=Count("pk", filter=Q(outcome=RobotTurn.Outcome.ANSWERED)),
        ai=Count("pk", filter=Q(outcome=RobotTurn.Outcome.ANSWERED, by_ai=True)),
    )
    finished = resolved + handed_over
    return {
        "conversations": sum(states.values()),
        "active": states.get(RobotConversation.State.ACTIVE, 0),
        "resolved": resolved,
        "handed_over": handed_over,
        "resolved_share": round(resolved / finished, 4) if finished else None,
        "handovers": {reason: reasons.get(reason, 0) for reason in RobotConversation.Reason.values},
        "answers": answers["n"],
        "answers_by_ai": answers["ai"],
        "unanswered": _grouped(turns.filter(outcome=RobotTurn.Outcome.UNSURE)),
    }
