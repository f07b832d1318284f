"""The job lifecycle owns run and sweep status: every transition in app/jobs/queue.py updates
them in the same transaction (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from memdash.app.db.models import Job, JobState, Run, Sweep, Worker, utcnow
from memdash.app.jobs import launcher, queue
from memdash.app.jobs.sweep_progress import SweepProgress, sweep_progress
from tests.figure_data import trained_config


@pytest.fixture
def sweep_with_jobs(session_factory: sessionmaker[Session]) -> tuple[int, list[int], list[int]]:
    """A capacity sweep with two runs and a job for each."""
    with session_factory.begin() as session:
        session.add(Worker(name="w"))
        sweep = Sweep(name="s", kind="capacity", status="queued")
        session.add(sweep)
        session.flush()
        run_ids, job_ids = [], []
        for i in range(2):
            config = trained_config("L1-d8")
            run = Run(sweep_id=sweep.id, name=f"r{i}", status="queued", config=config)
            session.add(run)
            session.flush()
            job = queue.enqueue(
                session, "sleep", {}, sweep_id=sweep.id, run_id=run.id, max_attempts=1
            )
            run_ids.append(run.id)
            job_ids.append(job.id)
        return sweep.id, run_ids, job_ids


def _statuses(factory, sweep_id: int, run_ids: list[int]) -> tuple[str, list[str]]:
    with factory() as session:
        return session.get(Sweep, sweep_id).status, [session.get(Run, r).status for r in run_ids]


def _worker(factory) -> int:
    with factory() as session:
        return session.query(Worker).first().id


@pytest.fixture
def worker(session_factory, sweep_with_jobs) -> int:
    return _worker(session_factory)


def test_claim_and_finish_move_runs_and_sweep(session_factory, sweep_with_jobs, worker) -> None:
    sweep_id, run_ids, _job_ids = sweep_with_jobs
    with session_factory.begin() as session:
        first = queue.claim(session, worker, 60)
    assert _statuses(session_factory, sweep_id, run_ids) == ("running", ["running", "queued"])
    with session_factory.begin() as session:
        queue.complete(session, first.id, first.lease_token, {"steps": 1, "resumed_from": 0})
        second = queue.claim(session, worker, 60)
        queue.fail(session, second.id, second.lease_token, "boom")
    sweep_status, run_statuses = _statuses(session_factory, sweep_id, run_ids)
    assert (sweep_status, run_statuses[1]) == ("failed", "failed")
    with session_factory.begin() as session:  # running it again reopens the sweep
        queue.requeue(session, second.id)
    assert _statuses(session_factory, sweep_id, run_ids)[0] == "running"


def test_the_reaper_failing_the_last_attempt_ends_run_and_sweep(
    session_factory, sweep_with_jobs, worker
) -> None:
    sweep_id, run_ids, job_ids = sweep_with_jobs
    with session_factory.begin() as session:
        queue.request_cancel(session, job_ids[1])  # the other job ends at once
        job = queue.claim(session, worker, 60)
    with session_factory.begin() as session:
        assert queue.reap(session, now=utcnow() + timedelta(seconds=61)) == (0, 1)
    assert _statuses(session_factory, sweep_id, run_ids) == ("failed", ["failed", "cancelled"])
    with session_factory() as session:
        assert session.get(Job, job.id).progress_message == ""


def test_a_lost_lease_is_taken_back_by_its_holder_until_someone_else_claims(
    session_factory, sweep_with_jobs, worker
) -> None:
    sweep_id, run_ids, job_ids = sweep_with_jobs
    with session_factory.begin() as session:
        queue.request_cancel(session, job_ids[1])
        job = queue.claim(session, worker, 60)
    with session_factory.begin() as session:
        session.get(Job, job.id).max_attempts = 3
    later = utcnow() + timedelta(seconds=61)
    with session_factory.begin() as session:
        assert queue.reap(session, now=later) == (1, 0)
    assert _statuses(session_factory, sweep_id, run_ids)[1][0] == "queued"
    with session_factory.begin() as session:  # the worker was only cut off: it is back
        queue.heartbeat(session, job.id, job.lease_token, 60)
    assert _statuses(session_factory, sweep_id, run_ids)[1][0] == "running"
    with session_factory.begin() as session:
        assert queue.reap(session, now=later) == (1, 0)
    with session_factory.begin() as session:  # it finished meanwhile: the result is kept
        queue.complete(session, job.id, job.lease_token, {"steps": 1, "resumed_from": 0})
    with session_factory() as session:
        assert session.get(Job, job.id).state == JobState.succeeded


def test_a_lost_lease_claimed_by_another_worker_is_dead(
    session_factory, sweep_with_jobs, worker
) -> None:
    _sweep_id, _run_ids, job_ids = sweep_with_jobs
    with session_factory.begin() as session:
        queue.request_cancel(session, job_ids[1])
        job = queue.claim(session, worker, 60)
        job.max_attempts = 3  # attempts left: the reaper requeues
    with session_factory.begin() as session:
        queue.reap(session, now=utcnow() + timedelta(seconds=61))
    with session_factory.begin() as session:
        other = queue.claim(session, worker, 60)
    assert other.id == job.id
    with pytest.raises(queue.StaleLease), session_factory.begin() as session:
        queue.complete(session, job.id, job.lease_token, {"steps": 1, "resumed_from": 0})


def test_restart_grace_renews_leases_that_ran_out(session_factory, sweep_with_jobs, worker) -> None:
    _, _, _job_ids = sweep_with_jobs
    with session_factory.begin() as session:
        job = queue.claim(session, worker, 60)
        session.get(Job, job.id).lease_expires_at = utcnow() - timedelta(seconds=600)
    with session_factory.begin() as session:
        assert queue.grant_restart_grace(session, 90) == 1
    with session_factory.begin() as session:
        assert queue.reap(session) == (0, 0)
        assert session.get(Job, job.id).state == JobState.running


def test_a_reaped_sweep_page_stops_polling(client, session_factory) -> None:
    """The page of a sweep whose last job the reaper failed shows it ended, and polls no more."""
    with session_factory.begin() as session:
        worker = Worker(name="gone")
        sweep = Sweep(name="s", kind="capacity", status="queued")
        session.add_all([worker, sweep])
        session.flush()
        run = Run(sweep_id=sweep.id, name="r", status="queued", config=trained_config("L1-d8"))
        session.add(run)
        session.flush()
        queue.enqueue(session, "sleep", {}, sweep_id=sweep.id, run_id=run.id, max_attempts=1)
        queue.claim(session, worker.id, 60)
        sweep_id = sweep.id
    polling = client.get(f"/sweeps/{sweep_id}").text
    assert 'hx-trigger="every 2s"' in polling
    with session_factory.begin() as session:
        queue.reap(session, now=utcnow() + timedelta(seconds=61))
    page = client.get(f"/sweeps/{sweep_id}").text
    assert 'hx-trigger="every 2s"' not in page
    assert client.get(f"/api/sweeps/{sweep_id}").json()["status"] == "failed"


def test_work_folders_of_dead_workers_are_removed(tmp_path) -> None:
    import os
    import subprocess

    from memdash.worker.agent import WORK_DIR_PREFIX, remove_orphaned_work_dirs

    dead = subprocess.Popen(["true"])
    dead.wait()
    orphan = tmp_path / f"{WORK_DIR_PREFIX}{dead.pid}-job-7-abc"
    mine = tmp_path / f"{WORK_DIR_PREFIX}{os.getpid()}-job-8-def"
    other = tmp_path / "something-else"
    for folder in (orphan, mine, other):
        folder.mkdir()
        (folder / "stack.pt").write_bytes(b"x")
    assert remove_orphaned_work_dirs(tmp_path) == 1
    assert not orphan.exists() and mine.exists() and other.exists()


def test_workers_not_seen_for_a_while_leave_the_list(client, session_factory) -> None:
    with session_factory.begin() as session:
        session.add(Worker(name="fresh"))
        session.add(Worker(name="stale", last_seen_at=utcnow() - timedelta(hours=1)))
    names = [w["name"] for w in client.get("/queue?format=json").json()["workers"]]
    assert names == ["fresh"]


def _finish_next_job(factory, worker_id: int, memorized_of) -> bool:
    """Claim and complete the next queued job with results from `memorized_of(n_samples)`."""
    with factory.begin() as session:
        job = queue.claim(session, worker_id, 60)
        if job is None:
            return False
        runs = {
            m["run_id"]: {"summary": {"mem_u_bits": memorized_of(m["n_samples"])}}
            for m in job.params["members"]
        }
        queue.complete(session, job.id, job.lease_token, {"runs": runs})
        return True


def test_a_capacity_sweep_refines_its_sizes_around_the_peak_once(session_factory) -> None:
    from memdash.app.kinds import KINDS
    from memdash.app.kinds.capacity.params import CapacitySweepParams

    params = CapacitySweepParams(
        vocab_size=16,
        seq_len=8,
        shapes=[{"n_layer": 1, "d_model": 8}],
        dataset_sizes=None,
        capacity_multiples=[0.5, 1, 2, 4],
        seeds=1,
    )
    with session_factory.begin() as session:
        session.add(Worker(name="w"))
        sweep_id = launcher.launch(session, KINDS["capacity"], params, None).id
    grid = sorted(params.sizes_for(params.shapes[0]))
    peak = grid[1]
    curve = lambda n: 1000.0 - abs(n - peak)  # noqa: E731 (memorized bits peak at grid[1])
    worker_id = _worker(session_factory)

    def progress() -> SweepProgress:
        with session_factory() as session:
            sweep = session.get(Sweep, sweep_id)
            jobs = session.scalars(select(Job).where(Job.sweep_id == sweep_id)).all()
            return sweep_progress(sweep, list(sweep.runs), list(jobs))

    before = progress()  # the refining pass's runs are counted from the start
    assert before.fraction == 0 and before.runs_to_come == 3 and before.n_runs == len(grid)
    assert _finish_next_job(session_factory, worker_id, curve)  # the grid: one job
    middle = progress()
    assert middle.runs_to_come == 0 and middle.n_finished == len(grid)
    assert middle.fraction >= len(grid) / (len(grid) + 3)  # it never moves back
    with session_factory() as session:
        sweep = session.get(Sweep, sweep_id)
        refined = [r for r in sweep.runs if r.config.get("refinement")]
        assert sweep.status == "running" and not sweep.summary  # the second pass is queued
        assert sorted(r.n_train for r in refined) == [
            round((grid[0] * peak) ** 0.5),
            round((peak * grid[2]) ** 0.5),
        ]
    assert _finish_next_job(session_factory, worker_id, curve)  # the second pass
    assert not _finish_next_job(session_factory, worker_id, curve)  # and no third
    assert progress().fraction == 1.0
    with session_factory() as session:
        sweep = session.get(Sweep, sweep_id)
        assert sweep.status == "succeeded"
        (shape,) = sweep.summary["shapes"]
        assert shape["argmax_n_samples"] == peak and shape["refined_sizes"] == sorted(
            r.n_train for r in sweep.runs if r.config.get("refinement")
        )
