"""The knowledge base's full-text match: no AI provider, every language our customers write.

Text goes through the one tokenizer of search (``history.search_tokens.tokens``): words for
scripts written with spaces, overlapping character bigrams for those without (Chinese,
Japanese, Thai), NFKC and case folded. On top of it, for English only: stop words
(``analytics.voc_lexicon.EN_STOP``, the VOC's list) weigh a fifth, and a plural "s" is
dropped ("refunds" finds "refund").

Each question variant of each enabled article is a set of tokens, weighted by how rare the
token is among all variants (idf: ln(1 + N / df)). A question's score against a variant is
the weighted Dice overlap, 2·w(Q∩V) / (w(Q) + w(V)), from 0 (nothing shared) to 1 (the
same words); an article scores its best variant. The knowledge base is small (hundreds to a
few thousand variants): it is scored in memory, per question.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable

from analytics.voc_lexicon import EN_STOP
from history.search_tokens import tokens
from robot.models import Article

STOP_WEIGHT = 0.2


def _stem(token: str) -> str:
    if token.isascii() and len(token) > 3 and token.endswith("s") and not token.endswith("ss"):
        return token[:-1]
    return token


def token_set(text: str) -> set[str]:
    """The distinct (stemmed) tokens of a text."""
    return {_stem(t) for t in tokens(text)}


@dataclasses.dataclass(frozen=True)
class Match:
    article: Article
    score: float  # 0..1
    question: str  # the variant that matched best


def _weight(token: str, idf: dict[str, float], default: float) -> float:
    base = idf.get(token, default)
    return base * STOP_WEIGHT if token in EN_STOP else base


def match_articles(text: str, articles: Iterable[Article], *, limit: int = 3) -> list[Match]:
    """The best ``limit`` articles for ``text``, best first, each with its score (those
    sharing nothing with it left out)."""
    variants: list[tuple[Article, str, set[str]]] = []
    for article in articles:
        for question in article.questions:
            found = token_set(question)
            if found:
                variants.append((article, question, found))
    query = token_set(text)
    if not query or not variants:
        return []
    df: dict[str, int] = {}
    for _article, _question, found in variants:
        for token in found:
            df[token] = df.get(token, 0) + 1
    n = len(variants)
    idf = {token: math.log(1 + n / count) for token, count in df.items()}
    unseen = math.log(1 + n)  # a token no variant has: as rare as can be
    q_weight = sum(_weight(t, idf, unseen) for t in query)
    best: dict[int, Match] = {}
    for article, question, found in variants:
        shared = query & found
        if not shared:
            continue
        both = sum(_weight(t, idf, unseen) for t in shared)
        score = 2 * both / (q_weight + sum(_weight(t, idf, unseen) for t in found))
        current = best.get(article.pk)
        if current is None or score > current.score:
            best[article.pk] = Match(article, round(score, 4), question)
    ranked = sorted(best.values(), key=lambda m: (-m.score, m.article.pk))
    return ranked[:limit]


def kb_search(text: str, *, limit: int = 3) -> list[Match]:
    """``match_articles`` over the enabled articles."""
    return match_articles(text, Article.objects.filter(enabled=True), limit=limit)
