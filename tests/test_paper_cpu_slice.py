"""A minute's slice of the paper-cpu benchmark (bench/paper_cpu.py): the paper's L1-d32 at
V = 2048, S = 64 with the preset's trainer, on tiny budgets, through the same code that runs the
long benchmark: the row is the paper's (80,352 parameters), its budget curve rises, and the
report sets each capacity beside the paper's."""

from __future__ import annotations

import pytest

from bench.paper_cpu import PRESET, heading, run_row
from memdash.app.kinds.capacity.params import capacity_preset

pytestmark = pytest.mark.slow


def test_the_papers_smallest_row_through_the_benchmark_code() -> None:
    preset = capacity_preset(PRESET)
    l1 = preset.shapes[0]
    assert (l1.n_layer, l1.d_model, preset.n_params(l1)) == (1, 32, 80_352)
    sizes = preset.sizes_for(l1)
    assert sizes[0] < 490 < sizes[-1]  # the grid brackets the paper's capacity (N ≈ 490)
    row = run_row(0, "fp32", [20, 40, 80], [8])
    assert row["n_params_matches_paper"] and row["paper_capacity_bits"] == 3.39e5
    capacities = [p["capacity_bits"] for p in row["points"]]
    assert capacities == sorted(capacities) and capacities[-1] > 0  # more steps, more bits
    assert all(p["stop_reasons"] == {"max_steps": 1} for p in row["points"])  # lower bounds


def test_the_heading_fit_recovers_a_known_limit() -> None:
    budgets = [1000, 2000, 4000, 8000]
    truth = [300_000 - 200_000 * (b / 1000) ** -0.7 for b in budgets]
    assert heading(budgets, truth) == pytest.approx(300_000, rel=0.01)
    assert heading(budgets[:2], truth[:2]) is None
