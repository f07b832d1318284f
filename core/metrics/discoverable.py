"""(n, p)-discoverable extraction (SPEC 13; Hayes et al. 2024).

For a sample cut into a k-token prefix and its continuation s (the rest of the sample, as
k-extractability decodes it), p_s = Π_t q(s_t | prefix, s_<t) under a sampling scheme q, read
from one teacher-forced pass (no generation):
- greedy: q = 1[s_t = argmax], so p_s ∈ {0, 1} and p_s = 1 exactly when the sample is
  k-extractable;
- top-k sampling at temperature T (memdash: SAMPLING_TOP_K = 40, T = 1, Hayes et al.'s setting):
  q(v) = p(v)^(1/T) / Σ_{u in the top k} p(u)^(1/T) for v among the k most likely tokens, else 0.
The sample is (n, p)-discoverable when 1 − (1 − p_s)^n ≥ p; the tries needed at p are
n = ⌈log(1 − p) / log(1 − p_s)⌉. memdash stores log10 p_s per sample (p_s underflows a float
for long continuations; MIN_LOG10_P stands for 0) and reports, at p = 0.9, the share
discoverable within 1, 10 and 100 tries, for members and non-members.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

SAMPLING_TOP_K = 40
SAMPLING_TEMPERATURE = 1.0
TARGET_P = 0.9
TRIES = (1, 10, 100)
MIN_LOG10_P = -999.0  # stored for p_s = 0 (a token outside the top k): JSON holds no −inf
SCHEME = f"top-{SAMPLING_TOP_K} sampling at temperature {SAMPLING_TEMPERATURE:g}"


def continuation_log10_p(log_q: ArrayLike, k: int) -> float:
    """log10 p_s of the continuation after a k-token prefix, from the per-position log q
    (natural log) of predicting tokens 1..n−1 (position i predicts token i + 1); MIN_LOG10_P
    when a continuation token is outside the scheme's support (or p_s is smaller still)."""
    values = np.asarray(log_q, dtype=np.float64)[k - 1 :]
    if values.size == 0:
        raise ValueError(f"a sample of {k} tokens or fewer has no continuation after {k}")
    total = float(values.sum())
    return max(total / math.log(10), MIN_LOG10_P) if np.isfinite(total) else MIN_LOG10_P


def tries_needed(log10_p: float, p: float = TARGET_P) -> float:
    """n = ⌈log(1 − p) / log(1 − p_s)⌉: 1 when p_s ≥ p, inf when p_s = 0."""
    if not 0 < p < 1:
        raise ValueError("p must be in (0, 1)")
    p_s = 10.0**log10_p if log10_p > MIN_LOG10_P else 0.0
    if p_s == 0.0:  # outside the scheme's support, or below what a float holds
        return math.inf
    if p_s >= p:
        return 1.0
    # log1p(−p_s) keeps precision for tiny p_s (where 1 − p_s rounds to 1).
    return float(math.ceil(math.log1p(-p) / math.log1p(-p_s) - 1e-12))


def discoverable(log10_p: float, n: int, p: float = TARGET_P) -> bool:
    """Is 1 − (1 − p_s)^n ≥ p?"""
    return tries_needed(log10_p, p) <= n


def discoverable_shares(log10_ps: ArrayLike, p: float = TARGET_P) -> dict[int, float | None]:
    """The share of samples discoverable within each of TRIES tries at p (None: no samples)."""
    values = [float(v) for v in np.asarray(log10_ps, dtype=np.float64).ravel()]
    if not values:
        return {n: None for n in TRIES}
    needed = [tries_needed(v, p) for v in values]
    return {n: float(np.mean([t <= n for t in needed])) for n in TRIES}


def greedy_log_q(hits: ArrayLike) -> NDArray[np.float64]:
    """Greedy's per-position log q: 0 where the argmax is the token that came, −inf elsewhere."""
    return np.where(np.asarray(hits, dtype=bool), 0.0, -np.inf)
