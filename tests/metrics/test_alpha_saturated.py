"""α from saturated shapes only (SPEC 3, issue 37): a lower-bound capacity never enters α; the
all-shapes fit is stored beside it, labelled, and the figure marks each point. Stalls (seeds
that end far apart) and sizes whose every run failed make a capacity a lower bound."""

from __future__ import annotations

import pytest

from memdash.app.db.models import Run
from memdash.app.figures.capacity import alpha_figure
from memdash.app.kinds.capacity.summary import summarize
from memdash.core.metrics.capacity import fit_alpha, seeds_apart
from tests.figure_data import trained_config

PARAMS = {"small": 1000, "mid": 2000, "large": 4000, "huge": 8000}


def run(
    shape: str, n: int, bits: float, reason: str = "plateau", seed: int = 0, status="succeeded"
):
    return Run(
        name=f"{shape} {n} {seed}",
        status=status,
        n_train=n,
        seed=seed,
        n_params=PARAMS[shape],
        config=trained_config(shape, n),
        summary={"mem_u_bits": bits, "stop_reason": reason} if status == "succeeded" else {},
    )


def test_a_lower_bound_shape_is_left_out_of_alpha_and_fitted_beside_it() -> None:
    runs = [
        run("small", 10, 2000, "memorized"),
        run("small", 40, 3000),
        run("mid", 40, 6400),
        run("large", 40, 9000, "max_steps"),  # still improving: a lower bound
    ]
    summary = summarize(None, runs)
    fit, every = summary["alpha_fit"], summary["alpha_fit_all_shapes"]
    assert fit["alpha"] == pytest.approx(fit_alpha([1000, 2000], [3000, 6400]).alpha)
    assert fit["n_configs"] == 2 and fit["n_lower_bound_left_out"] == 1
    assert every["alpha"] == pytest.approx(fit_alpha([1000, 2000, 4000], [3000, 6400, 9000]).alpha)
    assert every["lower_bound"] and every["n_lower_bound"] == 1
    assert summary["alpha_by_precision"]["fp32"]["n_configs"] == 2
    figure = alpha_figure(
        [{**s, "sweep": 1} for s in summary["shapes"]],
        [("memdash α", fit), ("memdash α over all shapes (a lower bound)", every)],
    )
    points = {t.name: list(t.text) for t in figure.data if t.mode == "markers"}
    assert points["capacity per shape"] == ["small", "mid"]
    assert points["capacity per shape, lower bound (not in α)"] == ["large"]
    lines = {t.name: t.line.dash for t in figure.data if t.name and t.name.startswith("memdash")}
    assert lines[f"memdash α = {fit['alpha']:.2f}"] == "solid"
    assert lines[f"memdash α over all shapes (a lower bound) ≥ {every['alpha']:.2f}"] == "dash"


def test_every_shape_saturated_stores_one_alpha() -> None:
    summary = summarize(None, [run("small", 40, 3000), run("mid", 40, 6000)])
    assert "alpha_fit_all_shapes" not in summary
    assert summary["alpha_fit"]["n_lower_bound_left_out"] == 0


def test_seeds_that_stall_apart_are_not_both_a_plateau() -> None:
    # The quick sweep's L1-d32: both seeds "plateau", 18,564 and 25,419 bits.
    assert seeds_apart([18_564, 25_419]) and not seeds_apart([10_000, 10_900])
    runs = [
        run("small", 40, 3000, seed=0),
        run("small", 40, 3050, seed=1),
        run("mid", 40, 18_564, seed=0),
        run("mid", 40, 25_419, seed=1),
        run("large", 40, 12_000, seed=0),
        run("large", 40, 12_100, seed=1),
    ]
    summary = summarize(None, runs)
    by_shape = {s["shape"]: s for s in summary["shapes"]}
    assert by_shape["mid"]["seeds_apart_sizes"] == [40] and not by_shape["mid"]["saturated"]
    assert by_shape["small"]["saturated"] and by_shape["large"]["saturated"]
    assert summary["alpha_fit"]["n_configs"] == 2


def test_a_size_whose_every_run_failed_is_flagged() -> None:
    runs = [
        run("small", 40, 3000),
        run("small", 80, 0, status="failed"),
        run("small", 80, 0, seed=1, status="failed"),
        run("mid", 40, 6000),
    ]
    by_shape = {s["shape"]: s for s in summarize(None, runs)["shapes"]}
    assert by_shape["small"]["failed_sizes"] == [80] and not by_shape["small"]["saturated"]
    assert by_shape["mid"]["failed_sizes"] == []
