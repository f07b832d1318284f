"""Launching a scoring or a checkpoint series: a sweep's training and held-out data turned into
corpora first (outside the launch's transaction), then the kind's plan (app/kinds/scoring and
app/kinds/series: one run and one `score` job per checkpoint) queued by the launcher."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from memdash.app.db.models import Checkpoint, Evaluation, Run, SampleScore, Sweep
from memdash.app.files.corpora import Writes, store_corpus
from memdash.app.jobs import launcher
from memdash.app.kinds.scoring.params import ScoredCheckpoints
from memdash.app.kinds.scoring.plan import OwnData, ScoringRejected, plan
from memdash.app.kinds.series.params import SeriesParams
from memdash.app.kinds.series.plan import plan as series_plan
from memdash.app.settings import Settings

Scored = TypeVar("Scored", bound=ScoredCheckpoints)


def sweep_corpus(
    session: Session,
    writes: Writes,
    settings: Settings,
    sweep_id: int,
    split: str,
    run: Run | None = None,
) -> str:
    """A text sweep's samples as a stored .jsonl corpus (one document per sample): `run`'s own
    training or held-out set, or by default those of the sweep's run with the most training
    samples (nested sets: it holds all the others of its seed). Returns the corpus's sha256."""
    sweep = session.get(Sweep, sweep_id)
    if sweep is None or sweep.kind != "text":
        raise ScoringRejected(f"sweep {sweep_id} is not a text sweep (only those have text)")
    if run is None:
        runs = session.scalars(
            select(Run).where(Run.sweep_id == sweep_id, Run.status == "succeeded")
        )
        run = max(runs, key=lambda r: r.n_train or 0, default=None)
    if run is None:
        raise ScoringRejected(f"sweep {sweep_id} has no finished run yet")
    texts = session.scalars(
        select(SampleScore.text)
        .join(Evaluation, Evaluation.id == SampleScore.evaluation_id)
        .where(Evaluation.run_id == run.id, SampleScore.split == split)
        .order_by(SampleScore.sample_index)
    ).all()
    lines = "".join(json.dumps({"text": t}) + "\n" for t in texts if t)
    role = "members" if split == "train" else "non-members"
    corpus = store_corpus(
        writes,
        settings,
        io.BytesIO(lines.encode()),
        f"sweep-{sweep_id}-run-{run.id}-{role}.jsonl",
        f"sweep {sweep_id} {role} ({run.name})",
    )
    return corpus.content_sha256


@dataclass(frozen=True)
class SweepData(Generic[Scored]):
    """A scoring's (or a series') data with every `sweep:<id>` resolved: `params` name stored
    corpora only (validated again), and `own` the per-checkpoint sets of a sweep's own runs."""

    params: Scored
    own: OwnData


def store_sweep_data(
    session: Session, writes: Writes, settings: Settings, params: Scored
) -> SweepData[Scored]:
    """The scoring's parameters with `sweep:<id>` members/non-members resolved to stored
    corpora of that sweep's samples: members are its training set, non-members (by default,
    or when they name the same sweep) its held-out set. `params` itself is left as the user
    gave it. `session` reads (outside any write transaction); `writes()` stores the corpora.

    A checkpoint that is the final model of one of that sweep's runs is scored on its own run's
    members and non-members (each seed has its own document split, issue 27): returned per
    checkpoint id, for `launch_scoring`. Other checkpoints get the largest run's sets."""
    own: OwnData = {}
    members, nonmembers = params.members, params.nonmembers
    if members.startswith("sweep:"):
        sweep_id = int(members.split(":")[1])
        members = sweep_corpus(session, writes, settings, sweep_id, "train")
        same_sweep_nonmembers = nonmembers in (None, f"sweep:{sweep_id}")
        nonmembers = nonmembers or f"sweep:{sweep_id}"
        for checkpoint_id in params.checkpoint_ids:
            checkpoint = session.get(Checkpoint, checkpoint_id)
            run = session.get(Run, checkpoint.run_id) if checkpoint and checkpoint.run_id else None
            if run is None or run.sweep_id != sweep_id or run.status != "succeeded":
                continue
            own[checkpoint_id] = {
                "members": sweep_corpus(session, writes, settings, sweep_id, "train", run)
            }
            if same_sweep_nonmembers:
                own[checkpoint_id]["nonmembers"] = sweep_corpus(
                    session, writes, settings, sweep_id, "heldout", run
                )
    if nonmembers and nonmembers.startswith("sweep:"):
        sweep_id = int(nonmembers.split(":")[1])
        nonmembers = sweep_corpus(session, writes, settings, sweep_id, "heldout")
    resolved = {**params.model_dump(), "members": members, "nonmembers": nonmembers}
    return SweepData(type(params).model_validate(resolved), own)


def launch_scoring(
    session: Session, params: ScoredCheckpoints, own: OwnData | None = None
) -> Sweep:
    """Plan the scoring (ScoringRejected or CorpusRejected: a message) and queue its jobs."""
    return launcher.queue_plan(session, plan(session, params, own))


def launch_series(session: Session, params: SeriesParams, own: OwnData | None = None) -> Sweep:
    """Plan a checkpoint series (app/kinds/series/plan.py; rejected as a scoring is) and queue
    its jobs."""
    return launcher.queue_plan(session, series_plan(session, params, own))
