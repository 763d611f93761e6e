"""The credential fields of each kind of platform channel, described for people: what each
one is called in the platform's console and where to find it. One description serves the
admin's forms (GET /api/v1/channels/kinds), the OpenAPI schema and the checks of
``credentials_clean``."""

from __future__ import annotations

import dataclasses

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclasses.dataclass(frozen=True)
class CredentialField:
    name: str
    label: str | Promise
    help: str | Promise
    required: bool = True
    # Shown as a password input; every field is write-only in the API anyway.
    secret: bool = False
    # "text", "port" (a number 1-65535) or "choice" (one of ``choices``).
    type: str = "text"
    choices: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class KindDescription:
    kind: str
    label: str | Promise
    console: str | Promise
    # Where the webhook URL and verify token go (empty: the kind has no webhook).
    webhook_help: str | Promise
    fields: tuple[CredentialField, ...]


_META_SECRET = _(
    "Meta for Developers → your app → App settings → Basic → App secret (Show). Used to check the "
    "signature of every webhook call."
)

# What a Meta app's webhook needs, the same for WhatsApp and Messenger.
_META_WEBHOOK_FIELDS = (
    CredentialField("app_secret", _("App secret"), _META_SECRET, secret=True),
    CredentialField(
        "verify_token",
        _("Verify token"),
        _("Any text you choose (Generate makes one); enter the same text as Verify token in Meta's console."),
        secret=True,
    ),
)

