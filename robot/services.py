"""The robot (SPEC 11): the knowledge base admins write, each channel's robot settings, and
the robot that answers a channel's new conversations first and hands them over to people.

The flow:

- ``robot_hold`` (an ``enquiries.hooks`` open holder): a new enquiry on a channel whose robot
  is on is held (``Enquiry.robot_held``: nobody alerted, no deadline); the robot posts its
  welcome message.
- ``robot_messages_posted`` (a ``rooms.hooks`` message observer): each text message a
  customer posts in an open enquiry queues ``robot_reply`` after commit (a task: the AI
  provider may take seconds, and the posting transaction must not wait for it).
- ``robot_reply``: asked for a person -> hand over ("asked"); best match below the channel's
  confidence threshold -> hand over ("low_confidence"); else the answer (the article's, or
  written by the AI provider from the best matching articles only) as a bot message, and
  after N answers -> hand over ("turns"). One turn per message (a retry does nothing twice).
- ``robot_handover``: the enquiry opens as any new one (``enquiry_robot_handover``: alerts,
  the 60 s wait from now, or missed at once out of hours or with nobody available, when
  the customer is offered the note as always).
- ``robot_sweep``: conversations the customer left idle end (the enquiry closes); a
  customer message whose task was lost is answered.

Locks: the enquiry row (``select_for_update``), then the robot conversation row.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from ai import client as ai_client
from contactcenter.org import clock, i18n
from contactcenter.org.background import run_after_commit
from contactcenter.org.cache import LocalTTLCache
from contactcenter.org.errors import Conflict, InvalidInput, NotAuthorized, NotFound
from contactcenter.org.models import ChannelKind, Staff
from contactcenter.org.text import text_check
from enquiries import services as enquiry_services
from enquiries.models import Enquiry, EnquiryEvent, Visitor
from robot.matching import Match, kb_search
from robot.models import Article, RobotConversation, RobotSettings, RobotTurn
from rooms import services as room_services
from rooms.models import Message, Room

if TYPE_CHECKING:
    from channels_adapters.models import Channel

logger = logging.getLogger(__name__)

QUESTIONS_MAX = 20
QUESTION_CHARS = 500
ANSWER_CHARS = 5000
TAGS_MAX = 20
TAG_CHARS = 60
LANGUAGE_RE = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")
CSV_MAX_BYTES = 2 * 1024 * 1024
CSV_MAX_ROWS = 5000
WELCOME_CHARS = 2000
TURNS_MAX = 100
# Channels whose customers see bot messages (the widget and its web link). A messaging
# platform's customer does not receive the room's bot messages, so no robot there.
ROBOT_CHANNEL_KINDS = (ChannelKind.WIDGET, ChannelKind.WEBLINK)
# A customer message whose task was lost is answered by the sweep after this long.
LOST_AFTER = dt.timedelta(seconds=10)


def _require_admin(actor: Staff) -> None:
    if not actor.is_admin:
        raise NotAuthorized(_("Only admins can manage the robot and its knowledge base."))


# ---------------------------------------------------------------------- knowledge base


def _text_list(value: Any, field: str, *, max_items: int, max_chars: int, required: bool) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput.field(field, _("A list of texts."))
    items: list[str] = []
    for raw in value:
        item = text_check(raw.strip(), field=field)
        if not item:
            continue
        if len(item) > max_chars:
            raise InvalidInput.field(field, _("Each is limited to %(n)s characters.") % {"n": max_chars})
        if item not in items:
            items.append(item)
    if required and not items:
        raise InvalidInput.field(field, _("Give at least one."))
    if len(items) > max_items:
        raise InvalidInput.field(field, _("At most %(n)s.") % {"n": max_items})
    return items


def article_clean(data: Any, *, partial: bool = False) -> dict[str, Any]:
    """The fields of an article from ``data`` (a dict), checked (InvalidInput names the
    field). ``partial``: only those given (an update)."""
    if not isinstance(data, dict):
        raise InvalidInput(_("An object with the article's fields."))
    out: dict[str, Any] = {}
    if "questions" in data or not partial:
        out["questions"] = _text_list(
            data.get("questions"), "questions", max_items=QUESTIONS_MAX, max_chars=QUESTION_CHARS, required=True
        )
    if "answer" in data or not partial:
        answer = data.get("answer")
        if not isinstance(answer, str) or not answer.strip():
            raise InvalidInput.field("answer", _("Write the answer."))
        if len(answer) > ANSWER_CHARS:
            raise InvalidInput.field("answer", _("The answer is limited to %(n)s characters.") % {"n": ANSWER_CHARS})
        out["answer"] = text_check(answer.strip(), field="answer")
    if "tags" in data:
        out["tags"] = _text_list(
            data.get("tags") or [], "tags", max_items=TAGS_MAX, max_chars=TAG_CHARS, required=False
        )
    if "enabled" in data:
        if not isinstance(data["enabled"], bool):
            raise InvalidInput.field("enabled", _("true or false."))
        out["enabled"] = data["enabled"]
    if "language" in data:
        language = data.get("language") or ""
        if not isinstance(language, str) or (language and not LANGUAGE_RE.match(language)):
            raise InvalidInput.field("language", _('A language code such as "en", "zh-hant", or empty.'))
        out["language"] = language.lower()
    return out


def article_create(*, actor: Staff, data: Any) -> Article:
    _require_admin(actor)
    fields = article_clean(data)
    now = clock.now()
    return Article.objects.create(**fields, created_at=now, updated_at=now)


def article_update(*, actor: Staff, article_id: int, data: Any) -> Article:
    _require_admin(actor)
    fields = article_clean(data, partial=True)
    with transaction.atomic():
        article = Article.objects.select_for_update().filter(pk=article_id).first()
        if article is None:
            raise NotFound(_("Article not found."))
        for name, value in fields.items():
            setattr(article, name, value)
        article.updated_at = clock.now()
        article.save(update_fields=[*fields, "updated_at"])
    return article


def article_delete(*, actor: Staff, article_id: int) -> None:
    _require_admin(actor)
    deleted, _rows = Article.objects.filter(pk=article_id).delete()
    if not deleted:
        raise NotFound(_("Article not found."))


CSV_COLUMNS = ("question", "answer", "tags", "enabled", "language")
_TRUE = {"", "1", "true", "yes", "y", "on"}
_FALSE = {"0", "false", "no", "n", "off"}


def _split(value: str) -> list[str]:
    """Question variants: one per line or separated by "|"."""
    return [part.strip() for part in re.split(r"[|\n]", value) if part.strip()]


def _csv_row(row: dict[str, str | None]) -> dict[str, Any]:
    enabled_text = (row.get("enabled") or "").strip().lower()
    if enabled_text not in _TRUE | _FALSE:
        raise InvalidInput.field("enabled", _('Write "true" or "false" (empty: true).'))
    tags = [t.strip() for t in re.split(r"[|,]", row.get("tags") or "") if t.strip()]
    return article_clean(
        {
            "questions": _split(row.get("question") or ""),
            "answer": row.get("answer") or "",
            "tags": tags,
            "enabled": enabled_text in _TRUE,
            "language": (row.get("language") or "").strip(),
        }
    )


def articles_import(*, actor: Staff, content: bytes) -> dict[str, Any]:
    """Import articles from a CSV file (UTF-8, a header row naming the columns: ``question``
    and ``answer`` required, ``tags``, ``enabled``, ``language`` optional). All or nothing:
    one bad row and nothing is created; the answer lists every bad row ({"row": its line
    number, "field", "detail"}). Returns {"created": n, "errors": []} on success; raises
    InvalidInput with the same report otherwise."""
    _require_admin(actor)
    if len(content) > CSV_MAX_BYTES:
        raise InvalidInput.field("file", _("The file is limited to %(n)s MB.") % {"n": CSV_MAX_BYTES // (1024 * 1024)})
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput.field("file", _("The file must be UTF-8 text (CSV).")) from None
    if "\x00" in text:
        raise InvalidInput.field("file", _("The file must be UTF-8 text (CSV)."))
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in ("question", "answer") if c not in header]
    if missing:
        raise InvalidInput.field(
            "file", _("The header row must name the columns %(columns)s.") % {"columns": ", ".join(CSV_COLUMNS)}
        )
    reader.fieldnames = header
    rows: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    try:
        for row in reader:
            if len(rows) + len(errors) >= CSV_MAX_ROWS:
                raise InvalidInput.field("file", _("At most %(n)s rows per file.") % {"n": CSV_MAX_ROWS})
            if not any((v or "").strip() for k, v in row.items() if isinstance(v, str)):
                continue  # a blank line
            try:
                rows.append(_csv_row(row))
            except InvalidInput as exc:
                field, detail = _first_problem(exc)
                errors.append({"row": reader.line_num, "field": field, "detail": detail})
    except csv.Error as exc:
        raise InvalidInput.field("file", _("Not a readable CSV file: %(error)s") % {"error": str(exc)}) from None
    if errors:
        raise ImportRefused(errors)
    if not rows:
        raise InvalidInput.field("file", _("The file has no articles."))
    now = clock.now()
    with transaction.atomic():
        Article.objects.bulk_create([Article(**row, created_at=now, updated_at=now) for row in rows])
    return {"created": len(rows), "errors": []}


def _first_problem(exc: InvalidInput) -> tuple[str, str]:
    fields = getattr(exc, "fields", None) or {}
    for field, messages in fields.items():
        message = messages[0] if isinstance(messages, list) and messages else messages
        return ("question" if field == "questions" else field), str(message)
    return "", str(exc)


class ImportRefused(InvalidInput):
    """A CSV import with bad rows: nothing was created; ``errors`` lists them."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        detail = _("%(n)s rows have problems: nothing was imported.") % {"n": len(errors)}
        # The body's "errors": one {"row", "field", "detail"} per bad row.
        super().__init__(detail, fields={"errors": errors})  # type: ignore[dict-item]
        self.errors = errors


