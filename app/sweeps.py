"""Launching sweeps: a sweep expands into runs and jobs (one stacked job per model shape)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.corpora import CorpusRejected, check_corpus_fits, corpus_by_sha
from app.db import queue
from app.db.models import Run, Sweep
from worker.contract import LayerShape, Member, ModelShape, TrainGroupJob, TrainTextJob
from worker.params import CapacitySweepParams, TextSweepParams


def shape_key(n_layer: int, d_model: int) -> str:
    return f"L{n_layer}-d{d_model}"


def launch_capacity_sweep(
    session: Session, params: CapacitySweepParams, preset: str | None
) -> Sweep:
    sweep = Sweep(
        name=params.name,
        kind="capacity",
        preset=preset,
        params=params.model_dump(mode="json"),
        status="queued",
    )
    session.add(sweep)
    session.flush()
    for index, shape in enumerate(params.shapes):
        model = {
            "vocab_size": params.vocab_size,
            "seq_len": params.seq_len,
            "n_layer": shape.n_layer,
            "d_model": shape.d_model,
        }
        members = []
        for n_samples in params.sizes_for(shape):
            for seed in range(params.seeds):
                run = Run(
                    sweep_id=sweep.id,
                    name=f"{shape_key(shape.n_layer, shape.d_model)} N={n_samples} seed={seed}",
                    seed=seed,
                    n_train=n_samples,
                    n_params=params.n_params(shape),
                    status="queued",
                    config={
                        **model,
                        "shape": shape_key(shape.n_layer, shape.d_model),
                        "n_samples": n_samples,
                        "seed": seed,
                    },
                )
                session.add(run)
                session.flush()
                members.append({"run_id": run.id, "n_samples": n_samples, "seed": seed})
        # Split a shape into jobs of at most max_models_per_job stacked models, so several
        # workers share it; the largest shapes go first (lower priority value), which keeps
        # one big group from running alone at the end.
        size = params.max_models_per_job
        for part, start in enumerate(range(0, len(members), size)):
            queue.enqueue(
                session,
                "train_group",
                TrainGroupJob(
                    model=ModelShape(**model),
                    train=params.train,
                    members=[Member(**m) for m in members[start : start + size]],
                    n_heldout=params.n_heldout,
                ),
                idempotency_key=f"sweep-{sweep.id}-shape-{index}-part-{part}",
                sweep_id=sweep.id,
                priority=-params.n_params(shape),
            )
    return sweep


def launch_text_sweep(session: Session, params: TextSweepParams, preset: str | None) -> Sweep:
    """Raises CorpusRejected when an uploaded corpus is unknown or too small for the sweep."""
    inputs = {}
    if params.corpus != "demo":
        corpus = corpus_by_sha(session, params.corpus)
        if corpus is None:
            raise CorpusRejected(f"corpus: no uploaded corpus with sha256 {params.corpus}")
        needed = max(params.train_sizes) + params.n_heldout
        check_corpus_fits(corpus, needed, params.seq_len)
        inputs["corpus"] = {
            "kind": "corpus",
            "sha256": params.corpus,
            "name": corpus.name,
            "format": corpus.params["format"],
        }
    sweep = Sweep(
        name=params.name,
        kind="text",
        preset=preset,
        params=params.model_dump(mode="json"),
        status="queued",
    )
    session.add(sweep)
    session.flush()
    shared = {
        "corpus": params.corpus,
        "vocab_size": params.vocab_size,
        "seq_len": params.seq_len,
        "n_heldout": params.n_heldout,
        "seed": params.seed,
        "reference": params.reference,
        "train": params.train.model_dump(),
        "inputs": inputs,
    }
    for index, shape in enumerate(params.shapes):
        key = shape_key(shape.n_layer, shape.d_model)
        members = []
        for n_samples in params.train_sizes:
            run = Run(
                sweep_id=sweep.id,
                name=f"{key} N={n_samples}",
                seed=params.seed,
                n_train=n_samples,
                status="queued",
                config={
                    **shared,
                    "n_layer": shape.n_layer,
                    "d_model": shape.d_model,
                    "shape": key,
                    "n_samples": n_samples,
                },
            )
            session.add(run)
            session.flush()
            members.append({"run_id": run.id, "n_samples": n_samples})
        queue.enqueue(
            session,
            "train_text",
            TrainTextJob(
                **shared,
                model=LayerShape(n_layer=shape.n_layer, d_model=shape.d_model),
                members=[Member(**m) for m in members],
            ),
            idempotency_key=f"sweep-{sweep.id}-shape-{index}",
            sweep_id=sweep.id,
            priority=-shape.d_model * shape.n_layer,
        )
    return sweep
