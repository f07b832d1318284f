"""What jobs return: a run's summary, its training curve and its per-sample scores, as
pydantic models (the result half of the job contract, core/jobs.py). Jobs build these models;
`/api/worker/jobs/{id}/complete` validates what arrives against them, so the write path
(app/jobs/results.py) reads typed fields. Unknown keys are refused everywhere but in a run's
summary, which carries per-attack numbers (`mi_<attack>_auc`, ...) and per-k extraction rates
beside its typed fields.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from memdash.core.params import Sha256, Strict

PrefixLength = Annotated[int, Field(ge=1, le=4096)]
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
    # A scoring's member samples, hashed (worker/jobs/score.samples_sha256): runs with one hash
    # scored the same samples under the same numbers.
    member_samples_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")


class HeldoutReferenceInfo(BaseModel):
    """How the reference model memdash trained on non-member documents came out
    (worker/heldout_reference.py); a scoring run's summary keeps it as `reference_model`."""

    shape: str  # "L2-d64"
    n_params: int
    n_samples: int  # training samples (windows of its documents)
    n_validation: int  # validation samples, from whole documents it never trained on
    n_validation_documents: int
    steps: int
    best_step: int  # the weights kept: those of the lowest validation loss
    validation_loss_bits: float  # per token, on its validation documents
    stop_reason: str
    n_documents: int | None = None  # the non-member documents it was given to train on
    target_validation_loss_bits: float | None = None  # the scored model on the same documents
    dropped: bool = False  # under `auto`: it generalized less than the target, so not used
    # Trained by an earlier job on the same non-member samples (a series' earlier revision) and
    # reused from the worker's cache (worker/reference_cache.py).
    reused: bool = False


class CurvePoint(Open):
    """One evaluation during training: the step and the values measured then."""

    step: Finite


class SplitSamples(Strict):
    """Per-sample lists of one split (training or held-out) of one run's evaluation, all
    index-aligned with `bits`."""

    bits: list[Finite] = Field(default_factory=list)  # the model's code length per sample
    ref_bits: list[Finite] | None = None  # the reference's (None: the uniform code S·log2 V)
    text: list[str] | None = None
    script: list[str] | None = None
    tfidf: list[Finite] | None = None
    document: list[int] | None = None  # the corpus document each sample was cut from
    n_tokens: list[int] | None = None  # when samples differ in length
    # In the membership attack's balanced set (core/stratified.py): the samples its AUC,
    # F1 and TPR were computed on.
    in_attack: list[bool] | None = None
    # k-extractability scores by prefix length k (SPEC 6); None where a sample has under 8
    # tokens after the prefix.
    extract: dict[PrefixLength, list[Finite | None]] = Field(default_factory=dict)
    # (n, p)-discoverable extraction (SPEC 13; core/metrics/discoverable.py): log10 p_s of the
    # continuation after k tokens under top-k sampling, by prefix length k; None as `extract`.
    discover: dict[PrefixLength, list[Finite | None]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _aligned(self) -> SplitSamples:
        lists = {
            name: getattr(self, name)
            for name in ("ref_bits", "text", "script", "tfidf", "document", "n_tokens", "in_attack")
        } | {f"extract[{k}]": scores for k, scores in self.extract.items()}
        lists |= {f"discover[{k}]": scores for k, scores in self.discover.items()}
        for name, values in lists.items():
            if values is not None and len(values) != len(self.bits):
                raise ValueError(f"{name} has {len(values)} samples, bits {len(self.bits)}")
        return self


class Samples(Strict):
    """One run's per-sample scores: its training samples and, when it has them, held-out ones."""

    train: SplitSamples = Field(default_factory=SplitSamples)
    heldout: SplitSamples | None = None

    def splits(self) -> dict[str, SplitSamples]:
        return {"train": self.train} | ({"heldout": self.heldout} if self.heldout else {})


class RunResult(Strict):
    """What one trained or scored run produced."""

    n_params: int | None = Field(default=None, ge=0)
    summary: RunSummary = Field(default_factory=RunSummary)
    curve: list[CurvePoint] = Field(default_factory=list)
    samples: Samples | None = None


class GroupResult(Strict):
    """A stacked job's runs by run id."""

    runs: dict[int, RunResult]
    dataset_sha256: Sha256 | None = None


class ModelArtifact(Strict):
    """What a job says about a run's final model it uploads (POST /api/worker/jobs/{id}/models):
    stored as the trained checkpoint's config and shown on the run's page."""

    name: str = Field(max_length=200)
    # a Hugging Face GPT-2 folder (.tar.gz), memdash's own folder (an LM2), or one GGUF file
    model_type: Literal["gpt2", "memdash-lm2", "gguf"]
    n_params: int = Field(ge=0)
    vocab_size: int = Field(ge=2, le=1_000_000)
    max_positions: int = Field(ge=2, le=1_000_000)
    steps: int = Field(default=0, ge=0)
    vocab_sha256: Sha256 | None = None  # core.formats.vocab: the same tokens in the same order
    architecture: str | None = Field(default=None, max_length=64)  # a GGUF's general.architecture
    gguf_type: str | None = Field(default=None, max_length=16)
    bits_per_weight: Finite | None = Field(default=None, ge=0, le=64)
    source_checkpoint_id: int | None = Field(default=None, ge=1)  # what it was written from

    @property
    def storage_format(self) -> Literal["hf", "memdash", "gguf"]:
        """The checkpoint format it is stored as (app.db.models.MODEL_FORMATS)."""
        if self.model_type == "gguf":
            return "gguf"
        return "memdash" if self.model_type == "memdash-lm2" else "hf"


class QuantizedFile(Strict):
    """One GGUF file a quantize job wrote (worker/gguf_export.py GgufFile)."""

    run_id: int = Field(ge=1)
    gguf_type: str = Field(max_length=16)
    size_bytes: int = Field(ge=0)
    tensor_bytes: int = Field(ge=0)
    n_weights: int = Field(ge=0)
    n_quantized: int = Field(ge=0)
    bits_per_weight: Finite = Field(ge=0, le=64)
    seconds: Finite = Field(ge=0)


class QuantizeResult(Strict):
    files: list[QuantizedFile]
    source_seconds: Finite = Field(default=0.0, ge=0)  # writing the full-precision source GGUF


class SleepResult(Strict):
    steps: int
    resumed_from: int
