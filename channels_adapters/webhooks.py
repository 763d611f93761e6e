"""Platform webhooks (SPEC 6): one endpoint per connected account, /webhooks/<kind>/<id>/.

GET answers the verification handshake (Meta ``hub.challenge``, WeChat ``echostr``). POST
checks the signature on the raw body before anything else (403 and nothing stored when
it is bad or missing), stores the new events and answers at once; a background task does
the work, well within the platforms' deadlines (LINE 2 s, Meta and WeChat 5 s).

Rate limit (SPEC 7): at most CC_WEBHOOK_RATE requests per channel and client address,
answered 429 beyond it with nothing stored. Requests are counted first, before the channel
lookup and the signature check: a flood of badly signed requests is cut off with one cache
operation each, no database query and no HMAC. The platforms retry deliveries answered
429, so a genuine event refused during a flood is delivered again later.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET  # noqa: S405 - only for its ParseError

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from channels_adapters.inbound import inbound_record
from channels_adapters.models import Channel
from channels_adapters.platforms import PLATFORMS
from contactcenter.org.client_address import client_ident

logger = logging.getLogger(__name__)


_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _rate() -> tuple[int, int]:
    """CC_WEBHOOK_RATE as (requests, seconds): "600/min" -> (600, 60); (0, 0) for no limit."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*([smhd])\w*\s*", str(settings.CC_WEBHOOK_RATE or ""))
    return (int(match[1]), _PERIODS[match[2]]) if match else (0, 0)


def webhook_over_rate(request: HttpRequest, kind: str, channel_id: int) -> bool:
    """Count this request; True when it is over the limit. A fixed window that starts at
    the first request (the cache entry's expiry); the client address as the login and
    widget limits read it (forwarded headers only from declared proxies)."""
    limit, period = _rate()
    if not limit:
        return False
    ident = client_ident(request)
    key = f"cc:webhook-rate:{kind}:{channel_id}:{ident}"
    cache.add(key, 0, timeout=period)
    try:
        count = cache.incr(key)
    except ValueError:  # Expired between add and incr: a new window.
        cache.set(key, 1, timeout=period)
        count = 1
    return count > limit


@csrf_exempt
def webhook(request: HttpRequest, kind: str, channel_id: int) -> HttpResponse:
    if webhook_over_rate(request, kind, channel_id):
        logger.warning("webhook %s channel=%s: over CC_WEBHOOK_RATE, refused", kind, channel_id)
        response = HttpResponse(status=429)
        response["Retry-After"] = str(_rate()[1])
        return response
    platform = PLATFORMS.get(kind)
    channel = Channel.objects.filter(pk=channel_id, kind=kind, is_active=True).first() if platform else None
    if platform is None or channel is None:
        return HttpResponse(status=404)
    if request.method == "GET":
        return platform.handshake(request, channel)
    if request.method != "POST":
        return HttpResponse(status=405)
    body = request.body
    if not platform.verify(request, channel, body):
        logger.warning("webhook %s channel=%s: bad or missing signature, refused", kind, channel.pk)
        return HttpResponse(status=403)
    claim = platform.replay_key(request, channel)
    if claim is not None and not _claim(*claim):
        # A replay (or the platform's own retry of a request already taken in): the same
        # answer as the first time, so that the platform stops, and nothing stored.
        logger.warning("webhook %s channel=%s: signed request seen before, ignored", kind, channel.pk)
        return HttpResponse(platform.ok_body, content_type=platform.ok_content_type)
    try:
        items = platform.parse(request, channel, body)
    except (ValueError, KeyError, TypeError, AttributeError, ET.ParseError):
        logger.warning("webhook %s channel=%s: signed body could not be read", kind, channel.pk)
        return HttpResponse(status=400)
    try:
        # LINE's Verify button posts {"events": []}: signed, nothing to store, answered 200.
        if items:
            inbound_record(channel=channel, items=items)
    except BaseException:
        if claim is not None:  # not taken in: the platform's retry must get through
            _release(claim[0])
        raise
    return HttpResponse(platform.ok_body, content_type=platform.ok_content_type)


def _claim(key: str, ttl: int) -> bool:
    """True for the first request with ``key`` within ``ttl`` seconds (atomic in the shared
    cache). Without a cache (Redis down) it says yes: the timestamp window still holds, and
    messages are deduped by their ids."""
    try:
        return bool(cache.add(key, 1, timeout=ttl))
    except Exception:
        logger.warning("webhook replay cache unavailable; accepting %s", key, exc_info=True)
        return True


def _release(key: str) -> None:
    try:
        cache.delete(key)
    except Exception:
        logger.warning("webhook replay cache unavailable; could not release %s", key, exc_info=True)
