"""What a live page needs to know between refreshes: a short token that changes when anything it
draws changes (a run or sweep changes state, a sweep's summary is written), and whether any of
it is still running. Pages poll only this (a few bytes); when the token moves, the server tells
the page to refresh its results (app/routes/live.py)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from memdash.app.db.models import MetricPoint, Run, Sweep

ACTIVE = ("queued", "running")


@dataclass(frozen=True)
class Version:
    token: str
    live: bool  # something in the selection is still queued or running
    n_runs: int
    n_finished: int  # runs that succeeded or failed


def selection_version(session: Session, sweep_ids: list[int], run_ids: list[int]) -> Version:
    """The token of the chosen sweeps and runs: their states, the number of stored curve points
    (running runs write theirs as they train) and whether each sweep has its summary yet."""
    if not sweep_ids and not run_ids:
        return Version("none", False, 0, 0)
    chosen = or_(Run.sweep_id.in_(sweep_ids), Run.id.in_(run_ids))
    runs = session.execute(select(Run.id, Run.status).where(chosen).order_by(Run.id)).all()
    sweeps = session.execute(
        select(Sweep.id, Sweep.status, Sweep.summary).where(Sweep.id.in_(sweep_ids))
    ).all()
    points = session.scalar(
        select(func.count())
        .select_from(MetricPoint)
        .where(MetricPoint.run_id.in_([r.id for r in runs]))
    )
    parts = [f"r{r.id}:{r.status}" for r in runs]
    parts += [f"s{s.id}:{s.status}:{len(s.summary or {})}" for s in sweeps]
    parts.append(f"p{points}")
    token = hashlib.sha256(";".join(parts).encode()).hexdigest()[:16]
    live = any(s.status in ACTIVE for s in sweeps) or any(r.status in ACTIVE for r in runs)
    finished = sum(r.status in ("succeeded", "failed") for r in runs)
    return Version(token, live, len(runs), finished)


def sweep_poll_url(sweep_id: int, token: str) -> str:
    return f"/sweeps/{sweep_id}/status?{urlencode({'known': token})}"


def figure_poll_url(name: str, sweep_ids: list[int], run_ids: list[int], token: str) -> str:
    selection = {"sweeps": ",".join(map(str, sweep_ids)), "runs": ",".join(map(str, run_ids))}
    return f"/figures/{name}/status?{urlencode({**selection, 'known': token})}"
