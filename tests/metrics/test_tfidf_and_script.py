"""SPEC 7: TF-IDF rarity, rank correlation, and the script tag."""

from __future__ import annotations

import math

import numpy as np
import pytest

from memdash.core.metrics.script import dominant_script
from memdash.core.metrics.tfidf import rank_correlation, tfidf_rarity


def test_tfidf_by_hand() -> None:
    # |D| = 2 samples. Token 1 occurs 3 times in D, token 2 once, token 3 once.
    scores = tfidf_rarity([[1, 1, 2], [1, 3]])
    assert scores[0] == pytest.approx((2 * math.log(2 / 3) + math.log(2 / 1)) / 3)
    assert scores[1] == pytest.approx((math.log(2 / 3) + math.log(2 / 1)) / 2)


def test_rare_tokens_score_higher() -> None:
    common = [[0, 0, 0, 0]] * 50
    rare = [[0, 0, 99, 98]]
    scores = tfidf_rarity(common + rare)
    assert scores[-1] == scores.max() and scores[-1] > scores[0]


def test_tfidf_refuses_empty_samples() -> None:
    with pytest.raises(ValueError):
        tfidf_rarity([[1], []])
    assert tfidf_rarity([]).size == 0


def test_rank_correlation() -> None:
    x = np.arange(20.0)
    assert rank_correlation(x, x**3)[0] == pytest.approx(1.0)
    assert rank_correlation(x, -x)[0] == pytest.approx(-1.0)
    assert math.isnan(rank_correlation(x, np.ones(20))[0])


@pytest.mark.parametrize(
    ("text", "script"),
    [
        ("The quick brown fox", "Latin"),
        ("Über die Brücke, señor", "Latin"),
        ("Война и мир", "Cyrillic"),
        ("שלום עולם", "Hebrew"),
        ("学而时习之，不亦说乎", "Chinese"),
        ("吾輩は猫である。名前はまだ無い。", "Japanese"),
        ("1234 !!", "None"),
    ],
)
def test_dominant_script(text: str, script: str) -> None:
    assert dominant_script(text) == script
