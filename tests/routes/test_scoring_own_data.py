"""Scoring a text sweep's models on the sweep's data (issue 27): with seeds > 1 each seed has its
own document split, so each checkpoint is scored on its own run's members and non-members, not
on one run's training set for all."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from app.corpora import corpus_by_sha
from app.db.models import Checkpoint, Evaluation, Job, Run, SampleScore, Sweep


def _text_sweep(session_factory) -> tuple[int, list[int]]:
    """A text sweep with one finished run per seed (their own texts) and a model of each."""
    with session_factory() as session, session.begin():
        sweep = Sweep(name="text", kind="text", params={}, status="succeeded")
        session.add(sweep)
        session.flush()
        checkpoint_ids = []
        for seed in (0, 1):
            run = Run(
                sweep_id=sweep.id, name=f"seed {seed}", seed=seed, n_train=3, status="succeeded"
            )
            session.add(run)
            session.flush()
            evaluation = Evaluation(run_id=run.id, status="succeeded")
            session.add(evaluation)
            session.flush()
            for split, n in (("train", 3), ("heldout", 2)):
                for i in range(n):
                    session.add(
                        SampleScore(
                            evaluation_id=evaluation.id,
                            split=split,
                            sample_index=i,
                            n_tokens=4,
                            nll_bits=1.0,
                            text=f"seed {seed} {split} sample {i}",
                        )
                    )
            checkpoint = Checkpoint(
                run_id=run.id,
                name=f"model of seed {seed}",
                kind="trained",
                format="hf",
                sha256=f"{seed:064x}",
                storage_path="unused",
                size_bytes=1,
                config={"max_positions": 64},
            )
            session.add(checkpoint)
            session.flush()
            checkpoint_ids.append(checkpoint.id)
        return sweep.id, checkpoint_ids


def test_each_seed_is_scored_on_its_own_split(client, session_factory) -> None:
    sweep_id, checkpoint_ids = _text_sweep(session_factory)
    body = {"checkpoint_ids": checkpoint_ids, "seq_len": 16, "members": f"sweep:{sweep_id}"}
    launched = client.post("/api/scorings", json=body)
    assert launched.status_code == 201, launched.text
    with session_factory() as session:
        jobs = session.scalars(
            select(Job).where(Job.sweep_id == launched.json()["sweep_id"]).order_by(Job.id)
        ).all()
        assert len(jobs) == 2
        for seed, job in enumerate(jobs):
            for role, split in (("members", "train"), ("nonmembers", "heldout")):
                sha = job.params["inputs"][role]["sha256"]
                text = Path(corpus_by_sha(session, sha).storage_path).read_text()
                assert f"seed {seed} {split} sample 0" in text
                assert f"seed {1 - seed}" not in text  # never the other seed's data
            run = session.get(Run, job.run_id)
            assert run.config["own_run_data"]
