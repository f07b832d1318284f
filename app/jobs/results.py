"""Storing what a finished job produced. Idempotent: storing the same result twice leaves the
database as storing it once (a run's metric points and evaluations are replaced, not appended).
Called by app/jobs/queue.py when a job completes, in the same transaction."""

from __future__ import annotations

import math
from typing import cast

from pydantic import BaseModel
from sqlalchemy import Table, delete
from sqlalchemy.orm import Session

from memdash.app.analysis.scatter import mark_scatter_rows
from memdash.app.db.models import Checkpoint, Evaluation, Job, MetricPoint, Run, SampleScore, utcnow
from memdash.app.files.checkpoints import record_hub_resolution
from memdash.core.edges import JSONObject, TableRow
from memdash.core.metrics.extraction import PREFIX_LENGTHS
from memdash.core.metrics.memorization import unintended_memorization_bits
from memdash.core.results import GroupResult, RunResult, Samples

# The table itself (Core), for a bulk insert of plain row dicts.
sample_scores_table = cast(Table, SampleScore.__table__)


def store_job_result(session: Session, job: Job, result: BaseModel) -> None:
    """`result` is the job kind's typed result (core/jobs.py), already validated."""
    if isinstance(result, GroupResult):
        for run_id, run_result in result.runs.items():
            _store_run(session, job, run_id, run_result)
    elif isinstance(result, RunResult) and job.run_id is not None:
        _store_run(session, job, job.run_id, result)
    session.flush()


def _store_run(session: Session, job: Job, run_id: int, result: RunResult) -> None:
    run = session.get(Run, run_id)
    if run is None:
        return
    run.summary = result.summary.model_dump(mode="json", exclude_unset=True)
    run.n_params = result.n_params if result.n_params is not None else run.n_params
    run.status, run.finished_at = "succeeded", utcnow()
    model = run.summary.get("model")
    if isinstance(model, dict) and model.get("hub_id"):
        _record_hub(session, run, model)
    session.execute(delete(MetricPoint).where(MetricPoint.run_id == run.id))
    session.add_all(
        MetricPoint(run_id=run.id, name=name, step=int(point.step), value=float(value))
        for point in result.curve
        for name, value in point.model_dump(exclude={"step"}).items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    )
    if result.samples is not None:
        # A sweep's runs carry V and S in their config; a lone train job's in its model shape.
        shape = {**(job.params or {}).get("model", {}), **run.config}
        _store_samples(session, run, shape["vocab_size"], shape["seq_len"], result.samples)


def _record_hub(session: Session, run: Run, model: JSONObject) -> None:
    """A Hub model's resolution (the commit, files, sizes, vocabulary) onto its checkpoint, and
    the vocabulary onto the run, which could not know it before a worker loaded the model."""
    checkpoint = session.get(Checkpoint, run.config.get("checkpoint_id") or 0)
    if checkpoint is None or checkpoint.format != "hub":
        return
    record_hub_resolution(checkpoint, model)
    if model.get("vocab_size"):
        run.config = {**run.config, "vocab_size": model["vocab_size"]}


def _store_samples(session: Session, run: Run, vocab: int, seq_len: int, samples: Samples) -> None:
    """Per-sample rows of a run's evaluation. The reference is given per sample (text) or is
    the uniform code S·log2 V (random tokens)."""
    session.execute(delete(Evaluation).where(Evaluation.run_id == run.id))
    uniform_bits = seq_len * math.log2(vocab)
    reference = run.config.get("reference", "uniform")
    evaluation = Evaluation(
        run_id=run.id,
        checkpoint_id=run.config.get("checkpoint_id"),
        name="training data" if "checkpoint_id" not in run.config else "members and non-members",
        reference={"kind": reference},
        status="succeeded",
        summary=run.summary,
    )
    session.add(evaluation)
    session.flush()
    rows = []
    for split, scores in samples.splits().items():
        target, texts, n_tokens = scores.bits, scores.text, scores.n_tokens
        reference = scores.ref_bits or [uniform_bits] * len(target)
        mem_u = unintended_memorization_bits(reference, target)  # SPEC 2, core/metrics
        for index, bits in enumerate(target):
            row = {
                "evaluation_id": evaluation.id,
                "split": split,
                "sample_index": index,
                "n_tokens": n_tokens[index] if n_tokens else seq_len,
                "n_bytes": len(texts[index].encode()) if texts else None,
                "nll_bits": bits,
                "ref_bits": reference[index],
                "mem_u_bits": float(mem_u[index]),
                "tfidf": scores.tfidf[index] if scores.tfidf else None,
                "script": scores.script[index] if scores.script else None,
                "text": texts[index] if texts else None,
                "in_attack": bool(scores.in_attack[index]) if scores.in_attack else False,
            }
            for k in PREFIX_LENGTHS:  # every row has every key: one executemany statement
                by_k = scores.extract.get(k)
                row[f"extract_{k}"] = by_k[index] if by_k else None
                found = scores.discover.get(k)
                row[f"discover_{k}"] = found[index] if found else None
            rows.append(row)
    insert_sample_rows(session, evaluation, rows)


def insert_sample_rows(session: Session, evaluation: Evaluation, rows: list[TableRow]) -> None:
    """Insert an evaluation's per-sample rows with what pages need precomputed: the scatter's
    samples (app/analysis/scatter.py) and the count per split."""
    counts: dict[str, int] = {}
    for row in rows:
        row["evaluation_id"] = evaluation.id
        counts[row["split"]] = counts.get(row["split"], 0) + 1
    evaluation.sample_counts = counts
    if rows:
        mark_scatter_rows(rows)
        session.execute(sample_scores_table.insert(), rows)
