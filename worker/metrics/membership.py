"""Membership inference on balanced member / non-member scores (SPEC 6; Morris et al., Sec. 5).

Every attack here returns a *membership score*: higher means "more likely a training member".
- loss attack: −(per-sequence mean NLL); "member below the loss threshold" is "score above".
- zlib ratio: −(NLL bits / zlib bits) (Carlini et al. 2021).
- reference-calibrated: H(x|θ_ref) − H(x|θ̂), i.e. the (unclipped) mem_U score.
- Min-K%: mean of the k% lowest token log-probabilities (Shi et al. 2024), k = 20% by default.

Metrics: F1 at the pooled-median threshold (a random guess gives 0.5), best-threshold F1, ROC AUC
(Mann–Whitney, ties counted half) and TPR at 1% FPR (the largest TPR on the ROC with FPR ≤ 1%).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import rankdata


def loss_attack_scores(mean_nll_bits: ArrayLike) -> NDArray[np.float64]:
    return -np.asarray(mean_nll_bits, dtype=np.float64)


def zlib_ratio_scores(nll_bits: ArrayLike, zlib_bits: ArrayLike) -> NDArray[np.float64]:
    return -np.asarray(nll_bits, dtype=np.float64) / np.asarray(zlib_bits, dtype=np.float64)


def reference_calibrated_scores(target_bits: ArrayLike, reference_bits: ArrayLike) -> NDArray:
    return np.asarray(reference_bits, dtype=np.float64) - np.asarray(target_bits, dtype=np.float64)


def min_k_percent_score(token_logprobs: ArrayLike, k_frac: float = 0.2) -> float:
    """Mean of the ⌈k·n⌉ lowest per-token log-probabilities of one sample (any log base)."""
    if not 0 < k_frac <= 1:
        raise ValueError("k_frac must be in (0, 1]")
    values = np.sort(np.asarray(token_logprobs, dtype=np.float64))
    if values.size == 0:
        raise ValueError("a sample with no predicted tokens has no Min-K% score")
    return float(values[: max(1, math.ceil(k_frac * values.size))].mean())


def _labelled(member: ArrayLike, nonmember: ArrayLike) -> tuple[NDArray, NDArray]:
    m = np.asarray(member, dtype=np.float64).ravel()
    n = np.asarray(nonmember, dtype=np.float64).ravel()
    if m.size == 0 or n.size == 0:
        raise ValueError("membership inference needs at least one member and one non-member")
    return np.concatenate([m, n]), np.concatenate([np.ones(m.size), np.zeros(n.size)])


def _f1(tp: NDArray | float, fp: NDArray | float, n_pos: int) -> NDArray:
    tp, fp = np.asarray(tp, dtype=np.float64), np.asarray(fp, dtype=np.float64)
    denominator = tp + fp + n_pos  # 2tp + fp + fn with fn = n_pos − tp
    return np.divide(2 * tp, denominator, out=np.zeros_like(tp), where=denominator > 0)


def f1_at_median(member: ArrayLike, nonmember: ArrayLike) -> float:
    """F1 of predicting "member" for scores strictly above the pooled median."""
    scores, labels = _labelled(member, nonmember)
    predicted = scores > np.median(scores)
    tp = float(np.sum(predicted & (labels == 1)))
    fp = float(np.sum(predicted & (labels == 0)))
    return float(_f1(tp, fp, int(labels.sum())))


def roc_curve(member: ArrayLike, nonmember: ArrayLike) -> tuple[NDArray, NDArray, NDArray]:
    """(fpr, tpr, thresholds) for "member when score ≥ threshold", from (0, 0) to (1, 1)."""
    scores, labels = _labelled(member, nonmember)
    order = np.argsort(-scores, kind="mergesort")
    scores, labels = scores[order], labels[order]
    last_of_run = np.r_[np.diff(scores) != 0, True]  # evaluate only between distinct scores
    tp = np.cumsum(labels)[last_of_run]
    fp = np.cumsum(1 - labels)[last_of_run]
    fpr = np.r_[0.0, fp / (labels.size - labels.sum())]
    tpr = np.r_[0.0, tp / labels.sum()]
    return fpr, tpr, np.r_[np.inf, scores[last_of_run]]


def best_threshold_f1(member: ArrayLike, nonmember: ArrayLike) -> float:
    """The largest F1 over all thresholds ("member when score ≥ t")."""
    _, labels = _labelled(member, nonmember)
    fpr, tpr, _ = roc_curve(member, nonmember)
    n_pos, n_neg = int(labels.sum()), int(labels.size - labels.sum())
    return float(np.max(_f1(tpr * n_pos, fpr * n_neg, n_pos)))


def roc_auc(member: ArrayLike, nonmember: ArrayLike) -> float:
    """P(member score > non-member score) + ½ P(equal): Mann–Whitney U / (n_m · n_n)."""
    scores, labels = _labelled(member, nonmember)
    ranks = rankdata(scores)
    n_pos, n_neg = labels.sum(), labels.size - labels.sum()
    u = ranks[labels == 1].sum() - n_pos * (n_pos + 1) / 2
    return float(u / (n_pos * n_neg))


def tpr_at_fpr(member: ArrayLike, nonmember: ArrayLike, max_fpr: float = 0.01) -> float:
    """The largest TPR reachable with FPR ≤ max_fpr (no interpolation: a conservative view)."""
    fpr, tpr, _ = roc_curve(member, nonmember)
    return float(np.max(tpr[fpr <= max_fpr + 1e-12]))


@dataclass(frozen=True)
class MembershipReport:
    f1_median: float
    f1_best: float
    auc: float
    tpr_at_1pct_fpr: float
    n_members: int
    n_nonmembers: int


def membership_report(member: ArrayLike, nonmember: ArrayLike) -> MembershipReport:
    m, n = np.asarray(member).ravel(), np.asarray(nonmember).ravel()
    return MembershipReport(
        f1_median=f1_at_median(m, n),
        f1_best=best_threshold_f1(m, n),
        auc=roc_auc(m, n),
        tpr_at_1pct_fpr=tpr_at_fpr(m, n, 0.01),
        n_members=int(m.size),
        n_nonmembers=int(n.size),
    )
