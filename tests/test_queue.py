"""app/jobs/queue.py on SQLite and PostgreSQL: every state change, leases, the reaper."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from memdash.app.db.models import Job, JobState, Worker, utcnow
from memdash.app.jobs import queue


@pytest.fixture
def worker_id(session_factory: sessionmaker[Session]) -> int:
    with session_factory.begin() as session:
        worker = Worker(name="w")
        session.add(worker)
        session.flush()
        return worker.id


def _enqueue(factory: sessionmaker[Session], **kwargs) -> int:
    with factory.begin() as session:
        return queue.enqueue(session, kwargs.pop("kind", "sleep"), {}, **kwargs).id


def _claim(factory: sessionmaker[Session], worker_id: int, lease_s: float = 60) -> Job | None:
    with factory.begin() as session:
        return queue.claim(session, worker_id, lease_s)


def test_enqueue_is_idempotent_with_a_key(session_factory) -> None:
    first = _enqueue(session_factory, idempotency_key="sweep-1/run-3")
    assert _enqueue(session_factory, idempotency_key="sweep-1/run-3") == first
    assert _enqueue(session_factory) != first


def test_claims_follow_priority_then_age_and_never_repeat(session_factory, worker_id) -> None:
    late = _enqueue(session_factory)
    urgent = _enqueue(session_factory, priority=-1)
    order = [_claim(session_factory, worker_id).id for _ in range(2)]
    assert order == [urgent, late]
    assert _claim(session_factory, worker_id) is None


def test_lease_tokens_guard_every_write(session_factory, worker_id) -> None:
    job_id = _enqueue(session_factory)
    job = _claim(session_factory, worker_id, lease_s=60)
    with session_factory.begin() as session:
        assert queue.heartbeat(session, job_id, job.lease_token, 60, 0.5, "half") is False
    with pytest.raises(queue.StaleLease), session_factory.begin() as session:
        queue.complete(session, job_id, "not-the-token", {})
    with pytest.raises(queue.InvalidResult), session_factory.begin() as session:
        queue.complete(session, job_id, job.lease_token, {"ok": 1})  # not a sleep job's result
    with session_factory.begin() as session:
        queue.complete(session, job_id, job.lease_token, {"steps": 1, "resumed_from": 0})
    with pytest.raises(queue.StaleLease), session_factory.begin() as session:
        queue.heartbeat(session, job_id, job.lease_token, 60)  # ended jobs take no writes
    with session_factory() as session:
        done = session.get(Job, job_id)
        assert (done.state, done.progress_frac) == (JobState.succeeded, 1.0)
        assert done.result == {"steps": 1, "resumed_from": 0}


def test_reaper_requeues_expired_leases_then_fails_them(session_factory, worker_id) -> None:
    with session_factory.begin() as session:
        job_id = queue.enqueue(session, "sleep", {}, max_attempts=2).id
    old_tokens = []
    for attempt in (1, 2):
        job = _claim(session_factory, worker_id, lease_s=60)
        assert job.attempts == attempt
        for old in old_tokens:  # claimed by another lease: the old one is dead
            with pytest.raises(queue.StaleLease), session_factory.begin() as session:
                queue.heartbeat(session, job_id, old, 60)
        with session_factory.begin() as session:
            assert queue.reap(session) == (0, 0)  # lease still valid
            later = utcnow() + timedelta(seconds=61)
            assert queue.reap(session, now=later) == ((1, 0) if attempt == 1 else (0, 1))
        old_tokens.append(job.lease_token)
    with pytest.raises(queue.StaleLease), session_factory.begin() as session:
        queue.heartbeat(session, job_id, old_tokens[-1], 60)  # failed jobs take no writes
    with session_factory() as session:
        job = session.get(Job, job_id)
        assert job.state == JobState.failed and "lease expired" in job.error


def test_cancel_queued_and_running_jobs(session_factory, worker_id) -> None:
    queued_id = _enqueue(session_factory)
    running_id = _enqueue(session_factory)
    with session_factory.begin() as session:
        assert queue.request_cancel(session, queued_id).state == JobState.cancelled
    job = _claim(session_factory, worker_id)
    assert job.id == running_id
    with session_factory.begin() as session:
        queue.request_cancel(session, running_id)
    with session_factory.begin() as session:
        assert queue.heartbeat(session, running_id, job.lease_token, 60) is True
        assert queue.acknowledge_cancel(session, running_id, job.lease_token).state == "cancelled"
    with pytest.raises(queue.InvalidTransition), session_factory.begin() as session:
        queue.request_cancel(session, running_id)


def test_requeue_and_release(session_factory, worker_id) -> None:
    job_id = _enqueue(session_factory)
    job = _claim(session_factory, worker_id)
    with session_factory.begin() as session:
        released = queue.release(session, job_id, job.lease_token)
        assert (released.state, released.attempts) == (JobState.queued, 0)
    job = _claim(session_factory, worker_id)
    with session_factory.begin() as session:
        queue.fail(session, job_id, job.lease_token, "boom")
    with session_factory.begin() as session:
        assert queue.requeue(session, job_id).state == JobState.queued
    with pytest.raises(queue.InvalidTransition), session_factory.begin() as session:
        queue.requeue(session, job_id)


def test_sqlite_transactions_take_the_write_lock_up_front(tmp_path) -> None:
    """Otherwise two claims can read the same queued job and one fails on lock upgrade."""
    import sqlite3

    from sqlalchemy import text

    from memdash.app.db.engine import make_engine, make_session_factory

    engine = make_engine(f"sqlite:///{tmp_path / 'lock.db'}")
    session = make_session_factory(engine)()
    session.execute(text("SELECT 1"))
    other = sqlite3.connect(tmp_path / "lock.db", timeout=0, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        other.execute("BEGIN IMMEDIATE")
    session.close()
    other.execute("BEGIN IMMEDIATE")  # free again once the session ends
    other.execute("ROLLBACK")
    engine.dispose()


def test_sqlite_reads_take_no_lock_and_refuse_writes(tmp_path) -> None:
    """A page's read transaction lets a writer in; a write through a read session fails at once
    instead of upgrading its lock half-way."""
    import sqlite3

    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from memdash.app.db.engine import make_engine, make_read_session_factory

    engine = make_engine(f"sqlite:///{tmp_path / 'read.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    reader = make_read_session_factory(engine)()
    reader.execute(text("SELECT count(*) FROM t"))
    other = sqlite3.connect(tmp_path / "read.db", timeout=0, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # not blocked by the open read
    other.execute("INSERT INTO t VALUES (1)")
    other.execute("COMMIT")
    with pytest.raises(OperationalError, match="readonly"):
        reader.execute(text("INSERT INTO t VALUES (2)"))
    reader.close()
    engine.dispose()


def test_sweeps_are_served_in_turn_and_priorities_order_jobs_within_one(
    session_factory, worker_id
) -> None:
    """A scoring launched before a capacity sweep starts first, although the capacity sweep
    gives its largest shapes a lower priority value."""
    from memdash.app.db.models import Sweep

    with session_factory.begin() as session:
        first, second = Sweep(name="scoring", kind="scoring"), Sweep(name="big", kind="capacity")
        session.add_all([first, second])
        session.flush()
        ids = (first.id, second.id)
    scoring = _enqueue(session_factory, sweep_id=ids[0])
    small = _enqueue(session_factory, sweep_id=ids[1], priority=-10)
    large = _enqueue(session_factory, sweep_id=ids[1], priority=-1000)
    order = [_claim(session_factory, worker_id).id for _ in range(3)]
    assert order == [scoring, large, small]
