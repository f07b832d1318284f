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

from app.architecture_summary import architecture_summary
from app.db.models import Run, Sweep
from app.summaries import alpha_fit_summary
from app.sweep_kinds.registry import PlannedJob, SweepKind, SweepPlan, new_sweep, register
from worker.contract import Member, ModelShape, TrainGroupJob, saturated
from worker.metrics.capacity import (
    PAPER_ALPHA_FITTED_BF16,
    PAPER_ALPHA_MEAN_BF16,
    PAPER_ALPHA_MEAN_FP32,
    CapacityPoint,
    capacity_per_config,
    refinement_sizes,
)
from worker.params import PRESETS, CapacitySweepParams, Shape, TrainParams


def config_key(shape: str, precision: str, precisions: list[str]) -> str:
    """A configuration's name: its shape, with its precision when a sweep trains several."""
    return shape if len(precisions) == 1 else f"{shape} {precision}"


def launch(session: Session, params: CapacitySweepParams, preset: str | None) -> SweepPlan:
    sweep = new_sweep(session, "capacity", params, preset)
    precisions = params.precision_list()
    jobs: list[PlannedJob] = []
    for precision in precisions:
        train = params.train.model_copy(update={"precision": precision})
        for index, (shape, match, plain) in enumerate(params.all_shapes()):
            jobs += _plan_shape(
                session, sweep, params, train, index, shape, precisions, match, plain
            )
    return SweepPlan(sweep, jobs)


REFINED_SIZES_AT_MOST = 3  # refinement_sizes: two midpoints, and 2·N past the grid's end


def _will_refine(params: CapacitySweepParams, runs: list[Run]) -> bool:
    return (
        params.refine_peak
        and not params.dataset_sizes
        and not any(r.config.get("refinement") for r in runs)
    )


def refinement_runs_to_come(sweep: Sweep, runs: list[Run]) -> int:
    """At most how many runs the refining pass will add: three sizes per configuration (0
    for stored parameters this version cannot read, such as an imported sweep's)."""
    try:
        params = CapacitySweepParams(**sweep.params)
    except ValueError:
        return 0
    if not _will_refine(params, runs):
        return 0
    configs = len(params.all_shapes()) * len(params.precision_list())
    return REFINED_SIZES_AT_MOST * configs * params.seeds


def refine(session: Session, sweep: Sweep, runs: list[Run]) -> list[PlannedJob]:
    """Once the grid has run: one more pass of dataset sizes around each configuration's peak
    (`refinement_sizes`): its jobs (the sweep goes on), or none when there is nothing to refine
    (not asked for, already refined, or no new sizes)."""
    params = CapacitySweepParams(**sweep.params)
    if not _will_refine(params, runs):
        return []
    precisions = params.precision_list()
    jobs: list[PlannedJob] = []
    for precision in precisions:
        train = params.train.model_copy(update={"precision": precision})
        for index, (shape, match, plain) in enumerate(params.all_shapes()):
            key = config_key(shape.key(), precision, precisions)
            points = [
                CapacityPoint(key, r.n_train or 0, r.summary["mem_u_bits"])
                for r in runs
                if r.config.get("shape") == key and "mem_u_bits" in r.summary
            ]
            if not points:
                continue
            sizes = refinement_sizes(capacity_per_config(points)[key].seed_means)
            if sizes:
                jobs += _plan_shape(
                    session, sweep, params, train, index, shape, precisions, match, plain, sizes
                )
    return jobs


