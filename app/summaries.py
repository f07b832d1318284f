"""Per-sweep quantities computed from the stored runs once a sweep's jobs have ended (SPEC 3).
Part of the write path: app/db/queue.py calls `summarize` when a sweep's last job ends.

Capacity of each shape = max over dataset sizes of the seed mean of memorized bits; α is fitted
through the origin across shapes (with an intercept fit and R² beside it) and shown next to the
paper's 3.64 / 3.51 / 3.83. A tiny model trained briefly is a lower bound: memdash says so.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Evaluation, Run, SampleScore, Sweep
from app.run_rows import text_rows
from worker.metrics.capacity import (
    PAPER_ALPHA_FITTED_BF16,
    PAPER_ALPHA_MEAN_BF16,
    PAPER_ALPHA_MEAN_FP32,
    CapacityPoint,
    capacity_per_config,
    fit_alpha,
)
from worker.metrics.extraction import prediction_precision_recall
from worker.metrics.scaling_law import fit_scaling_law


def capacity_summary(runs: list[Run]) -> dict[str, Any]:
    done = [r for r in runs if r.status == "succeeded" and "mem_u_bits" in r.summary]
    points = [
        CapacityPoint(r.config["shape"], r.n_train or 0, r.summary["mem_u_bits"]) for r in done
    ]
    params_of = {r.config["shape"]: r.n_params for r in done}
    capacities = capacity_per_config(points)
    shapes = [
        {
            "shape": key,
            "n_params": params_of[key],
            "capacity_bits": c.capacity_bits,
            "argmax_n_samples": c.argmax_n_samples,
            "bits_per_param": c.capacity_bits / params_of[key],
        }
        for key, c in sorted(capacities.items(), key=lambda kv: params_of[kv[0]])
    ]
    summary: dict[str, Any] = {
        "shapes": shapes,
        "paper": {
            "alpha_fitted_bf16": PAPER_ALPHA_FITTED_BF16,
            "alpha_mean_bf16": PAPER_ALPHA_MEAN_BF16,
            "alpha_mean_fp32": PAPER_ALPHA_MEAN_FP32,
        },
    }
    if (fit := alpha_fit_summary(shapes)) is not None:
        summary["alpha_fit"] = fit
    return summary


def alpha_fit_summary(shapes: list[dict[str, Any]]) -> dict[str, Any] | None:
    """α through the origin (with CI, intercept fit and R²) over shapes' capacities; one shape
    gives its own bits/parameter; none gives None."""
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


def scaling_law_summary(points: list[dict[str, Any]]) -> dict[str, Any] | None:
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


def summarize(session: Session, sweep: Sweep) -> dict[str, Any]:
    """The sweep's summary from its finished runs (called when its last job has ended)."""
    runs = list(session.scalars(select(Run).where(Run.sweep_id == sweep.id)).all())
    if sweep.kind == "capacity":
        return capacity_summary(runs)
    if sweep.kind == "text":
        return text_summary(session, runs)
    if sweep.kind == "scoring":
        return scoring_summary(session, runs)
    return {}


def _memorized_sets(session: Session, runs: list[Run], k: int) -> dict[int, set[int]]:
    """Per run: training-sample indices that are k-extractable (score 1; SPEC 5)."""
    column = getattr(SampleScore, f"extract_{k}")
    sets: dict[int, set[int]] = {}
    for run in runs:
        rows = session.execute(
            select(SampleScore.sample_index)
            .join(Evaluation, Evaluation.id == SampleScore.evaluation_id)
            .where(Evaluation.run_id == run.id, SampleScore.split == "train", column == 1.0)
        ).scalars()
        sets[run.id] = set(rows)
    return sets


def text_summary(session: Session, runs: list[Run]) -> dict[str, Any]:
    """Double-descent data, the MI scaling-law fit, and Pythia-style prediction (SPEC 4-6)."""
    done = [r for r in runs if r.status == "succeeded" and "mem_u_bits" in r.summary]
    summary: dict[str, Any] = {"points": text_rows(done)}
    if (fit := scaling_law_summary(summary["points"])) is not None:
        summary["scaling_law_fit"] = fit
    seq_len = done[0].config["seq_len"] if done else 0
    k = max((k for k in (8, 16, 32) if k < seq_len), default=None)
    if k is not None and done:
        memorized = _memorized_sets(session, done, k)
        largest = max(done, key=lambda r: r.n_params or 0).config["shape"]
        prediction = []
        for n in sorted({r.n_train for r in done}):
            target = next(
                (r for r in done if r.n_train == n and r.config["shape"] == largest), None
            )
            for predictor in (r for r in done if r.n_train == n and r is not target):
                if target is None:
                    continue
                quality = prediction_precision_recall(memorized[predictor.id], memorized[target.id])
                prediction.append(
                    {
                        "n_train": n,
                        "predictor": predictor.config["shape"],
                        "target": largest,
                        "precision": quality.precision,
                        "recall": quality.recall,
                        "n_predicted": quality.n_predicted,
                        "n_target": quality.n_target,
                    }
                )
        summary["prediction"] = {"k": k, "rows": prediction}
    return summary


def scoring_summary(session: Session, runs: list[Run]) -> dict[str, Any]:
    """Checkpoints scored on the same data: how well each earlier one's memorized set (k = 32,
    or the longest prefix that fits) predicts the last one's (Biderman et al. Sec. 2.3)."""
    done = sorted(
        (r for r in runs if r.status == "succeeded" and "mem_u_bits" in r.summary),
        key=lambda r: r.config.get("position", 0),
    )
    if len(done) < 2:
        return {}
    k = max(k for k in (8, 16, 32) if k < done[0].config["seq_len"])
    memorized = _memorized_sets(session, done, k)
    target = done[-1]
    rows = []
    for predictor in done[:-1]:
        quality = prediction_precision_recall(memorized[predictor.id], memorized[target.id])
        rows.append(
            {
                "predictor": predictor.name,
                "target": target.name,
                "precision": quality.precision,
                "recall": quality.recall,
                "n_predicted": quality.n_predicted,
                "n_target": quality.n_target,
            }
        )
    return {"prediction": {"k": k, "rows": rows}}
