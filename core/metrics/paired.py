"""Differences between two models scored on the same samples, with intervals that use the
pairing: every resample draws the same samples for both models, so what the samples share
(their length, their rarity) cancels and only the models' difference is left.

Percentile bootstrap (members and non-members resampled separately, with replacement, sizes
kept, seeded), like the single-model intervals (core/metrics/membership.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from memdash.core.metrics.membership import BOOTSTRAP_RESAMPLES, roc_auc


@dataclass(frozen=True)
class Difference:
    """b − a, and its 95% interval."""

    a: float
    b: float
    diff: float
    low: float
    high: float


def _auc_fast(member: np.ndarray, nonmember_sorted: np.ndarray) -> float:
    below = np.searchsorted(nonmember_sorted, member, "left")
    not_above = np.searchsorted(nonmember_sorted, member, "right")
    return float((below + 0.5 * (not_above - below)).mean() / nonmember_sorted.size)


def paired_mean_difference(
    a: ArrayLike, b: ArrayLike, n_resamples: int = BOOTSTRAP_RESAMPLES, seed: int = 0
) -> Difference:
    """Mean of b − a over paired samples, with the bootstrap interval of that mean."""
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if x.shape != y.shape or x.size == 0:
        raise ValueError("paired samples must be non-empty and of one length")
    d = y - x
    rng = np.random.default_rng([seed, 0xD1FF])
    means = d[rng.integers(0, d.size, (n_resamples, d.size))].mean(axis=1)
    return _with_interval(float(x.mean()), float(y.mean()), means)


def paired_auc_difference(
    member_a: ArrayLike,
    nonmember_a: ArrayLike,
    member_b: ArrayLike,
    nonmember_b: ArrayLike,
    n_resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = 0,
) -> Difference:
    """AUC(b) − AUC(a) of one attack's scores from two models on the same members and
    non-members (index-aligned), with the interval from resampling the samples jointly."""
    ma, na = np.asarray(member_a, dtype=np.float64), np.asarray(nonmember_a, dtype=np.float64)
    mb, nb = np.asarray(member_b, dtype=np.float64), np.asarray(nonmember_b, dtype=np.float64)
    if ma.shape != mb.shape or na.shape != nb.shape or not ma.size or not na.size:
        raise ValueError("both models need scores for the same members and non-members")
    rng = np.random.default_rng([seed, 0xA0C])
    diffs = []
    for _ in range(n_resamples):
        im, inn = rng.integers(0, ma.size, ma.size), rng.integers(0, na.size, na.size)
        diffs.append(_auc_fast(mb[im], np.sort(nb[inn])) - _auc_fast(ma[im], np.sort(na[inn])))
    return _with_interval(roc_auc(ma, na), roc_auc(mb, nb), np.asarray(diffs))


def paired_ratio_difference(
    numerator_a: ArrayLike,
    numerator_b: ArrayLike,
    denominator: ArrayLike,
    n_resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = 0,
) -> Difference:
    """Σ b / Σ d − Σ a / Σ d over paired samples (a corpus ratio, e.g. bits per predicted token:
    Σ bits / Σ tokens, the definition of every loss memdash shows), with the bootstrap interval
    from resampling the samples jointly."""
    a, b = np.asarray(numerator_a, dtype=np.float64), np.asarray(numerator_b, dtype=np.float64)
    d = np.asarray(denominator, dtype=np.float64)
    if not (a.shape == b.shape == d.shape) or a.size == 0 or d.sum() <= 0:
        raise ValueError("paired ratios need non-empty samples of one length and a positive total")
    rng = np.random.default_rng([seed, 0x5A710])
    picks = rng.integers(0, a.size, (n_resamples, a.size))
    diffs = (b[picks].sum(axis=1) - a[picks].sum(axis=1)) / d[picks].sum(axis=1)
    return _with_interval(float(a.sum() / d.sum()), float(b.sum() / d.sum()), diffs)


def _with_interval(a: float, b: float, resampled_diffs: np.ndarray) -> Difference:
    """b − a with the percentile 95% interval of its bootstrap resamples."""
    return Difference(
        a,
        b,
        b - a,
        float(np.percentile(resampled_diffs, 2.5)),
        float(np.percentile(resampled_diffs, 97.5)),
    )