# ---------------------------------------------------------------------- settings


def robot_settings_of(channel_id: int) -> RobotSettings:
    """The channel's robot settings (the defaults, unsaved, when it has none)."""
    found = RobotSettings.objects.filter(channel_id=channel_id).first()
    return found or RobotSettings(channel_id=channel_id, updated_at=clock.now())


def robot_settings_update(*, actor: Staff, channel: Channel, changes: Any) -> RobotSettings:
    """Change a channel's robot (admins)."""
    _require_admin(actor)
    if not isinstance(changes, dict):
        raise InvalidInput(_("An object with the settings to change."))
    fields: dict[str, Any] = {}
    if "enabled" in changes:
        if not isinstance(changes["enabled"], bool):
            raise InvalidInput.field("enabled", _("true or false."))
        if changes["enabled"] and channel.kind not in ROBOT_CHANNEL_KINDS:
            raise InvalidInput.field("enabled", _("A robot answers on the website widget and web links only."))
        fields["enabled"] = changes["enabled"]
    if "welcome_message" in changes:
        welcome = changes["welcome_message"]
        if not isinstance(welcome, str) or len(welcome) > WELCOME_CHARS:
            raise InvalidInput.field("welcome_message", _("A text of at most %(n)s characters.") % {"n": WELCOME_CHARS})
        fields["welcome_message"] = text_check(welcome.strip(), field="welcome_message")
    if "handover_after_turns" in changes:
        turns = changes["handover_after_turns"]
        if isinstance(turns, bool) or not isinstance(turns, int) or not 0 <= turns <= TURNS_MAX:
            raise InvalidInput.field(
                "handover_after_turns", _("A whole number from 0 (never) to %(n)s.") % {"n": TURNS_MAX}
            )
        fields["handover_after_turns"] = turns
    if "confidence_threshold" in changes:
        value = changes["confidence_threshold"]
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise InvalidInput.field("confidence_threshold", _("A number from 0 to 1."))
        fields["confidence_threshold"] = float(value)
    unknown = set(changes) - {"enabled", "welcome_message", "handover_after_turns", "confidence_threshold"}
    if unknown:
        raise InvalidInput.field(sorted(unknown)[0], _("Unknown setting."))
    with transaction.atomic():
        row, _created = RobotSettings.objects.select_for_update().get_or_create(
            channel=channel, defaults={"updated_at": clock.now()}
        )
        for name, value in fields.items():
            setattr(row, name, value)
        row.updated_at = clock.now()
        row.save()
        _robot_on_cache.invalidate()
    return row


