"""Read-only selects used by pages, figures and the JSON API."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from memdash.app.db.models import (
    SAMPLE_FIELDS,
    Checkpoint,
    Dataset,
    Evaluation,
    Job,
    Run,
    SampleScore,
    Sweep,
    Worker,
    utcnow,
)
from memdash.app.files.corpora import is_hub_corpus, list_corpora
from memdash.app.jobs.queue import CLAIM_ORDER
from memdash.app.jobs.sweep_progress import SweepProgress, sweep_progress
from memdash.app.settings import Settings
from memdash.core.edges import TableRow


@dataclass(frozen=True)
class Overview:
    sweeps: list[Sweep]
    n_runs: int
    n_uploads: int
    jobs_by_state: dict[str, int]
    workers: list[Worker]
    corpora: list[Dataset]
    progress: dict[int, SweepProgress]  # per sweep id
    lost_workers: set[int]  # ids of workers not heard from for two silences
    next_jobs: list[Job]  # the head of the queue, in claim order

    @property
    def n_alive(self) -> int:
        return len(self.workers) - len(self.lost_workers)

    @property
    def is_empty(self) -> bool:
        return not self.sweeps and self.n_runs == 0 and self.n_uploads == 0

    @property
    def active(self) -> bool:
        """Work is queued or running: the page follows it."""
        return any(self.jobs_by_state.get(state) for state in ("queued", "running"))


def overview(session: Session, settings: Settings, *, recent_sweeps: int = 20) -> Overview:
    """What the overview leads with: sweeps (running first) with their progress, the queue's
    head and the workers with their health."""
    recent = session.scalars(select(Sweep).order_by(Sweep.id.desc()).limit(recent_sweeps)).all()
    sweeps = sorted(recent, key=lambda s: (s.status not in ACTIVE_STATES, -s.id))
    ids = [s.id for s in sweeps]
    runs_of: dict[int, list[Run]] = {i: [] for i in ids}
    for run in session.scalars(select(Run).where(Run.sweep_id.in_(ids))):
        runs_of[run.sweep_id or 0].append(run)  # every run selected has a sweep
    jobs_of: dict[int, list[Job]] = {i: [] for i in ids}
    for job in session.scalars(select(Job).where(Job.sweep_id.in_(ids))):
        jobs_of[job.sweep_id or 0].append(job)  # every job selected has a sweep
    progress = {s.id: sweep_progress(s, runs_of[s.id], jobs_of[s.id]) for s in sweeps}
    n_runs = session.scalar(select(func.count()).select_from(Run)) or 0
    n_uploads = (
        session.scalar(
            select(func.count()).select_from(Checkpoint).where(Checkpoint.kind == "uploaded")
        )
        or 0
    )
    jobs_by_state = dict(session.execute(select(Job.state, func.count()).group_by(Job.state)).all())
    # A worker started again registers anew under its name: the overview shows each name's
    # newest registration (the queue page lists them all).
    newest: dict[str, Worker] = {}
    for worker in workers(session):  # most recent first
        newest.setdefault(worker.name, worker)
    seen = list(newest.values())
    lost = {w.id for w in seen if is_lost(w, settings)}
    head = session.scalars(
        select(Job).where(Job.state == "queued").order_by(*CLAIM_ORDER).limit(5)
    ).all()
    return Overview(
        list(sweeps),
        n_runs,
        n_uploads,
        jobs_by_state,
        seen,
        # The text sweep's form offers the corpora it can train on: uploaded text, not token
        # ids or Hub datasets (both are for scoring).
        [c for c in list_corpora(session) if not c.params.get("tokens") and not is_hub_corpus(c)],
        progress,
        lost,
        list(head),
    )


ACTIVE_STATES = ("queued", "running")


def recent_jobs(session: Session, limit: int = 200) -> list[Job]:
    return list(session.scalars(select(Job).order_by(Job.id.desc()).limit(limit)).all())


# A worker not heard from for this long has left the list (it registers anew when it returns).
WORKER_AGE_OUT = timedelta(minutes=10)


def workers(session: Session) -> list[Worker]:
    """Workers seen recently, most recent first."""
    query = (
        select(Worker)
        .where(Worker.last_seen_at > utcnow() - WORKER_AGE_OUT)
        .order_by(Worker.last_seen_at.desc())
    )
    return list(session.scalars(query).all())


def lost_after_s(settings: Settings) -> float:
    """A worker is lost when it has not been heard from for two of its longest silences: a
    running job heartbeats every heartbeat_s, an idle worker's claim waits claim_wait_s."""
    return 2 * max(settings.heartbeat_s, settings.claim_wait_s)


