"""Deleting uploads without losing results: a checkpoint or corpus that a queued or running job
still needs is refused (409); results computed from a checkpoint stay (they are detached from
it); the file goes once no other row points at it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from memdash.app.db.models import Checkpoint, Dataset, Evaluation, Job, JobState


class InUse(Exception):
    pass


def _job_using(session: Session, sha256: str) -> int | None:
    active = session.scalars(select(Job).where(Job.state.in_((JobState.queued, JobState.running))))
    for job in active:
        inputs = (job.params or {}).get("inputs") or {}
        if any(spec.get("sha256") == sha256 for spec in inputs.values()):
            return job.id
    return None


def _remove_file_if_unused(session: Session, path: str | None) -> None:
    if not path:
        return
    still = session.scalar(select(Checkpoint.id).where(Checkpoint.storage_path == path))
    still = still or session.scalar(select(Dataset.id).where(Dataset.storage_path == path))
    if still is None:
        Path(path).unlink(missing_ok=True)


def delete_checkpoint(session: Session, checkpoint: Checkpoint) -> None:
    if (job_id := _job_using(session, checkpoint.sha256)) is not None:
        raise InUse(
            f"checkpoint {checkpoint.id} is an input of job {job_id}, still queued or running"
        )
    session.execute(
        update(Evaluation)
        .where(Evaluation.checkpoint_id == checkpoint.id)
        .values(checkpoint_id=None)
    )
    path = checkpoint.storage_path
    session.delete(checkpoint)
    session.flush()
    _remove_file_if_unused(session, path)


def delete_corpus(session: Session, corpus: Dataset) -> None:
    if (job_id := _job_using(session, corpus.content_sha256)) is not None:
        raise InUse(f"corpus {corpus.id} is an input of job {job_id}, still queued or running")
    path = corpus.storage_path
    session.delete(corpus)
    session.flush()
    _remove_file_if_unused(session, path)
