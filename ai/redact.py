"""Redaction of emails, phone numbers and card numbers in text before it leaves the server
for the AI provider (CC_AI_REDACT or the admin setting). Card numbers are 13-19 digits
(spaces or dashes between groups allowed) that pass the Luhn check; phone numbers are runs
of 7-15 digits with an optional leading + and the usual separators."""

from __future__ import annotations

import re

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
_PHONE = re.compile(r"(?<![\w+])\+?\(?\d[\d ()./-]{5,}\d(?!\d)")

EMAIL_MARK = "[email]"
PHONE_MARK = "[phone]"
CARD_MARK = "[card]"


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match[0])
    return CARD_MARK if 13 <= len(digits) <= 19 and luhn_valid(digits) else match[0]


_DATE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}")


def _phone(match: re.Match[str]) -> str:
    if _DATE.fullmatch(match[0].strip()):
        return match[0]  # a date, not a phone number
    digits = re.sub(r"\D", "", match[0])
    return PHONE_MARK if 7 <= len(digits) <= 15 else match[0]


def redact(text: str) -> str:
    """``text`` with emails, card numbers (Luhn-valid) and phone numbers replaced."""
    text = _EMAIL.sub(EMAIL_MARK, text)
    text = _CARD.sub(_card, text)
    return _PHONE.sub(_phone, text)
