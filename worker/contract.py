"""The typed job contract between the server and its workers: every job's parameters and every
job's result, as pydantic models. Pure (no torch, no I/O): the server imports it to build jobs
and to check results, the worker to check the jobs it claims.

- The server builds each job's parameters from these models (app/sweeps.py, app/scoring.py);
  `app.db.queue.enqueue` refuses parameters that do not validate for the job's kind.
- A worker validates a claimed job's parameters before it runs it; a job from a newer or older
  server that does not fit fails at once with a one-line message, not half-way.
- `/api/worker/jobs/{id}/complete` validates the result against the kind's result model, so
  the write path (app/results.py) reads typed fields, never string keys parsed again.

Every default is defined once, here (TrainParams is also what worker.train.TrainConfig takes
its defaults from). Unknown keys are refused everywhere but in a run's summary, which carries
per-attack numbers (`mi_<attack>_auc`, ...) and per-k extraction rates beside its typed fields.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from worker.params import ScoringCanaries, Strict, SweepCanaries, TrainParams

# Identifiers bounded to the databases' signed 64-bit integers.
DbId = Annotated[int, Field(ge=1, le=2**63 - 1)]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
# The models refuse NaN and ±inf (allow_inf_nan=False): JSON columns cannot hold them.
Finite = float


def non_finite(value: Any, where: str = "result") -> str | None:
    """The path of the first NaN or ±inf in a nested value (JSON cannot carry them), or None."""
    if isinstance(value, float) and not math.isfinite(value):
        return where
    if isinstance(value, dict):
        items = ((f"{where}.{key}", item) for key, item in value.items())
    elif isinstance(value, list | tuple):
        items = ((f"{where}[{index}]", item) for index, item in enumerate(value))
    else:
        return None
    return next((found for path, item in items if (found := non_finite(item, path))), None)


def _check_finite(value: Any, where: str) -> None:
    """Refuse NaN/inf anywhere in free-form extras (PostgreSQL's JSON cannot store them)."""
    if (found := non_finite(value, where)) is not None:
        raise ValueError(f"{found} must be a finite number")


class Open(BaseModel):
    """Typed fields plus free-form extras (checked to be finite)."""

    model_config = ConfigDict(extra="allow", allow_inf_nan=False)

    @model_validator(mode="after")
    def _finite_extras(self) -> Open:
        for key, value in (self.model_extra or {}).items():
            _check_finite(value, key)
        return self


# ---- parameters ---------------------------------------------------------------------------


class LayerShape(Strict):
    """A text sweep's shape: vocabulary and length come from its dataset; with memory slots an
    LM2 (worker/memory.py, worker.model.GPTConfig's memory fields)."""

    n_layer: int = Field(ge=1, le=64)
    d_model: int = Field(ge=4, le=8192)
    memory_slots: int = Field(default=0, ge=0, le=4096)
    memory_blocks: int = Field(default=0, ge=0, le=64)
    memory_learned: bool = True
    memory_heads: int = Field(default=0, ge=0, le=256)


class ModelShape(LayerShape):
    """The GPT's shape (worker.model.GPTConfig)."""

    vocab_size: int = Field(ge=2, le=1_000_000)
    seq_len: int = Field(ge=2, le=8192)


class Member(Strict):
    """One run of a stacked job: its dataset size and seed."""

    run_id: DbId
    n_samples: int = Field(ge=1, le=100_000_000)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)


class InputFile(Strict):
    """A file the worker downloads by content hash before the job starts."""

    kind: Literal["corpus", "checkpoint"]
    sha256: Sha256
    name: str = Field(default="", max_length=200)
    format: str = Field(default="", max_length=16)


class SleepJob(Strict):
    """A trivial job for tests and smoke checks (worker/jobs/sleep.py)."""

    seconds: float = Field(default=0.0, ge=0, le=86_400)
    steps: int = Field(default=1, ge=1, le=1_000_000)
    marker: str | None = Field(default=None, max_length=1000)
    fail: str | None = Field(default=None, max_length=1000)


class UniformData(Strict):
    kind: Literal["uniform"] = "uniform"
    n_samples: int = Field(ge=1, le=100_000_000)
    n_heldout: int = Field(default=0, ge=0, le=1_000_000)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)


class TrainJob(Strict):
    """One model on uniform random tokens (worker/jobs/train.py)."""

    model: ModelShape
    train: TrainParams = TrainParams()
    data: UniformData


class TrainGroupJob(Strict):
    """A capacity sweep's models of one shape, trained together (worker/jobs/train_group.py)."""

    model: ModelShape
    train: TrainParams
    members: list[Member] = Field(min_length=1, max_length=1024)
    n_heldout: int = Field(default=64, ge=0, le=1_000_000)


class TrainTextJob(Strict):
    """A text sweep's models of one shape on nested training sets, with the full-data
    reference in the same stack (worker/jobs/train_text.py)."""

    model: LayerShape
    corpus: str = Field(default="demo", pattern=r"^(demo|[0-9a-f]{64})$")
    vocab_size: int = Field(ge=260, le=65_536)
    seq_len: int = Field(ge=8, le=1024)
    n_heldout: int = Field(ge=8, le=100_000)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    reference: Literal["full", "zlib", "lzma"] = "full"
    train: TrainParams
    members: list[Member] = Field(min_length=1, max_length=64)
    inputs: dict[str, InputFile] = Field(default_factory=dict)
    canaries: SweepCanaries | None = None
    dataset_sha256: Sha256 | None = None


