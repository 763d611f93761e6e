"""Platform webhooks (SPEC 6): one endpoint per connected account, /webhooks/<kind>/<id>/.

GET answers the verification handshake (Meta ``hub.challenge``, WeChat ``echostr``). POST
checks the signature on the raw body before anything else (403 and nothing stored when
it is bad or missing), stores the new events and answers at once; a background task does
the work, well within the platforms' deadlines (LINE 2 s, Meta and WeChat 5 s).
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET  # noqa: S405 - only for its ParseError

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from channels_adapters.inbound import inbound_record
from channels_adapters.models import Channel
from channels_adapters.platforms import PLATFORMS

logger = logging.getLogger(__name__)


@csrf_exempt
def webhook(request: HttpRequest, kind: str, channel_id: int) -> HttpResponse:
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
    try:
        items = platform.parse(request, channel, body)
    except (ValueError, KeyError, TypeError, AttributeError, ET.ParseError):
        logger.warning("webhook %s channel=%s: signed body could not be read", kind, channel.pk)
        return HttpResponse(status=400)
    # LINE's Verify button posts {"events": []}: signed, nothing to store, answered 200.
    if items:
        inbound_record(channel=channel, items=items)
    return HttpResponse(platform.ok_body, content_type="text/plain")
