"""SMS through Twilio's Messaging API (issue 17).

Inbound: Twilio POSTs form-encoded parameters to the channel's webhook, signed in
``X-Twilio-Signature``: base64 of HMAC-SHA1, keyed with the account's auth token, of the
full URL Twilio called followed by every POST parameter's name and value, sorted by name.
Behind a proxy or load balancer the URL this server sees is not the one Twilio called:
with CC_PUBLIC_BASE_URL set, the URL is that base plus the request's path and query.
Messages are deduped on ``MessageSid``; status callbacks (``MessageStatus``) move the
delivery state of the staff message they concern.

Outbound: ``POST {CC_TWILIO_API_URL}/2010-04-01/Accounts/{AccountSid}/Messages.json`` with
HTTP basic auth (account SID, auth token), ``To``, ``Body``, ``From`` or
``MessagingServiceSid``, and ``StatusCallback`` (this channel's webhook, when
CC_PUBLIC_BASE_URL is set). Twilio has no idempotency key, so a send is tried again only
when the request surely did not reach Twilio: no connection (refused, DNS, connect timeout),
a 429, or a 5xx that does not say the message was accepted. After a timeout or a dropped
answer the text may have gone out: the message fails with that said (staff may send it
again), never a second SMS behind their back. A 5xx whose body holds the created message
(its ``sid`` and an accepted status) counts as sent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any
from urllib.parse import parse_qsl

import httpx
from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext

from channels_adapters.models import Channel
from channels_adapters.platforms.base import (
    FileSent,
    Inbound,
    OutFile,
    Platform,
    SendError,
    error_text,
    http_call,
    link_text,
)

SMS_MAX = 1600  # Twilio's limit of a message body (characters)
_CATEGORY = {"image": "image", "video": "video", "audio": "voice"}
# Twilio's MessageStatus -> OutboundMessage.State; the others (queued, accepted,
# scheduled, sending, receiving, received, canceled...) say nothing new to staff.
_STATES = {"sent": "sent", "delivered": "delivered", "read": "read", "undelivered": "failed", "failed": "failed"}
# A created message's status: Twilio took it (a 5xx answer holding one was sent all the same).
_ACCEPTED = frozenset({"accepted", "scheduled", "queued", "sending", "sent", "delivered", "read"})
# Failures before the request was sent: no connection (refused, DNS), or none in time.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout)
_SERVER_ERRORS = tuple(range(500, 600))


def twilio_signature(auth_token: str, url: str, params: list[tuple[str, str]]) -> str:
    """Twilio's request signature of a POST to ``url`` with form ``params``."""
    data = url + "".join(k + v for k, v in sorted(params))
    return base64.b64encode(hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def public_url(request: HttpRequest) -> str:
    """The URL Twilio called: CC_PUBLIC_BASE_URL + path and query when it is set (behind a
    proxy), else the URL as this server sees it."""
    base = settings.CC_PUBLIC_BASE_URL.rstrip("/")
    return base + request.get_full_path() if base else request.build_absolute_uri()


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _params(body: bytes) -> list[tuple[str, str]]:
    return parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)