class ScoreJob(Strict):
    """One uploaded checkpoint scored on members and non-members (worker/jobs/score.py)."""

    run_id: DbId
    seq_len: int = Field(ge=16, le=4096)
    max_samples: int = Field(ge=1, le=100_000)
    members: str = Field(pattern=r"^(demo|[0-9a-f]{64})$")
    reference: Literal["auto", "zlib", "lzma", "heldout-model", "checkpoint"]
    inputs: dict[str, InputFile]
    canaries: ScoringCanaries | None = None
    precision: Literal["model", "bf16"] = "model"


JOB_PARAMS: dict[str, type[Strict]] = {
    "sleep": SleepJob,
    "train": TrainJob,
    "train_group": TrainGroupJob,
    "train_text": TrainTextJob,
    "score": ScoreJob,
}


def job_params(kind: str, params: dict[str, Any] | BaseModel) -> Strict:
    """The typed parameters of a job of `kind`; raises ValueError (a pydantic ValidationError
    is one) when they do not fit or the kind is unknown."""
    if kind not in JOB_PARAMS:
        raise ValueError(f"unknown job kind {kind!r}; known: {sorted(JOB_PARAMS)}")
    if isinstance(params, BaseModel):
        params = params.model_dump(mode="json")
    return JOB_PARAMS[kind].model_validate(params)


# ---- results ------------------------------------------------------------------------------

# Why a run stopped (RunSummary.stop_reason): the saturation rule stopped it (worker.train:
# "plateau" after its learning-rate cuts, or "memorized"), or a budget did ("max_steps": the
# run was still improving, so what it measured is a lower bound), or a person ("cancelled").
SATURATED_REASONS = ("plateau", "memorized")


def saturated(stop_reason: str | None) -> bool:
    """Did the run stop because it stopped improving (not because a budget ran out)?"""
    return stop_reason in SATURATED_REASONS


class RunSummary(Open):
    """A run's totals that pages read. Typed fields plus the per-attack and per-k numbers."""

    mem_u_bits: Finite | None = None
    unclipped_bits: Finite | None = None
    train_loss_bits: Finite | None = None
    heldout_loss_bits: Finite | None = None
    dataset_bits: Finite | None = None
    steps: int | None = Field(default=None, ge=0)
    resumed_from_step: int | None = Field(default=None, ge=0)
    stop_reason: str | None = Field(default=None, max_length=64)
    n_train: int | None = Field(default=None, ge=0)
    n_heldout: int | None = Field(default=None, ge=0)
    reference: str | None = None
    device: str | None = None


class CurvePoint(Open):
    """One evaluation during training: the step and the values measured then."""

    step: Finite


class Samples(Strict):
    """Per-sample lists of one run's evaluation, index-aligned within a split."""

    train_bits: list[Finite] = Field(default_factory=list)
    heldout_bits: list[Finite] = Field(default_factory=list)
    train_ref_bits: list[Finite] | None = None
    heldout_ref_bits: list[Finite] | None = None
    train_text: list[str] | None = None
    heldout_text: list[str] | None = None
    train_script: list[str] | None = None
    heldout_script: list[str] | None = None
    train_tfidf: list[Finite] | None = None
    heldout_tfidf: list[Finite] | None = None
    train_document: list[int] | None = None
    train_n_tokens: list[int] | None = None  # per sample, when samples differ in length
    heldout_n_tokens: list[int] | None = None
    extract_8: list[Finite | None] | None = None  # None: under 8 tokens after the prefix
    extract_16: list[Finite | None] | None = None  # None: under 8 tokens after the prefix
    extract_32: list[Finite | None] | None = None  # None: under 8 tokens after the prefix
    heldout_extract_8: list[Finite | None] | None = None  # None: under 8 tokens after the prefix
    heldout_extract_16: list[Finite | None] | None = None  # None: under 8 tokens after the prefix
    heldout_extract_32: list[Finite | None] | None = None  # None: under 8 tokens after the prefix


class RunResult(Strict):
    """What one trained or scored run produced."""

    n_params: int | None = Field(default=None, ge=0)
    summary: RunSummary = Field(default_factory=RunSummary)
    curve: list[CurvePoint] = Field(default_factory=list)
    samples: Samples | None = None


class TrainResult(RunResult):
    train_bits_mean: Finite | None = None


class GroupResult(Strict):
    """A stacked job's runs by run id."""

    runs: dict[int, RunResult]
    dataset_sha256: Sha256 | None = None


class SleepResult(Strict):
    steps: int
    resumed_from: int


JOB_RESULTS: dict[str, type[BaseModel]] = {
    "sleep": SleepResult,
    "train": TrainResult,
    "train_group": GroupResult,
    "train_text": GroupResult,
    "score": RunResult,
}


def job_result(kind: str, result: dict[str, Any]) -> BaseModel:
    """The typed result of a job of `kind`; raises ValueError when it does not fit."""
    if kind not in JOB_RESULTS:
        raise ValueError(f"unknown job kind {kind!r}")
    return JOB_RESULTS[kind].model_validate(result)


def first_problem(error: ValueError) -> str:
    """One line from a ValueError: a pydantic error's first problem as "field.path: message"
    (just the message when it has no field), or the error's first line."""
    errors = getattr(error, "errors", None)
    if callable(errors) and (found := errors()):
        first = found[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        message = str(first.get("msg")).removeprefix("Value error, ")  # our own validators
        return f"{where}: {message}" if where else message
    return str(error).splitlines()[0] if str(error) else type(error).__name__
