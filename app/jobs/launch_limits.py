"""Refuse at launch what no worker could run: a sweep whose largest job needs more memory
(core/job_cost.py's estimate) than the largest worker seen recently has, or than
MEMDASH_MAX_JOB_BYTES when no worker reported its memory; or more training compute at its full
step budget than MEMDASH_MAX_JOB_FLOPS (a job that would run for days on one GPU)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from memdash.app.db.models import Worker, utcnow
from memdash.app.settings import Settings

RECENT = timedelta(hours=1)


class TooLargeForWorkers(Exception):
    pass


def worker_memory_bytes(session: Session) -> int | None:
    """The most memory any worker seen in the last hour reported, or None."""
    infos = session.scalars(
        select(Worker.info).where(Worker.last_seen_at > utcnow() - RECENT)
    ).all()
    reported = [int(i["memory_bytes"]) for i in infos if isinstance(i.get("memory_bytes"), int)]
    return max(reported, default=None)


def check_job_memory(session: Session, settings: Settings, needed_bytes: int) -> None:
    limit = max(settings.max_job_bytes, worker_memory_bytes(session) or 0)
    if needed_bytes > limit:
        raise TooLargeForWorkers(
            f"the sweep's largest job would need about {needed_bytes / 1e9:,.1f} GB of memory, "
            f"more than the {limit / 1e9:,.1f} GB any worker has (MEMDASH_MAX_JOB_BYTES); "
            "use fewer or smaller shapes, smaller datasets, or fewer models per job"
        )


# What a job's hours are quoted in: one H200 at a third of its dense bf16 peak (~990 TFLOP/s).
REFERENCE_FLOPS_PER_S = 330e12


def check_job_compute(settings: Settings, needed_flops: float) -> None:
    if needed_flops > settings.max_job_flops:
        hours = needed_flops / REFERENCE_FLOPS_PER_S / 3600
        raise TooLargeForWorkers(
            f"the sweep's largest job would train for about {needed_flops:.1e} FLOPs at its full "
            f"step budget (~{hours:,.0f} hours of one H200), over the limit of "
            f"{settings.max_job_flops:.1e} (MEMDASH_MAX_JOB_FLOPS); "
            "lower max_steps, or use smaller shapes or fewer models per job"
        )
