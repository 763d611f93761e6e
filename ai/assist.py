"""AI assist on an enquiry (SPEC 11): the summary, smart-reply drafts and suggested topic
and tags. Each builds the messages sent to the provider from the transcript (and, for
replies, the quick replies and the registered reply context) and reads the answer back.
The calls happen in the request of the assist endpoint; nothing here posts to the chat."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext

from ai.client import AIError, ai_chat, ai_chat_stream
from ai.hooks import reply_context
from ai.selectors import customer_language, last_customer_text, transcript_lines
from contactcenter.org.models import Staff
from customers.models import CustomerTag
from enquiries.models import ConversationTag, Enquiry
from enquiries.selectors import conversation_tags_of, tag_data
from rooms.selectors import quick_replies_for

MAX_SUGGESTIONS = 3
QUICK_REPLIES_IN_PROMPT = 20
TAGS_IN_PROMPT = 200

Messages = list[dict[str, str]]


def _language_hint(enquiry: Enquiry) -> str:
    language = customer_language(enquiry)
    if language:
        return f"The customer's language code is {language!r}; write in that language."
    return "Write in the language the customer writes in."


def _transcript(enquiry: Enquiry) -> str:
    lines = transcript_lines(enquiry)
    return "\n".join(lines) if lines else "(no messages yet)"


# ------------------------------------------------------------------ summary


def summary_messages(enquiry: Enquiry) -> Messages:
    return [
        {
            "role": "system",
            "content": (
                "You summarise customer-service conversations for the agents of a contact center. "
                "Write a short summary (at most 6 sentences or bullet points): what the customer wants, "
                "what was done or promised, and what is still open. Mention files by name when they matter. "
                "Write the summary in the language of the conversation. Do not invent facts."
            ),
        },
        {"role": "user", "content": f"Conversation (oldest first):\n{_transcript(enquiry)}"},
    ]


def summary_result(text: str) -> dict[str, Any]:
    return {"summary": text.strip()}


# ------------------------------------------------------------------ smart reply


def reply_messages(enquiry: Enquiry, staff: Staff) -> Messages:
    last = last_customer_text(enquiry)
    quick = [f"/{q.shortcut}: {q.text}" for q in quick_replies_for(staff)[:QUICK_REPLIES_IN_PROMPT]]
    context = reply_context(enquiry.pk, last, 3)
    parts = [
        "You help a contact-center agent answer a customer. Write up to three different short replies "
        "the agent could send next, each complete on its own, polite and specific to the conversation. "
        f"{_language_hint(enquiry)} Separate the replies with a line containing only ---. "
        "No numbering, no introduction, no signature. Never promise what the context does not support."
    ]
    if quick:
        parts.append("The agent's saved replies (reuse their wording and links where they fit):\n" + "\n".join(quick))
    if context:
        parts.append("Knowledge base (use it; do not contradict it):\n" + "\n\n".join(context))
    return [
        {"role": "system", "content": "\n\n".join(parts)},
        {"role": "user", "content": f"Conversation (oldest first):\n{_transcript(enquiry)}"},
    ]


_NUMBERING = re.compile(r"^\s*(?:\d+[.)]|[-*•])\s+")


def reply_result(text: str) -> dict[str, Any]:
    drafts = []
    for part in re.split(r"(?m)^\s*-{3,}\s*$", text):
        draft = _NUMBERING.sub("", part.strip()).strip()
        if draft:
            drafts.append(draft)
    if not drafts:
        raise AIError(gettext("The AI provider gave no reply drafts."), status=502, code="ai_malformed")
    return {"suggestions": drafts[:MAX_SUGGESTIONS]}


# ------------------------------------------------------------------ labels


def _tag_labels() -> list[dict[str, Any]]:
    tags = ConversationTag.objects.select_related("parent").order_by("parent_id", "name")[:TAGS_IN_PROMPT]
    return [tag_data(t) for t in tags]


def labels_messages(enquiry: Enquiry) -> Messages:
    tags = [t["label"] for t in _tag_labels()]
    customer_tags = list(CustomerTag.objects.order_by("name").values_list("name", flat=True)[:TAGS_IN_PROMPT])
    return [
        {
            "role": "system",
            "content": (
                "You classify customer-service conversations. Answer with one JSON object only: "
                '{"topic": "<a short topic, a few words, in the language of the conversation>", '
                '"tags": ["<conversation tags>"], "customer_tags": ["<customer tags>"], '
                '"new_tags": ["<tags that would fit but do not exist>"], "new_customer_tags": ["..."]}. '
                "Choose tags and customer_tags only from these lists, spelled exactly as given (at most 3 each; "
                "none when none fits).\n"
                f"Conversation tags: {json.dumps(tags, ensure_ascii=False)}\n"
                f"Customer tags: {json.dumps(customer_tags, ensure_ascii=False)}"
            ),
        },
        {"role": "user", "content": f"Conversation (oldest first):\n{_transcript(enquiry)}"},
    ]


def _not_labels() -> AIError:
    return AIError(gettext("The AI provider did not answer with labels."), status=502, code="ai_malformed")


def _json_object(text: str) -> dict[str, Any]:
    text = text.strip()
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        raise _not_labels()
    try:
        value = json.loads(text[start : end + 1])
    except ValueError as exc:
        raise _not_labels() from exc
    if not isinstance(value, dict):
        raise _not_labels()
    return value


def _names(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [str(v).strip()[:80] for v in value if isinstance(v, str | int) and str(v).strip()][:10]


def labels_result(text: str, enquiry: Enquiry) -> dict[str, Any]:
    """Names matched to the existing tags (case-insensitive, by label or by name); names
    that match none only as ``suggested_new``."""
    answer = _json_object(text)
    by_name: dict[str, dict[str, Any]] = {}
    for tag in _tag_labels():
        by_name.setdefault(tag["label"].casefold(), tag)
        by_name.setdefault(tag["name"].casefold(), tag)
    tags: list[dict[str, Any]] = []
    new_tags: list[str] = _names(answer.get("new_tags"))
    for name in _names(answer.get("tags")):
        found = by_name.get(name.casefold())
        if found is None:
            new_tags.append(name)
        elif found not in tags:
            tags.append(found)
    customer_by_name = {t.name.casefold(): t for t in CustomerTag.objects.all()}
    customer_tags: list[dict[str, Any]] = []
    new_customer_tags = _names(answer.get("new_customer_tags"))
    for name in _names(answer.get("customer_tags")):
        ctag = customer_by_name.get(name.casefold())
        if ctag is None:
            new_customer_tags.append(name)
        elif all(c["id"] != ctag.pk for c in customer_tags):
            customer_tags.append({"id": ctag.pk, "name": ctag.name, "color": ctag.color})
    topic = answer.get("topic")
    customer_id = enquiry.visitor.customer_id
    current_customer_tags = (
        list(CustomerTag.objects.filter(customers__id=customer_id).values_list("id", flat=True)) if customer_id else []
    )
    return {
        "topic": topic.strip()[:200] if isinstance(topic, str) else "",
        "tags": tags[:MAX_SUGGESTIONS],
        "customer_tags": customer_tags[:MAX_SUGGESTIONS],
        "suggested_new": {
            "tags": list(dict.fromkeys(new_tags))[:5],
            "customer_tags": list(dict.fromkeys(new_customer_tags))[:5],
        },
        # What the enquiry and the customer carry now: the UI adds to these in one PATCH each.
        "current": {
            "topic": enquiry.topic,
            "tags": [t["id"] for t in conversation_tags_of([enquiry.pk])[enquiry.pk]],
            "customer": customer_id,
            "customer_tags": current_customer_tags,
        },
    }


# ------------------------------------------------------------------ running one


def assist_messages(kind: str, enquiry: Enquiry, staff: Staff) -> Messages:
    if kind == "summary":
        return summary_messages(enquiry)
    if kind == "reply":
        return reply_messages(enquiry, staff)
    return labels_messages(enquiry)


def assist_result(kind: str, text: str, enquiry: Enquiry) -> dict[str, Any]:
    if kind == "summary":
        return summary_result(text)
    if kind == "reply":
        return reply_result(text)
    return labels_result(text, enquiry)


def assist_run(kind: str, *, enquiry: Enquiry, staff: Staff) -> dict[str, Any]:
    """One assist answer (``kind``: summary, reply, labels) for an enquiry the caller may
    use assist on (``access_assist_enquiry``). Raises AIError."""
    result = ai_chat(assist_messages(kind, enquiry, staff), purpose=kind, staff_id=staff.pk, enquiry_id=enquiry.pk)
    return assist_result(kind, result.text, enquiry)


def assist_stream(kind: str, *, enquiry: Enquiry, staff: Staff) -> Iterator[str]:
    """The provider's text as it streams (raises AIError before the first word, or while
    streaming); ``assist_result`` reads the whole text at the end."""
    return ai_chat_stream(assist_messages(kind, enquiry, staff), purpose=kind, staff_id=staff.pk, enquiry_id=enquiry.pk)
