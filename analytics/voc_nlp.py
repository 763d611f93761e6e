"""The offline scorer of the voice of the customer: a message's language, sentiment
(-1..1 and a label) and keywords, with no network and no model downloaded at run time.

- Language: by script, counting letters (Thai; kana means Japanese; Han without kana
  Chinese; Latin English). Cheap and good enough for chat messages.
- English: VADER (``vaderSentiment``, a lexicon and rules tuned for short social text):
  its compound score. Keywords: words less stop words.
- Chinese: ``jieba`` segments (its own dictionary, plus our lexicon's words so they stay
  whole); sentiment from our lexicon (``analytics.voc_lexicon``) with negators and
  intensifiers in front of a word.
- Japanese: ``janome`` (pure Python, IPADIC inside) gives base forms and parts of speech;
  our lexicon, a negation (ない, ん, ぬ) after a word flips it.
- Thai: ``pythainlp``'s dictionary tokenizer (newmm, its word list inside the package) and
  stop words; our lexicon with negators in front.

Scores of the lexicon languages are the sum of the valences normalised into -1..1 as
VADER does (x / sqrt(x² + 15)); a label is positive at >= 0.05, negative at <= -0.05.
Keywords: content words (2+ characters, not stop words, not numbers); phrases: two or three
content words in a row within a sentence. The tokenizers load lazily (jieba builds its
prefix dictionary on first use: about a second) and once per process.
"""

from __future__ import annotations

import csv
import functools
import logging
import math
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analytics import voc_lexicon as lex

POSITIVE_AT = 0.05
NEGATIVE_AT = -0.05
MAX_KEYWORD = 100  # characters (the column's length)
MAX_KEYWORDS = 30  # per message, words and phrases each
MAX_TEXT = 2000  # a longer message is analysed by its beginning

LANGUAGES = ("en", "zh", "ja", "th")


@dataclass(frozen=True)
class Analysis:
    language: str
    score: float
    label: str
    keywords: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)


def label_of(score: float) -> str:
    if score >= POSITIVE_AT:
        return "positive"
    if score <= NEGATIVE_AT:
        return "negative"
    return "neutral"


def normalise_score(total: float, alpha: float = 15.0) -> float:
    if total == 0:
        return 0.0
    return max(-1.0, min(1.0, total / math.sqrt(total * total + alpha)))


# ------------------------------------------------------------------ language


def _script(ch: str) -> str:
    code = ord(ch)
    if 0x0E00 <= code <= 0x0E7F:
        return "th"
    if 0x3040 <= code <= 0x30FF or 0x31F0 <= code <= 0x31FF or 0xFF66 <= code <= 0xFF9F:
        return "kana"
    if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF:
        return "han"
    if ch.isascii() and ch.isalpha() or 0x00C0 <= code <= 0x024F:
        return "latin"
    if ch.isalpha():
        return "other"
    return ""


def detect_language(text: str) -> str:
    """ "en", "zh", "ja", "th" or "other", by the letters' scripts."""
    counts: dict[str, int] = {}
    for ch in text[:MAX_TEXT]:
        script = _script(ch)
        if script:
            counts[script] = counts.get(script, 0) + 1
    if not counts:
        return "other"
    if counts.get("kana", 0):
        # Kana appear only in Japanese; a few in a Chinese message are unlikely.
        counts["ja"] = counts.pop("kana") + counts.pop("han", 0)
    elif "han" in counts:
        counts["zh"] = counts.pop("han")
    if "latin" in counts:
        counts["en"] = counts.pop("latin")
    best = max(counts.items(), key=lambda kv: kv[1])[0]
    return best if best in LANGUAGES else "other"


# ------------------------------------------------------------------ shared helpers

_SENTENCE_BREAK = re.compile(r"[.!?。！？\n;；,，、…~～]+")


def _is_content(token: str, stop: set[str]) -> bool:
    if len(token) < 2 or token in stop:
        return False
    if not any(ch.isalpha() for ch in token):
        return False
    return not token.isdigit()


def _content_runs(tokens: Iterable[str], keep: Callable[[str], bool]) -> tuple[list[str], list[list[str]]]:
    """The content tokens of one sentence (``keep``) and their runs of two or more in a row
    (what ``_phrases`` makes phrases of)."""
    words: list[str] = []
    runs: list[list[str]] = []
    run: list[str] = []
    for token in tokens:
        if keep(token):
            words.append(token)
            run.append(token)
        else:
            if len(run) > 1:
                runs.append(run)
            run = []
    if len(run) > 1:
        runs.append(run)
    return words, runs


def _phrases(sentences: Iterable[list[str]], joiner: str) -> list[str]:
    """Two and three content tokens in a row (runs of content tokens in one sentence)."""
    out: list[str] = []
    for run in sentences:
        for n in (2, 3):
            for i in range(len(run) - n + 1):
                phrase = joiner.join(run[i : i + n])
                if len(phrase) <= MAX_KEYWORD:
                    out.append(phrase)
    return out


