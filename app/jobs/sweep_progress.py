"""How far a sweep has come: the share of its runs done, counting the runs a follow-up pass may
still add (a capacity sweep's refining pass) from the start, so the bar never moves back.

A run that has ended (succeeded, failed or cancelled) counts 1, a running one its job's
progress, a queued one 0; the runs still to come count 0 until they exist. When the follow-up
adds fewer runs than its bound, the bar jumps forward."""

from __future__ import annotations

from dataclasses import dataclass

from memdash.app.db.models import TERMINAL_JOB_STATES, Job, Run, Sweep
from memdash.app.jobs.queue import job_run_ids
from memdash.app.kinds import kind_of


@dataclass(frozen=True)
class SweepProgress:
    fraction: float  # 0..1
    n_finished: int  # runs that have ended
    n_runs: int  # runs that exist
    runs_to_come: int  # at most this many more (a follow-up pass)


def sweep_progress(sweep: Sweep, runs: list[Run], jobs: list[Job]) -> SweepProgress:
    job_of: dict[int, Job] = {}
    for job in jobs:
        for run_id in job_run_ids(job):
            job_of[run_id] = job
    done = 0.0
    n_finished = 0
    for run in runs:
        held = job_of.get(run.id)
        if run.status == "succeeded" or (held is not None and held.state in TERMINAL_JOB_STATES):
            done, n_finished = done + 1.0, n_finished + 1
        elif held is not None and held.state == "running":
            done += held.progress_frac
    kind = kind_of(sweep)
    live = sweep.status in ("queued", "running")
    to_come = kind.runs_to_come(sweep, runs) if live and kind and kind.runs_to_come else 0
    total = len(runs) + to_come
    if not live and sweep.status == "succeeded":
        return SweepProgress(1.0, n_finished, len(runs), 0)
    return SweepProgress(done / total if total else 0.0, n_finished, len(runs), to_come)
