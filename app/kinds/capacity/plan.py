"""How a capacity sweep plans its jobs: one stacked `train_group` job per shape (split into
parts of at most `max_models_per_job`), and a second pass of dataset sizes around each shape's
peak once the first has finished."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from memdash.app.db.models import Run, Sweep
from memdash.app.kinds.capacity.document import CapacityRunConfig
from memdash.app.kinds.capacity.params import CapacitySweepParams
from memdash.app.kinds.registry import PlannedJob, SweepPlan, new_sweep
from memdash.core.jobs import Member, ModelShape, TrainGroupJob
from memdash.core.metrics.capacity import (
    CapacityPoint,
    capacity_per_config,
    refinement_sizes,
)
from memdash.core.params import Shape, TrainParams

REFINED_SIZES_AT_MOST = 3  # refinement_sizes: two midpoints, and 2·N past the grid's end


def config_key(shape: str, precision: str, precisions: Sequence[str]) -> str:
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


def _will_refine(params: CapacitySweepParams, runs: list[Run]) -> bool:
    return (
        params.refine_peak
        and not params.dataset_sizes
        and not any(CapacityRunConfig.of(r.config).refinement for r in runs)
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
                if CapacityRunConfig.of(r.config).name == key and "mem_u_bits" in r.summary
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
                config=CapacityRunConfig(
                    **model,
                    name=key,
                    layers=shape.key(),
                    precision=train.precision,
                    **architecture,
                    n_samples=n_samples,
                    seed=seed,
                    refinement=bool(refinement),
                ).stored(),
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
