"""The one tokenizer of search: the index and the queries both go through it, so they
always agree, on PostgreSQL and on SQLite alike.

- Text is NFKC-normalised and case-folded (full-width letters and digits become ASCII,
  "Ｒｅｆｕｎｄ" finds "refund").
- Scripts written with spaces (Latin, Cyrillic, Greek, Hangul, Arabic, ...) give words: runs
  of letters, digits and combining marks.
- Scripts written without spaces (Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar) give
  overlapping character bigrams of each run, then the run's last character alone: "退款申请"
  gives "退款 款申 申请 请". A query's run must appear as its bigrams in a row (a phrase),
  so "款申" finds it and "申款" does not; a one-character query is a prefix of a token
  (the trailing single character makes sure a run's last character is found too).

Tokens contain no ASCII punctuation or space, so a space-joined token string is read back
token by token by PostgreSQL's parser (``to_tsvector('simple', ...)``) and by SQLite FTS5's
``ascii`` tokenizer alike.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterator

# Longest word kept (longer runs, e.g. pasted base64, would only bloat the index).
MAX_WORD = 60
# Tokens of one document kept (a long message is indexed by its beginning).
MAX_TOKENS = 2000

_NO_SPACE_RANGES = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x2E80, 0x2FDF),  # CJK radicals
    (0x3005, 0x3007),  # 々 〆 〇
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3100, 0x312F),  # Bopomofo
    (0x31F0, 0x31FF),  # Katakana extensions
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified
    (0xF900, 0xFAFF),  # CJK compatibility
    (0x20000, 0x3FFFF),  # CJK extensions B-H
)

WORD, RUN, OTHER = 0, 1, 2


def _no_space(code: int) -> bool:
    return any(lo <= code <= hi for lo, hi in _NO_SPACE_RANGES)


def char_class(ch: str) -> int:
    """WORD (a letter, digit or mark of a spaced script), RUN (a script without spaces) or
    OTHER (a separator)."""
    code = ord(ch)
    if code < 128:
        return WORD if ch.isalnum() else OTHER
    if _no_space(code):
        return RUN
    cat = unicodedata.category(ch)
    if cat[0] in "LN" or cat in ("Mn", "Mc"):
        return WORD
    return OTHER


def _ranges_class(ranges: list[tuple[int, int]]) -> str:
    return "".join(f"{re.escape(chr(lo))}-{re.escape(chr(hi))}" if hi > lo else re.escape(chr(lo)) for lo, hi in ranges)


# Combining marks live (outside the no-space scripts, whose ranges hold their own) in these
# blocks: Latin/Greek/Cyrillic diacritics, Hebrew, Arabic, Indic scripts, ... and symbols.
_MARK_BLOCKS = ((0x0300, 0x1DFF), (0x20D0, 0x20FF), (0xA670, 0xABFF), (0xFE00, 0xFE2F))


def _build_pattern() -> re.Pattern[str]:
    """One regex of the two span kinds, so tokenising runs in C: a run of RUN characters
    (their ranges include their combining marks), or of WORD characters (\\w less "_" and
    the RUN ranges, plus combining marks). Agrees with ``char_class``."""
    run = _ranges_class(list(_NO_SPACE_RANGES))
    marks: list[tuple[int, int]] = []
    for lo_block, hi_block in _MARK_BLOCKS:
        lo = -1
        for code in range(lo_block, hi_block + 2):
            is_mark = code <= hi_block and unicodedata.category(chr(code)) in ("Mn", "Mc") and not _no_space(code)
            if is_mark and lo < 0:
                lo = code
            elif not is_mark and lo >= 0:
                marks.append((lo, code - 1))
                lo = -1
    word = f"(?:(?![{run}_])[\\w{_ranges_class(marks)}])+"
    return re.compile(f"([{run}]+)|({word})")


_PATTERN = _build_pattern()


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


@dataclasses.dataclass(frozen=True)
class Span:
    """A run of one class in the normalised text: ``start``/``end`` index the normalised
    string; ``kind`` WORD or RUN."""

    kind: int
    start: int
    end: int


def spans(norm: str) -> Iterator[Span]:
    """The word and run spans of an already normalised text. A combining mark continues
    whatever run it follows (Thai vowels and tone marks are marks)."""
    for match in _PATTERN.finditer(norm):
        yield Span(RUN if match.group(1) else WORD, match.start(), match.end())


_ASCII_WORD = re.compile("[a-z0-9]+")


def run_tokens(run: str) -> list[str]:
    """Bigrams of a run, then its last character alone."""
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)] + [run[-1]]


def tokens(text: str) -> list[str]:
    """The tokens of a document, in order (at most MAX_TOKENS)."""
    if text.isascii():
        # NFKC leaves ASCII as it is; words are the only spans.
        found = _ASCII_WORD.findall(text.lower())
        return [w for w in found if len(w) <= MAX_WORD][:MAX_TOKENS]
    norm = normalise(text)
    out: list[str] = []
    for run, word in _PATTERN.findall(norm):
        if word:
            if len(word) <= MAX_WORD:
                out.append(word)
        else:
            out.extend(run_tokens(run))
        if len(out) >= MAX_TOKENS:
            return out[:MAX_TOKENS]
    return out


# Who may find a document is in its tokens too: "ⓢ<staff id>" for each staff member who was
# ever in the enquiry's room or owns it. An agent's search adds their token to the query,
# so the permission filter is one more posting list for the full-text index to intersect
# (not a join the planner must guess the selectivity of). No text can produce the token:
# NFKC makes "ⓢ" an "s".
STAFF_MARK = "ⓢ"


def staff_token(staff_id: int) -> str:
    return f"{STAFF_MARK}{int(staff_id)}"


def token_string(*texts: str) -> str:
    """What the index stores: the tokens of every text, space-separated (a document of
    several fields is their concatenation; a field's last token and the next one's first
    are adjacent, which at worst lets a phrase straddle two fields)."""
    if len(texts) == 1:
        return " ".join(tokens(texts[0])) if texts[0] else ""
    return " ".join(t for text in texts if text for t in tokens(text))


@dataclasses.dataclass(frozen=True)
class Term:
    """One term of a query: ``tokens`` that must appear in a row (one for a word; the
    bigrams of a run), ``prefix`` when the single token is a prefix (a one-character run)."""

    tokens: tuple[str, ...]
    prefix: bool = False


def query_terms(q: str) -> list[Term]:
    """The terms of a query, every one required. Duplicates go."""
    norm = normalise(q)
    terms: list[Term] = []
    for span in spans(norm):
        part = norm[span.start : span.end]
        if span.kind == WORD:
            if len(part) <= MAX_WORD:
                term = Term((part,))
            else:
                continue
        elif len(part) == 1:
            term = Term((part,), prefix=True)
        else:
            term = Term(tuple(part[i : i + 2] for i in range(len(part) - 1)))
        if term not in terms:
            terms.append(term)
    return terms


def tsquery(terms: list[Term]) -> str:
    """The terms as PostgreSQL tsquery syntax (for ``to_tsquery('simple', ...)``): a phrase
    ``<->`` per run, ``&`` between terms. Tokens have no quote or punctuation to escape."""
    parts = []
    for term in terms:
        if term.prefix:
            parts.append(f"'{term.tokens[0]}':*")
        elif len(term.tokens) == 1:
            parts.append(f"'{term.tokens[0]}'")
        else:
            parts.append("(" + " <-> ".join(f"'{t}'" for t in term.tokens) + ")")
    return " & ".join(parts)


def fts5_query(terms: list[Term]) -> str:
    """The terms as an SQLite FTS5 query: a quoted phrase per term (``"a b"``: adjacent),
    ``*`` for a prefix; terms side by side are ANDed."""
    parts = []
    for term in terms:
        phrase = '"' + " ".join(term.tokens) + '"'
        parts.append(phrase + ("*" if term.prefix else ""))
    return " ".join(parts)


def _term_matches(term: Term, norm: str) -> list[tuple[int, int]]:
    """Where ``term`` occurs in the normalised text (spans of the normalised string)."""
    found: list[tuple[int, int]] = []
    if len(term.tokens) == 1 and not term.prefix and char_class(term.tokens[0][0]) == WORD:
        word = term.tokens[0]
        for span in spans(norm):
            if span.kind == WORD and norm[span.start : span.end] == word:
                found.append((span.start, span.end))
        return found
    # A run: the characters themselves, inside a run span.
    needle = term.tokens[0] + "".join(t[1:] for t in term.tokens[1:])
    for span in spans(norm):
        if span.kind != RUN:
            continue
        part = norm[span.start : span.end]
        at = part.find(needle)
        while at >= 0:
            found.append((span.start + at, span.start + at + len(needle)))
            at = part.find(needle, at + len(needle))
    return found


def _original_offsets(text: str) -> tuple[str, list[int]]:
    """The normalised text and, for each of its characters, the index of the original
    character it came from (NFKC and case folding may change lengths: "ﬁ" is "fi")."""
    pieces: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        norm = normalise(ch)
        pieces.append(norm)
        origin.extend([i] * len(norm))
    return "".join(pieces), origin


def highlights(text: str, terms: list[Term]) -> list[tuple[int, int]]:
    """Where the terms occur in ``text`` (start, end offsets of the original text, in
    order, not overlapping). Normalising character by character can differ from normalising
    the whole text around combining characters; that only loses a highlight, never the hit."""
    norm, origin = _original_offsets(text)
    ranges: list[tuple[int, int]] = []
    for term in terms:
        for start, end in _term_matches(term, norm):
            ranges.append((origin[start], origin[end - 1] + 1))
    ranges.sort()
    merged: list[tuple[int, int]] = []
    for start, end in ranges:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def snippet(text: str, terms: list[Term], *, width: int = 160) -> tuple[str, list[tuple[int, int]]]:
    """A window of about ``width`` characters of ``text`` around its first highlighted
    term, with "…" where it was cut, and the highlight ranges within the snippet."""
    text = " ".join(text.split())
    ranges = highlights(text, terms)
    if len(text) <= width:
        return text, ranges
    first = ranges[0][0] if ranges else 0
    start = max(0, min(first - width // 4, len(text) - width))
    # Do not cut a word in two where a space is near.
    if start > 0:
        space = text.rfind(" ", max(0, start - 15), start + 1)
        if space >= 0:
            start = space + 1
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", end - 15, end)
        if space > start:
            end = space
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    shift = len(prefix) - start
    inside = [(max(s, start) + shift, min(e, end) + shift) for s, e in ranges if e > start and s < end]
    return prefix + text[start:end] + suffix, inside