class Twilio(Platform):
    kind = "sms"
    reply_window = None
    ok_body = b'<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
    ok_content_type = "text/xml"

    def verify(self, request: HttpRequest, channel: Channel, body: bytes) -> bool:
        token = str(channel.credentials.get("auth_token") or "")
        given = request.headers.get("x-twilio-signature", "")
        if not token or not given:
            return False
        try:
            params = _params(body)
        except UnicodeDecodeError:
            return False
        expected = twilio_signature(token, public_url(request), params)
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return False
        # Signed by this account's token: it must also be this account's message.
        account = dict(params).get("AccountSid", "")
        return not account or account == channel.credentials.get("account_sid")

    def _auth(self, channel: Channel) -> dict[str, str]:
        pair = f"{channel.credentials.get('account_sid') or ''}:{channel.credentials.get('auth_token') or ''}"
        return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}

    def _account_url(self, channel: Channel) -> str:
        sid = str(channel.credentials.get("account_sid") or "")
        return f"{settings.CC_TWILIO_API_URL.rstrip('/')}/2010-04-01/Accounts/{sid}"

    def parse(self, request: HttpRequest, channel: Channel, body: bytes) -> list[Inbound]:
        params = dict(_params(body))
        sid = params.get("MessageSid") or params.get("SmsSid") or ""
        if not sid:
            raise ValueError("no MessageSid")
        status = params.get("MessageStatus") or params.get("SmsStatus") or ""
        if "Body" in params and status in ("", "received"):
            return [self._message(sid, params)]
        state = _STATES.get(status)
        if state is None:
            return []
        error = ""
        if state == "failed":
            code = params.get("ErrorCode") or ""
            error = gettext("The SMS was not delivered (Twilio error %(code)s).") % {"code": code or status}
        return [
            Inbound(
                key=f"status:{sid}:{status}",
                kind="status",
                identity=params.get("To", ""),
                status=state,
                refs=[sid],
                error=error,
                data={"platform": "sms"},
            )
        ]

    def _message(self, sid: str, params: dict[str, str]) -> Inbound:
        data: dict[str, Any] = {"platform": "sms", "sms_sid": sid, "to": params.get("To", "")}
        for name in ("FromCity", "FromState", "FromCountry"):
            if params.get(name):
                data[name.removeprefix("From").lower()] = params[name]
        item = Inbound(key=sid, kind="message", identity=params.get("From", ""), text=params.get("Body", ""), data=data)
        if int(params.get("NumMedia") or 0) > 0 and params.get("MediaUrl0"):
            content_type = params.get("MediaContentType0", "")
            item.media = {
                "url": params["MediaUrl0"],
                "name": "media",
                "content_type": content_type,
                "category": _CATEGORY.get(content_type.partition("/")[0], "document"),
            }
            if not item.text:
                item.text = "[MMS]"
        return item

    def download(self, channel: Channel, media: dict[str, Any]) -> tuple[bytes, str]:
        # Twilio's media URLs may require the account's basic auth; httpx drops it when the
        # redirect goes to another host (the file's storage).
        response = http_call("GET", str(media.get("url") or ""), headers=self._auth(channel))
        return response.content, response.headers.get("content-type", "")

    def profile(self, channel: Channel, identity: str) -> dict[str, str]:
        return {"phone": identity}

    def check(self, channel: Channel) -> str:
        body = http_call("GET", self._account_url(channel) + ".json", headers=self._auth(channel)).json()
        return gettext("Connected to the Twilio account “%(name)s” (%(status)s).") % {
            "name": body.get("friendly_name") or "?",
            "status": body.get("status") or "?",
        }

    def send_text(self, channel: Channel, *, to: str, text: str, retry_key: str) -> str:
        creds = channel.credentials
        data = {"To": to, "Body": text[:SMS_MAX]}
        if creds.get("messaging_service_sid"):
            data["MessagingServiceSid"] = str(creds["messaging_service_sid"])
        else:
            data["From"] = str(creds.get("from_number") or "")
        base = settings.CC_PUBLIC_BASE_URL.rstrip("/")
        if base:
            data["StatusCallback"] = f"{base}/webhooks/sms/{channel.pk}/"
        url = self._account_url(channel) + "/Messages.json"
        try:
            response = http_call("POST", url, headers=self._auth(channel), data=data, ok_statuses=_SERVER_ERRORS)
        except SendError as exc:
            cause = exc.__cause__
            if isinstance(cause, httpx.HTTPError) and not isinstance(cause, _NOT_SENT):
                # Sent, and no answer (a timeout, a dropped connection): Twilio may have
                # taken it. Not tried again.
                raise SendError(
                    gettext("No answer from Twilio (%(error)s): the SMS may have been sent, so it is not sent again.")
                    % {"error": type(cause).__name__},
                    retryable=False,
                ) from exc
            raise
        body = _json(response)
        if response.status_code >= 500:
            if body.get("sid") and body.get("status") in _ACCEPTED:
                return str(body["sid"])
            raise SendError(f"HTTP {response.status_code}: {error_text(response)}", retryable=True)
        return str(body.get("sid") or "")

    def send_file(self, channel: Channel, *, to: str, text: str, file: OutFile, retry_key: str) -> FileSent:
        """A text with the file's public link (MMS reaches few countries)."""
        provider_id = self.send_text(channel, to=to, text=link_text(text, file), retry_key=retry_key)
        return FileSent(provider_id=provider_id, caption_included=True)
