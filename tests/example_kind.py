"""A minimal sweep kind, as docs/developing.md shows it: a few sleep jobs, summarized by how
many finished. Registering it is all it takes for the API, the queue and the sweep page to
serve it (tests/test_sweep_kinds.py)."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from sqlalchemy.orm import Session

from app.db.models import Run
from app.kinds.registry import KINDS, PlannedJob, SweepKind, SweepPlan, new_sweep, register
from core.jobs import SleepJob
from core.params import Strict


class CountdownParams(Strict):
    name: str = Field(default="countdown", max_length=200)
    n_jobs: int = Field(default=2, ge=1, le=10)
    seconds: float = Field(default=0.0, ge=0, le=5)


def launch(session: Session, params: CountdownParams, preset: str | None) -> SweepPlan:
    sweep = new_sweep(session, "countdown", params, preset)
    jobs = []
    for i in range(params.n_jobs):
        run = Run(sweep_id=sweep.id, name=f"sleeper {i}", status="queued")
        session.add(run)
        session.flush()
        jobs.append(PlannedJob("sleep", SleepJob(seconds=params.seconds), run_id=run.id))
    return SweepPlan(sweep, jobs)


def summarize(_session: Session, runs: list[Run]) -> dict[str, Any]:
    return {"finished": sum(run.status == "succeeded" for run in runs), "of": len(runs)}


def install() -> SweepKind:
    """Register the kind (an app module would call `register` at import time)."""
    if "countdown" in KINDS:
        return KINDS["countdown"]
    return register(
        SweepKind(
            name="countdown",
            title="countdown",
            params_model=CountdownParams,
            presets={"two": {"n_jobs": 2}},
            preset_notes={"two": "two sleep jobs"},
            launch=launch,
            summarize=summarize,
            job_kinds=("sleep",),
        )
    )
