"""Rarity of training samples (SPEC 7; Morris et al. 2025, App. A.3).

`TF-IDF(d; D) = (1/|d|) Σ_{w∈d} ln(|D| / count_D(w))`, w over the sample's token occurrences,
count_D(w) = occurrences of token w in the whole training set, |D| = number of training samples.
This is the paper's own notation; read it as a rarity score (a token seen more often than there
are samples contributes a negative term). Natural log, as in the paper.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import spearmanr


def tfidf_rarity(samples: Sequence[ArrayLike]) -> NDArray[np.float64]:
    """Per-sample rarity score over a training set given as a list of token-id arrays."""
    arrays = [np.asarray(sample, dtype=np.int64).ravel() for sample in samples]
    if not arrays:
        return np.zeros(0)
    if any(a.size == 0 for a in arrays):
        raise ValueError("every sample needs at least one token")
    flat = np.concatenate(arrays)
    vocab, inverse = np.unique(flat, return_inverse=True)
    counts = np.bincount(inverse, minlength=vocab.size).astype(np.float64)
    idf = np.log(len(arrays) / counts)  # per distinct token
    per_token = idf[inverse]
    boundaries = np.cumsum([a.size for a in arrays])[:-1]
    return np.array([chunk.mean() for chunk in np.split(per_token, boundaries)])


def rank_correlation(x: ArrayLike, y: ArrayLike) -> tuple[float, float]:
    """Spearman's ρ and its two-sided p-value (NaN when either side is constant)."""
    xs, ys = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if xs.size < 3 or np.ptp(xs) == 0 or np.ptp(ys) == 0:
        return float("nan"), float("nan")
    result = spearmanr(xs, ys)
    return float(result.statistic), float(result.pvalue)
