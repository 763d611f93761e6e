"""LINE Messaging API: ``x-line-signature`` (base64 HMAC-SHA256 of the raw body with the
channel secret), events deduped on ``webhookEventId``, replies by push with
``X-Line-Retry-Key`` so that a retried push is never delivered twice."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext

from channels_adapters.models import Channel
from channels_adapters.platforms.base import FileSent, Inbound, OutFile, Platform, http_call, link_text, split_name
from rooms import audio

_CATEGORY = {"image": "image", "video": "video", "audio": "voice", "file": "document"}


class Line(Platform):
    kind = "line"
    reply_window = None  # Push messages have no reply window.

    def verify(self, request: HttpRequest, channel: Channel, body: bytes) -> bool:
        secret = str(channel.credentials.get("channel_secret") or "")
        given = request.headers.get("x-line-signature", "")
        if not secret or not given:
            return False
        expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
        return hmac.compare_digest(given.encode(), expected)

    def _headers(self, channel: Channel) -> dict[str, str]:
        return {"Authorization": f"Bearer {channel.credentials.get('channel_access_token') or ''}"}

    def parse(self, request: HttpRequest, channel: Channel, body: bytes) -> list[Inbound]:
        payload = json.loads(body)
        events = [e for e in payload.get("events") or [] if isinstance(e, dict)]
        # Redeliveries may come out of order: take events in the order they happened.
        events.sort(key=lambda e: e.get("timestamp") or 0)
        return [item for item in (self._event(e) for e in events) if item is not None]

    def _event(self, event: dict[str, Any]) -> Inbound | None:
        source = event.get("source") or {}
        # Replies go where the conversation is: the group or room, else the user.
        identity = str(source.get("groupId") or source.get("roomId") or source.get("userId") or "")
        key = str(event.get("webhookEventId") or "")
        ts = float(event.get("timestamp") or 0) / 1000
        data: dict[str, Any] = {"platform": "line", "source": source.get("type")}
        if source.get("userId"):
            data["line_user_id"] = source["userId"]
        if event.get("deliveryContext", {}).get("isRedelivery"):
            data["redelivery"] = True
        type_ = event.get("type")
        if type_ == "message":
            message = event.get("message") or {}
            mtype = str(message.get("type") or "")
            data.update({"type": mtype, "line_message_id": message.get("id")})
            if message.get("quotedMessageId"):
                data["quoted_message_id"] = message["quotedMessageId"]
            item = Inbound(
                key=key or f"message:{message.get('id')}", kind="message", identity=identity, timestamp=ts, data=data
            )
            if mtype == "text":
                item.text = str(message.get("text") or "")
            elif mtype in _CATEGORY:
                provider = message.get("contentProvider") or {}
                media: dict[str, Any] = {
                    "id": message.get("id"),
                    "name": message.get("fileName") or mtype,
                    "category": _CATEGORY[mtype],
                }
                if provider.get("type") == "external":
                    media["url"] = provider.get("originalContentUrl")
                item.media = media
                item.text = f"[{mtype.capitalize()}]"
            elif mtype == "sticker":
                data.update({k: message.get(k) for k in ("packageId", "stickerId", "keywords") if message.get(k)})
                item.text = "[Sticker]"
            elif mtype == "location":
                data["location"] = {k: message.get(k) for k in ("title", "address", "latitude", "longitude")}
                label = " ".join(str(message.get(k)) for k in ("title", "address") if message.get(k))
                item.text = f"Location: {message.get('latitude')}, {message.get('longitude')}" + (
                    f" ({label})" if label else ""
                )
            else:
                item.text = f"[{mtype}]"
            return item
        if type_ == "postback":
            postback = event.get("postback") or {}
            data["postback"] = postback.get("data")
            text = str(postback.get("data") or "[Postback]")
            return Inbound(key=key, kind="message", identity=identity, timestamp=ts, text=text, data=data)
        if type_ in ("follow", "unfollow", "join", "leave", "memberJoined", "memberLeft"):
            data["event"] = type_
            return Inbound(key=key, kind="event", identity=identity, timestamp=ts, data=data)
        return None

    def download(self, channel: Channel, media: dict[str, Any]) -> tuple[bytes, str]:
        if media.get("url"):
            response = http_call("GET", str(media["url"]))
        else:
            url = f"{settings.CC_LINE_DATA_API_URL.rstrip('/')}/v2/bot/message/{media.get('id')}/content"
            response = http_call("GET", url, headers=self._headers(channel))
        return response.content, response.headers.get("content-type", "")

    def profile(self, channel: Channel, identity: str) -> dict[str, str]:
        if not identity.startswith("U"):  # Groups and rooms have no user profile.
            return {}
        url = f"{settings.CC_LINE_API_URL.rstrip('/')}/v2/bot/profile/{identity}"
        body = http_call("GET", url, headers=self._headers(channel)).json()
        return {**split_name(str(body.get("displayName") or "")), "photo_url": str(body.get("pictureUrl") or "")}

    def check(self, channel: Channel) -> str:
        url = f"{settings.CC_LINE_API_URL.rstrip('/')}/v2/bot/info"
        body = http_call("GET", url, headers=self._headers(channel)).json()
        return gettext("Connected to the LINE account “%(name)s” (%(id)s).") % {
            "name": body.get("displayName") or "?",
            "id": body.get("basicId") or body.get("userId") or "?",
        }

    def send_text(self, channel: Channel, *, to: str, text: str, retry_key: str) -> str:
        return self._push(channel, to, [{"type": "text", "text": text[:5000]}], retry_key)

    def send_file(self, channel: Channel, *, to: str, text: str, file: OutFile, retry_key: str) -> FileSent:
        """LINE fetches media from an HTTPS URL: the file's signed public link. The caption
        goes as a second message of the same push, so file and caption arrive together or
        not at all (a retry repeats the push under the same retry key). A voice message goes
        as an audio message (with the duration LINE requires) when it is M4A or MP3, the
        only audio LINE plays; a browser's WebM or Ogg/Opus recording cannot be made one
        without transcoding, so it goes, like other files, as a text with the link."""
        messages: list[dict[str, Any]] = []
        url = file.public_url()
        if file.category == "image" and file.content_type in ("image/jpeg", "image/png"):
            messages.append({"type": "image", "originalContentUrl": url, "previewImageUrl": file.preview_url or url})
        elif file.category == "video" and file.content_type == "video/mp4" and file.preview_url:
            messages.append({"type": "video", "originalContentUrl": url, "previewImageUrl": file.preview_url})
        elif (
            file.category == "voice"
            and file.content_type in ("audio/mp4", "audio/mpeg")
            and (ms := file.duration_ms or audio.audio_duration_ms(file.content, file.content_type))
        ):
            messages.append({"type": "audio", "originalContentUrl": url, "duration": ms})
        else:
            provider_id = self.send_text(channel, to=to, text=link_text(text, file), retry_key=retry_key)
            return FileSent(provider_id=provider_id, caption_included=True)
        if text:
            messages.append({"type": "text", "text": text[:5000]})
        return FileSent(provider_id=self._push(channel, to, messages, retry_key), caption_included=True)

    def _push(self, channel: Channel, to: str, messages: list[dict[str, Any]], retry_key: str) -> str:
        url = f"{settings.CC_LINE_API_URL.rstrip('/')}/v2/bot/message/push"
        # 409 with the same retry key: an earlier try got through; it is not sent twice.
        response = http_call(
            "POST",
            url,
            headers={**self._headers(channel), "X-Line-Retry-Key": retry_key},
            json={"to": to, "messages": messages},
            ok_statuses=(409,),
        )
        if response.status_code == 409:
            return response.headers.get("x-line-accepted-request-id", "") or f"retry:{retry_key}"
        sent = (response.json() or {}).get("sentMessages") or [{}]
        return str(sent[0].get("id") or response.headers.get("x-line-request-id", ""))
