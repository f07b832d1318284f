"""Moving a sweep between installations: one self-contained JSON document (format version 1).

The document holds the sweep, its runs (config, summary, status), their training curves and
per-sample scores. Importing creates new rows with new ids; jobs and checkpoints stay behind
(they describe work on the old installation, not results).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from memdash.app.db.models import SAMPLE_FIELDS, Evaluation, MetricPoint, Run, SampleScore, Sweep
from memdash.app.jobs.results import insert_sample_rows
from memdash.core.edges import JSONObject
from memdash.core.jobs import first_problem

FORMAT = "memdash-sweep-v1"
SCORE_FIELDS = SAMPLE_FIELDS


class ImportError_(ValueError):
    """The document is not a memdash sweep export."""


class _RunDoc(BaseModel):
    name: str
    config: JSONObject = {}
    seed: int = 0
    n_params: int | None = None
    n_train: int | None = None
    status: str = "succeeded"
    summary: JSONObject = {}
    curve: list[tuple[str, int, float]] = []
    evaluations: list[JSONObject] = []


class _SweepDoc(BaseModel):
    format: str
    sweep: JSONObject
    runs: list[_RunDoc] = Field(max_length=100_000)


def export_sweep(session: Session, sweep_id: int) -> JSONObject | None:
    sweep = session.get(Sweep, sweep_id)
    if sweep is None:
        return None
    runs = []
    for run in session.scalars(select(Run).where(Run.sweep_id == sweep_id).order_by(Run.id)):
        curve = session.execute(
            select(MetricPoint.name, MetricPoint.step, MetricPoint.value)
            .where(MetricPoint.run_id == run.id)
            .order_by(MetricPoint.name, MetricPoint.step)
        ).all()
        evaluations = []
        for evaluation in session.scalars(select(Evaluation).where(Evaluation.run_id == run.id)):
            scores = session.scalars(
                select(SampleScore)
                .where(SampleScore.evaluation_id == evaluation.id)
                .order_by(SampleScore.id)
            ).all()
            evaluations.append(
                {
                    "name": evaluation.name,
                    "reference": evaluation.reference,
                    "summary": evaluation.summary,
                    "scores": [{f: getattr(s, f) for f in SCORE_FIELDS} for s in scores],
                }
            )
        runs.append(
            {
                "name": run.name,
                "config": run.config,
                "seed": run.seed,
                "n_params": run.n_params,
                "n_train": run.n_train,
                "status": run.status,
                "summary": run.summary,
                "curve": [list(p) for p in curve],
                "evaluations": evaluations,
            }
        )
    return {
        "format": FORMAT,
        "sweep": {
            "name": sweep.name,
            "kind": sweep.kind,
            "preset": sweep.preset,
            "params": sweep.params,
            "summary": sweep.summary,
            "status": sweep.status,
        },
        "runs": runs,
    }


def import_sweep(session: Session, document: Any) -> Sweep:
    try:
        doc = _SweepDoc.model_validate(document)
    except ValidationError as error:
        raise ImportError_(f"not a memdash sweep export ({first_problem(error)})") from None
    if doc.format != FORMAT:
        raise ImportError_(f"unsupported export format {doc.format!r}; expected {FORMAT!r}")
    fields = doc.sweep
    sweep = Sweep(
        name=str(fields.get("name", "imported"))[:200] + " (imported)",
        kind=str(fields.get("kind", "capacity")),
        preset=fields.get("preset"),
        params=fields.get("params") or {},
        summary=fields.get("summary") or {},
        status=str(fields.get("status", "succeeded")),
    )
    session.add(sweep)
    session.flush()
    for run_doc in doc.runs:
        run = Run(
            sweep_id=sweep.id,
            name=run_doc.name,
            config=run_doc.config,
            seed=run_doc.seed,
            n_params=run_doc.n_params,
            n_train=run_doc.n_train,
            status=run_doc.status,
            summary=run_doc.summary,
        )
        session.add(run)
        session.flush()
        session.add_all(
            MetricPoint(run_id=run.id, name=n, step=s, value=v) for n, s, v in run_doc.curve
        )
        for evaluation_doc in run_doc.evaluations:
            evaluation = Evaluation(
                run_id=run.id,
                name=evaluation_doc.get("name", ""),
                reference=evaluation_doc.get("reference", {}),
                summary=evaluation_doc.get("summary", {}),
                status="succeeded",
            )
            session.add(evaluation)
            session.flush()
            rows = [
                {"evaluation_id": evaluation.id, **{f: s.get(f) for f in SCORE_FIELDS}}
                for s in evaluation_doc.get("scores", [])
            ]
            insert_sample_rows(session, evaluation, rows)
    return sweep
