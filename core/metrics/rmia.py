"""RMIA, offline (SPEC 12; Zarifzadeh et al., ICML 2024; as ML Privacy Meter computes it).

For an audited sample x and a population sample z (a non-member of the target, never audited):
  LR(x, z) = [P(x|θ) / P(x)] / [P(z|θ) / P(z)],   Score(x) = Pr_z[LR(x, z) ≥ γ].
P(·|θ) for a language model is the geometric-mean token probability, 2^(−mean NLL bits of the
predicted tokens). P(x) comes from reference models that never saw x (offline: OUT models only),
averaged and corrected for their missing IN half: P(x) = ½((1 + a)·P_OUT(x) + (1 − a)).

Choices (docs/measures.md "RMIA"): γ = 1 (the paper's default). a is tuned as Privacy Meter
tunes it, on a pair of models where one plays the target and the other its OUT reference, a ∈
{0, 0.1, …, 1}, the best AUC kept (`tune_offline_a`). memdash's pair is the reference model (as
the target: its own training samples are its members, the scored non-members its non-members)
and the audited model (as its OUT reference: it never saw either). No audited member's label is
used. Where the reference's training samples are unknown (an uploaded reference checkpoint), a
stays the paper's offline setting, 0.3, and the page says it was not tuned. With a fixed
population, Score(x) is a non-decreasing function of P(x|θ)/P(x), so the population only sets
how finely scores are resolved (and γ where scores tie).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

GAMMA = 1.0
DEFAULT_A = 0.3
A_GRID = tuple(round(0.1 * i, 1) for i in range(11))
MIN_POPULATION = 20  # fewer non-members outside the attack set: each is compared leave-one-out


def geometric_mean_probability(mean_nll_bits: ArrayLike) -> NDArray[np.float64]:
    """P(x|θ) of SPEC 12 from each sample's mean NLL of its predicted tokens, in bits."""
    return np.exp2(-np.asarray(mean_nll_bits, dtype=np.float64))


def offline_prior(p_out: ArrayLike, a: float) -> NDArray[np.float64]:
    """P(x) = ½((1 + a)·P_OUT(x) + (1 − a)); P_OUT is (n,) or (n, references), averaged."""
    p = np.asarray(p_out, dtype=np.float64)
    mean = p.mean(axis=1) if p.ndim == 2 else p
    return 0.5 * ((1 + a) * mean + (1 - a))


def rmia_scores(
    target_x: ArrayLike,
    out_x: ArrayLike,
    target_z: ArrayLike,
    out_z: ArrayLike,
    a: float = DEFAULT_A,
    gamma: float = GAMMA,
    leave_out: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Score(x) for each audited x: the share of population samples z with LR(x, z) ≥ γ.

    target_* are P(·|θ), out_* the OUT references' P(·|θ') ((n,) or (n, references)).
    `leave_out[i]`, when ≥ 0, is the population index that is x_i itself (a population drawn
    from the audited non-members): that z is not compared with x_i."""
    ratio_x = np.asarray(target_x, dtype=np.float64) / offline_prior(out_x, a)
    ratio_z = np.sort(np.asarray(target_z, dtype=np.float64) / offline_prior(out_z, a))
    if ratio_z.size == 0:
        raise ValueError("RMIA needs population samples")
    # LR(x, z) ≥ γ  ⇔  ratio_z ≤ ratio_x / γ (ratios are positive).
    counts = np.searchsorted(ratio_z, ratio_x / gamma, side="right").astype(np.float64)
    sizes = np.full(ratio_x.size, float(ratio_z.size))
    if leave_out is not None:
        index = np.asarray(leave_out)
        own = index >= 0
        unsorted = np.asarray(target_z, dtype=np.float64) / offline_prior(out_z, a)
        counts[own] -= (unsorted[index[own]] <= ratio_x[own] / gamma).astype(np.float64)
        sizes[own] -= 1
    return counts / np.maximum(sizes, 1)


@dataclass(frozen=True)
class RmiaSetting:
    """What a run's RMIA used, recorded beside its numbers."""

    a: float
    a_tuned: bool  # on a model pair (tune_offline_a), else the paper's default
    gamma: float
    n_references: int
    n_population: int
    population: str  # which samples z are
    reference: str  # which model(s) gave P_OUT


def tune_offline_a(
    proxy_members: ArrayLike,
    out_members: ArrayLike,
    proxy_nonmembers: ArrayLike,
    out_nonmembers: ArrayLike,
) -> float:
    """The a whose RMIA AUC is highest when `proxy` plays the target and `out` its reference:
    P(·|proxy) and P(·|out) of the proxy's training samples (members) and of samples neither saw
    (non-members, also the population, each left out of its own comparison). Ties: the smaller
    a."""
    from memdash.core.metrics.membership import roc_auc

    nonmember_index = np.arange(np.asarray(proxy_nonmembers).size)
    best_a, best_auc = A_GRID[0], -1.0
    for a in A_GRID:
        member = rmia_scores(proxy_members, out_members, proxy_nonmembers, out_nonmembers, a)
        nonmember = rmia_scores(
            proxy_nonmembers, out_nonmembers, proxy_nonmembers, out_nonmembers, a,
            leave_out=nonmember_index,
        )  # fmt: skip
        auc = roc_auc(member, nonmember)
        if auc > best_auc + 1e-12:
            best_a, best_auc = a, auc
    return best_a
