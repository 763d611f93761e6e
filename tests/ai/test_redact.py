"""Redaction of emails, phone numbers and card numbers (Luhn) before text leaves."""

from __future__ import annotations

import pytest

from ai.redact import luhn_valid, redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jo.smith+x@mail.example.co.uk", "[email]"),
        ("+44 20 7946 0958", "[phone]"),
        ("(415) 555-0134", "[phone]"),
        ("4111 1111 1111 1111", "[card]"),
        ("5500-0000-0000-0004", "[card]"),
        ("378282246310005", "[card]"),
        ("order 12345", "order 12345"),
        ("on 2026-03-04 or 04/03/2026", "on 2026-03-04 or 04/03/2026"),
        ("no personal data here", "no personal data here"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_luhn() -> None:
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")


def test_a_long_number_that_fails_luhn_is_not_called_a_card() -> None:
    assert "[card]" not in redact("ref 4111 1111 1111 1112")
