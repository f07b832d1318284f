"""Membership inference on balanced member / non-member scores (SPEC 6; Morris et al., Sec. 5).

Every attack here returns a *membership score*: higher means "more likely a training member".
- loss attack: −(per-sequence mean NLL); "member below the loss threshold" is "score above".
- zlib ratio: −(NLL bits of the predicted tokens / raw-DEFLATE bits) (Carlini et al. 2021).
- reference-calibrated: H(x|θ_ref) − H(x|θ̂), i.e. the (unclipped) mem_U score.
- Min-K%: mean of the k% lowest token log-probabilities (Shi et al. 2024), k = 20% by default.
- Min-K%++: the same over z_t = (log p(x_t) − μ_t)/σ_t, μ_t and σ_t² the mean and variance of
  log p(z) under z ~ p(·|x_<t) (Zhang et al. 2024; `next_token_zscores`).

Metrics: F1 at the pooled-median threshold (a random guess gives 0.5), best-threshold F1, ROC AUC
(Mann–Whitney, ties counted half), TPR at 1% and 0.1% FPR (the largest TPR on the ROC with FPR at
most that). The AUC's 95% interval is a percentile bootstrap (members and non-members resampled
separately, `bootstrap_intervals`). A low-FPR TPR's interval is not: a plain bootstrap of it leans
upward (resampled non-members repeat, so the threshold at FPR α sits lower; in a simulation at
n = 500 a point of 0.11 came with 0.062-0.21). `tpr_interval` is distribution-free instead: a
binomial interval for the non-members' (1 − α) quantile, the threshold, and a Clopper-Pearson
interval for the members above each end of it, combined by Bonferroni, so its coverage is at
least 95% (checked in a simulation, tests/metrics/test_membership.py). A TPR at an FPR below
1/n_nonmembers is not measurable: it is None, never a number (with fewer non-members the lowest
non-zero FPR is 1/n).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import beta, binom, rankdata


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


def next_token_zscores(log_probs: ArrayLike, targets: ArrayLike) -> NDArray[np.float64]:
    """Min-K%++'s z_t per position: log_probs (T, V) are log p(·|x_<t) (natural log), targets
    (T,) the tokens that came. z_t = (log p(x_t) − μ_t) / σ_t, μ_t = Σ_z p(z) log p(z) and
    σ_t² = Σ_z p(z) (log p(z) − μ_t)²; a position with σ_t = 0 (a certain next token) has z 0."""
    logp = np.asarray(log_probs, dtype=np.float64)
    picked = logp[np.arange(logp.shape[0]), np.asarray(targets)]
    probs = np.exp(logp)
    mean = (probs * logp).sum(axis=1)
    std = np.sqrt(np.maximum((probs * (logp - mean[:, None]) ** 2).sum(axis=1), 0.0))
    return np.divide(picked - mean, std, out=np.zeros_like(mean), where=std > 0)


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


def measurable_fpr(max_fpr: float, n_nonmembers: int) -> bool:
    """Can a TPR at FPR ≤ max_fpr be told from one at FPR 0 with this many non-members?"""
    return n_nonmembers * max_fpr >= 1 - 1e-9


def tpr_interval(
    member: ArrayLike, nonmember: ArrayLike, max_fpr: float, confidence: float = 0.95
) -> tuple[float, float]:
    """A distribution-free interval for the TPR at FPR `max_fpr` of the attack's true ROC.

    The threshold is the non-members' (1 − α) quantile ξ. With B ~ Bin(n, 1 − α) the number of
    non-members at or below ξ, the order statistics X_(l) ≤ ξ ≤ X_(u) each hold with probability
    ≥ 1 − δ/4 (l, u from B's quantiles); TPR falls with the threshold, so TPR(X_(u)) ≤ TPR(ξ) ≤
    TPR(X_(l)), and Clopper-Pearson bounds (each at δ/4) on the members above X_(u) and at or
    above X_(l) bound it. By Bonferroni the interval covers with probability ≥ 1 − δ."""
    m = np.asarray(member, dtype=np.float64).ravel()
    n = np.sort(np.asarray(nonmember, dtype=np.float64).ravel())
    quarter = (1 - confidence) / 4
    q = 1 - max_fpr
    low_rank = int(binom.ppf(quarter, n.size, q))  # P(B < low_rank) ≤ δ/4
    high_rank = int(binom.ppf(1 - quarter, n.size, q)) + 1  # P(B ≥ high_rank) ≤ δ/4
    above_high = int((m > n[high_rank - 1]).sum()) if high_rank <= n.size else 0
    at_low = int((m >= n[low_rank - 1]).sum()) if low_rank >= 1 else m.size
    lower = float(beta.ppf(quarter, above_high, m.size - above_high + 1)) if above_high else 0.0
    upper = float(beta.ppf(1 - quarter, at_low + 1, m.size - at_low)) if at_low < m.size else 1.0
    return lower, upper


LOW_FPRS = {"1pct": 0.01, "0p1pct": 0.001}  # the low-FPR rates reported, by key suffix
BOOTSTRAP_RESAMPLES = 1000


def bootstrap_intervals(
    member: ArrayLike,
    nonmember: ArrayLike,
    n_resamples: int = BOOTSTRAP_RESAMPLES,
    confidence: float = 0.95,
    seed: int = 0,
    with_tpr: bool = True,
) -> dict[str, tuple[float, float] | None]:
    """The AUC's percentile bootstrap interval (members and non-members resampled separately,
    with replacement, sizes kept, seeded) and (`with_tpr`) each measurable low-FPR TPR's
    distribution-free interval (`tpr_interval`: a bootstrap of it leans upward)."""
    m = np.asarray(member, dtype=np.float64).ravel()
    n = np.asarray(nonmember, dtype=np.float64).ravel()
    rng = np.random.default_rng([seed, 0xB007])
    draws: dict[str, list[float]] = {"auc": []}
    for _ in range(n_resamples):
        rm = m[rng.integers(0, m.size, m.size)]
        rn = np.sort(n[rng.integers(0, n.size, n.size)])
        below, not_above = np.searchsorted(rn, rm, "left"), np.searchsorted(rn, rm, "right")
        draws["auc"].append(float((below + 0.5 * (not_above - below)).mean() / n.size))
    tail = 100 * (1 - confidence) / 2
    intervals: dict[str, tuple[float, float] | None] = {
        name: (float(np.percentile(v, tail)), float(np.percentile(v, 100 - tail))) if v else None
        for name, v in draws.items()
    }
    for key, fpr in LOW_FPRS.items():
        measurable = with_tpr and measurable_fpr(fpr, n.size)
        intervals[f"tpr_at_{key}_fpr"] = tpr_interval(m, n, fpr, confidence) if measurable else None
    return intervals


@dataclass(frozen=True)
class MembershipReport:
    f1_median: float
    f1_best: float
    auc: float
    tpr_at_1pct_fpr: float | None  # None: not measurable with n_nonmembers
    tpr_at_0p1pct_fpr: float | None
    n_members: int
    n_nonmembers: int
    intervals: dict[str, tuple[float, float] | None]  # 95%: auc (bootstrap), tpr_at_*_fpr

    def summary(self, prefix: str) -> dict[str, float | list[float] | None]:
        """The report as run-summary keys (`{prefix}_auc`, `{prefix}_auc_ci`, ...)."""
        values: dict[str, float | list[float] | None] = {
            f"{prefix}_f1": self.f1_median,
            f"{prefix}_f1_best": self.f1_best,
            f"{prefix}_auc": self.auc,
            f"{prefix}_tpr_at_1pct_fpr": self.tpr_at_1pct_fpr,
            f"{prefix}_tpr_at_0p1pct_fpr": self.tpr_at_0p1pct_fpr,
        }
        for name, interval in self.intervals.items():
            values[f"{prefix}_{name}_ci"] = list(interval) if interval else None
        return values


def membership_report(
    member: ArrayLike, nonmember: ArrayLike, n_resamples: int = BOOTSTRAP_RESAMPLES
) -> MembershipReport:
    m, n = np.asarray(member).ravel(), np.asarray(nonmember).ravel()
    low = {key: tpr_at_fpr(m, n, fpr) if measurable_fpr(fpr, n.size) else None
           for key, fpr in LOW_FPRS.items()}  # fmt: skip
    return MembershipReport(
        f1_median=f1_at_median(m, n),
        f1_best=best_threshold_f1(m, n),
        auc=roc_auc(m, n),
        tpr_at_1pct_fpr=low["1pct"],
        tpr_at_0p1pct_fpr=low["0p1pct"],
        n_members=int(m.size),
        n_nonmembers=int(n.size),
        intervals=bootstrap_intervals(m, n, n_resamples) if n_resamples else {},
    )
