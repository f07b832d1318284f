"""The job contract between the server and its workers: every job kind in one table (JOBS: its
parameters model, its result model, the worker module that runs it). Pure (no torch, no I/O):
the server imports it to build jobs and to check results, the worker to check the jobs it
claims and to find their runners.

- Kinds build each job's parameters from these models (app/kinds/); `app.jobs.queue.enqueue`
  refuses parameters that do not validate for the job's kind.
- A worker validates a claimed job's parameters before it runs it; a job from a newer or older
  server that does not fit fails at once with a one-line message, not half-way.
- A job's runner returns its kind's result model (core/results.py);
  `/api/worker/jobs/{id}/complete` validates what arrives against that model.

Every default is defined once (TrainParams, core/params.py, is also what worker.train.TrainConfig
takes its defaults from).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from memdash.core.canary_space import ScoringCanaries, SweepCanaries
from memdash.core.edges import JSONObject
from memdash.core.hub_ref import HubDataset, HubRef
from memdash.core.params import DbId, Sha256, Shape, Strict, TrainParams
from memdash.core.results import GroupResult, QuantizeResult, RunResult, SleepResult


class ModelShape(Shape):
    """The GPT's shape (worker.model.GPTConfig)."""

    vocab_size: int = Field(ge=2, le=1_000_000)
    seq_len: int = Field(ge=2, le=8192)


class Member(Strict):
    """One run of a stacked job: its dataset size and seed."""

    run_id: DbId
    n_samples: int = Field(ge=1, le=100_000_000)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)


class InputFile(Strict):
    """A file the worker downloads by content hash before the job starts; or a Hub model
    (`kind` "hub") or dataset ("hub-dataset"), which the job resolves through the worker's Hub
    cache (worker/hub.py, worker/hub_dataset.py) and whose sha256 is its name's
    (HubRef.identity_sha256)."""

    kind: Literal["corpus", "checkpoint", "hub", "hub-dataset"]
    sha256: Sha256
    name: str = Field(default="", max_length=200)
    format: str = Field(default="", max_length=16)
    hub: HubRef | None = None
    dataset: HubDataset | None = None

    @model_validator(mode="after")
    def _hub(self) -> InputFile:
        if (self.kind == "hub") != (self.hub is not None):
            raise ValueError("a Hub model input names its id and revision (hub), no other does")
        if (self.kind == "hub-dataset") != (self.dataset is not None):
            raise ValueError("a Hub dataset input names its id, revision, split and column")
        named = self.hub or self.dataset
        if named is not None and self.sha256 != named.identity_sha256():
            raise ValueError("a Hub input's sha256 is the hash of its name")
        return self

    @property
    def resolved_by_job(self) -> bool:
        """Named, not stored: the job resolves it through the worker's Hub cache (the agent
        downloads nothing for it)."""
        return self.kind in ("hub", "hub-dataset")


class SleepJob(Strict):
    """A trivial job for tests and smoke checks (worker/jobs/sleep.py)."""

    seconds: float = Field(default=0.0, ge=0, le=86_400)
    steps: int = Field(default=1, ge=1, le=1_000_000)
    marker: str | None = Field(default=None, max_length=1000)
    fail: str | None = Field(default=None, max_length=1000)


class TrainGroupJob(Strict):
    """A capacity sweep's models of one shape, trained together (worker/jobs/train_group.py)."""

    model: ModelShape
    train: TrainParams
    members: list[Member] = Field(min_length=1, max_length=1024)
    n_heldout: int = Field(default=64, ge=0, le=1_000_000)


class TrainTextJob(Strict):
    """A text sweep's models of one shape on nested training sets, with the full-data
    reference in the same stack (worker/jobs/train_text.py)."""

    model: Shape
    corpus: str = Field(default="demo", pattern=r"^(demo|[0-9a-f]{64})$")
    vocab_size: int = Field(ge=260, le=65_536)
    seq_len: int = Field(ge=8, le=1024)
    n_heldout: int = Field(ge=8, le=100_000)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    reference: Literal["full", "zlib", "lzma"] = "full"
    rmia_reference: bool = False  # an RMIA OUT reference in the stack (SPEC 12)
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
    # "model-free": `auto` without the held-out model (per sample the shortest of zlib, lzma and
    # the uniform code), for studies whose files must share one reference and one non-member set.
    reference: Literal["auto", "model-free", "zlib", "lzma", "heldout-model", "checkpoint"]
    inputs: dict[str, InputFile]
    canaries: ScoringCanaries | None = None
    precision: Literal["model", "bf16"] = "model"


# The GGUF types memdash writes (the `gguf` package quantizes them in Python:
# worker/gguf_export.py), highest precision first.
GGUF_TYPES = ("F32", "F16", "BF16", "Q8_0", "Q5_1", "Q5_0", "Q4_1", "Q4_0")
GgufType = Literal["F32", "F16", "BF16", "Q8_0", "Q5_1", "Q5_0", "Q4_1", "Q4_0"]


class QuantizeTarget(Strict):
    """One file a quantize job writes, and the run it belongs to (its model is scored there)."""

    run_id: DbId
    gguf_type: GgufType


class QuantizeJob(Strict):
    """One model written as GGUF at several types (worker/jobs/quantize.py); each file is
    uploaded as its run's model, then scored by that run's `score` job."""

    source_checkpoint_id: DbId
    name: str = Field(default="model", max_length=200)
    targets: list[QuantizeTarget] = Field(min_length=1, max_length=len(GGUF_TYPES))
    inputs: dict[str, InputFile]  # "model": the source checkpoint


@dataclass(frozen=True)
class JobKind:
    """One kind of job: what it takes, what it returns, and the worker module whose `run`
    does it (imported in the job's child process only)."""

    params: type[Strict]
    result: type[BaseModel]
    runner: str


JOBS: dict[str, JobKind] = {
    "sleep": JobKind(SleepJob, SleepResult, "memdash.worker.jobs.sleep"),
    "train_group": JobKind(TrainGroupJob, GroupResult, "memdash.worker.jobs.train_group"),
    "train_text": JobKind(TrainTextJob, GroupResult, "memdash.worker.jobs.train_text"),
    "score": JobKind(ScoreJob, RunResult, "memdash.worker.jobs.score"),
    "quantize": JobKind(QuantizeJob, QuantizeResult, "memdash.worker.jobs.quantize"),
}


def _kind(kind: str) -> JobKind:
    if kind not in JOBS:
        raise ValueError(f"unknown job kind {kind!r}; known: {sorted(JOBS)}")
    return JOBS[kind]


def job_params(kind: str, params: JSONObject | BaseModel) -> Strict:
    """The typed parameters of a job of `kind`; raises ValueError (a pydantic ValidationError
    is one) when they do not fit or the kind is unknown. A model of the kind is taken as it is
    (it was validated when made); anything else is read from its JSON."""
    model = _kind(kind).params
    if type(params) is model:
        return params
    if isinstance(params, BaseModel):
        params = params.model_dump(mode="json")
    return model.model_validate(params)


def job_result(kind: str, result: JSONObject | BaseModel) -> BaseModel:
    """The typed result of a job of `kind`; raises ValueError when it does not fit."""
    if isinstance(result, BaseModel):
        result = result.model_dump(mode="json")
    return _kind(kind).result.model_validate(result)


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
