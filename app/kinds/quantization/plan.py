"""How a quantization study plans its jobs. At launch: a run for the model as uploaded (its
full precision, the baseline), one per GGUF type memdash writes and one per extra GGUF file;
the `quantize` job that writes the types, and the `score` jobs of the files that exist. When
those have finished (`follow_up`): the `score` jobs of the written files, each on the same
members, non-members, reference and canaries."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from memdash.app.db.models import Checkpoint, Run, Sweep
from memdash.app.kinds.quantization.params import QuantizationParams
from memdash.app.kinds.registry import PlannedJob, SweepPlan, new_sweep
from memdash.app.kinds.scoring.document import ScoredRunConfig
from memdash.app.kinds.scoring.params import ScoringParams
from memdash.app.kinds.scoring.plan import (
    OwnData,
    ScoringRejected,
    ScoringSetup,
    check_fits,
    checkpoint_of,
    model_input,
    score_job,
    scored_run,
    scoring_setup,
)
from memdash.core.jobs import QuantizeJob, QuantizeTarget

SOURCE = "source"  # a run's `gguf_type` for the model as uploaded


def architecture_of(checkpoint: Checkpoint) -> str | None:
    """What the checkpoint's weights are laid out as: a GGUF's general.architecture, a
    Hugging Face folder's model_type (a GPT-2 is written as GGUF architecture "gpt2")."""
    info = checkpoint.info
    return info.architecture if info.format == "gguf" else info.model_type


def check_same_model(source: Checkpoint, other: Checkpoint) -> None:
    """An extra GGUF file must hold the same model: the same architecture, vocabulary and
    tokenizer (when both files name theirs). Raises ScoringRejected with the difference."""
    if other.format != "gguf":
        raise ScoringRejected(
            f"extra_checkpoint_ids: {other.name!r} is not a GGUF file ({other.format})"
        )
    mine, theirs = source.info, other.info
    if architecture_of(source) != architecture_of(other):
        raise ScoringRejected(
            f"extra_checkpoint_ids: {other.name!r} is a {architecture_of(other)!r} model, the "
            f"study's is a {architecture_of(source)!r}: a file of another model cannot join"
        )
    if mine.vocab_size != theirs.vocab_size:
        raise ScoringRejected(
            f"extra_checkpoint_ids: {other.name!r} has {theirs.vocab_size} tokens, the "
            f"study's model {mine.vocab_size}: a file of another model cannot join"
        )
    if mine.vocab_sha256 and theirs.vocab_sha256 != mine.vocab_sha256:
        raise ScoringRejected(
            f"extra_checkpoint_ids: {other.name!r} has another tokenizer (its tokens differ "
            "from the study's model): a file of another model cannot join"
        )


def study_setup(session: Session, scoring: ScoringParams) -> ScoringSetup:
    """The scoring setup every file of the study shares. Under `auto` a scoring keeps or drops
    its trained held-out reference by how it compares with the model scored, so two files of
    one study could decide apart: one scoring half the non-members against that model, the
    other all of them against zlib, and their paired differences would pair other documents.
    The study decides once: `auto` becomes the model-free codes for every file (the held-out
    model only when asked for, `heldout-model`, and then for every file)."""
    setup = scoring_setup(session, scoring)
    if setup.reference_kind == "auto":
        return replace(setup, reference_kind="model-free")
    return setup


def launch(session: Session, params: QuantizationParams, own: OwnData | None = None) -> SweepPlan:
    """Raises ScoringRejected (or CorpusRejected) with a message for the user. As for a scoring,
    app.jobs.scoring.store_sweep_data turns `sweep:<id>` data into corpora first."""
    scoring = params.scoring()
    setup = study_setup(session, scoring)
    source = checkpoint_of(session, params.checkpoint_id, "checkpoint_id")
    extras = [
        checkpoint_of(session, i, "extra_checkpoint_ids") for i in params.extra_checkpoint_ids
    ]
    # A Hub model's architecture is known once a worker resolved it (a scoring of it): before,
    # the quantize job checks it, and extra files cannot be compared with it yet.
    unresolved = source.format == "hub" and architecture_of(source) is None
    if unresolved and extras:
        raise ScoringRejected(
            f"extra_checkpoint_ids: {source.name} has not been resolved yet, so its architecture "
            "and vocabulary cannot be compared with the extra files'; score it once first"
        )
    gpt2 = source.format in ("hf", "hub") and architecture_of(source) == "gpt2"
    if params.types and not (source.format == "gguf" or gpt2 or unresolved):
        raise ScoringRejected(
            f"checkpoint_id: memdash writes GGUF from a Hugging Face GPT-2 or from a GGUF file; "
            f"{source.name!r} is a {architecture_of(source) or source.format!r} model (upload it "
            "as a GGUF file, or give only extra_checkpoint_ids)"
        )
    for extra in extras:
        check_same_model(source, extra)
    for checkpoint in (source, *extras):
        check_fits(scoring, checkpoint)
    sweep = new_sweep(session, "quantization", params, None)
    jobs: list[PlannedJob] = []
    source_run = scored_run(
        session,
        sweep,
        scoring,
        source,
        0,
        own,
        SOURCE,
        f"{source.name} (as uploaded)",
    )
    jobs.append(score_job(session, scoring, setup, source_run, source))
    targets = []
    for position, gguf_type in enumerate(params.types, start=1):
        run = scored_run(session, sweep, scoring, source, position, own, gguf_type, gguf_type)
        targets.append(QuantizeTarget(run_id=run.id, gguf_type=gguf_type))
    for position, extra in enumerate(extras, start=len(params.types) + 1):
        stored_type = (extra.config or {}).get("gguf_type") or "uploaded"
        run = scored_run(session, sweep, scoring, extra, position, own, stored_type, extra.name)
        jobs.append(score_job(session, scoring, setup, run, extra))
    if targets:
        jobs.append(
            PlannedJob(
                "quantize",
                QuantizeJob(
                    source_checkpoint_id=source.id,
                    name=source.name[:200],
                    targets=targets,
                    inputs={"model": model_input(source)},
                ),
                idempotency_key=f"sweep-{sweep.id}-quantize",
            )
        )
    return SweepPlan(sweep, jobs)


def score_written(session: Session, sweep: Sweep, runs: list[Run]) -> list[PlannedJob]:
    """After the quantize job: a `score` job for each written file whose run has none yet.
    (The sweep's parameters name stored corpora: sweep data became corpora at launch.)"""
    scoring = QuantizationParams.model_validate(sweep.params).scoring()
    setup = study_setup(session, scoring)
    jobs = []
    for run in runs:
        if run.status != "queued" or ScoredRunConfig.of(run.config).gguf_type in (None, SOURCE):
            continue
        written = session.scalars(
            select(Checkpoint).where(Checkpoint.run_id == run.id, Checkpoint.format == "gguf")
        ).first()
        if written is not None:
            written_config = ScoredRunConfig.of(run.config).model_copy(
                update={
                    "checkpoint_id": written.id,
                    "checkpoint_sha256": written.sha256,
                    "vocab_size": written.info.vocab_size,
                }
            )
            run.config = written_config.stored()
            run.n_params = written.info.n_params or run.n_params
            jobs.append(score_job(session, scoring, setup, run, written))
    return jobs
