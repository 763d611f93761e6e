"""The knowledge base's full-text match, without any AI provider, in English, Chinese,
Japanese and Thai (no spaces between words), with scores and the threshold."""

from __future__ import annotations

import pytest

from robot.matching import kb_search, match_articles, token_set
from robot.models import Article
from tests.robot.conftest import ARTICLES

DEFAULT_THRESHOLD = 0.3

# (what a customer writes, the start of the answer it should find)
FINDS = [
    ("how can i reset my password", "Open Settings"),
    ("I forgot my password, can you help?", "Open Settings"),
    ("Passwords reset", "Open Settings"),
    ("ＰＡＳＳＷＯＲＤ reset", "Open Settings"),  # full-width letters
    ("when are you open", "We are open"),
    ("I want a refund for my order", "Refunds are paid"),
    ("我忘记密码了", "请在设置"),
    ("怎么重置密码？", "请在设置"),
    ("申请退款要多久", "退货后"),
    ("パスワードを忘れてしまいました", "設定 >"),
    ("営業時間は？", "平日9時"),
    ("ฉันลืมรหัสผ่าน", "ไปที่"),
    ("ขอคืนเงิน", "เราคืนเงิน"),
]


@pytest.mark.parametrize(("text", "answer"), FINDS)
def test_finds_the_article_above_the_threshold(kb, text, answer):
    best = kb_search(text)[0]
    assert best.article.answer.startswith(answer), (text, best)
    assert best.score >= DEFAULT_THRESHOLD, (text, best.score)


@pytest.mark.parametrize(
    "text", ["Do you ship to Mars?", "what is the weather", "我想买一台电脑", "猫が好きです", "อากาศวันนี้"]
)
def test_unrelated_questions_score_below_the_threshold(kb, text):
    found = kb_search(text)
    assert not found or found[0].score < DEFAULT_THRESHOLD, (text, found[:1])


def test_same_question_scores_one_and_order_is_best_first(kb):
    found = kb_search("How do I reset my password?")
    assert found[0].score == 1.0
    assert [m.score for m in found] == sorted((m.score for m in found), reverse=True)


def test_disabled_articles_are_not_matched(kb, admin):
    from robot import services

    for article in kb:
        if "refund" in article.answer.lower():
            services.article_update(actor=admin, article_id=article.pk, data={"enabled": False})
    assert all("Refund" not in m.article.answer for m in kb_search("I want a refund for my order"))


def test_empty_knowledge_base_and_empty_text(db):
    assert kb_search("anything") == []
    assert match_articles("", [Article(pk=1, questions=["hello"], answer="x")]) == []
    assert match_articles("!!! ???", [Article(pk=1, questions=["hello"], answer="x")]) == []


def test_tokens_of_languages_without_spaces_are_bigrams():
    assert {"重置", "置密", "密码"} <= token_set("重置密码")
    assert "refund" in token_set("Refunds")  # plural s dropped
    assert "address" in token_set("address")  # not "addres"


def test_every_fixture_article_finds_itself(kb):
    for data in ARTICLES:
        for question in data["questions"]:
            assert kb_search(question)[0].article.answer == data["answer"], question
