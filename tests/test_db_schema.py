"""The schema: migrations reach the models exactly, and rows behave the same on both backends."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from memdash.app.db.models import (
    Base,
    Checkpoint,
    Dataset,
    Evaluation,
    Job,
    MetricPoint,
    Run,
    SampleScore,
    SavedView,
    Sweep,
    Worker,
)


def test_migrations_match_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def _graph(session: Session) -> Run:
    dataset = Dataset(
        name="uniform",
        kind="synthetic",
        content_sha256="a" * 64,
        vocab_size=2048,
        seq_len=64,
        n_train=10,
    )
    sweep = Sweep(name="capacity", kind="capacity", params={"layers": [1, 2]})
    run = Run(name="L1-d32", sweep=sweep, dataset=dataset, config={"n_layer": 1}, n_params=80_352)
    session.add(run)
    session.flush()
    session.add_all(
        [
            MetricPoint(run_id=run.id, name="train_loss_bits", step=s, value=11.0 - s)
            for s in range(3)
        ]
    )
    evaluation = Evaluation(run_id=run.id, dataset_id=dataset.id, reference={"kind": "uniform"})
    session.add(evaluation)
    session.flush()
    session.add(
        SampleScore(
            evaluation_id=evaluation.id,
            split="train",
            sample_index=0,
            n_tokens=64,
            nll_bits=12.5,
            mem_u_bits=691.5,
            text="hello",
        )
    )
    session.add(
        Checkpoint(
            run_id=run.id,
            kind="trained",
            step=100,
            format="memdash",
            sha256="b" * 64,
            storage_path="x",
            size_bytes=10,
        )
    )
    worker = Worker(name="w1")
    session.add(worker)
    session.flush()
    session.add(Job(kind="train_group", run_id=run.id, sweep_id=sweep.id, worker_id=worker.id))
    session.add(SavedView(slug="abc123", path="/figures/capacity", query="sweep=1"))
    return run


def test_rows_round_trip_and_cascade(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as session:
        run = _graph(session)
        run_id = run.id
    with session_factory() as session:
        run = session.get(Run, run_id)
        assert run is not None and run.sweep is not None
        assert run.config == {"n_layer": 1}
        assert run.created_at.tzinfo is UTC
        assert abs((datetime.now(UTC) - run.created_at).total_seconds()) < 60
        assert session.scalar(select(func.count()).select_from(MetricPoint)) == 3
    with session_factory.begin() as session:
        session.delete(session.get(Sweep, run.sweep_id))
    with session_factory() as session:
        for model in (Run, MetricPoint, SampleScore, Evaluation, Checkpoint, Job):
            assert session.scalar(select(func.count()).select_from(model)) == 0, model
        assert session.scalar(select(func.count()).select_from(Dataset)) == 1


def test_sample_scores_are_unique_per_evaluation_split_index(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as session:
        evaluation = Evaluation(name="e")
        session.add(evaluation)
        session.flush()
        evaluation_id = evaluation.id
    row = {
        "evaluation_id": evaluation_id,
        "split": "train",
        "sample_index": 7,
        "n_tokens": 64,
        "nll_bits": 1.0,
    }
    with session_factory.begin() as session:
        session.add(SampleScore(**row))
    with pytest.raises(IntegrityError), session_factory.begin() as session:
        session.add(SampleScore(**row))


def test_idempotency_key_is_unique(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as session:
        session.add(Job(kind="sleep", idempotency_key="k1"))
    with pytest.raises(IntegrityError), session_factory.begin() as session:
        session.add(Job(kind="sleep", idempotency_key="k1"))


def test_naive_datetimes_are_refused(session_factory: sessionmaker[Session]) -> None:
    with pytest.raises(Exception, match="naive"), session_factory.begin() as session:
        session.add(Worker(name="w", last_seen_at=datetime(2026, 1, 1)))
