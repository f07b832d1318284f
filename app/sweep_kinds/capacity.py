"""Capacity sweeps (Morris et al. Sec. 3): model shapes × dataset sizes × seeds on uniform
random tokens; one stacked `train_group` job per shape (split into parts of at most
`max_models_per_job`). Capacity of a shape = max over dataset sizes of the seed mean of
memorized bits; α is fitted through the origin across shapes and shown beside the paper's.
A shape whose best dataset size has a run that stopped at its step budget while still improving
is marked as a lower bound (`saturated: false`), and the summary counts them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.db import queue
from app.db.models import Run, Sweep
from app.summaries import alpha_fit_summary
from app.sweep_kinds import SweepKind, register
from worker.contract import Member, ModelShape, TrainGroupJob, saturated
from worker.metrics.capacity import (
    PAPER_ALPHA_FITTED_BF16,
    PAPER_ALPHA_MEAN_BF16,
    PAPER_ALPHA_MEAN_FP32,
    CapacityPoint,
    capacity_per_config,
)
from worker.params import PRESETS, CapacitySweepParams


def shape_key(n_layer: int, d_model: int) -> str:
    return f"L{n_layer}-d{d_model}"


def launch(session: Session, params: CapacitySweepParams, preset: str | None) -> Sweep:
    sweep = Sweep(
        name=params.name,
        kind="capacity",
        preset=preset,
        params=params.model_dump(mode="json"),
        status="queued",
    )
    session.add(sweep)
    session.flush()
    for index, shape in enumerate(params.shapes):
        model = {
            "vocab_size": params.vocab_size,
            "seq_len": params.seq_len,
            "n_layer": shape.n_layer,
            "d_model": shape.d_model,
        }
        members = []
        for n_samples in params.sizes_for(shape):
            for seed in range(params.seeds):
                run = Run(
                    sweep_id=sweep.id,
                    name=f"{shape_key(shape.n_layer, shape.d_model)} N={n_samples} seed={seed}",
                    seed=seed,
                    n_train=n_samples,
                    n_params=params.n_params(shape),
                    status="queued",
                    config={
                        **model,
                        "shape": shape_key(shape.n_layer, shape.d_model),
                        "n_samples": n_samples,
                        "seed": seed,
                    },
                )
                session.add(run)
                session.flush()
                members.append({"run_id": run.id, "n_samples": n_samples, "seed": seed})
        # Split a shape into jobs of at most max_models_per_job stacked models, so several
        # workers share it; the largest shapes go first (lower priority value), which keeps
        # one big group from running alone at the end.
        size = params.max_models_per_job
        for part, start in enumerate(range(0, len(members), size)):
            queue.enqueue(
                session,
                "train_group",
                TrainGroupJob(
                    model=ModelShape(**model),
                    train=params.train,
                    members=[Member(**m) for m in members[start : start + size]],
                    n_heldout=params.n_heldout,
                ),
                idempotency_key=f"sweep-{sweep.id}-shape-{index}-part-{part}",
                sweep_id=sweep.id,
                priority=-params.n_params(shape),
            )
    return sweep


def summarize(_session: Session, runs: list[Run]) -> dict[str, Any]:
    done = [r for r in runs if r.status == "succeeded" and "mem_u_bits" in r.summary]
    points = [
        CapacityPoint(r.config["shape"], r.n_train or 0, r.summary["mem_u_bits"]) for r in done
    ]
    params_of = {r.config["shape"]: r.n_params for r in done}
    capacities = capacity_per_config(points)

    def at_peak_saturated(key: str, n_samples: int) -> bool:
        peak = [r for r in done if r.config["shape"] == key and (r.n_train or 0) == n_samples]
        return all(saturated(r.summary.get("stop_reason")) for r in peak)

    shapes = [
        {
            "shape": key,
            "n_params": params_of[key],
            "capacity_bits": c.capacity_bits,
            "argmax_n_samples": c.argmax_n_samples,
            "bits_per_param": c.capacity_bits / params_of[key],
            # A capacity is only one when its runs stopped improving; otherwise a lower bound.
            "saturated": at_peak_saturated(key, c.argmax_n_samples),
        }
        for key, c in sorted(capacities.items(), key=lambda kv: params_of[kv[0]])
    ]
    reasons: dict[str, int] = {}
    for run in done:
        reason = run.summary.get("stop_reason") or "unknown"
        reasons[reason] = reasons.get(reason, 0) + 1
    summary: dict[str, Any] = {
        "shapes": shapes,
        "stop_reasons": reasons,
        "n_runs_not_saturated": sum(not saturated(r.summary.get("stop_reason")) for r in done),
        "n_shapes_lower_bound": sum(not s["saturated"] for s in shapes),
        "paper": {
            "alpha_fitted_bf16": PAPER_ALPHA_FITTED_BF16,
            "alpha_mean_bf16": PAPER_ALPHA_MEAN_BF16,
            "alpha_mean_fp32": PAPER_ALPHA_MEAN_FP32,
        },
    }
    if (fit := alpha_fit_summary(shapes)) is not None:
        summary["alpha_fit"] = fit
    return summary


KIND = register(
    SweepKind(
        name="capacity",
        title="capacity sweep",
        params_model=CapacitySweepParams,
        presets=PRESETS,
        preset_notes={
            "quick": "3 tiny models, about 3 minutes on 2 CPU cores",
            "paper": "the 16 configurations of Morris et al. (GPU)",
        },
        launch=launch,
        summarize=summarize,
        job_kinds=("train_group",),
        figures=(("plateau", "capacity-plateau"), ("alpha", "capacity-params")),
        figure_links=(
            ("capacity-plateau", "capacity plateau"),
            ("capacity-params", "capacity vs parameters"),
            ("curves", "training curves"),
            ("extraction", "extraction"),
        ),
    )
)
