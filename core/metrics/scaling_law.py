"""Membership-inference scaling law (SPEC 6; Morris et al. 2025, Sec. 5), in corrected form.

The paper prints F1 = ½(1 + c1·σ(c2·(Capacity/|D| + c3))) with c1 = 1.34, c2 = −0.034,
c3 = −33.14, but that form tends to 1.006, not 0.5, as |D| grows, contradicting the paper's own
validation table. The form that reproduces the table is

    F1 = ½ (1 + c1 · σ(c2 · (x + c3))),   x = 1000 · |D| / params

with |D| in 64-token sequences. GPT-2 XL (1,556,075,200 params) with |D| = 170,654,583 /
76,795,021 / 18,851,574 gives 0.546 / 0.745 / 0.950, as the paper predicted (0.55/0.75/0.95).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import curve_fit
from scipy.special import expit

PAPER_C1 = 1.34
PAPER_C2 = -0.034
PAPER_C3 = -33.14


def sequences_per_kparam(n_sequences: ArrayLike, n_params: ArrayLike) -> NDArray[np.float64]:
    """x = 1000 · |D| / params: training sequences per thousand parameters."""
    return 1000.0 * np.asarray(n_sequences, dtype=np.float64) / np.asarray(n_params, np.float64)


def f1_from_x(
    x: ArrayLike, c1: float = PAPER_C1, c2: float = PAPER_C2, c3: float = PAPER_C3
) -> NDArray[np.float64]:
    """F1 = ½(1 + c1·σ(c2·(x + c3)))."""
    return 0.5 * (1.0 + c1 * expit(c2 * (np.asarray(x, dtype=np.float64) + c3)))


def predicted_mi_f1(
    n_sequences: ArrayLike,
    n_params: ArrayLike,
    c1: float = PAPER_C1,
    c2: float = PAPER_C2,
    c3: float = PAPER_C3,
) -> NDArray[np.float64]:
    """Predicted loss-attack F1 for a model of `n_params` trained on `n_sequences` sequences."""
    return f1_from_x(sequences_per_kparam(n_sequences, n_params), c1, c2, c3)


@dataclass(frozen=True)
class ScalingLawFit:
    c1: float
    c2: float
    c3: float
    rmse: float
    n_points: int


def fit_scaling_law(x: ArrayLike, f1: ArrayLike) -> ScalingLawFit:
    """Non-linear least squares of (c1, c2, c3) to observed (x, F1), bounded so the curve is an
    F1: 0 ≤ c1 ≤ 1 keeps it within [0.5, 1] (the paper's own c1 = 1.34 gives F1(0) = 1.006, and
    an unbounded fit to its points F1(0) = 1.14), and c2 ≤ 0 makes it fall with more data."""
    xs, ys = np.asarray(x, dtype=np.float64), np.asarray(f1, dtype=np.float64)
    if xs.size < 3:
        raise ValueError("fitting three constants needs at least three runs")
    (c1, c2, c3), _ = curve_fit(
        lambda v, a, b, c: f1_from_x(v, a, b, c),
        xs,
        ys,
        p0=(0.99, PAPER_C2, PAPER_C3),
        bounds=((0.0, -np.inf, -np.inf), (1.0, 0.0, np.inf)),
        maxfev=20_000,
    )
    rmse = float(np.sqrt(np.mean((f1_from_x(xs, c1, c2, c3) - ys) ** 2)))
    return ScalingLawFit(float(c1), float(c2), float(c3), rmse, int(xs.size))
