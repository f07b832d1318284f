"""SPEC 3: parameter counts, capacity, α fits, predicted memorization."""

from __future__ import annotations

import numpy as np
import pytest

from worker.metrics.capacity import (
    CapacityPoint,
    capacity_per_config,
    dataset_to_capacity_ratio,
    fit_alpha,
    gpt2_param_count,
    predicted_memorization_bits,
    synthetic_dataset_bits,
)


@pytest.mark.parametrize(
    ("vocab", "seq_len", "d_model", "n_layer", "expected"),
    [
        (2048, 64, 32, 1, 80_352),  # the paper's smallest configuration
        (2048, 64, 256, 8, 6_859_264),  # the paper's largest
        (50257, 64, 1600, 48, 1_556_075_200),  # GPT-2 XL with 64 positions
        (50257, 64, 768, 12, 123_702_528),  # GPT-2 small with 64 positions
    ],
)
def test_param_formula_reproduces_the_paper(vocab, seq_len, d_model, n_layer, expected) -> None:
    assert gpt2_param_count(vocab, seq_len, d_model, n_layer) == expected


def test_capacity_is_the_max_over_sizes_of_the_seed_mean() -> None:
    points = [
        CapacityPoint("small", 100, 1000.0),
        CapacityPoint("small", 100, 1200.0),  # mean 1100
        CapacityPoint("small", 400, 1500.0),
        CapacityPoint("small", 400, 900.0),  # mean 1200 (the plateau, noisy seeds)
        CapacityPoint("small", 1600, 1150.0),
        CapacityPoint("big", 100, 50.0),
    ]
    capacities = capacity_per_config(points)
    assert capacities["small"].capacity_bits == 1200.0
    assert capacities["small"].argmax_n_samples == 400
    assert capacities["small"].seed_means == {100: 1100.0, 400: 1200.0, 1600: 1150.0}
    assert capacities["big"].capacity_bits == 50.0


def test_alpha_through_the_origin_recovers_an_exact_slope() -> None:
    params = np.array([80_352, 200_000, 1_000_000, 6_859_264])
    fit = fit_alpha(params, 3.6 * params)
    assert fit.alpha == pytest.approx(3.6)
    assert fit.alpha_ci95[0] == pytest.approx(3.6) and fit.alpha_ci95[1] == pytest.approx(3.6)
    assert fit.r2 == pytest.approx(1.0) and fit.intercept_bits == pytest.approx(0, abs=1e-3)
    assert fit.mean_ratio == pytest.approx(3.6)


def test_alpha_fit_by_hand() -> None:
    # capacities 4 and 6 bits at 1 and 2 params: α = (1·4 + 2·6) / (1 + 4) = 3.2
    fit = fit_alpha([1, 2], [4, 6])
    assert fit.alpha == pytest.approx(3.2)
    assert fit.slope == pytest.approx(2.0) and fit.intercept_bits == pytest.approx(2.0)
    assert fit.mean_ratio == pytest.approx(3.5)
    lo, hi = fit.alpha_ci95
    assert lo < 3.2 < hi


def test_alpha_ci_covers_the_truth_under_noise() -> None:
    rng = np.random.default_rng(1)
    params = np.geomspace(8e4, 7e6, 16)
    capacities = 3.64 * params * (1 + rng.normal(0, 0.05, params.size))
    fit = fit_alpha(params, capacities)
    assert fit.alpha_ci95[0] < 3.64 < fit.alpha_ci95[1]
    assert fit.r2 > 0.95


def test_alpha_needs_two_points() -> None:
    with pytest.raises(ValueError):
        fit_alpha([1], [3])


def test_predicted_memorization_is_capped_by_capacity_and_by_data() -> None:
    params = 80_352
    small_data = synthetic_dataset_bits(10, 64, 2048)  # 7,040 bits: fits
    assert predicted_memorization_bits(3.64, params, small_data) == pytest.approx(7040)
    big_data = synthetic_dataset_bits(10_000, 64, 2048)
    assert predicted_memorization_bits(3.64, params, big_data) == pytest.approx(3.64 * params)


def test_dataset_to_capacity_ratio_is_one_at_capacity() -> None:
    params = 80_352
    assert dataset_to_capacity_ratio(3.64 * params, 3.64, params) == pytest.approx(1.0)