# ---------------------------------------------------------------------- the flow


def _bot_post(room_id: int, text: str, what: str, **extra: Any) -> Message:
    """A robot message through the one posting service (a bot message: data["bot"])."""
    return room_services.system_message_post(room_id=room_id, text=text, data={"bot": "robot", "robot": what, **extra})


def _idle_deadline(now: dt.datetime) -> dt.datetime:
    return now + dt.timedelta(seconds=settings.CC_ROBOT_IDLE_SECONDS)


def robot_hold(enquiry: Enquiry, channel: Any) -> bool:
    """The open holder (``enquiries.hooks.register_open_holder``): hold a new enquiry of a
    channel whose robot is on, and post the robot's welcome. Runs inside ``enquiry_open``'s
    transaction (the enquiry just created)."""
    if channel.kind not in ROBOT_CHANNEL_KINDS:
        return False
    welcome = _robot_on(channel.pk)
    if welcome is None:
        return False
    now = clock.now()
    RobotConversation.objects.create(
        enquiry=enquiry, channel_id=channel.pk, created_at=now, idle_deadline_at=_idle_deadline(now)
    )
    if welcome:
        room_id = Room.objects.filter(enquiry=enquiry).values_list("id", flat=True).get()
        _bot_post(room_id, welcome, "welcome")
    return True


