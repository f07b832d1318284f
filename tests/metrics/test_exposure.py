"""core/metrics/exposure.py: exposure from exact ranks, sampled ranks and the skew-normal
tail, against hand computations (SPEC 10)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

from memdash.core.metrics.exposure import (
    SecretSpace,
    estimate_exposure,
    expected_control_exposure_bits,
    exposure_from_rank,
)


def test_space_size_and_bits() -> None:
    space = SecretSpace("0123456789", 6)
    assert space.size == 10**6 and space.log2_size == pytest.approx(6 * math.log2(10))
    secrets = space.draw(np.random.default_rng(0), 50)
    assert all(len(s) == 6 and s.isdigit() for s in secrets)
    assert SecretSpace("ab", 2).all_secrets() == ["aa", "ab", "ba", "bb"]


def test_exposure_from_rank_spans_zero_to_the_space() -> None:
    assert exposure_from_rank(1, 20.0) == 20.0  # the most likely secret
    assert exposure_from_rank(2**20, 20.0) == 0.0  # the least likely
    assert exposure_from_rank(2**10, 20.0) == pytest.approx(10.0)


def test_exact_rank_counts_only_strictly_shorter_codes() -> None:
    others = np.arange(999, dtype=np.float64)  # 999 other secrets coded 0..998 bits
    first = estimate_exposure(-1.0, others, math.log2(1000), exhaustive=True)
    assert first.method == "exact" and first.rank == 1
    assert first.exposure_bits == pytest.approx(math.log2(1000))
    middle = estimate_exposure(499.0, others, math.log2(1000), exhaustive=True)
    assert middle.rank == 500 and middle.exposure_bits == pytest.approx(1.0)  # log2(1000/500)
    tied = estimate_exposure(0.0, np.zeros(999), math.log2(1000), exhaustive=True)
    assert tied.rank == 1  # ties go to the canary


def test_sampled_rank_scales_the_count_to_the_space() -> None:
    others = np.concatenate([np.zeros(100), np.full(900, 10.0)])  # 10% of candidates shorter
    result = estimate_exposure(5.0, others, 40.0, exhaustive=False)
    assert result.method == "sampled"
    assert result.rank == pytest.approx(1 + 2**40 * 0.1)
    assert result.exposure_bits == pytest.approx(-math.log2(0.1), abs=1e-6)


def test_skew_normal_extrapolates_beyond_the_sample() -> None:
    """Candidates normal around 100 bits (σ 5): a canary at 80 bits is 4σ out, beyond what 5,000
    samples resolve; the fit recovers −log2 Φ(−4) ≈ 14.9 bits."""
    sample = np.random.default_rng(1).normal(100.0, 5.0, 5000)
    result = estimate_exposure(80.0, sample, 60.0, exhaustive=False)
    assert result.method == "skew-normal"
    assert result.exposure_bits == pytest.approx(-math.log2(norm.cdf(-4.0)), abs=1.0)
    capped = estimate_exposure(0.0, sample, 12.0, exhaustive=False)
    assert capped.exposure_bits == 12.0  # never more than log2|R|


def test_a_never_seen_secret_has_about_one_and_a_half_bits() -> None:
    """A control ranks uniformly among the space: its mean exposure is 1/ln 2."""
    rng = np.random.default_rng(2)
    exposures = [
        estimate_exposure(float(code[0]), code[1:], math.log2(2000), exhaustive=True).exposure_bits
        for code in (rng.normal(0, 1, 2000) for _ in range(400))
    ]
    assert np.mean(exposures) == pytest.approx(expected_control_exposure_bits(), abs=0.2)
