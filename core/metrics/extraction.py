"""k-extractability and predicting memorization (SPEC 5; Biderman et al. 2023, Sec. 2).

- Memorization score of a sample: prompt with its first k tokens, decode m tokens greedily;
  score = (1/m) Σ_i 1[generated_{k+i} = true_{k+i}] (position-wise). Memorized when score = 1.
  Pythia uses k = 32, m = 32 on the first 64 tokens.
- Extraction rate = fraction of samples with score 1.
- Predicting memorization: P = memorized by the predictor (a smaller or earlier model), T = by the
  target: precision = |P ∩ T| / |P|, recall = |P ∩ T| / |T|.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

# Pythia Table (predicting Pythia-12B's memorized set): predictor -> (precision, recall).
PYTHIA_PREDICTION_12B = {
    "70M": (0.956, 0.197),
    "160M": (0.948, 0.289),
    "410M": (0.940, 0.401),
    "1.0B": (0.931, 0.512),
    "1.4B": (0.926, 0.554),
    "2.8B": (0.909, 0.658),
    "6.9B": (0.884, 0.795),
}
PREFIX_LENGTHS = (8, 16, 32)
# Text samples vary in length (a document's last window is shorter): extraction at prefix k is
# measured only on samples with at least this many tokens after the prefix. One or two tokens
# after the prompt are no test of memorization (a fresh sentence's closing period would count
# as "extracted"); Pythia decodes m = 32. Samples of fixed length (random tokens) all have
# m = S − k.
MIN_CONTINUATION = 8


def longest_prefix(seq_len: int) -> int:
    """The longest prefix length k of PREFIX_LENGTHS that leaves a continuation in samples of
    `seq_len` tokens (the shortest one when none does)."""
    return max((k for k in PREFIX_LENGTHS if k < seq_len), default=min(PREFIX_LENGTHS))


def extractable_at(n_tokens: int, k: int) -> bool:
    """Is a text sample of `n_tokens` tested for extraction at prefix length k?"""
    return n_tokens >= k + MIN_CONTINUATION


def memorization_scores(generated: ArrayLike, true_continuation: ArrayLike) -> NDArray[np.float64]:
    """Per-sample position-wise match fraction, shape (n,), from two (n, m) token arrays."""
    gen = np.atleast_2d(np.asarray(generated))
    true = np.atleast_2d(np.asarray(true_continuation))
    if gen.shape != true.shape:
        raise ValueError(f"generated {gen.shape} and true {true.shape} continuations differ")
    if gen.shape[1] == 0:
        raise ValueError("the continuation length m must be at least 1")
    return (gen == true).mean(axis=1)


def memorization_score(generated: ArrayLike, true_continuation: ArrayLike) -> float:
    """Score of one sample: (1/m) Σ_i 1[generated_i = true_i]."""
    return float(memorization_scores(generated, true_continuation)[0])


def extraction_rate(scores: ArrayLike) -> float:
    """Fraction of samples that are k-extractable (score exactly 1)."""
    values = np.asarray(scores, dtype=np.float64)
    return float(np.mean(values == 1.0)) if values.size else 0.0


@dataclass(frozen=True)
class PredictionQuality:
    precision: float
    recall: float
    n_predicted: int
    n_target: int
    n_both: int


def prediction_precision_recall(
    predicted_memorized: Iterable[int], target_memorized: Iterable[int]
) -> PredictionQuality:
    """Precision |P∩T|/|P| and recall |P∩T|/|T| of predicting the target's memorized set.

    An empty P has precision 1 by convention (no false claims); an empty T has recall 1.
    """
    predicted, target = set(predicted_memorized), set(target_memorized)
    both = len(predicted & target)
    return PredictionQuality(
        precision=both / len(predicted) if predicted else 1.0,
        recall=both / len(target) if target else 1.0,
        n_predicted=len(predicted),
        n_target=len(target),
        n_both=both,
    )