def _unique(items: Iterable[str], limit: int = MAX_KEYWORDS) -> list[str]:
    seen = dict.fromkeys(i[:MAX_KEYWORD] for i in items if i)
    return list(seen)[:limit]


def _emoji_total(text: str) -> float:
    return sum(v * text.count(e) for e, v in lex.EMOJI.items() if e in text)


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text[:MAX_TEXT])
    # Links and addresses are not words of the customer.
    return re.sub(r"https?://\S+|\S+@\S+", " ", text)


# ------------------------------------------------------------------ English


@functools.cache
def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer  # Imported here: loads its lexicon.

    return SentimentIntensityAnalyzer()


_EN_WORD = re.compile(r"[a-z][a-z'’-]*[a-z]|[a-z]")


_EN_CLAUSE = re.compile(r"(?<=[,;:])\s+|\s+-+\s+")


def _english_score(text: str) -> float:
    """VADER's compound score, per clause: its negation looks three words back across
    commas ("has not arrived, terrible" would read "not terrible"); the mean of the clauses
    that carry sentiment."""
    scores = [float(_vader().polarity_scores(c)["compound"]) for c in _EN_CLAUSE.split(text) if c.strip()]
    scores = [x for x in scores if x]
    return sum(scores) / len(scores) if scores else 0.0


def _english(text: str) -> Analysis:
    score = _english_score(text)
    runs: list[list[str]] = []
    words: list[str] = []
    for sentence in _SENTENCE_BREAK.split(text.lower()):
        found, found_runs = _content_runs(
            _EN_WORD.findall(sentence.replace("’", "'")), lambda w: _is_content(w, lex.EN_STOP) and len(w) >= 3
        )
        words.extend(found)
        runs.extend(found_runs)
    return Analysis("en", round(score, 4), label_of(score), _unique(words), _unique(_phrases(runs, " ")))


# ------------------------------------------------------------------ lexicon scoring (zh, th)

_init_lock = threading.Lock()


def _lexicon_total(
    tokens: Sequence[str], valence: dict[str, float], negators: Sequence[str], intensifiers: dict[str, float]
) -> float:
    """Sum of the valences of ``tokens``; a negator up to two tokens before a word (or
    glued in front of it) flips and halves it, an intensifier right before it scales it."""
    total = 0.0
    negs = tuple(sorted(negators, key=len, reverse=True))
    for i, token in enumerate(tokens):
        value = valence.get(token)
        negated = False
        if value is None:
            for neg in negs:
                rest = token[len(neg) :]
                if token.startswith(neg) and rest in valence:
                    value, negated = valence[rest], True
                    break
        if not value:
            continue
        window = tokens[max(0, i - 2) : i]
        if any(t in negators for t in window):
            negated = not negated
        if i > 0 and tokens[i - 1] in intensifiers:
            value *= intensifiers[tokens[i - 1]]
        total += -0.5 * value if negated else value
    return total


# ------------------------------------------------------------------ Chinese


@functools.cache
def _jieba() -> Any:
    with _init_lock:
        import jieba  # Imported here: builds its prefix dictionary (about a second).

        jieba.setLogLevel(logging.WARNING)
        tokenizer = jieba.Tokenizer()
        for word in lex.ZH_VALENCE:
            if len(word) > 1:
                tokenizer.add_word(word, freq=2000)
        tokenizer.initialize()
        return tokenizer


def _chinese(text: str) -> Analysis:
    tokenizer = _jieba()
    tokens_all: list[str] = []
    runs: list[list[str]] = []
    words: list[str] = []
    for sentence in _SENTENCE_BREAK.split(text):
        tokens = [t for t in tokenizer.lcut(sentence) if t.strip()]
        tokens_all.extend(tokens)
        found, found_runs = _content_runs(tokens, lambda t: _is_content(t, lex.ZH_STOP) and not t.isascii())
        words.extend(found)
        runs.extend(found_runs)
    total = _lexicon_total(tokens_all, lex.ZH_VALENCE, lex.ZH_NEGATORS, lex.ZH_INTENSIFIERS) + _emoji_total(text)
    score = normalise_score(total)
    return Analysis("zh", round(score, 4), label_of(score), _unique(words), _unique(_phrases(runs, "")))


# ------------------------------------------------------------------ Japanese


@functools.cache
def _janome() -> Any:
    with _init_lock:
        from janome.tokenizer import Tokenizer  # Imported here: loads its dictionary.

        return Tokenizer()