# Whether each channel's robot is on (read on every opening): robot_settings_update
# invalidates it in its process; other processes see a change within the TTL.
_robot_on_cache = LocalTTLCache(ttl=5.0)


def _robot_on(channel_id: int) -> str | None:
    """The welcome message of the channel's robot when it is on ("" for none), else None."""

    def load() -> str | None:
        row = RobotSettings.objects.filter(channel_id=channel_id, enabled=True).values_list("welcome_message").first()
        return row[0] if row is not None else None

    return _robot_on_cache.get(channel_id, load)


def robot_messages_posted(messages: Sequence[Message]) -> None:
    """A message observer (inside the posting transaction; must be cheap): each customer
    text in an open enquiry queues ``robot_reply`` after commit. The rooms locker loaded the
    enquiry's status; the task finds out whether a robot holds it."""
    from robot import tasks  # tasks imports this module

    for message in messages:
        if message.author_visitor_id is None or message.kind != Message.Kind.TEXT:
            continue
        room = message.room
        enquiry = room.enquiry if room.enquiry_id is not None else None
        if enquiry is not None and enquiry.status == Enquiry.Status.OPEN:
            run_after_commit(tasks.robot_reply, message.pk)


# Asking for a person, in the languages customers write. English: whole words; languages
# without spaces: the phrase anywhere in the message.
_ASK_WORDS = re.compile(
    r"\b(agent|agents|person|human|humans|operator|representative|someone real|real person|live chat|staff)\b",
    re.IGNORECASE,
)
_ASK_PHRASES = (
    "人工",
    "真人",
    "转人工",
    "轉人工",
    "客服人员",
    "客服人員",
    "オペレーター",
    "担当者",
    "人間",
    "スタッフ",
    "有人",
    "พนักงาน",
    "เจ้าหน้าที่",
    "คุยกับคน",
    "แอดมิน",
)


def asks_for_person(text: str) -> bool:
    """The customer asks to talk to a person ("agent", "human", 人工, オペレーター, พนักงาน...)."""
    return bool(_ASK_WORDS.search(text)) or any(phrase in text for phrase in _ASK_PHRASES)


NO_ANSWER = "NO_ANSWER"


