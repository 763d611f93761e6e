"""How good the offline scorer is on the labelled sample shipped beside this file
(voc_sample.csv: 40 messages per language, written for this project). The figures are
printed (and written in README); only a sanity floor is asserted: better than always
answering one label (a third of three balanced labels) by a clear margin."""

from __future__ import annotations

import csv
from pathlib import Path

from analytics.voc_nlp import accuracy_report, detect_language

SAMPLE = Path(__file__).with_name("voc_sample.csv")
FLOOR = 0.6


def test_the_sample_is_balanced_and_detected() -> None:
    with open(SAMPLE, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for language in ("en", "zh", "ja", "th"):
        mine = [r for r in rows if r["language"] == language]
        assert len(mine) == 40
        assert {r["label"] for r in mine} == {"positive", "negative", "neutral"}
        assert all(
            min(sum(r["label"] == label for r in mine), 40) >= 13 for label in ("positive", "negative", "neutral")
        )
    # The cheap script-based language detection finds every message's language.
    assert [detect_language(r["text"]) for r in rows] == [r["language"] for r in rows]


def test_accuracy_per_language(capsys: object) -> None:
    report = accuracy_report(SAMPLE)
    lines = [f"{lang}: {int(e['correct'])}/{int(e['n'])} = {e['accuracy']:.3f}" for lang, e in sorted(report.items())]
    print("\nVOC offline scorer accuracy on tests/analytics/voc_sample.csv\n" + "\n".join(lines))
    for language in ("en", "zh", "ja", "th"):
        assert report[language]["n"] == 40
        assert report[language]["accuracy"] >= FLOOR, lines
