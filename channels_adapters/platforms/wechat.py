"""WeChat Official Account: query signature sha1(sorted([token, timestamp, nonce])) in
plain mode, plus ``msg_signature`` and AES-256-CBC message encryption in safe mode;
replies through the customer-service send API with a cached access token."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import struct
import xml.etree.ElementTree as ET  # noqa: S405 - entities are refused before parsing (see _xml)
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext

from channels_adapters.models import Channel
from channels_adapters.platforms.base import FileSent, Inbound, OutFile, Platform, SendError, http_call, link_text
from contactcenter.org import clock

_BLOCK = 32
# errcodes meaning the access token is bad or expired: fetch a new one and try again.
_TOKEN_ERRORS = {40001, 40014, 42001}


def sha1_signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode(), usedforsecurity=False).hexdigest()


def _xml(body: bytes) -> dict[str, str]:
    """A flat WeChat XML message as a dict. DTDs (and so entity expansion) are refused."""
    if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        raise ValueError("DTDs are not allowed")
    root = ET.fromstring(body)  # noqa: S314 - no DTD can be present (checked above)
    return {child.tag: (child.text or "") for child in root}


class WeChatCrypto:
    """Safe mode as WeChat documents it: key = base64(EncodingAESKey + "="), IV = key[:16],
    PKCS#7 padding to 32-byte blocks, plaintext random16 | len (uint32 BE) | xml | app id."""

    def __init__(self, encoding_aes_key: str, app_id: str) -> None:
        self.key = base64.b64decode(encoding_aes_key + "=")
        if len(self.key) != 32:
            raise ValueError("EncodingAESKey must decode to 32 bytes")
        self.app_id = app_id

    def _cipher(self) -> Cipher[modes.CBC]:
        return Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16]))

    def encrypt(self, xml: bytes, *, random16: bytes | None = None) -> str:
        plain = (random16 or os.urandom(16)) + struct.pack(">I", len(xml)) + xml + self.app_id.encode()
        pad = _BLOCK - len(plain) % _BLOCK
        plain += bytes([pad]) * pad
        encryptor = self._cipher().encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()

    def decrypt(self, encrypted: str) -> bytes:
        decryptor = self._cipher().decryptor()
        plain = decryptor.update(base64.b64decode(encrypted)) + decryptor.finalize()
        pad = plain[-1] if plain else 0
        if not 1 <= pad <= _BLOCK or len(plain) < 20 + pad:
            raise ValueError("bad padding")
        plain = plain[:-pad]
        (length,) = struct.unpack(">I", plain[16:20])
        xml, app_id = plain[20 : 20 + length], plain[20 + length :]
        if not hmac.compare_digest(app_id, self.app_id.encode()):
            raise ValueError("message for another app id")
        return xml


def crypto_for(channel: Channel) -> WeChatCrypto | None:
    key = str(channel.credentials.get("encoding_aes_key") or "")
    return WeChatCrypto(key, str(channel.credentials.get("app_id") or "")) if key else None


_CATEGORY = {"image": "image", "voice": "voice", "video": "video", "shortvideo": "video"}


