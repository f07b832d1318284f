"""How a text sweep plans its jobs: one `train_text` job per shape and seed, its models trained
on nested training sets with the reference in the same stack."""

from __future__ import annotations

from sqlalchemy.orm import Session

from memdash.app.db.models import Run
from memdash.app.files.corpora import CorpusRejected, check_corpus_fits, corpus_by_sha
from memdash.app.kinds.registry import (
    LaunchRejected,
    PlannedJob,
    SweepPlan,
    new_sweep,
)
from memdash.app.kinds.text.document import TextRunConfig
from memdash.app.kinds.text.params import TextSweepParams
from memdash.core.jobs import Member, TrainTextJob
from memdash.core.params import Shape


def launch(session: Session, params: TextSweepParams, preset: str | None) -> SweepPlan:
    """Raises LaunchRejected when an uploaded corpus is unknown or too small for the sweep."""
    inputs = {}
    if params.corpus != "demo":
        corpus = corpus_by_sha(session, params.corpus)
        if corpus is None:
            raise LaunchRejected(f"corpus: no uploaded corpus with sha256 {params.corpus}")
        needed = max(params.train_sizes) + params.n_heldout
        try:
            check_corpus_fits(corpus, needed, params.seq_len)
        except CorpusRejected as error:
            raise LaunchRejected(str(error)) from None
        inputs["corpus"] = {
            "kind": "corpus",
            "sha256": params.corpus,
            "name": corpus.name,
            "format": corpus.params["format"],
        }
    sweep = new_sweep(session, "text", params, preset)
    shared = {
        "corpus": params.corpus,
        "vocab_size": params.vocab_size,
        "seq_len": params.seq_len,
        "n_heldout": params.n_heldout,
        "reference": params.reference,
        "rmia_reference": params.rmia_reference,
        "train": params.train.model_dump(),
        "inputs": inputs,
        "canaries": params.canaries.model_dump() if params.canaries else None,
    }
    jobs: list[PlannedJob] = []
    for repetition in range(params.seeds):
        seed = params.seed + repetition
        for index, (shape, match, plain) in enumerate(params.all_shapes()):
            key = shape.key()
            members = []
            for n_samples in params.train_sizes:
                run = Run(
                    sweep_id=sweep.id,
                    name=f"{key}, N {n_samples:,}" + (f", seed {seed}" if params.seeds > 1 else ""),
                    seed=seed,
                    n_train=n_samples,
                    status="queued",
                    config=TextRunConfig(
                        **shared,
                        seed=seed,
                        **shape.model_fields_dump(),
                        name=key,
                        architecture=shape.architecture,
                        n_memory_params=shape.n_memory_params(),
                        matched=match if plain else None,
                        matched_to=plain.key() if plain else None,
                        n_samples=n_samples,
                    ).stored(),
                )
                session.add(run)
                session.flush()
                members.append({"run_id": run.id, "n_samples": n_samples})
            jobs.append(
                PlannedJob(
                    "train_text",
                    TrainTextJob(
                        **shared,
                        seed=seed,
                        model=Shape(**shape.model_fields_dump()),
                        members=[Member(**m) for m in members],
                    ),
                    # The first seed keeps the key sweeps of one seed always had.
                    idempotency_key=f"sweep-{sweep.id}-shape-{index}"
                    + (f"-seed-{seed}" if repetition else ""),
                    priority=-shape.d_model * shape.n_layer,
                )
            )
    return SweepPlan(sweep, jobs)
