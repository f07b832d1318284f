"""Training checkpoints are resume points, not models: a job keeps only its latest one and none
once it has succeeded; they are never listed, scored or downloaded as models; the migration
that introduced them mends rows and files left by older versions."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from memdash.app.db.migrate import alembic_config
from memdash.app.db.models import RESUME_FORMAT, Checkpoint, Job
from memdash.app.jobs import queue

WORKER = {"Authorization": "Bearer test-worker-token"}


def _resume_rows(session_factory) -> list[Checkpoint]:
    with session_factory() as session:
        query = select(Checkpoint).where(Checkpoint.format == RESUME_FORMAT)
        return list(session.scalars(query))


def test_a_job_keeps_only_its_latest_resume_point_and_none_once_done(
    client: TestClient, session_factory
) -> None:
    with session_factory.begin() as session:
        job_id = queue.enqueue(session, "sleep", {"seconds": 0}).id
    worker_id = client.post("/api/worker/register", json={"name": "w"}, headers=WORKER).json()
    claimed = client.post(
        "/api/worker/claim", json={"worker_id": worker_id["worker_id"]}, headers=WORKER
    ).json()
    lease = claimed["lease_token"]
    ids = []
    for step, payload in ((10, b"first state"), (20, b"second state")):
        answer = client.post(
            f"/api/worker/jobs/{job_id}/checkpoint",
            data={"lease_token": lease, "step": str(step)},
            files={"file": ("resume.pt", payload)},
            headers=WORKER,
        )
        assert answer.status_code == 200, answer.text
        ids.append(answer.json()["checkpoint_id"])
    rows = _resume_rows(session_factory)
    assert [r.id for r in rows] == [ids[1]]  # the first was removed, row and file
    assert Path(rows[0].storage_path).read_bytes() == b"second state"
    files = list(Path(rows[0].storage_path).parent.iterdir())
    assert files == [Path(rows[0].storage_path)]
    with session_factory() as session:
        assert session.get(Job, job_id).resume_checkpoint_id == ids[1]
    # Never a model: not listed, not on the page, not downloadable, not a scoring input.
    assert client.get("/api/checkpoints").json() == []
    page = client.get("/checkpoints")
    assert page.status_code == 200 and "job 1 step" not in page.text
    assert client.get(f"/checkpoints/{ids[1]}/download").status_code == 404
    scoring = client.post("/api/scorings", json={"checkpoint_ids": [ids[1]]})
    assert scoring.status_code in (404, 422), scoring.text

    done = client.post(
        f"/api/worker/jobs/{job_id}/complete",
        json={"lease_token": lease, "result": {"steps": 1, "resumed_from": 0}},
        headers=WORKER,
    )
    assert done.status_code == 200, done.text
    assert _resume_rows(session_factory) == []
    assert not Path(rows[0].storage_path).exists()
    with session_factory() as session:
        assert session.get(Job, job_id).resume_checkpoint_id is None


def test_the_migration_moves_old_resume_checkpoints_and_drops_the_unusable(
    tmp_path: Path,
) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0004")
    files = {name: tmp_path / f"{name}.pt" for name in ("old", "latest", "done")}
    for path in files.values():
        path.write_bytes(b"state")
    model = tmp_path / "model.tar.gz"
    model.write_bytes(b"an LM2")
    rows = [
        (1, "old", files["old"]),
        (2, "latest", files["latest"]),
        (3, "done", files["done"]),
        (4, "final LM2 model", model),
    ]
    with engine.begin() as connection:
        for checkpoint_id, name, path in rows:
            connection.execute(
                text(
                    "INSERT INTO checkpoints (id, name, kind, format, sha256, storage_path, "
                    "size_bytes, config, created_at) VALUES (:id, :name, 'trained', 'memdash', "
                    "'x', :path, 5, '{}', '2026-12-01 00:00:00')"
                ),
                {"id": checkpoint_id, "name": name, "path": str(path)},
            )
        for job_id, state, resume in ((1, "running", 2), (2, "succeeded", 3)):
            connection.execute(
                text(
                    "INSERT INTO jobs (id, kind, state, params, priority, attempts, "
                    "max_attempts, progress_frac, progress_message, cancel_requested, "
                    "result, resume_checkpoint_id, created_at, updated_at) VALUES (:id, 'sleep', "
                    ":state, '{}', 0, 1, 3, 0, '', 0, '{}', :resume, '2026-12-01 00:00:00', "
                    "'2026-12-01 00:00:00')"
                ),
                {"id": job_id, "state": state, "resume": resume},
            )
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    with Session(engine) as session:
        kept = {c.name: c.format for c in session.scalars(select(Checkpoint))}
        assert kept == {"latest": RESUME_FORMAT, "final LM2 model": "memdash"}
        assert session.get(Job, 2).resume_checkpoint_id is None
        assert session.get(Job, 1).resume_checkpoint_id == 2
    assert files["latest"].exists() and model.exists()
    assert not files["old"].exists() and not files["done"].exists()
    engine.dispose()
