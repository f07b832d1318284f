"""Launching a scoring: one run and one `score` job per uploaded checkpoint, grouped in a sweep
of kind "scoring" (so several checkpoints of one model on the same data can be compared)."""

from __future__ import annotations

import io
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.corpora import Writes, corpus_by_sha, store_corpus
from app.db import queue
from app.db.models import MODEL_FORMATS, Checkpoint, Evaluation, Run, SampleScore, Sweep
from app.settings import Settings
from worker.contract import ScoreJob
from worker.params import HELDOUT_REFERENCE_MIN_DOCUMENTS as MIN_DOCUMENTS
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
    if checkpoint is None or checkpoint.format not in MODEL_FORMATS:
        raise ScoringRejected(f"{role}: no uploaded checkpoint {checkpoint_id}")
    return checkpoint


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


# Per checkpoint id: the corpora ("members", "nonmembers") of the sweep run it came from.
OwnData = dict[int, dict[str, str]]


def store_sweep_data(
    session: Session, writes: Writes, settings: Settings, params: ScoringParams
) -> OwnData:
    """Replace `sweep:<id>` members/non-members by stored corpora of that sweep's samples.
    `session` reads (outside any write transaction); `writes()` stores the corpora.

    A checkpoint that is the final model of one of that sweep's runs is scored on its own run's
    members and non-members (each seed has its own document split, issue 27): returned per
    checkpoint id, for `launch_scoring`. Other checkpoints get the largest run's sets."""
    own: OwnData = {}
    if params.members.startswith("sweep:"):
        sweep_id = int(params.members.split(":")[1])
        params.members = sweep_corpus(session, writes, settings, sweep_id, "train")
        same_sweep_nonmembers = params.nonmembers in (None, f"sweep:{sweep_id}")
        params.nonmembers = params.nonmembers or f"sweep:{sweep_id}"
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
    if params.nonmembers and params.nonmembers.startswith("sweep:"):
        params.nonmembers = sweep_corpus(
            session, writes, settings, int(params.nonmembers.split(":")[1]), "heldout"
        )
    return own


def launch_scoring(session: Session, params: ScoringParams, own: OwnData | None = None) -> Sweep:
    """Raises ScoringRejected (or CorpusRejected) with a message for the user. Call
    `store_sweep_data` first when the data may name a sweep, and pass what it returns as `own`
    (each checkpoint's own run's members and non-members)."""
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
    sweep = Sweep(
        name=params.name,
        kind="scoring",
        params=params.model_dump(mode="json"),
        status="queued",
    )
    session.add(sweep)
    session.flush()
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
        queue.enqueue(
            session,
            "score",
            ScoreJob(
                run_id=run.id,
                seq_len=params.seq_len,
                max_samples=params.max_samples,
                members=data["members"],
                reference=reference_kind,
                inputs={**run_inputs, "model": {"kind": "checkpoint", "sha256": checkpoint.sha256}},
                canaries=params.canaries,
                precision=params.precision,
            ),
            idempotency_key=f"sweep-{sweep.id}-score-{run.id}",
            sweep_id=sweep.id,
            run_id=run.id,
        )
    return sweep