def _plan_shape(
    session: Session,
    sweep: Sweep,
    params: CapacitySweepParams,
    train: TrainParams,
    index: int,
    shape: Shape,
    precisions: list[str],
    match: str | None = None,
    plain: Shape | None = None,
    refinement: list[int] | None = None,
) -> list[PlannedJob]:
    """Runs and jobs of one configuration: its grid of sizes, or `refinement` sizes. An LM2
    variant (`match`: which parameter count of `plain` it matches) gets the sizes of its own
    expected capacity, from all its parameters, so its peak falls inside the grid."""
    model = {"vocab_size": params.vocab_size, "seq_len": params.seq_len}
    model |= shape.model_fields_dump()
    key = config_key(shape.key(), train.precision, precisions)
    architecture = {
        "architecture": shape.architecture,
        "n_memory_params": shape.n_memory_params(),
        **({"matched": match, "matched_to": plain.key()} if match and plain else {}),
    }
    members = []
    for n_samples in refinement or params.sizes_for(shape):
        for seed in range(params.seeds):
            run = Run(
                sweep_id=sweep.id,
                name=f"{key}, N {n_samples:,}, seed {seed}",
                seed=seed,
                n_train=n_samples,
                n_params=params.n_params(shape),
                status="queued",
                config={
                    **model,
                    "shape": key,
                    "layers": shape.key(),
                    "precision": train.precision,
                    **architecture,
                    "n_samples": n_samples,
                    "seed": seed,
                    **({"refinement": True} if refinement else {}),
                },
            )
            session.add(run)
            session.flush()
            members.append({"run_id": run.id, "n_samples": n_samples, "seed": seed})
    # Split a shape into jobs of at most max_models_per_job stacked models, so several workers
    # share it; the largest shapes go first (lower priority value), which keeps one big group
    # from running alone at the end.
    size = params.max_models_per_job
    return [
        PlannedJob(
            "train_group",
            TrainGroupJob(
                model=ModelShape(**model),
                train=train,
                members=[Member(**m) for m in members[start : start + size]],
                n_heldout=params.n_heldout,
            ),
            idempotency_key=(
                f"sweep-{sweep.id}-{train.precision}-shape-{index}"
                f"{'-refine' if refinement else ''}-part-{part}"
            ),
            priority=-params.n_params(shape),
        )
        for part, start in enumerate(range(0, len(members), size))
    ]


def summarize(_session: Session, runs: list[Run]) -> dict[str, Any]:
    """Capacity per configuration with how far to trust it, α per precision (and per
    architecture for LM2 sweeps); every page, figure, export and CLI line reads these."""
    done = [r for r in runs if r.status == "succeeded" and "mem_u_bits" in r.summary]
    points = [
        CapacityPoint(r.config["shape"], r.n_train or 0, r.summary["mem_u_bits"]) for r in done
    ]
    params_of = {r.config["shape"]: r.n_params for r in done}
    # A size with a run that did not finish (failed, cancelled) has a seed missing.
    incomplete = {
        (r.config["shape"], r.n_train or 0)
        for r in runs
        if "shape" in r.config and not (r.status == "succeeded" and "mem_u_bits" in r.summary)
    }
    capacities = capacity_per_config(points, incomplete)

    def unsaturated_sizes(key: str) -> list[int]:
        """Sizes with a run stopped by its budget while still improving: the maximum over
        sizes may lie higher there, so any such size makes the capacity a lower bound."""
        return sorted(
            {
                r.n_train or 0
                for r in done
                if r.config["shape"] == key and not saturated(r.summary.get("stop_reason"))
            }
        )

    shapes = []
    for key, c in sorted(capacities.items(), key=lambda kv: params_of[kv[0]]):
        low, high = c.seed_range_bits
        capped = unsaturated_sizes(key)
        largest = max(c.seed_means)
        shapes.append(
            {
                "shape": key,
                "n_params": params_of[key],
                "capacity_bits": c.capacity_bits,
                "argmax_n_samples": c.argmax_n_samples,
                "bits_per_param": c.capacity_bits / params_of[key],
                "n_seeds": len(c.seed_bits[c.argmax_n_samples]),
                "seed_range_bits": [low, high],
                # A capacity is only one when every size's runs stopped improving.
                "saturated": not capped,
                "unsaturated_sizes": capped,
                "incomplete_sizes": list(c.incomplete_sizes),
                # Past the peak: the largest size's bits as a share of the capacity (the paper
                # reports a plateau, 1.0; a fall shows as less).
                "largest_n_samples": largest,
                "past_peak_share": c.seed_means[largest] / c.capacity_bits
                if largest > c.argmax_n_samples and c.capacity_bits > 0
                else None,
                # Sizes of the second pass around the first pass's peak (`refine`).
                "refined_sizes": sorted(
                    {r.n_train or 0 for r in done if r.config["shape"] == key}
                    & {r.n_train or 0 for r in done if r.config.get("refinement")}
                ),
            }
        )
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
    config_of = {r.config["shape"]: r.config for r in done}
    precisions = sorted({c.get("precision", "fp32") for c in config_of.values()})
    for entry in shapes:
        config = config_of[entry["shape"]]
        entry["precision"] = config.get("precision", "fp32")
        entry["layers"] = config.get("layers", entry["shape"])
        entry["architecture"] = config.get("architecture", "GPT")
        entry["memory_slots"] = config.get("memory_slots", 0)
        entry["n_memory_params"] = config.get("n_memory_params", 0)
        entry["n_nonmemory_params"] = entry["n_params"] - entry["n_memory_params"]
        if config.get("matched"):
            entry["matched"] = config["matched"]
            entry["matched_to_config"] = config_key(
                config["matched_to"], entry["precision"], precisions
            )
    # α is the plain GPTs' (the paper's quantity) when the sweep has any; LM2s get their own.
    # One fit per precision, stored once: `alpha_fit` is the first precision's, and every
    # view reads these (none refits).
    by_precision = {}
    for precision in precisions:
        of_precision = [s for s in shapes if s["precision"] == precision]
        plain = [s for s in of_precision if s["architecture"] == "GPT"]
        by_precision[precision] = alpha_fit_summary(plain or of_precision)
    if shapes:
        summary["alpha_by_precision"] = by_precision
    first = [s for s in shapes if s["precision"] == precisions[0]] if shapes else []
    if shapes and (fit := by_precision[precisions[0]]) is not None:
        summary["alpha_fit"] = {**fit, "precision": precisions[0]}
    if any(s["architecture"] == "LM2" for s in first):
        first_runs = [r for r in done if r.config.get("precision", "fp32") == precisions[0]]
        summary |= architecture_summary(first, first_runs)
    if len(precisions) > 1:
        summary["precision_comparison"] = precision_comparison(shapes)
    return summary