def _ai_messages(question: str, matches: list[Match]) -> list[dict[str, str]]:
    articles = "\n\n".join(f"[#{m.article.pk}] Q: {m.question}\nA: {m.article.answer}" for m in matches)
    system = (
        "You are a customer service assistant. Answer the customer's message using ONLY the "
        "knowledge-base articles below; do not add facts, promises, prices, links or steps "
        "they do not contain. Cite each article you used as [#id] at the end. If the "
        f"articles do not answer the message, reply exactly {NO_ANSWER}. Answer in the "
        "language of the customer's message, briefly and politely.\n\nArticles:\n" + articles
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": question}]


def _compose(question: str, matches: list[Match], enquiry_id: int) -> tuple[str | None, bool]:
    """(answer text, written by AI). None: the AI provider found no answer in the articles.
    Without a provider, or when it fails, the best article's own answer."""
    best = matches[0]
    if not ai_client.ai_configured():
        return best.article.answer, False
    try:
        result = ai_client.ai_chat(_ai_messages(question, matches), purpose="robot", enquiry_id=enquiry_id)
    except ai_client.AIError as exc:
        logger.warning("robot: AI provider failed (%s); answering with the article", exc.detail)
        return best.article.answer, False
    text = (result.text or "").strip()
    if not text:
        return best.article.answer, False
    if NO_ANSWER in text:
        return None, True
    return text[: settings.CC_MESSAGE_MAX_CHARS], True


def _lock(enquiry_id: int) -> tuple[Enquiry | None, RobotConversation | None]:
    enquiry = Enquiry.objects.select_for_update(no_key=True).filter(pk=enquiry_id).first()
    conversation = RobotConversation.objects.select_for_update().filter(enquiry_id=enquiry_id).first()
    return enquiry, conversation


def _with_robot(enquiry: Enquiry | None, conversation: RobotConversation | None) -> bool:
    return (
        enquiry is not None
        and conversation is not None
        and enquiry.status == Enquiry.Status.OPEN
        and enquiry.robot_held
        and conversation.state == RobotConversation.State.ACTIVE
    )


_HANDOVER_TEXTS = {
    RobotConversation.Reason.ASKED: gettext_noop("I'm connecting you with a person now."),
    RobotConversation.Reason.LOW_CONFIDENCE: gettext_noop(
        "I'm not sure about that one, so I'm connecting you with a person."
    ),
    RobotConversation.Reason.TURNS: gettext_noop("Let me connect you with a person who can help further."),
}


def _visitor_language(enquiry: Enquiry) -> str:
    """The language the customer's widget speaks (settings.LANGUAGES), for the robot's own texts."""
    visitor = Visitor.objects.filter(pk=enquiry.visitor_id).values_list("chat_language", "language").first()
    spoken = (visitor[0] or visitor[1]) if visitor else ""
    return i18n.best_language(spoken, i18n.language_codes())


def _handover(enquiry: Enquiry, conversation: RobotConversation, reason: str, room_id: int) -> None:
    """Hand over. Caller holds the enquiry's and the conversation's locks and checked
    ``_with_robot``."""
    now = clock.now()
    with translation.override(_visitor_language(enquiry)):
        text = _(_HANDOVER_TEXTS[RobotConversation.Reason(reason)])
    _bot_post(room_id, text, "handover", reason=reason)
    conversation.state = RobotConversation.State.HANDED_OVER
    conversation.handover_reason = reason
    conversation.handed_over_at = now
    conversation.idle_deadline_at = None
    conversation.save(update_fields=["state", "handover_reason", "handed_over_at", "idle_deadline_at"])
    enquiry_services.enquiry_robot_handover(enquiry_id=enquiry.pk, reason=reason)


def robot_reply(*, message_id: int) -> str:
    """Answer one customer message of a held enquiry, or hand over (module docstring).
    Returns what it did: a ``RobotTurn.Outcome`` or "" (nothing: not the robot's, or done
    already). Matching and the AI call run outside any lock; the decision is taken again
    under the enquiry's lock."""
    message = Message.objects.filter(pk=message_id).select_related("room").first()
    if message is None or message.author_visitor_id is None or message.room.enquiry_id is None:
        return ""
    enquiry_id = message.room.enquiry_id
    conversation = RobotConversation.objects.filter(enquiry_id=enquiry_id).first()
    if conversation is None or conversation.state != RobotConversation.State.ACTIVE:
        return ""
    if RobotTurn.objects.filter(message_id=message_id).exists():
        return ""
    question = message.text
    config = robot_settings_of(conversation.channel_id)
    asked = asks_for_person(question)
    matches: list[Match] = [] if asked else kb_search(question)
    score = matches[0].score if matches else 0.0
    answer: str | None = None
    by_ai = False
    if not asked and matches and score >= config.confidence_threshold:
        answer, by_ai = _compose(question, matches, enquiry_id)
    with transaction.atomic():
        enquiry, conversation = _lock(enquiry_id)
        if not _with_robot(enquiry, conversation) or RobotTurn.objects.filter(message_id=message_id).exists():
            return ""
        assert enquiry is not None and conversation is not None
        now = clock.now()
        outcome = (
            RobotTurn.Outcome.ASKED
            if asked
            else (RobotTurn.Outcome.ANSWERED if answer is not None else RobotTurn.Outcome.UNSURE)
        )
        cited = [m.article.pk for m in matches] if by_ai else [m.article.pk for m in matches[:1]]
        RobotTurn.objects.create(
            conversation=conversation,
            message=message,
            question=question[:2000],
            outcome=outcome,
            score=score,
            articles=cited if outcome == RobotTurn.Outcome.ANSWERED else [m.article.pk for m in matches],
            by_ai=by_ai,
            created_at=now,
        )
        room_id = message.room_id
        if outcome == RobotTurn.Outcome.ASKED:
            _handover(enquiry, conversation, RobotConversation.Reason.ASKED, room_id)
        elif outcome == RobotTurn.Outcome.UNSURE:
            _handover(enquiry, conversation, RobotConversation.Reason.LOW_CONFIDENCE, room_id)
        else:
            assert answer is not None
            _bot_post(room_id, answer, "answer", articles=cited, score=score, ai=by_ai, reply_to=message.pk)
            conversation.turns += 1
            conversation.idle_deadline_at = _idle_deadline(now)
            conversation.save(update_fields=["turns", "idle_deadline_at"])
            if config.handover_after_turns and conversation.turns >= config.handover_after_turns:
                _handover(enquiry, conversation, RobotConversation.Reason.TURNS, room_id)
        return str(outcome)


def robot_handover_request(*, visitor: Visitor, enquiry_id: int) -> Enquiry:
    """The customer pressed "Talk to a person" (the widget's button). Handing over twice
    changes nothing. Locks the enquiry row, then the conversation."""
    with transaction.atomic():
        enquiry, conversation = _lock(enquiry_id)
        if enquiry is None or enquiry.visitor_id != visitor.pk:
            raise NotFound(_("Conversation not found."))
        if conversation is None:
            raise Conflict(_("This conversation has no robot."), code="no_robot")
        if _with_robot(enquiry, conversation):
            room_id = Room.objects.filter(enquiry=enquiry).values_list("id", flat=True).get()
            _handover(enquiry, conversation, RobotConversation.Reason.ASKED, room_id)
            enquiry.refresh_from_db()
    return enquiry


def robot_conversation_ended(event: EnquiryEvent) -> None:
    """An enquiry event observer: a held enquiry that closed (the customer ended it, or it
    went idle) ends its robot conversation. Cheap: one UPDATE for a closed event only."""
    if event.type != EnquiryEvent.Type.CLOSED:
        return
    RobotConversation.objects.filter(enquiry_id=event.enquiry_id, state=RobotConversation.State.ACTIVE).update(
        state=RobotConversation.State.ENDED, ended_at=event.created_at, idle_deadline_at=None
    )


def robot_sweep(now: dt.datetime | None = None) -> dict[str, int]:
    """End the conversations whose customer went quiet (the enquiry closes; the robot
    resolved it), and answer customer messages whose task was lost. Idempotent: each
    decision is taken again under the enquiry's lock."""
    now = now or clock.now()
    ended = 0
    due = RobotConversation.objects.filter(state=RobotConversation.State.ACTIVE, idle_deadline_at__lte=now)
    for enquiry_id in list(due.values_list("enquiry_id", flat=True)[:200]):
        with transaction.atomic():
            enquiry, conversation = _lock(enquiry_id)
            if conversation is None or conversation.idle_deadline_at is None or conversation.idle_deadline_at > now:
                continue
            if _with_robot(enquiry, conversation):
                ended += int(enquiry_services.enquiry_robot_close(enquiry_id=enquiry_id))
            if conversation.state == RobotConversation.State.ACTIVE:
                conversation.refresh_from_db()
                if conversation.state == RobotConversation.State.ACTIVE:  # not closed by the observer
                    conversation.state = RobotConversation.State.ENDED
                    conversation.ended_at = now
                    conversation.idle_deadline_at = None
                    conversation.save(update_fields=["state", "ended_at", "idle_deadline_at"])
    lost = (
        Message.objects.filter(
            room__enquiry__robot_conversation__state=RobotConversation.State.ACTIVE,
            author_visitor__isnull=False,
            kind=Message.Kind.TEXT,
            created_at__lte=now - LOST_AFTER,
        )
        .exclude(pk__in=RobotTurn.objects.values("message_id"))
        .order_by("id")
        .values_list("id", flat=True)[:50]
    )
    answered = sum(1 for message_id in list(lost) if robot_reply(message_id=message_id))
    return {"ended": ended, "answered": answered}


def kb_reply_context(enquiry_id: int, text: str, limit: int) -> list[str]:
    """Context for the AI assist's smart replies (``ai.hooks.register_reply_context``): the
    best matching articles."""
    return [f"Q: {m.question} A: {m.article.answer}" for m in kb_search(text, limit=limit)]