class WeChat(Platform):
    kind = "wechat"
    reply_window = dt.timedelta(hours=48)
    ok_body = b"success"

    def _fresh(self, request: HttpRequest) -> bool:
        """The request's timestamp is within CC_WECHAT_TIMESTAMP_WINDOW_SECONDS of now: an
        old signed URL (logged by a proxy, captured) cannot be used again later."""
        stamp = request.GET.get("timestamp", "")
        if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12:
            return False
        return abs(clock.now().timestamp() - int(stamp)) <= settings.CC_WECHAT_TIMESTAMP_WINDOW_SECONDS

    def _token_ok(self, channel: Channel, request: HttpRequest) -> bool:
        token = str(channel.credentials.get("token") or "")
        q = request.GET
        given = q.get("signature", "")
        if not token or not given or not self._fresh(request):
            return False
        expected = sha1_signature(token, q.get("timestamp", ""), q.get("nonce", ""))
        return hmac.compare_digest(given.lower().encode(), expected.encode())

    def handshake(self, request: HttpRequest, channel: Channel) -> HttpResponse:
        if self._token_ok(channel, request) and request.GET.get("echostr"):
            return HttpResponse(request.GET["echostr"], content_type="text/plain")
        return HttpResponse(status=403)

    def verify(self, request: HttpRequest, channel: Channel, body: bytes) -> bool:
        if crypto_for(channel) is not None and request.GET.get("encrypt_type") != "aes":
            return False  # safe mode: a plain body would skip the message signature
        if request.GET.get("encrypt_type") == "aes":
            token = str(channel.credentials.get("token") or "")
            given = request.GET.get("msg_signature", "")
            try:
                encrypted = _xml(body).get("Encrypt", "")
            except (ValueError, ET.ParseError):
                return False
            if not token or not given or not encrypted or crypto_for(channel) is None or not self._fresh(request):
                return False
            q = request.GET
            expected = sha1_signature(token, q.get("timestamp", ""), q.get("nonce", ""), encrypted)
            return hmac.compare_digest(given.lower().encode(), expected.encode())
        return self._token_ok(channel, request)

    def replay_key(self, request: HttpRequest, channel: Channel) -> tuple[str, int] | None:
        q = request.GET
        digest = hashlib.sha256(f"{q.get('timestamp', '')}:{q.get('nonce', '')}".encode()).hexdigest()
        # Kept for both sides of the window: a timestamp in the future stays fresh that long.
        return f"cc:wechat-nonce:{channel.pk}:{digest}", 2 * settings.CC_WECHAT_TIMESTAMP_WINDOW_SECONDS + 1

    def parse(self, request: HttpRequest, channel: Channel, body: bytes) -> list[Inbound]:
        fields = _xml(body)
        if request.GET.get("encrypt_type") == "aes":
            crypto = crypto_for(channel)
            assert crypto is not None  # verify() checked it
            fields = _xml(crypto.decrypt(fields["Encrypt"]))
        return [self._item(fields)]

    def _item(self, f: dict[str, str]) -> Inbound:
        openid = f.get("FromUserName", "")
        msg_type = f.get("MsgType", "")
        created = f.get("CreateTime", "0")
        key = f.get("MsgId") or f"{openid}:{created}:{f.get('Event', '')}"
        data: dict[str, Any] = {"platform": "wechat", "type": msg_type}
        if f.get("MsgId"):
            data["msg_id"] = f["MsgId"]
        item = Inbound(key=key, kind="message", identity=openid, timestamp=float(created or 0), data=data)
        if msg_type == "text":
            item.text = f.get("Content", "")
        elif msg_type in _CATEGORY:
            item.media = {"id": f.get("MediaId"), "name": msg_type, "category": _CATEGORY[msg_type]}
            if msg_type == "image" and f.get("PicUrl"):
                item.media["url"] = f["PicUrl"]
            item.text = f.get("Recognition") or f"[{msg_type.capitalize()}]"
        elif msg_type == "location":
            data["location"] = {k: f.get(k) for k in ("Location_X", "Location_Y", "Scale", "Label")}
            item.text = f"Location: {f.get('Location_X')}, {f.get('Location_Y')}" + (
                f" ({f['Label']})" if f.get("Label") else ""
            )
        elif msg_type == "link":
            data["link"] = {k: f.get(k) for k in ("Title", "Description", "Url")}
            item.text = " - ".join(x for x in (f.get("Title"), f.get("Url")) if x)
        elif msg_type == "event":
            event = f.get("Event", "")
            data["event"] = event.lower()
            if event.upper() == "CLICK":  # A menu click carries a postback key.
                data["postback"] = f.get("EventKey")
                item.text = f.get("EventKey") or "[Menu]"
            else:
                item.kind = "event"
        else:
            item.text = f"[{msg_type}]"
        return item

    # ------------------------------------------------------------------ API calls

    def _api(self, path: str) -> str:
        return f"{settings.CC_WECHAT_API_URL.rstrip('/')}/{path.lstrip('/')}"

    def access_token(self, channel: Channel, *, fresh: bool = False) -> str:
        app_id = str(channel.credentials.get("app_id") or "")
        key = f"cc:wechat-token:{channel.pk}:{app_id}"
        if not fresh:
            cached = cache.get(key)
            if cached:
                return str(cached)
        body = http_call(
            "GET",
            self._api("cgi-bin/token"),
            params={
                "grant_type": "client_credential",
                "appid": app_id,
                "secret": str(channel.credentials.get("app_secret") or ""),
            },
        ).json()
        token = body.get("access_token")
        if not token:
            code = body.get("errcode")
            raise SendError(f"WeChat access token: {code}: {body.get('errmsg')}", retryable=code == -1)
        # Renew five minutes early so that a token never expires between cache and use.
        cache.set(key, token, max(60, int(body.get("expires_in") or 7200) - 300))
        return str(token)

    def _call(self, channel: Channel, method: str, path: str, **kwargs: Any) -> Any:
        for attempt in (1, 2):
            params = {**kwargs.pop("params", {}), "access_token": self.access_token(channel, fresh=attempt == 2)}
            response = http_call(method, self._api(path), params=params, **kwargs)
            if "json" not in response.headers.get("content-type", "") and method == "GET":
                return response
            body = response.json()
            code = body.get("errcode", 0) if isinstance(body, dict) else 0
            if code in _TOKEN_ERRORS and attempt == 1:
                kwargs["params"] = {k: v for k, v in params.items() if k != "access_token"}
                continue
            if code:
                raise SendError(f"WeChat error {code}: {body.get('errmsg')}", retryable=code == -1)
            return response
        raise SendError("WeChat refused the access token.", retryable=True)

    def check(self, channel: Channel) -> str:
        self.access_token(channel, fresh=True)
        return gettext("Connected: WeChat gave an access token for AppID %(app_id)s.") % {
            "app_id": channel.credentials.get("app_id") or "?"
        }

    def download(self, channel: Channel, media: dict[str, Any]) -> tuple[bytes, str]:
        if media.get("id"):
            response = self._call(channel, "GET", "cgi-bin/media/get", params={"media_id": str(media["id"])})
        else:
            response = http_call("GET", str(media.get("url") or ""))
        return response.content, response.headers.get("content-type", "")

    def profile(self, channel: Channel, identity: str) -> dict[str, str]:
        body = self._call(channel, "GET", "cgi-bin/user/info", params={"openid": identity, "lang": "en"}).json()
        return {"first_name": str(body.get("nickname") or "")[:100], "photo_url": str(body.get("headimgurl") or "")}

    def send_text(self, channel: Channel, *, to: str, text: str, retry_key: str) -> str:
        return self._custom_send(channel, {"touser": to, "msgtype": "text", "text": {"content": text}})

    def _custom_send(self, channel: Channel, message: dict[str, Any]) -> str:
        # Sent as UTF-8, not \u escapes, which some WeChat clients showed literally.
        body = json.dumps(message, ensure_ascii=False)
        self._call(
            channel,
            "POST",
            "cgi-bin/message/custom/send",
            content=body.encode(),
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        return ""  # The customer-service API gives no message id.

    def send_file(self, channel: Channel, *, to: str, text: str, file: OutFile, retry_key: str) -> FileSent:
        """Upload as temporary media, then a customer-service message with its media_id (a
        video carries the caption as its description; images and voice carry none, so the
        caller sends it next as a text). Files WeChat cannot send this way (documents, WebP,
        OGG...) go as a text with the public link."""
        type_ = _WX_MEDIA_TYPES.get(file.content_type)
        if type_ is None:
            provider_id = self.send_text(channel, to=to, text=link_text(text, file), retry_key=retry_key)
            return FileSent(provider_id=provider_id, caption_included=True)
        uploaded = self._call(
            channel, "POST", "cgi-bin/media/upload", params={"type": type_}, files=file.upload("media")
        ).json()
        media_id = str(uploaded.get("media_id") or "")
        if not media_id:
            raise SendError("WeChat gave no media_id for the upload.", retryable=False)
        part: dict[str, Any] = {"media_id": media_id}
        if type_ == "video":
            part.update({"title": file.name, "description": text})
        provider_id = self._custom_send(channel, {"touser": to, "msgtype": type_, type_: part})
        return FileSent(provider_id=provider_id, caption_included=type_ == "video")


# Temporary media types of the customer-service API, by content type.
_WX_MEDIA_TYPES = {
    "image/jpeg": "image",
    "image/png": "image",
    "image/gif": "image",
    "audio/mpeg": "voice",
    "video/mp4": "video",
}
