"""Where a job stands in the queue and when it should start or end, from measured rates.

- A running job's time left: its elapsed time × (1 − progress) / progress, once it has made 2%
  progress (its own measured rate; before that it is unknown).
- A queued job's position: its place in the claim order (app/jobs/queue.py CLAIM_ORDER: sweeps
  first come, first served; within a sweep its priorities, then age).
- When a queued job should start: the workers' next free times (a running job's time left; an
  idle worker now), taken in claim order, each queued job lasting the mean duration of the
  finished jobs of its kind. Unknown (None) past the first job whose kind has never finished.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from memdash.app.db.models import Job, utcnow
from memdash.app.jobs.queue import CLAIM_ORDER

MIN_PROGRESS = 0.02


@dataclass(frozen=True)
class Estimate:
    position: int | None = None  # 1 = claimed next
    starts_in_s: float | None = None
    remaining_s: float | None = None


def remaining_s(job: Job, now: datetime) -> float | None:
    if job.state != "running" or job.started_at is None or job.progress_frac < MIN_PROGRESS:
        return None
    elapsed = (now - job.started_at).total_seconds()
    return max(0.0, elapsed * (1.0 - job.progress_frac) / job.progress_frac)


def mean_durations(session: Session) -> dict[str, float]:
    """Mean seconds from start to finish of the last succeeded jobs, per kind."""
    rows = session.execute(
        select(Job.kind, Job.started_at, Job.finished_at)
        .where(Job.state == "succeeded", Job.started_at.is_not(None))
        .order_by(Job.id.desc())
        .limit(500)
    ).all()
    totals: dict[str, list[float]] = {}
    for kind, started, finished in rows:
        if finished is not None and started is not None:
            totals.setdefault(kind, []).append((finished - started).total_seconds())
    return {kind: sum(v) / len(v) for kind, v in totals.items()}


def estimates(session: Session, n_workers: int) -> dict[int, Estimate]:
    """Per active job: its queue position and start estimate, or its time left."""
    now = utcnow()
    active = session.scalars(
        select(Job).where(Job.state.in_(("queued", "running"))).order_by(*CLAIM_ORDER)
    ).all()
    running = [j for j in active if j.state == "running"]
    out = {j.id: Estimate(remaining_s=remaining_s(j, now)) for j in running}
    durations = mean_durations(session)
    free = [out[j.id].remaining_s for j in running]
    known = all(f is not None for f in free)
    free_at = [f for f in free if f is not None] + [0.0] * max(0, n_workers - len(running))
    heapq.heapify(free_at)
    for position, job in enumerate((j for j in active if j.state == "queued"), start=1):
        start = None
        if known and free_at and job.kind in durations:
            start = heapq.heappop(free_at)
            heapq.heappush(free_at, start + durations[job.kind])
        else:
            known = False
        out[job.id] = Estimate(position=position, starts_in_s=start)
    return out


def in_words(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 5400 else f"{seconds / 3600:.1f} h"
