"""SPEC 5: k-extractability scores, rates, and predicting memorization."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from memdash.core.metrics.extraction import (
    PYTHIA_PREDICTION_12B,
    extraction_rate,
    memorization_score,
    memorization_scores,
    prediction_precision_recall,
)


def test_exact_continuation_scores_one() -> None:
    true = np.arange(32)
    assert memorization_score(true, true) == 1.0


def test_one_wrong_token_in_32_scores_31_of_32() -> None:
    true = np.arange(32)
    generated = true.copy()
    generated[17] = 999
    assert memorization_score(generated, true) == pytest.approx(31 / 32)


def test_score_is_position_wise_not_a_sequence_match() -> None:
    # A shifted copy shares every token but no position.
    assert memorization_score([2, 3, 4, 5], [1, 2, 3, 4]) == 0.0


def test_rates_and_batches() -> None:
    generated = np.array([[1, 2, 3, 4], [1, 2, 0, 0], [9, 9, 9, 9]])
    true = np.array([[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]])
    assert list(memorization_scores(generated, true)) == [1.0, 0.5, 0.0]
    assert extraction_rate(memorization_scores(generated, true)) == pytest.approx(1 / 3)
    assert extraction_rate([]) == 0.0


def test_mismatched_shapes_are_refused() -> None:
    with pytest.raises(ValueError):
        memorization_scores([[1, 2]], [[1, 2, 3]])


def test_precision_recall_by_hand() -> None:
    quality = prediction_precision_recall({1, 2, 3, 4}, {3, 4, 5, 6, 7, 8})
    assert quality.precision == 0.5 and quality.recall == pytest.approx(2 / 6)


def test_pythia_numbers_are_present_and_ordered() -> None:
    precisions = [p for p, _ in PYTHIA_PREDICTION_12B.values()]
    recalls = [r for _, r in PYTHIA_PREDICTION_12B.values()]
    assert precisions == sorted(precisions, reverse=True)  # bigger predictors: lower precision
    assert recalls == sorted(recalls)  # ... and higher recall
    assert PYTHIA_PREDICTION_12B["70M"] == (0.956, 0.197)


@given(st.sets(st.integers(0, 1000), min_size=1, max_size=100))
def test_a_set_predicts_itself_perfectly(memorized: set[int]) -> None:
    quality = prediction_precision_recall(memorized, memorized)
    assert quality.precision == 1.0 and quality.recall == 1.0


@given(
    st.lists(st.lists(st.integers(0, 5), min_size=8, max_size=8), min_size=1, max_size=20),
    st.lists(st.lists(st.integers(0, 5), min_size=8, max_size=8), min_size=1, max_size=20),
)
def test_scores_are_in_unit_interval(a: list[list[int]], b: list[list[int]]) -> None:
    n = min(len(a), len(b))
    scores = memorization_scores(np.array(a[:n]), np.array(b[:n]))
    assert np.all((scores >= 0) & (scores <= 1))