def _japanese(text: str) -> Analysis:
    tokenizer = _janome()
    total = _emoji_total(text)
    runs: list[list[str]] = []
    words: list[str] = []
    for sentence in _SENTENCE_BREAK.split(text):
        tokens = list(tokenizer.tokenize(sentence))
        bases = [t.base_form if t.base_form != "*" else t.surface for t in tokens]
        run: list[str] = []
        for i, token in enumerate(tokens):
            base = bases[i]
            pos = ",".join(token.part_of_speech.split(",")[:2])
            value = lex.JA_VALENCE.get(base) or lex.JA_VALENCE.get(token.surface)
            if value:
                following = tokens[i + 1 : i + 4]
                if any(
                    t.base_form in lex.JA_NEGATION_BASES and t.part_of_speech.startswith(("助動詞", "形容詞"))
                    for t in following
                ):
                    value = -0.5 * value
                if i > 0 and bases[i - 1] in lex.JA_INTENSIFIERS:
                    value *= lex.JA_INTENSIFIERS[bases[i - 1]]
                total += value
            if pos in lex.JA_KEEP_POS and _is_content(base, lex.JA_STOP):
                words.append(base)
                run.append(base)
            elif run and pos.startswith("名詞,接尾"):
                continue  # "返金 + 様" stays in the same run
            else:
                if len(run) > 1:
                    runs.append(run)
                run = []
        if len(run) > 1:
            runs.append(run)
    score = normalise_score(total)
    return Analysis("ja", round(score, 4), label_of(score), _unique(words), _unique(_phrases(runs, "")))


# ------------------------------------------------------------------ Thai


@functools.cache
def _thai() -> tuple[Callable[[str], list[str]], set[str]]:
    with _init_lock:
        # Imported here: pythainlp loads its word list on first use.
        from pythainlp.corpus import thai_stopwords, thai_words
        from pythainlp.tokenize import word_tokenize
        from pythainlp.util import dict_trie

        trie = dict_trie(set(thai_words()) | set(lex.TH_VALENCE) | set(lex.TH_INTENSIFIERS))
        stop = set(thai_stopwords()) | lex.TH_STOP

        def tokenize(text: str) -> list[str]:
            return [t for t in word_tokenize(text, custom_dict=trie, engine="newmm") if t.strip()]

        return tokenize, stop


def _thai_analysis(text: str) -> Analysis:
    tokenize, stop = _thai()
    tokens_all: list[str] = []
    runs: list[list[str]] = []
    words: list[str] = []
    # Thai separates sentences and clauses with spaces.
    for sentence in re.split(r"\s+|[.!?,;]+", text):
        tokens = tokenize(sentence)
        tokens_all.extend(tokens)
        found, found_runs = _content_runs(
            tokens, lambda t: _is_content(t, stop) and not t.isascii() and t not in lex.TH_NEGATORS
        )
        words.extend(found)
        runs.extend(found_runs)
    total = _lexicon_total(tokens_all, lex.TH_VALENCE, lex.TH_NEGATORS, lex.TH_INTENSIFIERS) + _emoji_total(text)
    score = normalise_score(total)
    return Analysis("th", round(score, 4), label_of(score), _unique(words), _unique(_phrases(runs, "")))


# ------------------------------------------------------------------ entry points


def analyse(text: str) -> Analysis:
    """Language, sentiment and keywords of one message's text."""
    text = _clean(text or "")
    language = detect_language(text)
    if language == "zh":
        return _chinese(text)
    if language == "ja":
        return _japanese(text)
    if language == "th":
        return _thai_analysis(text)
    if language == "en":
        return _english(text)
    score = normalise_score(_emoji_total(text))
    return Analysis("other", round(score, 4), label_of(score))


def score_offline(texts: Sequence[str]) -> list[Analysis]:
    """The offline scorer (``analytics.voc.voc_scorer``'s default): one analysis per text."""
    return [analyse(t) for t in texts]


# ------------------------------------------------------------------ accuracy on a labelled sample


def accuracy_report(path: Path | str) -> dict[str, dict[str, float]]:
    """{language: {"n", "correct", "accuracy"}} of the offline scorer on a CSV of
    ``language,label,text`` rows (the sample under tests/analytics/), plus "all"."""
    report: dict[str, dict[str, float]] = {}
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    results = score_offline([row["text"] for row in rows])
    for row, result in zip(rows, results, strict=True):
        for key in (row["language"], "all"):
            entry = report.setdefault(key, {"n": 0, "correct": 0, "accuracy": 0.0})
            entry["n"] += 1
            entry["correct"] += int(result.label == row["label"])
    for entry in report.values():
        entry["accuracy"] = round(entry["correct"] / entry["n"], 3) if entry["n"] else 0.0
    return report


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m analytics.voc_nlp tests/analytics/voc_sample.csv``: the accuracy table."""
    import sys

    args = list(argv if argv is not None else sys.argv[1:])
    path = args[0] if args else "tests/analytics/voc_sample.csv"
    for language, entry in sorted(accuracy_report(path).items()):
        print(
            f"{language:5} n={int(entry['n']):3}  correct={int(entry['correct']):3}  accuracy={entry['accuracy']:.3f}"
        )


if __name__ == "__main__":
    main()
