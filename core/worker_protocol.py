"""The worker protocol's documents, from register to complete, defined once: the server's routes
(app/routes/worker_api.py) declare them and the worker (worker/client.py, worker/agent.py)
reads and writes them, so neither side reads the other's JSON by key."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from memdash.core.edges import JSONObject
from memdash.core.jobs import InputFile, job_params
from memdash.core.params import Strict

MAX_ID = 2**63 - 1  # a database id (PostgreSQL's bigint)


class Register(Strict):
    name: str = Field(min_length=1, max_length=200)
    device: str = Field(default="cpu", max_length=64)
    # What the worker says of its machine (host, python, memory_bytes, pid): shown, not used.
    info: JSONObject = Field(default_factory=dict)


class Registered(BaseModel):
    worker_id: int


class Claim(Strict):
    worker_id: int = Field(ge=1, le=MAX_ID)
    kinds: list[str] | None = Field(default=None, max_length=64)


class ClaimedJob(BaseModel):
    """A job leased to the worker that claimed it: every write about it carries the lease
    token; a heartbeat every `heartbeat_s` keeps the lease (`lease_s`) alive."""

    id: int
    kind: str
    # The job kind's parameters as JSON (core.jobs.JOBS names the model): `contract()` reads
    # them, and a worker that cannot fails the job with the reason before doing any work.
    params: JSONObject
    lease_token: str
    attempt: int
    lease_s: float
    heartbeat_s: float
    resume_checkpoint_id: int | None = None

    def contract(self) -> Strict:
        """The parameters as the kind's model (ValueError when they do not fit it)."""
        return job_params(self.kind, self.params)

    def inputs(self) -> dict[str, InputFile]:
        """The files the job names in params["inputs"] (name → kind and sha256)."""
        named = self.params.get("inputs") or {}
        return {name: InputFile.model_validate(spec) for name, spec in named.items()}


class Lease(Strict):
    lease_token: str = Field(min_length=1, max_length=64)


class Heartbeat(Lease):
    progress_frac: float | None = Field(default=None, ge=0, le=1)
    message: str | None = Field(default=None, max_length=10_000)


class HeartbeatReply(BaseModel):
    cancel: bool  # the job was cancelled: stop at a safe point and say so (/cancelled)


class Complete(Lease):
    # The job kind's result model as JSON (user data of the worker's making): /complete checks
    # it against the kind's contract.
    result: JSONObject = Field(default_factory=dict)


class Fail(Lease):
    error: str = Field(max_length=1_000_000)


class JobEnded(BaseModel):
    """The job's state after a finish call."""

    state: Literal["succeeded", "failed", "cancelled", "queued"]


class Stored(BaseModel):
    """A checkpoint or model a job uploaded, as stored."""

    checkpoint_id: int
