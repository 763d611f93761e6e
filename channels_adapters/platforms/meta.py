"""Meta platforms: Facebook Messenger (Send API) and WhatsApp Business Cloud API.

Both sign the raw body with the app secret (``X-Hub-Signature-256: sha256=<hex>``) and
verify the webhook with a GET ``hub.mode=subscribe&hub.verify_token=…&hub.challenge=…``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext

from channels_adapters.models import Channel
from channels_adapters.platforms.base import FileSent, Inbound, OutFile, Platform, SendError, http_call, split_name
from rooms import audio


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class MetaPlatform(Platform):
    reply_window = dt.timedelta(hours=24)
    ok_body = b"EVENT_RECEIVED"
    token_field = ""

    def handshake(self, request: HttpRequest, channel: Channel) -> HttpResponse:
        expected = str(channel.credentials.get("verify_token") or "")
        given = request.GET.get("hub.verify_token", "")
        challenge = request.GET.get("hub.challenge", "")
        if (
            request.GET.get("hub.mode") == "subscribe"
            and expected
            and hmac.compare_digest(given.encode(), expected.encode())
            and challenge
        ):
            return HttpResponse(challenge, content_type="text/plain")
        return HttpResponse(status=403)

    def verify(self, request: HttpRequest, channel: Channel, body: bytes) -> bool:
        secret = str(channel.credentials.get("app_secret") or "")
        header = request.headers.get("X-Hub-Signature-256", "")
        if not secret or not header.startswith("sha256="):
            return False
        expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(header[len("sha256=") :].lower().encode(), expected.encode())

    def token(self, channel: Channel) -> str:
        return str(channel.credentials.get(self.token_field) or "")

    def _graph(self, path: str) -> str:
        return f"{settings.CC_META_GRAPH_URL.rstrip('/')}/{path.lstrip('/')}"


def _attachment_category(type_: str) -> str:
    return {"image": "image", "audio": "voice", "video": "video", "file": "document"}.get(type_, "document")


class Messenger(MetaPlatform):
    kind = "messenger"
    token_field = "page_access_token"

    def parse(self, request: HttpRequest, channel: Channel, body: bytes) -> list[Inbound]:
        payload = json.loads(body)
        items: list[Inbound] = []
        for entry in payload.get("entry") or []:
            for event in entry.get("messaging") or []:
                items.extend(self._event(event))
        return items

    def _event(self, event: dict[str, Any]) -> list[Inbound]:
        psid = str((event.get("sender") or {}).get("id") or "")
        ts = float(event.get("timestamp") or 0) / 1000
        base = {"platform": "messenger"}
        if "message" in event:
            message = event["message"] or {}
            if message.get("is_echo"):  # Our own sends, echoed back: nothing to store.
                return []
            mid = str(message.get("mid") or "")
            data: dict[str, Any] = {**base, "mid": mid}
            if message.get("quick_reply"):
                data["quick_reply"] = message["quick_reply"].get("payload")
            if message.get("reply_to", {}).get("mid"):
                data["reply_to_mid"] = message["reply_to"]["mid"]
            items: list[Inbound] = []
            text = str(message.get("text") or "")
            if text or not message.get("attachments"):
                items.append(Inbound(key=mid, kind="message", identity=psid, timestamp=ts, text=text, data=data))
            for n, att in enumerate(message.get("attachments") or []):
                type_ = att.get("type") or "file"
                att_payload = att.get("payload") or {}
                key = f"{mid}:{n}" if items or n else mid
                item = Inbound(key=key, kind="message", identity=psid, timestamp=ts, data={**data, "type": type_})
                if type_ == "location":
                    coords = att_payload.get("coordinates") or {}
                    item.data["location"] = {"lat": coords.get("lat"), "long": coords.get("long")}
                    item.text = f"Location: {coords.get('lat')}, {coords.get('long')}"
                elif att_payload.get("sticker_id"):
                    item.data["sticker_id"] = att_payload["sticker_id"]
                    item.text = "[Sticker]"
                    item.media = {"url": att_payload.get("url"), "name": "sticker", "category": "image"}
                elif att_payload.get("url"):
                    item.media = {
                        "url": att_payload["url"],
                        "name": att.get("name") or type_,
                        "category": _attachment_category(type_),
                    }
                    item.text = f"[{type_.capitalize()}]"
                else:
                    item.text = str(att.get("title") or f"[{type_}]")
                items.append(item)
            return items
        if "postback" in event:
            postback = event["postback"] or {}
            key = str(postback.get("mid") or f"postback:{psid}:{event.get('timestamp')}")
            data = {**base, "postback": postback.get("payload")}
            text = str(postback.get("title") or postback.get("payload") or "[Postback]")
            return [Inbound(key=key, kind="message", identity=psid, timestamp=ts, text=text, data=data)]
        if "delivery" in event:
            delivery = event["delivery"] or {}
            watermark = float(delivery.get("watermark") or 0) / 1000 or None
            mids = [str(m) for m in delivery.get("mids") or []]
            key = f"delivery:{psid}:{delivery.get('watermark')}:{','.join(mids)}"[:255]
            return [
                Inbound(
                    key=key,
                    kind="status",
                    identity=psid,
                    timestamp=ts,
                    status="delivered",
                    refs=mids,
                    watermark=watermark,
                )
            ]
        if "read" in event:
            read = event["read"] or {}
            watermark = float(read.get("watermark") or 0) / 1000 or None
            key = f"read:{psid}:{read.get('watermark')}"
            return [Inbound(key=key, kind="status", identity=psid, timestamp=ts, status="read", watermark=watermark)]
        if "optin" in event or "referral" in event:
            key = f"event:{psid}:{event.get('timestamp')}"
            return [Inbound(key=key, kind="event", identity=psid, timestamp=ts, data={**base, "event": "optin"})]
        return []

    def download(self, channel: Channel, media: dict[str, Any]) -> tuple[bytes, str]:
        # Attachment URLs are signed CDN links: no token needed.
        response = http_call("GET", str(media.get("url") or ""))
        return response.content, response.headers.get("content-type", "")

    def profile(self, channel: Channel, identity: str) -> dict[str, str]:
        response = http_call(
            "GET",
            self._graph(identity),
            params={"fields": "first_name,last_name,profile_pic"},
            headers=_bearer(self.token(channel)),
        )
        body = response.json()
        return {
            "first_name": str(body.get("first_name") or "")[:100],
            "last_name": str(body.get("last_name") or "")[:100],
            "photo_url": str(body.get("profile_pic") or ""),
        }

    def check(self, channel: Channel) -> str:
        page = str(channel.credentials.get("page_id") or "me")
        url = self._graph(page)
        body = http_call("GET", url, headers=_bearer(self.token(channel)), params={"fields": "id,name"}).json()
        return gettext("Connected to the Facebook Page “%(name)s” (%(id)s).") % {
            "name": body.get("name") or "?",
            "id": body.get("id") or page,
        }

    def send_text(self, channel: Channel, *, to: str, text: str, retry_key: str) -> str:
        page = str(channel.credentials.get("page_id") or "me")
        response = http_call(
            "POST",
            self._graph(f"{page}/messages"),
            headers=_bearer(self.token(channel)),
            json={"recipient": {"id": to}, "messaging_type": "RESPONSE", "message": {"text": text}},
        )
        return str(response.json().get("message_id") or "")

    def send_file(self, channel: Channel, *, to: str, text: str, file: OutFile, retry_key: str) -> FileSent:
        """Attachment Upload API, then a send with the attachment id. Messenger attachments
        carry no caption: the caller sends it next as a text."""
        type_ = {"image": "image", "video": "video", "voice": "audio"}.get(file.category, "file")
        headers = _bearer(self.token(channel))
        uploaded = http_call(
            "POST",
            self._graph("me/message_attachments"),
            headers=headers,
            data={"message": json.dumps({"attachment": {"type": type_, "payload": {"is_reusable": True}}})},
            files=file.upload("filedata"),
        ).json()
        attachment_id = str(uploaded.get("attachment_id") or "")
        if not attachment_id:
            raise SendError("Messenger gave no attachment id for the upload.", retryable=False)
        page = str(channel.credentials.get("page_id") or "me")
        response = http_call(
            "POST",
            self._graph(f"{page}/messages"),
            headers=headers,
            json={
                "recipient": {"id": to},
                "messaging_type": "RESPONSE",
                "message": {"attachment": {"type": type_, "payload": {"attachment_id": attachment_id}}},
            },
        )
        return FileSent(provider_id=str(response.json().get("message_id") or ""), caption_included=False)


_WA_STATES = {"sent": "sent", "delivered": "delivered", "read": "read", "failed": "failed"}


class WhatsApp(MetaPlatform):
    kind = "whatsapp"
    token_field = "access_token"

    def parse(self, request: HttpRequest, channel: Channel, body: bytes) -> list[Inbound]:
        payload = json.loads(body)
        items: list[Inbound] = []
        for entry in payload.get("entry") or []:
            for change in entry.get("changes") or []:
                value = change.get("value") or {}
                names = {
                    str(c.get("wa_id")): str((c.get("profile") or {}).get("name") or "")
                    for c in value.get("contacts") or []
                }
                for message in value.get("messages") or []:
                    items.append(self._message(message, names))
                for status in value.get("statuses") or []:
                    state = _WA_STATES.get(str(status.get("status")))
                    if state is None:
                        continue
                    errors = status.get("errors") or []
                    error = "; ".join(
                        str(e.get("message") or e.get("title") or e.get("code")) for e in errors if isinstance(e, dict)
                    )
                    items.append(
                        Inbound(
                            key=f"status:{status.get('id')}:{state}",
                            kind="status",
                            identity=str(status.get("recipient_id") or ""),
                            timestamp=float(status.get("timestamp") or 0),
                            status=state,
                            refs=[str(status.get("id") or "")],
                            error=error,
                        )
                    )
        return items

    def _message(self, message: dict[str, Any], names: dict[str, str]) -> Inbound:
        wa_id = str(message.get("from") or "")
        type_ = str(message.get("type") or "text")
        item = Inbound(
            key=str(message.get("id") or ""),
            kind="message",
            identity=wa_id,
            timestamp=float(message.get("timestamp") or 0),
            data={"platform": "whatsapp", "type": type_, "wamid": message.get("id")},
            profile=split_name(names.get(wa_id, "")) if names.get(wa_id) else {},
        )
        if message.get("context", {}).get("id"):
            item.data["reply_to_wamid"] = message["context"]["id"]
        part = message.get(type_) or {}
        if type_ == "text":
            item.text = str(part.get("body") or "")
        elif type_ in ("image", "audio", "video", "document", "sticker"):
            category = {"image": "image", "sticker": "image", "audio": "voice", "video": "video"}.get(type_, "document")
            item.media = {
                "id": part.get("id"),
                "name": part.get("filename") or type_,
                "content_type": part.get("mime_type") or "",
                "category": category,
            }
            item.text = str(part.get("caption") or f"[{type_.capitalize()}]")
        elif type_ == "location":
            item.data["location"] = {k: part.get(k) for k in ("latitude", "longitude", "name", "address")}
            label = " ".join(str(part.get(k)) for k in ("name", "address") if part.get(k))
            item.text = f"Location: {part.get('latitude')}, {part.get('longitude')}" + (f" ({label})" if label else "")
        elif type_ == "button":
            item.text = str(part.get("text") or "")
            item.data["postback"] = part.get("payload")
        elif type_ == "interactive":
            reply = part.get("button_reply") or part.get("list_reply") or {}
            item.text = str(reply.get("title") or "")
            item.data["postback"] = reply.get("id")
        elif type_ == "reaction":
            item.text = f"Reacted {part.get('emoji') or ''}".strip()
        elif type_ == "contacts":
            item.text = "Shared contacts: " + ", ".join(
                str((c.get("name") or {}).get("formatted_name") or "") for c in message.get("contacts") or []
            )
        else:
            item.text = f"[{type_}]"
        return item

    def download(self, channel: Channel, media: dict[str, Any]) -> tuple[bytes, str]:
        headers = _bearer(self.token(channel))
        meta = http_call("GET", self._graph(str(media.get("id") or "")), headers=headers).json()
        url = meta.get("url")
        if not url:
            raise SendError("WhatsApp gave no URL for this media.", retryable=False)
        response = http_call("GET", str(url), headers=headers)
        return response.content, str(meta.get("mime_type") or response.headers.get("content-type", ""))

    def check(self, channel: Channel) -> str:
        number = str(channel.credentials.get("phone_number_id") or "")
        params = {"fields": "display_phone_number,verified_name"}
        body = http_call("GET", self._graph(number), headers=_bearer(self.token(channel)), params=params).json()
        return gettext("Connected to the WhatsApp number %(number)s (%(name)s).") % {
            "number": body.get("display_phone_number") or number,
            "name": body.get("verified_name") or "?",
        }

    def send_text(self, channel: Channel, *, to: str, text: str, retry_key: str) -> str:
        number = str(channel.credentials.get("phone_number_id") or "")
        response = http_call(
            "POST",
            self._graph(f"{number}/messages"),
            headers=_bearer(self.token(channel)),
            json={
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": to,
                "type": "text",
                "text": {"preview_url": False, "body": text},
            },
        )
        messages = response.json().get("messages") or [{}]
        return str(messages[0].get("id") or "")

    def send_file(self, channel: Channel, *, to: str, text: str, file: OutFile, retry_key: str) -> FileSent:
        """Upload through /{phone_number_id}/media, then send it by media id (the caption goes
        with it; audio takes none, so the caller sends its caption next as a text). Types
        WhatsApp does not play (GIF, WebP, WebM video, WAV...) go as documents. A voice
        message recorded as WebM/Opus (Chromium's MediaRecorder) goes as Ogg/Opus, the same
        sound remuxed, which WhatsApp plays as audio."""
        number = str(channel.credentials.get("phone_number_id") or "")
        headers = _bearer(self.token(channel))
        file = _as_ogg(file)
        type_ = _WA_MEDIA_TYPES.get(file.content_type, "document")
        uploaded = http_call(
            "POST",
            self._graph(f"{number}/media"),
            headers=headers,
            data={"messaging_product": "whatsapp", "type": file.content_type},
            files=file.upload("file"),
        ).json()
        media_id = str(uploaded.get("id") or "")
        if not media_id:
            raise SendError("WhatsApp gave no media id for the upload.", retryable=False)
        part: dict[str, Any] = {"id": media_id}
        if type_ == "document":
            part["filename"] = file.name
        if text and type_ != "audio":
            part["caption"] = text
        response = http_call(
            "POST",
            self._graph(f"{number}/messages"),
            headers=headers,
            json={
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": to,
                "type": type_,
                type_: part,
            },
        )
        messages = response.json().get("messages") or [{}]
        return FileSent(provider_id=str(messages[0].get("id") or ""), caption_included=type_ != "audio")


def _as_ogg(file: OutFile) -> OutFile:
    """A WebM/Opus voice message as Ogg/Opus (nothing else changes)."""
    if file.category != "voice" or file.content_type != "audio/webm":
        return file
    ogg = audio.webm_opus_to_ogg(file.content)
    if ogg is None:
        return file
    stem = file.name.rsplit(".", 1)[0] if "." in file.name else file.name
    return dataclasses.replace(file, name=f"{stem}.ogg", content_type="audio/ogg", content=ogg)


# What WhatsApp plays as image, video or audio messages; other files go as documents.
_WA_MEDIA_TYPES = {
    "image/jpeg": "image",
    "image/png": "image",
    "video/mp4": "video",
    "audio/mpeg": "audio",
    "audio/mp4": "audio",
    "audio/ogg": "audio",
}
