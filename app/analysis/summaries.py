"""Fits and sets that sweep summaries share (the kinds in app/kinds summarize with them,
and the figure views draw the same fits): α through the origin over shapes, the membership
scaling law, and which samples a run has memorized. Part of the write path: no view imports."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from memdash.app.db.models import Evaluation, Run, SampleScore
from memdash.core.edges import JSONObject, TableRow
from memdash.core.metrics.capacity import fit_alpha
from memdash.core.metrics.extraction import prediction_precision_recall
from memdash.core.metrics.scaling_law import fit_scaling_law


def alpha_fits(shapes: list[TableRow]) -> tuple[JSONObject | None, JSONObject | None]:
    """(α over the saturated shapes, α over every shape labelled a lower bound — or None when
    every shape is saturated and the two are one). SPEC 3: a lower-bound capacity never
    silently enters α; the all-shapes fit is shown beside it, named for what it is."""
    saturated = [s for s in shapes if s.get("saturated", True)]
    fit = alpha_fit_summary(saturated)
    if fit is not None:
        fit["n_lower_bound_left_out"] = len(shapes) - len(saturated)
    if len(saturated) == len(shapes):
        return fit, None
    every = alpha_fit_summary(shapes)
    if every is not None:
        every |= {"lower_bound": True, "n_lower_bound": len(shapes) - len(saturated)}
    return fit, every


def alpha_fit_summary(shapes: list[TableRow]) -> JSONObject | None:
    """α through the origin (with CI, intercept fit and R²) over shapes' capacities; one shape
    gives its own bits/parameter; none gives None. (Which shapes: `alpha_fits`.)"""
    if len(shapes) >= 2:
        fit = fit_alpha([s["n_params"] for s in shapes], [s["capacity_bits"] for s in shapes])
        return {
            "alpha": fit.alpha,
            "ci95": list(fit.alpha_ci95),
            "r2_origin": fit.r2_origin,
            "slope": fit.slope,
            "intercept_bits": fit.intercept_bits,
            "r2": fit.r2,
            "mean_ratio": fit.mean_ratio,
            "n_configs": fit.n_configs,
        }
    if shapes:
        return {"alpha": shapes[0]["bits_per_param"], "n_configs": 1}
    return None


def scaling_law_summary(points: list[TableRow]) -> TableRow | None:
    """The MI scaling law (SPEC 6, corrected form) fitted to points with `x` and `mi_f1`: its
    constants, or {"error": ...} when the fit fails; None below three points."""
    usable = [p for p in points if p.get("mi_f1") is not None and p.get("x")]
    if len(usable) < 3:
        return None
    try:
        fit = fit_scaling_law([p["x"] for p in usable], [p["mi_f1"] for p in usable])
    except (RuntimeError, ValueError) as error:  # curve_fit may not converge on few points
        return {"error": str(error)}
    return {"c1": fit.c1, "c2": fit.c2, "c3": fit.c3, "rmse": fit.rmse, "n_points": fit.n_points}


def memorized_sets(session: Session, runs: list[Run], k: int) -> dict[int, set[int]]:
    """Per run: training-sample indices that are k-extractable (score 1; SPEC 5), in one query
    per 500 runs (a series holds Pythia's 154 revisions)."""
    column = getattr(SampleScore, f"extract_{k}")
    sets: dict[int, set[int]] = {run.id: set() for run in runs}
    ids = list(sets)
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(Evaluation.run_id, SampleScore.sample_index)
            .join(Evaluation, Evaluation.id == SampleScore.evaluation_id)
            .where(
                Evaluation.run_id.in_(ids[start : start + 500]),
                SampleScore.split == "train",
                column == 1.0,
            )
        )
        for run_id, index in rows:
            if run_id is not None:
                sets[run_id].add(index)
    return sets


def predict_last(memorized: dict[int, set[int]], runs: list[Run]) -> list[tuple[Run, Run, Any]]:
    """Each earlier run's memorized set as a prediction of the last one's (Biderman et al.
    Sec. 2.3): (predictor, target, precision/recall) in order."""
    target = runs[-1]
    return [
        (run, target, prediction_precision_recall(memorized[run.id], memorized[target.id]))
        for run in runs[:-1]
    ]
