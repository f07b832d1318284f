"""Read-only selects used by pages, figures and the JSON API."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import Checkpoint, Dataset, Evaluation, Job, Run, SampleScore, Sweep, Worker


@dataclass(frozen=True)
class Overview:
    sweeps: list[Sweep]
    n_runs: int
    n_uploads: int
    jobs_by_state: dict[str, int]
    workers: list[Worker]
    corpora: list[Dataset]

    @property
    def is_empty(self) -> bool:
        return not self.sweeps and self.n_runs == 0 and self.n_uploads == 0


def overview(session: Session, *, recent_sweeps: int = 20) -> Overview:
    sweeps = session.scalars(select(Sweep).order_by(Sweep.id.desc()).limit(recent_sweeps)).all()
    n_runs = session.scalar(select(func.count()).select_from(Run)) or 0
    n_uploads = (
        session.scalar(
            select(func.count()).select_from(Checkpoint).where(Checkpoint.kind == "uploaded")
        )
        or 0
    )
    jobs_by_state = dict(session.execute(select(Job.state, func.count()).group_by(Job.state)).all())
    workers = session.scalars(select(Worker).order_by(Worker.last_seen_at.desc()).limit(20)).all()
    corpora = session.scalars(
        select(Dataset).where(Dataset.kind == "corpus").order_by(Dataset.id.desc()).limit(50)
    ).all()
    return Overview(list(sweeps), n_runs, n_uploads, jobs_by_state, list(workers), list(corpora))


ACTIVE_STATES = ("queued", "running")


def recent_jobs(session: Session, limit: int = 200) -> list[Job]:
    return list(session.scalars(select(Job).order_by(Job.id.desc()).limit(limit)).all())


def workers(session: Session) -> list[Worker]:
    return list(session.scalars(select(Worker).order_by(Worker.last_seen_at.desc())).all())


def any_active_jobs(session: Session) -> bool:
    return (
        session.scalar(select(func.count()).select_from(Job).where(Job.state.in_(ACTIVE_STATES)))
        > 0
    )


def sweep_runs(session: Session, sweep_id: int) -> list[Run]:
    return list(session.scalars(select(Run).where(Run.sweep_id == sweep_id).order_by(Run.id)).all())


def sweep_jobs(session: Session, sweep_id: int) -> list[Job]:
    return list(session.scalars(select(Job).where(Job.sweep_id == sweep_id).order_by(Job.id)).all())


def top_memorized_samples(session: Session, sweep_id: int, limit: int = 20) -> list[dict]:
    """The training samples with the most unintended memorization across a sweep's runs."""
    rows = session.execute(
        select(SampleScore, Run.name)
        .join(Evaluation, Evaluation.id == SampleScore.evaluation_id)
        .join(Run, Run.id == Evaluation.run_id)
        .where(Run.sweep_id == sweep_id, SampleScore.split == "train")
        .order_by(SampleScore.mem_u_bits.desc())
        .limit(limit)
    ).all()
    return [
        {
            "run": name,
            "text": s.text,
            "script": s.script,
            "tfidf": s.tfidf,
            "mem_u_bits": s.mem_u_bits,
            "extract_16": s.extract_16,
            "extract_8": s.extract_8,
            "nll_bits": s.nll_bits,
            "ref_bits": s.ref_bits,
        }
        for s, name in rows
    ]
