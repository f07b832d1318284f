"""Refuse at launch what no worker could run: a sweep whose largest job needs more memory
(worker.params' estimate) than the largest worker seen recently has, or than
MEMDASH_MAX_JOB_BYTES when no worker reported its memory."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Worker, utcnow
from app.settings import Settings

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
