"""The job queue and the one owner of the job lifecycle. Server clock only.

States: queued -> running -> succeeded | failed | cancelled; running -> queued when a lease
expires (attempts < max_attempts) or a worker releases it on shutdown. A claim hands out a lease
token; every later write must present it, and a stale one raises StaleLease (HTTP 409), so a
worker that lost its lease can never overwrite the job's new owner.

Every transition here also updates the job's runs and its sweep in the same transaction
(`_sync`): a run is running while its job runs, ends with it, and a sweep is "running" exactly
while one of its jobs has not ended; when its last job ends its summary is computed. Nothing
else writes run or sweep status (results.py marks the runs a result stored as succeeded).

A lease that ran out while its worker was only cut off (or the server was down) is not lost
work: the job keeps the old token as `last_lease_token`, and until another worker claims it,
the old holder's heartbeat takes the lease back and its finished result is accepted.

Claiming is one atomic step: `FOR UPDATE SKIP LOCKED` on PostgreSQL (workers never wait for each
other), and on SQLite a `BEGIN IMMEDIATE` transaction (see engine.py), which serializes writers.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from memdash.app.db.models import (
    RESUME_FORMAT,
    TERMINAL_JOB_STATES,
    Checkpoint,
    Job,
    JobState,
    Run,
    Sweep,
    Worker,
    utcnow,
)
from memdash.app.jobs.results import store_job_result
from memdash.app.kinds import KINDS, PlannedJob
from memdash.app.kinds.read_summary import typed_summary
from memdash.core.edges import JSONObject
from memdash.core.jobs import first_problem, job_params, job_result


class StaleLease(Exception):
    """The lease token does not hold the job (expired, reclaimed, or the job ended)."""


class JobNotFound(Exception):
    pass


class InvalidTransition(Exception):
    """The job is not in a state that allows this action."""


class InvalidResult(Exception):
    """A worker's result does not fit its job kind's contract."""


def enqueue(
    session: Session,
    kind: str,
    params: JSONObject | BaseModel,
    *,
    idempotency_key: str | None = None,
    priority: int = 0,
    max_attempts: int = 3,
    sweep_id: int | None = None,
    run_id: int | None = None,
) -> Job:
    """Add a job; with an idempotency key, a second enqueue returns the first job. The
    parameters must fit the kind's contract (core/jobs.py: ValueError otherwise); they
    are stored with every default filled in, so the worker sees exactly what was meant."""
    params = job_params(kind, params).model_dump(mode="json")
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


# The order jobs are claimed in: sweeps first come, first served (a scoring launched before a
# capacity sweep starts before it), and within a sweep by its own priorities (a capacity sweep
# starts its largest shapes first), then oldest; jobs of no sweep (tests, smoke jobs) first.
CLAIM_ORDER = (func.coalesce(Job.sweep_id, 0), Job.priority, Job.id)


def enqueue_planned(session: Session, sweep_id: int, jobs: list[PlannedJob]) -> list[Job]:
    """Queue the jobs a sweep kind planned (its launch, or its follow-up's next pass)."""
    return [
        enqueue(
            session,
            planned.kind,
            planned.params,
            idempotency_key=planned.idempotency_key,
            priority=planned.priority,
            sweep_id=sweep_id,
            run_id=planned.run_id,
        )
        for planned in jobs
    ]


def claim(
    session: Session, worker_id: int, lease_s: float, kinds: list[str] | None = None
) -> Job | None:
    """Take the next queued job (CLAIM_ORDER) and lease it."""
    query = select(Job).where(Job.state == JobState.queued).order_by(*CLAIM_ORDER).limit(1)
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
    job.error, job.last_lease_token = None, None
    job.progress_frac, job.progress_message = 0.0, ""  # a reclaimed job starts its report afresh
    _sync(session, job)
    return job


def _leased(
    session: Session, job_id: int, lease_token: str, take_back_s: float | None = None
) -> Job:
    """The job, if `lease_token` holds it. With `take_back_s`, a lease that ran out and went
    back to the queue unclaimed is taken back by its old holder for that many seconds."""
    job = session.get(Job, job_id, with_for_update=_locks(session))
    if job is None:
        raise JobNotFound(job_id)
    if (
        take_back_s is not None
        and job.state == JobState.queued
        and job.last_lease_token is not None
        and job.last_lease_token == lease_token
        and not job.cancel_requested
    ):
        job.state, job.lease_token, job.last_lease_token = JobState.running, lease_token, None
        job.lease_expires_at = utcnow() + timedelta(seconds=take_back_s)
        _sync(session, job)
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
    job = _leased(session, job_id, lease_token, take_back_s=lease_s)
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


def record_checkpoint(
    session: Session, job_id: int, lease_token: str, checkpoint_id: int
) -> list[str]:
    """Make the checkpoint the job's resume point; the one it replaces is removed. Returns the
    files no row points at any more, for the caller to delete once the transaction commits."""
    job = _leased(session, job_id, lease_token)
    previous = job.resume_checkpoint_id
    job.resume_checkpoint_id = checkpoint_id
    return _drop_resume_checkpoint(session, previous) if previous != checkpoint_id else []


def _drop_resume_checkpoint(session: Session, checkpoint_id: int | None) -> list[str]:
    checkpoint = session.get(Checkpoint, checkpoint_id) if checkpoint_id else None
    if checkpoint is None or checkpoint.format != RESUME_FORMAT:
        return []
    path = checkpoint.storage_path
    session.delete(checkpoint)
    session.flush()
    shared = session.scalar(select(Checkpoint.id).where(Checkpoint.storage_path == path))
    return [] if shared else [path]


def drop_resume_point(session: Session, job: Job) -> list[str]:
    """A job that succeeded needs no resume point: its checkpoint row goes (files returned as
    for `record_checkpoint`). Failed and cancelled jobs keep theirs, so Requeue resumes."""
    previous, job.resume_checkpoint_id = job.resume_checkpoint_id, None
    session.flush()
    return _drop_resume_checkpoint(session, previous)


def complete(session: Session, job_id: int, lease_token: str, result: JSONObject) -> Job:
    """Store the result (its runs succeed) and end the job; the last holder of a lease that ran
    out may still deliver while no other worker has claimed the job. A result that does not fit
    the kind's contract raises InvalidResult and changes nothing."""
    job = _leased(session, job_id, lease_token, take_back_s=0)
    try:
        typed = job_result(job.kind, result)
    except ValueError as error:
        raise InvalidResult(f"job {job_id} ({job.kind}): {first_problem(error)}") from None
    store_job_result(session, job, typed)
    _finish(job, JobState.succeeded)
    job.result, job.progress_frac = result, 1.0
    _sync(session, job)
    return job


def fail(session: Session, job_id: int, lease_token: str, error: str) -> Job:
    job = _leased(session, job_id, lease_token)
    _finish(job, JobState.failed)
    job.error = error[-20_000:]
    _sync(session, job)
    return job


def acknowledge_cancel(session: Session, job_id: int, lease_token: str) -> Job:
    job = _leased(session, job_id, lease_token)
    _finish(job, JobState.cancelled)
    _sync(session, job)
    return job


def release(session: Session, job_id: int, lease_token: str) -> Job:
    """A worker shutting down cleanly gives its job back; the attempt does not count."""
    job = _leased(session, job_id, lease_token)
    job.state, job.lease_token, job.lease_expires_at = JobState.queued, None, None
    job.attempts = max(0, job.attempts - 1)
    job.worker_id, job.updated_at = None, utcnow()
    job.progress_message = "given back by its worker; waiting for the next one"
    _sync(session, job)
    return job


def _finish(job: Job, state: JobState) -> None:
    now = utcnow()
    job.state, job.lease_token, job.lease_expires_at = state, None, None
    job.last_lease_token = None
    job.finished_at = job.updated_at = now
    job.progress_message = ""  # the state says it now


def request_cancel(session: Session, job_id: int) -> Job:
    """A queued job is cancelled at once; a running one is told on its next heartbeat."""
    job = session.get(Job, job_id, with_for_update=_locks(session))
    if job is None:
        raise JobNotFound(job_id)
    if job.state == JobState.queued:
        _finish(job, JobState.cancelled)
        _sync(session, job)
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
    job.progress_frac, job.progress_message = 0.0, ""
    _sync(session, job)
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
            job.last_lease_token = job.lease_token
            job.state, job.lease_token, job.lease_expires_at = JobState.queued, None, None
            job.updated_at = now
            job.progress_message = "its worker stopped answering; waiting for a worker"
            requeued += 1
        else:
            _finish(job, JobState.failed)
            job.error = (
                f"the worker stopped answering (lease expired) on all {job.attempts} attempts"
            )
            failed += 1
        _sync(session, job)
    return requeued, failed


def grant_restart_grace(session: Session, lease_s: float, now: datetime | None = None) -> int:
    """At server start: leases that ran out while the server was down get `lease_s` more, so
    their workers (retrying all along) reconnect before the reaper gives their jobs away."""
    now = now or utcnow()
    renewed = session.execute(
        update(Job)
        .where(
            Job.state == JobState.running, Job.lease_expires_at < now + timedelta(seconds=lease_s)
        )
        .values(lease_expires_at=now + timedelta(seconds=lease_s))
    )
    return getattr(renewed, "rowcount", 0) or 0  # a CursorResult's, for an UPDATE


def job_run_ids(job: Job) -> list[int]:
    """The runs a job works for: its own, or the members of a stacked job."""
    if job.run_id:
        return [job.run_id]
    members = (job.params or {}).get("members")  # a stacked job's runs (a score job's is data)
    return [int(m["run_id"]) for m in members] if isinstance(members, list) else []


def _sync(session: Session, job: Job) -> None:
    """Mirror the job's state on its runs and its sweep (the only place that does). A run takes
    its job's state (the names are the same); a run a result already stored stays succeeded,
    and a job that succeeds without a result for one of its runs still ends it."""
    run_ids = job_run_ids(job)
    if run_ids:
        ended = job.state in TERMINAL_JOB_STATES
        session.execute(
            update(Run)
            .where(Run.id.in_(run_ids), Run.status != "succeeded")
            .values(status=JobState(job.state).value, finished_at=utcnow() if ended else None)
        )
    if job.sweep_id is not None:
        session.flush()
        _sync_sweep(session, job.sweep_id)


def _sync_sweep(session: Session, sweep_id: int) -> None:
    sweep = session.get(Sweep, sweep_id)
    if sweep is None:
        return
    states = session.scalars(select(Job.state).where(Job.sweep_id == sweep_id)).all()
    if not states:
        return
    if all(s in TERMINAL_JOB_STATES for s in states):
        if sweep.status in ("queued", "running") and (kind := KINDS.get(sweep.kind)):
            runs = list(session.scalars(select(Run).where(Run.sweep_id == sweep.id)))
            succeeded = all(s == JobState.succeeded for s in states)
            more = kind.follow_up(session, sweep, runs) if succeeded and kind.follow_up else []
            if more:
                enqueue_planned(session, sweep.id, more)
                sweep.status, sweep.finished_at = "running", None  # its next pass is queued
                return
            sweep.summary = typed_summary(sweep, kind.summarize(session, runs))
        if sweep.status in ("queued", "running"):
            sweep.finished_at = utcnow()
        sweep.status = (
            "succeeded"
            if all(s == JobState.succeeded for s in states)
            else (
                "cancelled"
                if all(s in (JobState.succeeded, JobState.cancelled) for s in states)
                else "failed"
            )
        )
    else:
        started = any(s != JobState.queued for s in states)
        sweep.status, sweep.finished_at = ("running" if started else "queued"), None
