"""Text sweeps (Morris et al. Sec. 4-6): model shapes × nested training-set sizes on a real
corpus with held-out non-members and a reference; one stacked `train_text` job per shape.
Summarized as double-descent points, the membership-inference scaling-law fit and the
Pythia-style prediction of the largest model's memorized set (Biderman et al.)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.architecture_summary import text_comparison
from app.corpora import CorpusRejected, check_corpus_fits, corpus_by_sha
from app.db.models import Run
from app.run_rows import text_rows
from app.summaries import memorized_sets, scaling_law_summary
from app.sweep_kinds.registry import (
    LaunchRejected,
    PlannedJob,
    SweepKind,
    SweepPlan,
    new_sweep,
    register,
)
from worker.contract import LayerShape, Member, TrainTextJob
from worker.metrics.extraction import PREFIX_LENGTHS, prediction_precision_recall
from worker.params import TEXT_PRESETS, TextSweepParams


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
                    config={
                        **shared,
                        "seed": seed,
                        **shape.model_fields_dump(),
                        "shape": key,
                        "architecture": shape.architecture,
                        "n_memory_params": shape.n_memory_params(),
                        **({"matched": match, "matched_to": plain.key()} if plain else {}),
                        "n_samples": n_samples,
                    },
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
                        model=LayerShape(**shape.model_fields_dump()),
                        members=[Member(**m) for m in members],
                    ),
                    # The first seed keeps the key sweeps of one seed always had.
                    idempotency_key=f"sweep-{sweep.id}-shape-{index}"
                    + (f"-seed-{seed}" if repetition else ""),
                    priority=-shape.d_model * shape.n_layer,
                )
            )
    return SweepPlan(sweep, jobs)


def summarize(session: Session, runs: list[Run]) -> dict[str, Any]:
    """Double-descent data, the MI scaling-law fit, and Pythia-style prediction (SPEC 4-6)."""
    done = [r for r in runs if r.status == "succeeded" and "mem_u_bits" in r.summary]
    summary: dict[str, Any] = {"points": text_rows(done)}
    if (fit := scaling_law_summary(summary["points"])) is not None:
        summary["scaling_law_fit"] = fit
    seq_len = done[0].config["seq_len"] if done else 0
    k = max((k for k in PREFIX_LENGTHS if k < seq_len), default=None)
    if k is not None and done:
        memorized = memorized_sets(session, done, k)
        largest = max(done, key=lambda r: r.n_params or 0).config["shape"]
        prediction = []
        # Same training set (same N, same seed): smaller models predict the largest one.
        for n, seed in sorted({(r.n_train, r.seed) for r in done}):
            same = [r for r in done if r.n_train == n and r.seed == seed]
            target = next((r for r in same if r.config["shape"] == largest), None)
            for predictor in (r for r in same if r is not target):
                if target is None:
                    continue
                quality = prediction_precision_recall(memorized[predictor.id], memorized[target.id])
                prediction.append(
                    {
                        "n_train": n,
                        "seed": seed,
                        "predictor": predictor.config["shape"],
                        "target": largest,
                        "precision": quality.precision,
                        "recall": quality.recall,
                        "n_predicted": quality.n_predicted,
                        "n_target": quality.n_target,
                    }
                )
        summary["prediction"] = {"k": k, "rows": prediction}
    if (comparison := text_comparison(done)) is not None:
        summary["lm2_comparison"] = comparison
    return summary


KIND = register(
    SweepKind(
        name="text",
        title="text sweep",
        params_model=TextSweepParams,
        presets=TEXT_PRESETS,
        preset_notes={
            "quick": "two small models, about 5 minutes on 2 CPU cores",
            "smoke": "one tiny model in seconds (checks an installation or a corpus)",
        },
        launch=launch,
        summarize=summarize,
        job_kinds=("train_text",),
        figures=(
            ("mem_u", "memorization"),
            ("double_descent", "double-descent"),
            ("membership", "membership"),
            ("canaries", "canaries"),
        ),
        sections=("top_samples",),
    )
)
