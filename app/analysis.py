"""Per-sweep quantities computed from the stored runs once a sweep's jobs have ended (SPEC 3).

Capacity of each shape = max over dataset sizes of the seed mean of memorized bits; α is fitted
through the origin across shapes (with an intercept fit and R² beside it) and shown next to the
paper's 3.64 / 3.51 / 3.83. A tiny model trained briefly is a lower bound: memdash says so.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import TERMINAL_JOB_STATES, Job, Run, Sweep, utcnow
from worker.metrics.capacity import (
    PAPER_ALPHA_FITTED_BF16,
    PAPER_ALPHA_MEAN_BF16,
    PAPER_ALPHA_MEAN_FP32,
    CapacityPoint,
    capacity_per_config,
    fit_alpha,
)


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
    if len(shapes) >= 2:
        fit = fit_alpha([s["n_params"] for s in shapes], [s["capacity_bits"] for s in shapes])
        summary["alpha_fit"] = {
            "alpha": fit.alpha,
            "ci95": list(fit.alpha_ci95),
            "r2_origin": fit.r2_origin,
            "slope": fit.slope,
            "intercept_bits": fit.intercept_bits,
            "r2": fit.r2,
            "mean_ratio": fit.mean_ratio,
            "n_configs": fit.n_configs,
        }
    elif shapes:
        summary["alpha_fit"] = {"alpha": shapes[0]["bits_per_param"], "n_configs": 1}
    return summary


def finish_sweep_if_done(session: Session, sweep_id: int | None) -> None:
    """When every job of the sweep has ended, compute its summary and final status."""
    if sweep_id is None:
        return
    states = session.scalars(select(Job.state).where(Job.sweep_id == sweep_id)).all()
    if not states or any(s not in TERMINAL_JOB_STATES for s in states):
        return
    sweep = session.get(Sweep, sweep_id)
    runs = list(session.scalars(select(Run).where(Run.sweep_id == sweep_id)).all())
    if sweep.kind == "capacity":
        sweep.summary = capacity_summary(runs)
    sweep.status = (
        "succeeded"
        if all(s == "succeeded" for s in states)
        else ("cancelled" if all(s in ("succeeded", "cancelled") for s in states) else "failed")
    )
    sweep.finished_at = utcnow()
