"""The job queue: the only module that changes a job's state. Server clock only.

States: queued -> running -> succeeded | failed | cancelled; running -> queued when a lease
expires (attempts < max_attempts) or a worker releases it on shutdown. A claim hands out a lease
token; every later write must present it, and a stale one raises StaleLease (HTTP 409), so a
worker that lost its lease can never overwrite the job's new owner.

Claiming is one atomic step: `FOR UPDATE SKIP LOCKED` on PostgreSQL (workers never wait for each
other), and on SQLite a `BEGIN IMMEDIATE` transaction (see engine.py), which serializes writers.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db.models import TERMINAL_JOB_STATES, Job, JobState, Worker, utcnow


class StaleLease(Exception):
    """The lease token does not hold the job (expired, reclaimed, or the job ended)."""


class JobNotFound(Exception):
    pass


class InvalidTransition(Exception):
    """The job is not in a state that allows this action."""


def enqueue(
    session: Session,
    kind: str,
    params: dict[str, Any],
    *,
    idempotency_key: str | None = None,
    priority: int = 0,
    max_attempts: int = 3,
    sweep_id: int | None = None,
    run_id: int | None = None,
) -> Job:
    """Add a job; with an idempotency key, a second enqueue returns the first job."""
    if idempotency_key is not None:
        existing = session.scalar(select(Job).where(Job.idempotency_key == idempotency_key))
        if existing is not None:
            return existing
    job = Job(
        kind=kind,
        params=params,
        idempotency_key=idempotency_key,
        priority=priority,
        max_attempts=max_attempts,
        sweep_id=sweep_id,
        run_id=run_id,
    )
    try:
        with session.begin_nested():
            session.add(job)
    except IntegrityError:  # a concurrent enqueue with the same key won
        return session.scalars(select(Job).where(Job.idempotency_key == idempotency_key)).one()
    return job


def claim(
    session: Session, worker_id: int, lease_s: float, kinds: list[str] | None = None
) -> Job | None:
    """Take the next queued job (lowest priority value, then oldest) and lease it."""
    query = select(Job).where(Job.state == JobState.queued).order_by(Job.priority, Job.id).limit(1)
    if kinds:
        query = query.where(Job.kind.in_(kinds))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    job = session.scalars(query).first()
    if job is None:
        return None
    now = utcnow()
    job.state = JobState.running
    job.lease_token = secrets.token_hex(16)
    job.lease_expires_at = now + timedelta(seconds=lease_s)
    job.worker_id = worker_id
    job.attempts += 1
    job.started_at = job.started_at or now
    job.updated_at = now
    job.error = None
    session.flush()
    return job


def _leased(session: Session, job_id: int, lease_token: str) -> Job:
    job = session.get(Job, job_id, with_for_update=_locks(session))
    if job is None:
        raise JobNotFound(job_id)
    if job.state != JobState.running or job.lease_token != lease_token:
        raise StaleLease(f"job {job_id} is not leased with this token (state {job.state})")
    return job


def _locks(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def heartbeat(
    session: Session,
    job_id: int,
    lease_token: str,
    lease_s: float,
    progress_frac: float | None = None,
    message: str | None = None,
) -> bool:
    """Renew the lease and record progress; returns whether cancellation was requested."""
    job = _leased(session, job_id, lease_token)
    now = utcnow()
    job.lease_expires_at = now + timedelta(seconds=lease_s)
    if progress_frac is not None:
        job.progress_frac = min(1.0, max(0.0, float(progress_frac)))
    if message is not None:
        job.progress_message = message[:500]
    job.updated_at = now
    if job.worker_id is not None:
        session.execute(update(Worker).where(Worker.id == job.worker_id).values(last_seen_at=now))
    return job.cancel_requested


def record_checkpoint(session: Session, job_id: int, lease_token: str, checkpoint_id: int) -> None:
    _leased(session, job_id, lease_token).resume_checkpoint_id = checkpoint_id


def complete(session: Session, job_id: int, lease_token: str, result: dict[str, Any]) -> Job:
    job = _leased(session, job_id, lease_token)
    _finish(job, JobState.succeeded)
    job.result, job.progress_frac = result, 1.0
    return job


def fail(session: Session, job_id: int, lease_token: str, error: str) -> Job:
    job = _leased(session, job_id, lease_token)
    _finish(job, JobState.failed)
    job.error = error[-20_000:]
    return job


def acknowledge_cancel(session: Session, job_id: int, lease_token: str) -> Job:
    job = _leased(session, job_id, lease_token)
    _finish(job, JobState.cancelled)
    return job


def release(session: Session, job_id: int, lease_token: str) -> Job:
    """A worker shutting down cleanly gives its job back; the attempt does not count."""
    job = _leased(session, job_id, lease_token)
    job.state, job.lease_token, job.lease_expires_at = JobState.queued, None, None
    job.attempts = max(0, job.attempts - 1)
    job.worker_id, job.updated_at = None, utcnow()
    return job


def _finish(job: Job, state: JobState) -> None:
    now = utcnow()
    job.state, job.lease_token, job.lease_expires_at = state, None, None
    job.finished_at = job.updated_at = now


def request_cancel(session: Session, job_id: int) -> Job:
    """A queued job is cancelled at once; a running one is told on its next heartbeat."""
    job = session.get(Job, job_id, with_for_update=_locks(session))
    if job is None:
        raise JobNotFound(job_id)
    if job.state == JobState.queued:
        _finish(job, JobState.cancelled)
    elif job.state == JobState.running:
        job.cancel_requested = True
        job.updated_at = utcnow()
    else:
        raise InvalidTransition(f"job {job_id} has already ended ({job.state})")
    return job


def requeue(session: Session, job_id: int) -> Job:
    """Run an ended job again (from its last checkpoint, if it recorded one)."""
    job = session.get(Job, job_id, with_for_update=_locks(session))
    if job is None:
        raise JobNotFound(job_id)
    if job.state not in TERMINAL_JOB_STATES:
        raise InvalidTransition(f"job {job_id} is {job.state}; only ended jobs can be requeued")
    job.state, job.attempts, job.error = JobState.queued, 0, None
    job.cancel_requested, job.finished_at, job.updated_at = False, None, utcnow()
    return job


def reap(session: Session, now: datetime | None = None) -> tuple[int, int]:
    """Requeue running jobs whose lease expired (attempts left) or fail them. (requeued, failed)"""
    now = now or utcnow()
    query = select(Job).where(Job.state == JobState.running, Job.lease_expires_at < now)
    if _locks(session):
        query = query.with_for_update(skip_locked=True)
    requeued = failed = 0
    for job in session.scalars(query).all():
        if job.cancel_requested:
            _finish(job, JobState.cancelled)
        elif job.attempts < job.max_attempts:
            job.state, job.lease_token, job.lease_expires_at = JobState.queued, None, None
            job.worker_id, job.updated_at = None, now
            requeued += 1
        else:
            _finish(job, JobState.failed)
            job.error = (
                f"the worker stopped answering (lease expired) on all {job.attempts} attempts"
            )
            failed += 1
    return requeued, failed
