"""Workers and server as real processes over real HTTP: kills, restarts, races, cancels."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from memdash.app.db.models import Job, JobState
from memdash.app.jobs import queue
from tests.live import WORKER_TOKEN, LiveWorker, wait_for

pytestmark = pytest.mark.slow


def _enqueue(factory: sessionmaker[Session], kind: str, params: dict, **kwargs) -> int:
    with factory.begin() as session:
        return queue.enqueue(session, kind, params, **kwargs).id


def _job(factory: sessionmaker[Session], job_id: int) -> Job:
    with factory() as session:
        return session.get(Job, job_id)


def _ended(factory, job_id: int) -> Job | None:
    job = _job(factory, job_id)
    return job if job.state in ("succeeded", "failed", "cancelled") else None


def test_a_job_runs_and_a_stale_lease_is_refused(live, session_factory, tmp_path) -> None:
    server, workers = live
    job_id = _enqueue(session_factory, "sleep", {"seconds": 0.2, "steps": 2})
    workers.append(LiveWorker(server.url, "w1", tmp_path))
    job = wait_for(lambda: _ended(session_factory, job_id), 60, "the job to end")
    assert job.state == "succeeded", job.error
    assert job.result == {"steps": 2, "resumed_from": 0} and job.worker_id is not None
    reply = httpx.post(
        f"{server.url}/api/worker/jobs/{job_id}/heartbeat",
        json={"lease_token": "stale"},
        headers={"Authorization": f"Bearer {WORKER_TOKEN}"},
    )
    assert reply.status_code == 409
    unauthorized = httpx.post(f"{server.url}/api/worker/register", json={"name": "x"})
    assert unauthorized.status_code == 401


def test_cancel_a_queued_and_a_running_job(live, session_factory, tmp_path) -> None:
    server, workers = live
    running = _enqueue(session_factory, "sleep", {"seconds": 60, "steps": 600})
    waiting = _enqueue(session_factory, "sleep", {"seconds": 1, "steps": 1})
    workers.append(LiveWorker(server.url, "w1", tmp_path))
    wait_for(lambda: _job(session_factory, running).progress_frac > 0, 60, "progress")
    with session_factory.begin() as session:
        queue.request_cancel(session, waiting)
        queue.request_cancel(session, running)
    assert wait_for(lambda: _ended(session_factory, running), 30, "cancel").state == "cancelled"
    assert _job(session_factory, waiting).state == "cancelled"


def test_a_job_that_crashes_fails_without_killing_the_worker(live, session_factory, tmp_path):
    server, workers = live
    bad = _enqueue(session_factory, "sleep", {"fail": "out of cheese"})
    good = _enqueue(session_factory, "sleep", {"seconds": 0.1})
    workers.append(LiveWorker(server.url, "w1", tmp_path))
    assert "out of cheese" in wait_for(lambda: _ended(session_factory, bad), 60, "fail").error
    assert wait_for(lambda: _ended(session_factory, good), 60, "next job").state == "succeeded"


def test_server_restart_mid_job(live, session_factory, tmp_path) -> None:
    server, workers = live
    job_id = _enqueue(session_factory, "sleep", {"seconds": 6, "steps": 30})
    workers.append(LiveWorker(server.url, "w1", tmp_path))
    wait_for(lambda: _job(session_factory, job_id).progress_frac > 0.1, 60, "the job to run")
    server.stop()
    import time

    time.sleep(2)
    server.start()
    job = wait_for(lambda: _ended(session_factory, job_id), 120, "the job to finish")
    assert job.state == "succeeded", job.error
    assert "server unreachable" in workers[0].output()


def test_a_result_finished_while_the_server_was_down_is_kept(
    live, session_factory, tmp_path
) -> None:
    """Down for longer than the lease (3 s) while the job finishes: the worker retries its
    result until the server is back, and the server keeps it (the job is not redone)."""
    server, workers = live
    job_id = _enqueue(session_factory, "sleep", {"seconds": 3, "steps": 30})
    workers.append(LiveWorker(server.url, "w1", tmp_path))
    wait_for(lambda: _job(session_factory, job_id).progress_frac > 0.1, 60, "the job to run")
    server.stop()
    import time

    time.sleep(8)  # the job ends meanwhile; its lease ran out long ago
    server.start()
    job = wait_for(lambda: _ended(session_factory, job_id), 120, "the result to arrive")
    assert job.state == "succeeded", job.error
    assert job.attempts == 1 and job.result == {"steps": 30, "resumed_from": 0}


def _race(session_factory, server, workers, tmp_path, n_workers: int, n_jobs: int) -> None:
    markers = tmp_path / "markers"
    markers.mkdir()
    with session_factory.begin() as session:
        ids = [
            queue.enqueue(session, "sleep", {"marker": str(markers / f"job-{i}")}).id
            for i in range(n_jobs)
        ]
    workers.extend(LiveWorker(server.url, f"w{i}", tmp_path) for i in range(n_workers))

    def all_done() -> bool:
        with session_factory() as session:
            return (
                session.scalar(
                    select(func.count())
                    .select_from(Job)
                    .where(Job.state.in_([JobState.succeeded, JobState.failed]))
                )
                == n_jobs
            )

    wait_for(all_done, 600, f"{n_jobs} jobs")
    with session_factory() as session:
        jobs = session.scalars(select(Job).where(Job.id.in_(ids))).all()
        assert [j.error for j in jobs if j.state != "succeeded"] == []
        assert all(j.attempts == 1 for j in jobs)
        assert len({j.worker_id for j in jobs}) > 1  # the work was shared
    assert len(list(markers.iterdir())) == n_jobs  # each ran exactly once (O_EXCL markers)
    assert "Internal Server Error" not in server.log.read_text()  # no lock errors, no 500s


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_four_workers_race_for_40_jobs_on_postgres(live, session_factory, tmp_path) -> None:
    server, workers = live
    _race(session_factory, server, workers, tmp_path, n_workers=4, n_jobs=40)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_two_workers_race_for_40_jobs_on_sqlite(live, session_factory, tmp_path) -> None:
    server, workers = live
    _race(session_factory, server, workers, tmp_path, n_workers=2, n_jobs=40)


def test_a_clean_shutdown_gives_the_job_back(live, session_factory, tmp_path) -> None:
    server, workers = live
    job_id = _enqueue(session_factory, "sleep", {"seconds": 60, "steps": 600})
    worker = LiveWorker(server.url, "w1", tmp_path)
    workers.append(worker)
    wait_for(lambda: _job(session_factory, job_id).progress_frac > 0, 60, "the job to run")
    worker.stop()  # SIGTERM
    job = _job(session_factory, job_id)
    assert (job.state, job.attempts, job.lease_token) == ("queued", 0, None)
    assert job.resume_checkpoint_id is not None  # the next worker continues from there
    assert "stopped" in worker.output()


def test_an_idle_exit_worker_leaves_when_the_server_is_gone(live, tmp_path) -> None:
    """A worker told to exit when idle (how Slurm workers run) also exits when the server stays
    unreachable that long, whether it never reached it or lost it after registering: a server
    that went away must not leave it holding its allocation, retrying forever."""
    import subprocess
    import sys
    import time

    from tests.pg_cluster import free_port

    server, _ = live

    def worker(url: str, name: str) -> subprocess.Popen:
        command = [
            sys.executable,
            "-m",
            "memdash.app.cli.main",
            "worker",
            "--server",
            url,
            "--name",
            name,
        ]
        command += ["--token", WORKER_TOKEN, "--idle-exit", "3"]
        log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115 (closed with the process)
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)

    never = worker(f"http://127.0.0.1:{free_port()}", "never")  # nothing listens there
    connected = worker(server.url, "connected")
    wait_for(lambda: "connected as" in (tmp_path / "connected.log").read_text(), 60, "registration")
    server.stop()  # gone while the worker waits for a job
    started = time.monotonic()
    for process in (never, connected):
        assert process.wait(timeout=60) == 0
    assert time.monotonic() - started < 60
    assert "exiting" in (tmp_path / "never.log").read_text()
    assert "no server" in (tmp_path / "connected.log").read_text()