KINDS: dict[str, KindDescription] = {
    "whatsapp": KindDescription(
        kind="whatsapp",
        label=_("WhatsApp Business (Cloud API)"),
        console="https://developers.facebook.com/apps/",
        webhook_help=_(
            "Meta for Developers → your app → WhatsApp → Configuration → Webhook → Edit: paste the webhook "
            "URL as Callback URL and the verify token below as Verify token, then subscribe to the "
            "“messages” field."
        ),
        fields=(
            CredentialField(
                "phone_number_id",
                _("Phone number ID"),
                _(
                    "Meta for Developers → your app → WhatsApp → API Setup: the “Phone number ID” shown under "
                    "the sending number (an ID, not the phone number itself)."
                ),
            ),
            CredentialField(
                "access_token",
                _("Access token"),
                _(
                    "A permanent token of a system user with the whatsapp_business_messaging permission: "
                    "Meta Business Suite → Business settings → Users → System users → Generate new token. "
                    "(The temporary token of API Setup expires after 24 hours.)"
                ),
                secret=True,
            ),
            *_META_WEBHOOK_FIELDS,
        ),
    ),
    "messenger": KindDescription(
        kind="messenger",
        label=_("Facebook Messenger"),
        console="https://developers.facebook.com/apps/",
        webhook_help=_(
            "Meta for Developers → your app → Messenger → Settings → Webhooks → Add callback URL: paste the "
            "webhook URL and the verify token below, then subscribe the Page to “messages”, "
            "“messaging_postbacks”, “message_deliveries” and “message_reads”."
        ),
        fields=(
            CredentialField(
                "page_id",
                _("Page ID"),
                _(
                    "Your Facebook Page → About → Page transparency (Page ID), or Meta for Developers → your "
                    "app → Messenger → Settings → Access tokens, under the Page's name."
                ),
            ),
            CredentialField(
                "page_access_token",
                _("Page access token"),
                _("Meta for Developers → your app → Messenger → Settings → Access tokens → Generate, for the Page."),
                secret=True,
            ),
            *_META_WEBHOOK_FIELDS,
        ),
    ),
    "line": KindDescription(
        kind="line",
        label=_("LINE Official Account (Messaging API)"),
        console="https://developers.line.biz/console/",
        webhook_help=_(
            "LINE Developers Console → your provider → the Messaging API channel → Messaging API tab → Webhook "
            "settings: paste the webhook URL as Webhook URL, press Verify, and turn on “Use webhook”."
        ),
        fields=(
            CredentialField(
                "channel_secret",
                _("Channel secret"),
                _("LINE Developers Console → the Messaging API channel → Basic settings tab → Channel secret."),
                secret=True,
            ),
            CredentialField(
                "channel_access_token",
                _("Channel access token"),
                _(
                    "LINE Developers Console → the Messaging API channel → Messaging API tab → Channel access "
                    "token (long-lived) → Issue."
                ),
                secret=True,
            ),
        ),
    ),
    "wechat": KindDescription(
        kind="wechat",
        label=_("WeChat Official Account"),
        console="https://mp.weixin.qq.com/",
        webhook_help=_(
            "WeChat Official Accounts Platform → Settings and Development (设置与开发) → Basic configuration "
            "(基本配置) → Server configuration (服务器配置): paste the webhook URL as URL, the token below as "
            "Token, then enable the configuration."
        ),
        fields=(
            CredentialField(
                "app_id",
                _("AppID"),
                _("Settings and Development → Basic configuration → Developer ID → AppID (开发者ID)."),
            ),
            CredentialField(
                "app_secret",
                _("AppSecret"),
                _(
                    "Settings and Development → Basic configuration → Developer ID → AppSecret (开发者密码); "
                    "add this server's address to the IP whitelist there."
                ),
                secret=True,
            ),
            CredentialField(
                "token",
                _("Token"),
                _(
                    "Any text of 3 to 32 letters and digits you choose; the same as Token (令牌) in "
                    "Server configuration."
                ),
                secret=True,
            ),
            CredentialField(
                "encoding_aes_key",
                _("EncodingAESKey"),
                _(
                    "Server configuration → EncodingAESKey (消息加解密密钥), 43 characters; only for the "
                    "compatible or safe message mode. Leave empty for plain text mode."
                ),
                required=False,
                secret=True,
            ),
        ),
    ),
    "sms": KindDescription(
        kind="sms",
        label=_("SMS (Twilio)"),
        console="https://console.twilio.com/",
        webhook_help=_(
            "Twilio Console → Phone Numbers → Manage → Active numbers → your number → Messaging configuration: "
            "“A message comes in”: Webhook, paste the webhook URL, HTTP POST (or set it as the Messaging "
            "Service's incoming-message webhook). Set CC_PUBLIC_BASE_URL so that the signature and the "
            "delivery statuses use this server's public address."
        ),
        fields=(
            CredentialField(
                "account_sid",
                _("Account SID"),
                _("Twilio Console → Account → Account info: Account SID (starts with AC)."),
            ),
            CredentialField(
                "auth_token",
                _("Auth token"),
                _(
                    "Twilio Console → Account → Account info: Auth Token. Also checks the signature of every "
                    "webhook call."
                ),
                secret=True,
            ),
            CredentialField(
                "from_number",
                _("From number"),
                _(
                    "The Twilio number SMS are sent from, in E.164 form (+14155550100). Or give a Messaging "
                    "Service SID."
                ),
                required=False,
            ),
            CredentialField(
                "messaging_service_sid",
                _("Messaging Service SID"),
                _("Messaging → Services → your service: its SID (starts with MG); used instead of the From number."),
                required=False,
            ),
        ),
    ),
    "email": KindDescription(
        kind="email",
        label=_("Email (SMTP and IMAP)"),
        console="",
        webhook_help="",
        fields=(
            CredentialField(
                "address",
                _("Address"),
                _("The address customers write to, e.g. help@shop.example; replies come from it."),
            ),
            CredentialField("smtp_host", _("SMTP server"), _("Your mail provider's outgoing (SMTP) server name.")),
            CredentialField("smtp_port", _("SMTP port"), _("Usually 587 (STARTTLS) or 465 (SSL)."), type="port"),
            CredentialField(
                "smtp_security",
                _("SMTP security"),
                _("auto: SSL on port 465, STARTTLS on 587, none otherwise."),
                required=False,
                type="choice",
                choices=("auto", "starttls", "ssl", "none"),
            ),
            CredentialField("smtp_username", _("SMTP user name"), _("Often the address itself."), required=False),
            CredentialField(
                "smtp_password",
                _("SMTP password"),
                _("The mailbox password or an app password from your mail provider."),
                required=False,
                secret=True,
            ),
            CredentialField(
                "imap_host",
                _("IMAP server"),
                _("For polling incoming mail (manage.py poll_imap); empty when an MTA pipes mail in."),
                required=False,
            ),
            CredentialField("imap_port", _("IMAP port"), _("Usually 993 (SSL)."), required=False, type="port"),
            CredentialField("imap_username", _("IMAP user name"), _("Empty: the SMTP user name."), required=False),
            CredentialField(
                "imap_password", _("IMAP password"), _("Empty: the SMTP password."), required=False, secret=True
            ),
            CredentialField(
                "imap_mailbox", _("IMAP mailbox"), _("The folder to read, INBOX by default."), required=False
            ),
        ),
    ),
}

REQUIRED: dict[str, tuple[str, ...]] = {k: tuple(f.name for f in d.fields if f.required) for k, d in KINDS.items()}
OPTIONAL: dict[str, tuple[str, ...]] = {k: tuple(f.name for f in d.fields if not f.required) for k, d in KINDS.items()}
