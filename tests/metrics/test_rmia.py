"""SPEC 12: RMIA (offline) against a straightforward implementation of the paper's formula, and
every attack's direction (higher = member: swapping members and non-members gives 1 − AUC)."""

from __future__ import annotations

import numpy as np
import pytest

from memdash.core.metrics.membership import (
    loss_attack_scores,
    min_k_percent_score,
    reference_calibrated_scores,
    roc_auc,
    zlib_ratio_scores,
)
from memdash.core.metrics.rmia import (
    geometric_mean_probability,
    offline_prior,
    rmia_scores,
)


def _paper_rmia(px_theta, px_refs, pz_theta, pz_refs, a, gamma, skip=None):
    """Score(x) = Pr_z[LR(x, z) ≥ γ], LR(x, z) = (P(x|θ)/P(x)) / (P(z|θ)/P(z)), with
    P(x) = ½((1 + a)·mean_OUT P(x|θ') + (1 − a)): a double loop, nothing shared with memdash's."""
    scores = []
    for i, (p_theta, p_refs) in enumerate(zip(px_theta, px_refs, strict=True)):
        prior_x = 0.5 * ((1 + a) * float(np.mean(p_refs)) + (1 - a))
        hits, total = 0, 0
        for j, (q_theta, q_refs) in enumerate(zip(pz_theta, pz_refs, strict=True)):
            if skip is not None and skip[i] == j:
                continue
            prior_z = 0.5 * ((1 + a) * float(np.mean(q_refs)) + (1 - a))
            ratio = (p_theta / prior_x) / (q_theta / prior_z)
            hits += ratio >= gamma
            total += 1
        scores.append(hits / total)
    return np.array(scores)


@pytest.mark.parametrize(("a", "gamma"), [(0.3, 1.0), (0.0, 2.0), (1.0, 0.5), (0.6, 1.3)])
def test_rmia_equals_the_papers_formula(a: float, gamma: float) -> None:
    rng = np.random.default_rng(3)
    px, pz = rng.uniform(0.01, 0.6, 40), rng.uniform(0.01, 0.6, 25)
    px_refs, pz_refs = rng.uniform(0.01, 0.6, (40, 3)), rng.uniform(0.01, 0.6, (25, 3))
    ours = rmia_scores(px, px_refs, pz, pz_refs, a, gamma)
    assert np.allclose(ours, _paper_rmia(px, px_refs, pz, pz_refs, a, gamma))


def test_rmia_leaves_a_sample_out_of_its_own_population() -> None:
    rng = np.random.default_rng(4)
    p, refs = rng.uniform(0.05, 0.5, 12), rng.uniform(0.05, 0.5, 12)
    own = np.arange(12)
    ours = rmia_scores(p, refs, p, refs, 0.3, 1.0, leave_out=own)
    assert np.allclose(ours, _paper_rmia(p, refs[:, None], p, refs[:, None], 0.3, 1.0, own))


def test_fixed_numbers_by_hand() -> None:
    # P(x|θ) = 0.5, P_OUT(x) = 0.2, a = 0: P(x) = ½(0.2 + 1) = 0.6, ratio 0.8333; population
    # ratios 0.5/0.6 = 0.8333 (tie: LR = 1 ≥ 1), 0.3/0.55 = 0.5455, 0.9/0.55 = 1.636: 2 of 3.
    assert offline_prior([0.2], 0.0)[0] == pytest.approx(0.6)
    score = rmia_scores([0.5], [0.2], [0.5, 0.3, 0.9], [0.2, 0.1, 0.1], a=0.0, gamma=1.0)
    assert score[0] == pytest.approx(2 / 3)
    assert geometric_mean_probability([1.0, 0.0])[0] == pytest.approx(0.5)


def _attacks(members: dict, nonmembers: dict) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each attack's scores for both sides, from the same per-sample numbers."""
    out = {}
    for name, score in (
        ("loss", lambda s: loss_attack_scores(s["mean_nll"])),
        ("zlib", lambda s: zlib_ratio_scores(s["nll"], s["zlib"])),
        ("reference", lambda s: reference_calibrated_scores(s["bits"], s["ref"])),
        ("min_k", lambda s: np.array([min_k_percent_score(-t) for t in s["tokens"]])),
    ):
        out[name] = (score(members), score(nonmembers))
    return out


def _side(rng: np.random.Generator, n: int, shift: float) -> dict:
    tokens = [rng.gamma(2.0, 1.0 - shift, 20) for _ in range(n)]
    nll = np.array([t.sum() for t in tokens])
    return {
        "tokens": tokens,
        "mean_nll": nll / 20,
        "nll": nll,
        "zlib": rng.uniform(300, 400, n),
        "bits": nll + 9,
        "ref": rng.uniform(60, 80, n),
    }


def test_every_attack_gives_one_minus_its_auc_when_the_sides_swap() -> None:
    rng = np.random.default_rng(5)
    members, nonmembers = _side(rng, 60, 0.3), _side(rng, 60, 0.0)
    for name, (m, n) in _attacks(members, nonmembers).items():
        auc = roc_auc(m, n)
        assert auc > 0.6, name  # members are coded in fewer bits: every score ranks them higher
        assert roc_auc(n, m) == pytest.approx(1 - auc), name
    px, pz = (
        geometric_mean_probability(members["mean_nll"]),
        geometric_mean_probability(nonmembers["mean_nll"]),
    )
    ref_m, ref_n = rng.uniform(0.1, 0.2, 60), rng.uniform(0.1, 0.2, 60)
    population = rng.uniform(0.05, 0.3, 50), rng.uniform(0.1, 0.2, 50)
    m = rmia_scores(px, ref_m, *population)
    n = rmia_scores(pz, ref_n, *population)
    assert roc_auc(m, n) > 0.6 and roc_auc(n, m) == pytest.approx(1 - roc_auc(m, n))


def test_a_is_tuned_to_the_best_auc_on_the_pair() -> None:
    from memdash.core.metrics.rmia import A_GRID, tune_offline_a

    rng = np.random.default_rng(6)
    # The proxy's members: easy and hard samples, each a little likelier under the proxy than
    # under the other model; non-members as likely under both.
    out_m = np.r_[rng.uniform(0.5, 0.7, 40), rng.uniform(0.01, 0.03, 40)]
    proxy_m = out_m * 1.2
    out_n = np.r_[rng.uniform(0.5, 0.7, 40), rng.uniform(0.01, 0.03, 40)]
    proxy_n = out_n * rng.uniform(0.95, 1.05, 80)
    aucs = {}
    for a in A_GRID:
        m = rmia_scores(proxy_m, out_m, proxy_n, out_n, a)
        n = rmia_scores(proxy_n, out_n, proxy_n, out_n, a, leave_out=np.arange(80))
        aucs[a] = roc_auc(m, n)
    best = max(A_GRID, key=lambda a: (aucs[a], -a))
    assert tune_offline_a(proxy_m, out_m, proxy_n, out_n) == best
    assert best > 0.5 and aucs[best] > aucs[0.0]  # calibration pays on uneven difficulty