def is_lost(worker: Worker, settings: Settings) -> bool:
    return (utcnow() - worker.last_seen_at).total_seconds() > lost_after_s(settings)


def alive_worker_count(session: Session, settings: Settings) -> int:
    """Workers heard from recently enough to take the next jobs (queue estimates use these)."""
    return sum(not is_lost(w, settings) for w in workers(session))


def any_active_jobs(session: Session) -> bool:
    return (
        session.scalar(select(func.count()).select_from(Job).where(Job.state.in_(ACTIVE_STATES)))
        or 0
    ) > 0


def sweep_runs(session: Session, sweep_id: int) -> list[Run]:
    return list(session.scalars(select(Run).where(Run.sweep_id == sweep_id).order_by(Run.id)).all())


def sweep_jobs(session: Session, sweep_id: int) -> list[Job]:
    return list(session.scalars(select(Job).where(Job.sweep_id == sweep_id).order_by(Job.id)).all())


def top_memorized_samples(session: Session, sweep_id: int, limit: int = 20) -> list[TableRow]:
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
            "extract_32": s.extract_32,
            "nll_bits": s.nll_bits,
            "ref_bits": s.ref_bits,
        }
        for s, name in rows
    ]


def run_sample_points(session: Session, run_id: int, limit: int = 20_000) -> list[TableRow]:
    """Per-sample scores of a run's evaluation (both splits), at most `limit` rows."""
    rows = session.execute(
        select(SampleScore)
        .join(Evaluation, Evaluation.id == SampleScore.evaluation_id)
        .where(Evaluation.run_id == run_id)
        .order_by(SampleScore.split, SampleScore.sample_index)
        .limit(limit)
    ).scalars()
    return [
        {
            "split": s.split,
            "sample_index": s.sample_index,
            "n_tokens": s.n_tokens,
            "nll_bits": s.nll_bits,
            "ref_bits": s.ref_bits,
            "mem_u_bits": s.mem_u_bits,
            "tfidf": s.tfidf,
            "extract_8": s.extract_8,
            "extract_16": s.extract_16,
            "extract_32": s.extract_32,
            "discover_8": s.discover_8,
            "discover_16": s.discover_16,
            "discover_32": s.discover_32,
            "script": s.script,
            "text": s.text,
        }
        for s in rows
    ]


SAMPLE_COLUMNS = SAMPLE_FIELDS


def sweep_sample_rows(session: Session, sweep_id: int) -> Iterator[TableRow]:
    """Every per-sample score of a sweep's runs, run by run (streamed, for downloads)."""
    query = (
        select(Run.id, Run.name, SampleScore)
        .join(Evaluation, Evaluation.run_id == Run.id)
        .join(SampleScore, SampleScore.evaluation_id == Evaluation.id)
        .where(Run.sweep_id == sweep_id)
        .order_by(Run.id, SampleScore.split, SampleScore.sample_index)
        .execution_options(yield_per=2000)
    )
    for run_id, run_name, score in session.execute(query):
        yield {"run_id": run_id, "run": run_name, **{c: getattr(score, c) for c in SAMPLE_COLUMNS}}
