"""How a checkpoint series plans its jobs: one run and one `score` job per checkpoint, as a
scoring does (app/kinds/scoring/plan.py), each run placed at its step."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from memdash.app.db.models import Checkpoint
from memdash.app.kinds.registry import PlannedJob, SweepPlan, new_sweep
from memdash.app.kinds.scoring.plan import (
    OwnData,
    ScoringRejected,
    check_fits,
    checkpoint_of,
    score_job,
    scored_run,
    scoring_setup,
)
from memdash.app.kinds.series.params import SeriesParams

_STEP = re.compile(r"(?:^|[^a-z])step[_-]?(\d{1,12})(?!\d)", re.IGNORECASE)


def named_step(checkpoint: Checkpoint) -> int | None:
    """The optimizer step a checkpoint's Hub revision or name carries ("step3000", as Pythia's
    revisions; "checkpoint-step_500"), or None."""
    for text in (str((checkpoint.config or {}).get("revision", "")), checkpoint.name):
        if match := _STEP.search(text):
            return int(match.group(1))
    return None


def placed(params: SeriesParams, checkpoints: list[Checkpoint]) -> list[tuple[Checkpoint, int]]:
    """Each checkpoint of a series over steps with its step, in training order: the steps
    given; else every checkpoint's named step (sorted by it; ScoringRejected when two name the
    same one); else their places in the list."""
    if params.steps is not None:
        return list(zip(checkpoints, params.steps, strict=True))
    named = [named_step(c) for c in checkpoints]
    if any(step is None for step in named):
        return [(c, position) for position, c in enumerate(checkpoints)]
    steps = [step for step in named if step is not None]
    if len(set(steps)) != len(steps):
        raise ScoringRejected(
            "steps: two checkpoints name the same step; give each one's step (steps: [...])"
        )
    return sorted(zip(checkpoints, steps, strict=True), key=lambda pair: pair[1])


def _check_sizes(checkpoints: list[Checkpoint]) -> None:
    """A size series compares sample by sample: the models must cut the same members into the
    same samples, so share a vocabulary (where known before scoring; the scored samples' hash
    is checked again when the series is summarized)."""
    vocabularies = {c.info.vocab_size for c in checkpoints if c.info.vocab_size is not None}
    if len(vocabularies) > 1:
        raise ScoringRejected(
            "checkpoint_ids: a size series needs models of one suite sharing a tokenizer "
            f"(these have vocabularies of {sorted(vocabularies)} tokens)"
        )


def plan(session: Session, params: SeriesParams, own: OwnData | None = None) -> SweepPlan:
    """The series' sweep, one run per checkpoint in series order (a series over steps: in
    training order, each run's config holding its step), and their `score` jobs. Raises
    ScoringRejected (or CorpusRejected) with a message for the user; call
    app.jobs.scoring.store_sweep_data first, as for a scoring."""
    setup = scoring_setup(session, params)
    checkpoints = [checkpoint_of(session, i, "checkpoint_ids") for i in params.checkpoint_ids]
    for checkpoint in checkpoints:
        check_fits(params, checkpoint)
    if params.axis == "steps":
        series: list[tuple[Checkpoint, int | None]] = list(placed(params, checkpoints))
        stored = params.model_copy(
            update={
                "checkpoint_ids": [c.id for c, _ in series],
                "steps": [step for _, step in series],
            }
        )
    else:
        _check_sizes(checkpoints)
        series, stored = [(c, None) for c in checkpoints], params
    sweep = new_sweep(session, "series", stored, None)
    jobs: list[PlannedJob] = []
    for position, (checkpoint, step) in enumerate(series):
        run = scored_run(session, sweep, params, checkpoint, position, own, step=step)
        jobs.append(score_job(session, params, setup, run, checkpoint))
    return SweepPlan(sweep, jobs)
