"""Launching a scoring: one run and one `score` job per uploaded checkpoint, grouped in a sweep
of kind "scoring" (so several checkpoints of one model on the same data can be compared)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.corpora import corpus_by_sha
from app.db import queue
from app.db.models import Checkpoint, Run, Sweep
from worker.params import ScoringParams


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
    if checkpoint is None or checkpoint.format not in ("hf", "gguf"):
        raise ScoringRejected(f"{role}: no uploaded checkpoint {checkpoint_id}")
    return checkpoint


def launch_scoring(session: Session, params: ScoringParams) -> Sweep:
    inputs: dict[str, Any] = {}
    if params.members != "demo":
        inputs["members"] = _corpus_input(session, params.members, "members")
    if params.nonmembers:
        inputs["nonmembers"] = _corpus_input(session, params.nonmembers, "nonmembers")
    reference_kind = params.reference
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
    sweep = Sweep(
        name=params.name,
        kind="scoring",
        params=params.model_dump(mode="json"),
        status="queued",
    )
    session.add(sweep)
    session.flush()
    for position, checkpoint in enumerate(checkpoints):
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
                "members": params.members,
                "nonmembers": params.nonmembers,
            },
        )
        session.add(run)
        session.flush()
        queue.enqueue(
            session,
            "score",
            {
                "run_id": run.id,
                "seq_len": params.seq_len,
                "max_samples": params.max_samples,
                "members": params.members,
                "reference": reference_kind,
                "inputs": {
                    **inputs,
                    "model": {"kind": "checkpoint", "sha256": checkpoint.sha256},
                },
            },
            idempotency_key=f"sweep-{sweep.id}-score-{run.id}",
            sweep_id=sweep.id,
            run_id=run.id,
        )
    return sweep
