"""How a scoring plans its jobs: one `score` job per uploaded checkpoint, on members and
non-members against a reference."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from memdash.app.db.models import MODEL_FORMATS, Checkpoint, Run, Sweep
from memdash.app.files.corpora import corpus_by_sha, is_hub_corpus
from memdash.app.kinds.registry import PlannedJob, SweepPlan, new_sweep
from memdash.app.kinds.scoring.document import ScoredRunConfig
from memdash.app.kinds.scoring.params import ScoredCheckpoints
from memdash.core.edges import JSONObject
from memdash.core.jobs import ScoreJob
from memdash.core.params import HELDOUT_REFERENCE_MIN_DOCUMENTS as MIN_DOCUMENTS

# Per checkpoint id: the corpora ("members", "nonmembers") of the sweep run it came from
# (app.jobs.scoring.store_sweep_data).
OwnData = dict[int, dict[str, str]]


class ScoringRejected(Exception):
    pass


def _corpus_input(session: Session, sha256: str, role: str) -> JSONObject:
    corpus = corpus_by_sha(session, sha256)
    if corpus is None:
        raise ScoringRejected(f"{role}: no uploaded corpus with sha256 {sha256}")
    if is_hub_corpus(corpus):  # the job reads the split through the worker's Hub cache
        dataset = corpus.params["hub"]
        return {"kind": "hub-dataset", "sha256": sha256, "dataset": dataset, "name": corpus.name}
    return {
        "kind": "corpus",
        "sha256": sha256,
        "name": corpus.name,
        "format": corpus.params["format"],
    }


def model_input(checkpoint: Checkpoint) -> JSONObject:
    """How a job names a model: by content hash (the worker downloads the stored file), or by
    Hub id and revision (the job resolves it through the worker's Hub cache)."""
    if checkpoint.format == "hub":
        hub = {"repo_id": checkpoint.config["hub_id"], "revision": checkpoint.config["revision"]}
        return {"kind": "hub", "sha256": checkpoint.sha256, "hub": hub, "name": checkpoint.name}
    return {"kind": "checkpoint", "sha256": checkpoint.sha256}


def checkpoint_of(session: Session, checkpoint_id: int, role: str) -> Checkpoint:
    checkpoint = session.get(Checkpoint, checkpoint_id)
    if checkpoint is None or checkpoint.format not in MODEL_FORMATS:
        raise ScoringRejected(f"{role}: no uploaded checkpoint {checkpoint_id}")
    return checkpoint


@dataclass(frozen=True)
class ScoringSetup:
    """What every score job of a scoring shares: the corpora and reference model it reads
    (InputFile specs by role) and the reference's kind as the job names it."""

    inputs: JSONObject
    reference_kind: str


def scoring_setup(session: Session, params: ScoredCheckpoints) -> ScoringSetup:
    """Check the scoring's corpora and reference (ScoringRejected with a message)."""
    if params.members.startswith("sweep:") or (params.nonmembers or "").startswith("sweep:"):
        raise ValueError("store_sweep_data must turn sweep data into corpora first")
    inputs: JSONObject = {}
    if params.members != "demo":
        inputs["members"] = _corpus_input(session, params.members, "members")
    if params.nonmembers:
        inputs["nonmembers"] = _corpus_input(session, params.nonmembers, "nonmembers")
    reference_kind = params.reference
    if params.reference == "heldout-model":
        corpus = corpus_by_sha(session, params.nonmembers) if params.nonmembers else None
        n_documents = corpus.params.get("n_documents", 0) if corpus else 0
        if n_documents < MIN_DOCUMENTS and not (corpus and is_hub_corpus(corpus)):
            raise ScoringRejected(
                "reference: a held-out reference model is trained on half of the non-member "
                f"documents and needs at least {MIN_DOCUMENTS} of them ({n_documents} given); "
                "give more non-members, or choose another reference"
            )
    if (ref_id := params.reference_checkpoint_id) is not None:
        ref = checkpoint_of(session, ref_id, "reference")
        inputs["reference_model"] = model_input(ref)
        reference_kind = "checkpoint"
    return ScoringSetup(inputs, reference_kind)


def check_fits(params: ScoredCheckpoints, checkpoint: Checkpoint) -> None:
    longest = checkpoint.info.max_positions
    if longest is not None and params.seq_len > longest:
        raise ScoringRejected(
            f"seq_len: {checkpoint.name!r} takes at most {longest} tokens; choose a shorter "
            "sample length"
        )


def scored_run(
    session: Session,
    sweep: Sweep,
    params: ScoredCheckpoints,
    checkpoint: Checkpoint,
    position: int,
    own: OwnData | None = None,
    gguf_type: str | None = None,
    name: str | None = None,
    step: int | None = None,
) -> Run:
    """The run that holds a checkpoint's scores (queued; `score_job` plans its job); a
    quantization study's names the file's `gguf_type`, a series' its `step`."""
    data = {"members": params.members, "nonmembers": params.nonmembers}
    data.update((own or {}).get(checkpoint.id, {}))
    run = Run(
        sweep_id=sweep.id,
        name=name or checkpoint.name,
        n_params=checkpoint.info.n_params,
        status="queued",
        config=ScoredRunConfig(
            checkpoint_id=checkpoint.id,
            checkpoint_sha256=checkpoint.sha256,
            position=position,
            vocab_size=checkpoint.info.vocab_size,
            seq_len=params.seq_len,
            reference=params.reference,
            members=data["members"] or "demo",
            nonmembers=data["nonmembers"],
            own_run_data=checkpoint.id in (own or {}),
            gguf_type=gguf_type,
            step=step,
        ).stored(),
    )
    session.add(run)
    session.flush()
    return run


def score_job(
    session: Session,
    params: ScoredCheckpoints,
    setup: ScoringSetup,
    run: Run,
    checkpoint: Checkpoint,
) -> PlannedJob:
    """The `score` job of one run: `checkpoint` scored on the run's members and non-members."""
    inputs = dict(setup.inputs)
    config = ScoredRunConfig.of(run.config)
    for role in ("members", "nonmembers"):
        corpus = getattr(config, role)
        if corpus not in (None, "demo") and corpus != getattr(params, role):
            inputs[role] = _corpus_input(session, corpus, role)
    return PlannedJob(
        "score",
        ScoreJob(
            run_id=run.id,
            seq_len=params.seq_len,
            max_samples=params.max_samples,
            members=config.members,
            reference=setup.reference_kind,
            inputs={**inputs, "model": model_input(checkpoint)},
            canaries=params.canaries,
            precision=params.precision,
        ),
        idempotency_key=f"sweep-{run.sweep_id}-score-{run.id}",
        run_id=run.id,
    )


def plan(session: Session, params: ScoredCheckpoints, own: OwnData | None = None) -> SweepPlan:
    """The scoring's sweep, one run per checkpoint, and their `score` jobs (queued by
    app/jobs/launcher.py). Raises ScoringRejected (or CorpusRejected) with a message for the user.
    Call app.jobs.scoring.store_sweep_data first when the data may name a sweep, and pass what it
    returns as `own` (each checkpoint's own run's members and non-members)."""
    setup = scoring_setup(session, params)
    checkpoints = [checkpoint_of(session, i, "checkpoint_ids") for i in params.checkpoint_ids]
    for checkpoint in checkpoints:
        check_fits(params, checkpoint)
    sweep = new_sweep(session, "scoring", params, None)
    jobs: list[PlannedJob] = []
    for position, checkpoint in enumerate(checkpoints):
        run = scored_run(session, sweep, params, checkpoint, position, own)
        jobs.append(score_job(session, params, setup, run, checkpoint))
    return SweepPlan(sweep, jobs)
