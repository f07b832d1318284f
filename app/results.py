"""Storing what a finished job produced. Idempotent: storing the same result twice leaves the
database as storing it once (metric points of a run are replaced, not appended)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from app.db.models import Job, MetricPoint, Run, utcnow


def store_job_result(session: Session, job: Job, result: dict[str, Any]) -> None:
    if job.run_id is None:
        return
    run = session.get(Run, job.run_id)
    if run is None:
        return
    run.summary = result.get("summary", {})
    run.n_params = result.get("n_params", run.n_params)
    run.status, run.finished_at = "succeeded", utcnow()
    session.execute(delete(MetricPoint).where(MetricPoint.run_id == run.id))
    session.add_all(
        MetricPoint(run_id=run.id, name=name, step=int(point["step"]), value=float(value))
        for point in result.get("curve", [])
        for name, value in point.items()
        if name != "step" and value is not None
    )


def mark_run(session: Session, job: Job, status: str) -> None:
    if job.run_id is not None and (run := session.get(Run, job.run_id)) is not None:
        run.status = status
