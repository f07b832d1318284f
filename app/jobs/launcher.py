"""Launching a sweep of any kind: the kind plans its sweep, runs and jobs (app/kinds),
this queues the jobs. The one place a launch reaches the queue."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy.orm import Session

from memdash.app.db.models import Sweep
from memdash.app.jobs import queue
from memdash.app.kinds import SweepKind, SweepPlan


def launch(session: Session, kind: SweepKind, params: BaseModel, preset: str | None) -> Sweep:
    """Create the sweep and its runs and queue its jobs (LaunchRejected: a message)."""
    if kind.launch is None:
        raise ValueError(f"{kind.title}s are not launched from parameters")
    return queue_plan(session, kind.launch(session, params, preset))


def queue_plan(session: Session, plan: SweepPlan) -> Sweep:
    """Queue a planned sweep's jobs (a kind launched from other inputs: scorings)."""
    queue.enqueue_planned(session, plan.sweep.id, plan.jobs)
    return plan.sweep