def precision_comparison(shapes: list[dict[str, Any]]) -> dict[str, Any]:
    """The paper's per-configuration comparison: bits/param in fp32 and bf16 per shape, and the
    means over shapes that have both (beside the paper's per-configuration means)."""
    by_layers: dict[str, dict[str, float]] = {}
    for entry in shapes:
        by_layers.setdefault(entry["layers"], {})[entry["precision"]] = entry["bits_per_param"]
    rows = [
        {"layers": layers, "alpha_fp32": got.get("fp32"), "alpha_bf16": got.get("bf16")}
        for layers, got in by_layers.items()
    ]
    both = [r for r in rows if r["alpha_fp32"] is not None and r["alpha_bf16"] is not None]
    means = {
        "mean_alpha_fp32": sum(r["alpha_fp32"] for r in both) / len(both) if both else None,
        "mean_alpha_bf16": sum(r["alpha_bf16"] for r in both) / len(both) if both else None,
    }
    return {
        "rows": rows,
        **means,
        "paper_mean_fp32": PAPER_ALPHA_MEAN_FP32,
        "paper_mean_bf16": PAPER_ALPHA_MEAN_BF16,
    }


KIND = register(
    SweepKind(
        name="capacity",
        title="capacity sweep",
        params_model=CapacitySweepParams,
        presets=PRESETS,
        preset_notes={
            "quick": "3 tiny models trained to saturation, about 7 minutes on 2 CPU cores",
            "paper": "the 16 configurations of Morris et al. (GPU)",
            "paper-cpu": "the paper's L1-d32 and L2-d32 in fp32 and bf16 on a CPU (hours)",
            "lm2-quick": "2 GPTs and their 4 LM2 variants, about 25 minutes on 2 CPU cores",
            "lm2-paper": "6 of the paper's shapes and their LM2 variants (GPU)",
        },
        launch=launch,
        summarize=summarize,
        follow_up=refine,
        runs_to_come=refinement_runs_to_come,
        job_kinds=("train_group",),
        figures=(("plateau", "capacity-plateau"), ("alpha", "capacity-params")),
    )
)
