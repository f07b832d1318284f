"""How a countdown plans its jobs: one sleep job per run, as data (the launcher queues them)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from memdash.app.db.models import Run
from memdash.app.kinds.registry import PlannedJob, SweepPlan, new_sweep
from memdash.core.jobs import SleepJob
from tests.example_kind.params import CountdownParams


def launch(session: Session, params: CountdownParams, preset: str | None) -> SweepPlan:
    sweep = new_sweep(session, "countdown", params, preset)
    jobs = []
    for i in range(params.n_jobs):
        run = Run(sweep_id=sweep.id, name=f"sleeper {i}", status="queued")
        session.add(run)
        session.flush()
        jobs.append(PlannedJob("sleep", SleepJob(seconds=params.seconds), run_id=run.id))
    return SweepPlan(sweep, jobs)
