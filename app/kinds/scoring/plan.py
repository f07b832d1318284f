"""How a scoring plans its jobs: one `score` job per uploaded checkpoint, on members and
non-members against a reference."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.db.models import MODEL_FORMATS, Checkpoint, Run
from app.files.corpora import corpus_by_sha
from app.kinds.registry import PlannedJob, SweepPlan, new_sweep
from app.kinds.scoring.params import ScoringParams
from core.jobs import ScoreJob
from core.params import HELDOUT_REFERENCE_MIN_DOCUMENTS as MIN_DOCUMENTS

# Per checkpoint id: the corpora ("members", "nonmembers") of the sweep run it came from
# (app.jobs.scoring.store_sweep_data).
OwnData = dict[int, dict[str, str]]


class ScoringRejected(Exception):
    pass


def _corpus_input(session: Session, sha256: str, role: str) -> dict[str, Any]:
    corpus = corpus_by_sha(session, sha256)
    if corpus is None:
        raise ScoringRejected(f"{role}: no uploaded corpus with sha256 {sha256}")
    return {
        "kind": "corpus",
        "sha256": sha256,
        "name": corpus.name,
        "format": corpus.params["format"],
    }


def _checkpoint(session: Session, checkpoint_id: int, role: str) -> Checkpoint:
    checkpoint = session.get(Checkpoint, checkpoint_id)
    if checkpoint is None or checkpoint.format not in MODEL_FORMATS:
        raise ScoringRejected(f"{role}: no uploaded checkpoint {checkpoint_id}")
    return checkpoint


def plan(session: Session, params: ScoringParams, own: OwnData | None = None) -> SweepPlan:
    """The scoring's sweep, one run per checkpoint, and their `score` jobs (queued by
    app/jobs/launcher.py). Raises ScoringRejected (or CorpusRejected) with a message for the user.
    Call app.jobs.scoring.store_sweep_data first when the data may name a sweep, and pass what it
    returns as `own` (each checkpoint's own run's members and non-members)."""
    if params.members.startswith("sweep:") or (params.nonmembers or "").startswith("sweep:"):
        raise ValueError("store_sweep_data must turn sweep data into corpora first")
    inputs: dict[str, Any] = {}
    if params.members != "demo":
        inputs["members"] = _corpus_input(session, params.members, "members")
    if params.nonmembers:
        inputs["nonmembers"] = _corpus_input(session, params.nonmembers, "nonmembers")
    reference_kind = params.reference
    if params.reference == "heldout-model":
        corpus = corpus_by_sha(session, params.nonmembers) if params.nonmembers else None
        n_documents = corpus.params.get("n_documents", 0) if corpus else 0
        if n_documents < MIN_DOCUMENTS:
            raise ScoringRejected(
                "reference: a held-out reference model is trained on half of the non-member "
                f"documents and needs at least {MIN_DOCUMENTS} of them ({n_documents} given); "
                "give more non-members, or choose another reference"
            )
    if (ref_id := params.reference_checkpoint_id) is not None:
        ref = _checkpoint(session, ref_id, "reference")
        inputs["reference_model"] = {"kind": "checkpoint", "sha256": ref.sha256}
        reference_kind = "checkpoint"
    checkpoints = [_checkpoint(session, i, "checkpoint_ids") for i in params.checkpoint_ids]
    for checkpoint in checkpoints:
        if params.seq_len > (checkpoint.config.get("max_positions") or params.seq_len):
            raise ScoringRejected(
                f"seq_len: {checkpoint.name!r} takes at most "
                f"{checkpoint.config['max_positions']} tokens; choose a shorter sample length"
            )
    sweep = new_sweep(session, "scoring", params, None)
    jobs: list[PlannedJob] = []
    for position, checkpoint in enumerate(checkpoints):
        data = {"members": params.members, "nonmembers": params.nonmembers}
        data.update((own or {}).get(checkpoint.id, {}))
        run_inputs = dict(inputs)
        for role in ("members", "nonmembers"):
            if data[role] not in (None, "demo") and data[role] != getattr(params, role):
                run_inputs[role] = _corpus_input(session, data[role], role)
        run = Run(
            sweep_id=sweep.id,
            name=checkpoint.name,
            n_params=checkpoint.config.get("n_params"),
            status="queued",
            config={
                "checkpoint_id": checkpoint.id,
                "checkpoint_sha256": checkpoint.sha256,
                "position": position,
                "vocab_size": checkpoint.config.get("vocab_size"),
                "seq_len": params.seq_len,
                "reference": params.reference,
                "members": data["members"],
                "nonmembers": data["nonmembers"],
                "own_run_data": checkpoint.id in (own or {}),
            },
        )
        session.add(run)
        session.flush()
        jobs.append(
            PlannedJob(
                "score",
                ScoreJob(
                    run_id=run.id,
                    seq_len=params.seq_len,
                    max_samples=params.max_samples,
                    members=data["members"],
                    reference=reference_kind,
                    inputs={
                        **run_inputs,
                        "model": {"kind": "checkpoint", "sha256": checkpoint.sha256},
                    },
                    canaries=params.canaries,
                    precision=params.precision,
                ),
                idempotency_key=f"sweep-{sweep.id}-score-{run.id}",
                run_id=run.id,
            )
        )
    return SweepPlan(sweep, jobs)
