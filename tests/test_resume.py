"""kill -9 a worker in the middle of the stacked jobs the product launches (`train_group` for
capacity sweeps, `train_text` for text sweeps): the next worker resumes from the uploaded
checkpoint and the results are identical to an uninterrupted run of the same job."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from memdash.app.db.models import Job, MetricPoint, Run
from memdash.app.jobs import queue
from tests.live import LiveWorker, wait_for

pytestmark = pytest.mark.slow

TRAIN = {
    "max_steps": 400,
    "batch_size": 16,
    "lr": 0.01,
    "warmup_steps": 10,
    "eval_every": 20,
    "checkpoint_every": 40,
    "patience_evals": 1000,  # no early stop: the budget is what is resumed
}
GROUP = {
    "model": {"vocab_size": 64, "seq_len": 16, "n_layer": 1, "d_model": 16},
    "train": TRAIN,
    "n_heldout": 8,
}
TEXT = {
    "model": {"n_layer": 1, "d_model": 16},
    "corpus": "demo",
    "vocab_size": 300,
    "seq_len": 16,
    "n_heldout": 16,
    "reference": "full",
    "train": TRAIN,
}


def _stacked_job(factory: sessionmaker[Session], kind: str, params: dict, sizes: list[int]):
    """Runs for the members and the job that trains them; (job id, run ids)."""
    with factory.begin() as session:
        run_ids = []
        for n in sizes:
            run = Run(name=f"N={n}", n_train=n, config={"vocab_size": 64, "seq_len": 16})
            session.add(run)
            session.flush()
            run_ids.append(run.id)
        members = [{"run_id": r, "n_samples": n} for r, n in zip(run_ids, sizes, strict=True)]
        job = queue.enqueue(session, kind, {**params, "members": members})
        return job.id, run_ids


def _job(factory, job_id: int) -> Job:
    with factory() as session:
        return session.get(Job, job_id)


def _run_results(factory, run_ids: list[int]) -> list[tuple[dict, list]]:
    with factory() as session:
        results = []
        for run_id in run_ids:
            run = session.get(Run, run_id)
            curve = session.execute(
                select(MetricPoint.name, MetricPoint.step, MetricPoint.value)
                .where(MetricPoint.run_id == run_id)
                .order_by(MetricPoint.name, MetricPoint.step)
            ).all()
            results.append((run.summary, [tuple(point) for point in curve]))
        return results


@pytest.mark.parametrize(
    ("kind", "params", "sizes"),
    [("train_group", GROUP, [16, 48]), ("train_text", TEXT, [8, 32])],
    ids=["train_group", "train_text"],
)
def test_kill_9_resumes_a_stacked_job_bit_for_bit(
    live, session_factory, tmp_path, kind: str, params: dict, sizes: list[int]
) -> None:
    server, workers = live
    killed, killed_runs = _stacked_job(session_factory, kind, params, sizes)
    reference, reference_runs = _stacked_job(session_factory, kind, params, sizes)
    first = LiveWorker(server.url, "first", tmp_path)
    workers.append(first)
    wait_for(lambda: _job(session_factory, killed).resume_checkpoint_id, 180, "a checkpoint")
    first.kill_hard()
    workers.append(LiveWorker(server.url, "second", tmp_path))

    def both_ended() -> bool:
        return all(
            _job(session_factory, j).state in ("succeeded", "failed") for j in (killed, reference)
        )

    wait_for(both_ended, 400, "both jobs to end")
    resumed = _job(session_factory, killed)
    assert resumed.state == "succeeded", resumed.error
    assert resumed.attempts == 2
    assert _job(session_factory, reference).state == "succeeded"
    got = _run_results(session_factory, killed_runs)
    expected = _run_results(session_factory, reference_runs)
    for (got_summary, got_curve), (want_summary, want_curve) in zip(got, expected, strict=True):
        assert got_summary.pop("resumed_from_step") >= TRAIN["checkpoint_every"]  # not restarted
        assert want_summary.pop("resumed_from_step") == 0
        assert got_curve == want_curve  # every evaluation, stored once, identical
        assert got_summary == want_summary
