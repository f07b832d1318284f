"""ORM models. Sized for 10^6 per-sample rows: indexes follow what pages filter and sort by."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from memdash.core.api import CheckpointInfo
from memdash.core.edges import JSONObject

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a real 64-bit key.
BigId = BigInteger().with_variant(Integer, "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC: identical behaviour on SQLite and PostgreSQL."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use utcnow()")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar = {datetime: UTCDateTime(), JSONObject: JSON}


class JobState(enum.StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


TERMINAL_JOB_STATES = (JobState.succeeded, JobState.failed, JobState.cancelled)


class Sweep(Base):
    """A grid of runs launched together (capacity or text), or uploads scored together."""

    __tablename__ = "sweeps"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))  # capacity | text | scoring
    preset: Mapped[str | None] = mapped_column(String(32))
    # JSON documents, typed by the sweep's kind: its parameter model (SweepKind.params_model)
    # and its summary model (SweepKind.summary_model, read through kinds.read_summary).
    params: Mapped[JSONObject] = mapped_column(default=dict)
    summary: Mapped[JSONObject] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    runs: Mapped[list[Run]] = relationship(back_populates="sweep", cascade="all, delete-orphan")


class Dataset(Base):
    """Token samples a model was trained or scored on; identity is the content hash."""

    __tablename__ = "datasets"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))  # synthetic | text | upload
    content_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    # What parsing the corpus found (documents, bytes, groups): core.api.StoredCorpus's extras.
    params: Mapped[JSONObject] = mapped_column(default=dict)
    vocab_size: Mapped[int | None]
    seq_len: Mapped[int | None]
    n_train: Mapped[int] = mapped_column(default=0)
    n_heldout: Mapped[int] = mapped_column(default=0)
    storage_path: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Run(Base):
    """One model trained on one dataset with one seed."""

    __tablename__ = "runs"
    __table_args__ = (Index("ix_runs_sweep_status", "sweep_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    sweep_id: Mapped[int | None] = mapped_column(ForeignKey("sweeps.id", ondelete="CASCADE"))
    dataset_id: Mapped[int | None] = mapped_column(ForeignKey("datasets.id"))
    name: Mapped[str] = mapped_column(String(200))
    # A JSON document: a trained run's core.run_config.TrainedRunConfig (its kind's subclass);
    # a scoring's run, the checkpoint and data it scores.
    config: Mapped[JSONObject] = mapped_column(default=dict)
    seed: Mapped[int] = mapped_column(default=0)
    n_params: Mapped[int | None]
    n_train: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(16), default="queued")
    # Precomputed totals that pages read (memorized bits, losses, MI and extraction rates, ...):
    # core.results.RunSummary as the job returned it.
    summary: Mapped[JSONObject] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    sweep: Mapped[Sweep | None] = relationship(back_populates="runs")
    dataset: Mapped[Dataset | None] = relationship()


# Checkpoint.format values that hold a model memdash can load and score: a Hugging Face folder,
# a GGUF file, memdash's own folder (an LM2: worker/memdash_format.py).
# "hub": a model named by Hub id and revision (core/hub_ref.py); no file, a worker resolves it.
MODEL_FORMATS = ("hf", "gguf", "memdash", "hub")
# A training job's resume point (optimizer state and all, worker/train.py): never a model. A job
# keeps only its latest one, and none once it has succeeded (app/jobs/queue.py).
RESUME_FORMAT = "resume"


class Checkpoint(Base):
    """Model weights on disk: written by training, or uploaded by a user (data, never code)."""

    __tablename__ = "checkpoints"
    __table_args__ = (UniqueConstraint("run_id", "step", name="uq_checkpoints_run_step"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(16))  # trained | uploaded
    step: Mapped[int | None]
    format: Mapped[str] = mapped_column(String(32))  # MODEL_FORMATS or RESUME_FORMAT
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    storage_path: Mapped[str] = mapped_column(String(500))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    # What loading the model found (core.api.CheckpointInfo), read through `info`; a resume
    # point's is its job and step.
    config: Mapped[JSONObject] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def info(self) -> CheckpointInfo:
        """What loading the model found, one document for uploads and trained models (a
        model's formats only: a resume point has none, and raises ValueError)."""
        return CheckpointInfo.model_validate({**self.config, "format": self.format})


class Worker(Base):
    """A job runner that talks to the server over HTTP."""

    __tablename__ = "workers"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    device: Mapped[str] = mapped_column(String(64), default="cpu")
    info: Mapped[JSONObject] = mapped_column(default=dict)  # core.worker_protocol.Register
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class Job(Base):
    """A unit of work in the queue. Only app/jobs/queue.py changes its state."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_claim", "state", "priority", "id"),
        Index("ix_jobs_lease", "state", "lease_expires_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    params: Mapped[JSONObject] = mapped_column(default=dict)  # the kind's core.jobs model
    state: Mapped[str] = mapped_column(String(16), default=JobState.queued)
    priority: Mapped[int] = mapped_column(default=0)  # lower runs first
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=3)
    lease_token: Mapped[str | None] = mapped_column(String(64))
    # The token of a lease that ran out (the job went back to the queue): while no other worker
    # has claimed the job, its old holder's heartbeat takes it back and its result is accepted.
    last_lease_token: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None]
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"))
    progress_frac: Mapped[float] = mapped_column(Float, default=0.0)
    progress_message: Mapped[str] = mapped_column(String(500), default="")
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[JSONObject] = mapped_column(default=dict)  # the kind's result model
    sweep_id: Mapped[int | None] = mapped_column(
        ForeignKey("sweeps.id", ondelete="CASCADE"), index=True
    )
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    resume_checkpoint_id: Mapped[int | None] = mapped_column(
        ForeignKey("checkpoints.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    worker: Mapped[Worker | None] = relationship()


class MetricPoint(Base):
    """One value of a training curve: (run, name, step) -> value."""

    __tablename__ = "metric_points"
    __table_args__ = (Index("ix_metric_points_run_name_step", "run_id", "name", "step"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    step: Mapped[int]
    value: Mapped[float] = mapped_column(Float)


class Evaluation(Base):
    """One model scored on one dataset against one reference: a run's own or an upload's."""

    __tablename__ = "evaluations"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("runs.id", ondelete="CASCADE"), index=True
    )
    checkpoint_id: Mapped[int | None] = mapped_column(
        ForeignKey("checkpoints.id", ondelete="CASCADE"), index=True
    )
    dataset_id: Mapped[int | None] = mapped_column(ForeignKey("datasets.id"))
    reference: Mapped[JSONObject] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    summary: Mapped[JSONObject] = mapped_column(default=dict)
    # {"train": N, "heldout": M}: stored with the rows so pages never count 10^6 rows
    sample_counts: Mapped[JSONObject | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SampleScore(Base):
    """Per-sample numbers of one evaluation (SPEC 1, 2, 5, 7). All information in bits."""

    __tablename__ = "sample_scores"
    __table_args__ = (
        UniqueConstraint("evaluation_id", "split", "sample_index", name="uq_sample_scores_sample"),
        Index("ix_sample_scores_eval_split_mem", "evaluation_id", "split", "mem_u_bits"),
        Index("ix_sample_scores_eval_split_tfidf", "evaluation_id", "split", "tfidf"),
        # Covering: the scatter's candidates are read from the index alone.
        Index(
            "ix_sample_scores_scatter",
            "evaluation_id",
            "split",
            "in_scatter",
            "tfidf",
            "mem_u_bits",
        ),
        Index("ix_sample_scores_split_mem", "split", "mem_u_bits"),
        Index("ix_sample_scores_split_tfidf", "split", "tfidf"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"))
    split: Mapped[str] = mapped_column(String(8))  # train | heldout
    sample_index: Mapped[int]
    n_tokens: Mapped[int]
    n_bytes: Mapped[int | None]
    nll_bits: Mapped[float] = mapped_column(Float)  # H(x | target), SPEC 1
    ref_bits: Mapped[float | None] = mapped_column(Float)  # H(x | reference)
    mem_u_bits: Mapped[float | None] = mapped_column(Float)  # SPEC 2
    tfidf: Mapped[float | None] = mapped_column(Float)  # SPEC 7
    extract_8: Mapped[float | None] = mapped_column(Float)  # SPEC 5 score at k=8
    extract_16: Mapped[float | None] = mapped_column(Float)
    extract_32: Mapped[float | None] = mapped_column(Float)
    # SPEC 13: log10 p_s of the continuation after k tokens under top-k sampling (the scheme
    # in core/metrics/discoverable.py; −999 stands for 0)
    discover_8: Mapped[float | None] = mapped_column(Float)
    discover_16: Mapped[float | None] = mapped_column(Float)
    discover_32: Mapped[float | None] = mapped_column(Float)
    script: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[str | None] = mapped_column(Text)
    # Drawn in the mem_U vs TF-IDF scatter: its run's extremes per TF-IDF bucket, or one of its
    # most memorized samples (app/analysis/scatter.py), chosen when the results are stored.
    in_scatter: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # In the membership attack's balanced set (core/stratified.py): what its AUC was computed
    # on, so a paired comparison of two files reads the same samples (issue 37).
    in_attack: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


# The per-sample fields pages, downloads and exports carry (everything but the keys).
SAMPLE_FIELDS = (
    "split",
    "sample_index",
    "n_tokens",
    "n_bytes",
    "nll_bits",
    "ref_bits",
    "mem_u_bits",
    "tfidf",
    "extract_8",
    "extract_16",
    "extract_32",
    "discover_8",
    "discover_16",
    "discover_32",
    "script",
    "text",
    "in_attack",
)


class SavedView(Base):
    """A share link: /v/{slug} -> path?query, live or frozen."""

    __tablename__ = "saved_views"
    slug: Mapped[str] = mapped_column(String(32), primary_key=True)
    path: Mapped[str] = mapped_column(String(500))
    query: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A frozen link's snapshot of what the view drew when it was saved (figure, rows, tables,
    # notes); None for a live link, which draws the current data.
    snapshot: Mapped[JSONObject | None] = mapped_column(JSON)
