"""A scoring's parameters: uploaded checkpoints scored on members and non-members."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from memdash.core.canary_space import ScoringCanaries
from memdash.core.params import DbId, Strict

# A series study's most checkpoints: Pythia publishes 154 revisions of each model.
MAX_SERIES_CHECKPOINTS = 256


class TrainingTag(Strict):
    """Where a scored checkpoint comes from in a training run (memdash.callback): the run's
    name, the optimizer step and the epoch. The run's page (/training/NAME) follows its tagged
    scorings over the steps; a run and step is scored once."""

    run: str = Field(min_length=1, max_length=200, pattern=r"^[\w.@+ -]+$")
    step: int = Field(ge=0, le=10**12)
    epoch: float | None = Field(default=None, ge=0, le=1e9)


class ScoredOn(Strict):
    """What a checkpoint is scored on: members (and optionally non-members), a reference,
    the sample length and count, and canaries. Scorings and quantization studies share it."""

    # "demo", "sweep:<id>" (a text sweep's training set; its held-out set for non-members) or
    # the sha256 of an uploaded .txt/.jsonl corpus.
    members: str = Field(default="demo", pattern=r"^(demo|sweep:[0-9]+|[0-9a-f]{64})$")
    nonmembers: str | None = Field(default=None, pattern=r"^(sweep:[0-9]+|[0-9a-f]{64})$")
    # "auto": per sample the shortest of zlib, lzma, the uniform token code and, given enough
    # non-member documents, a model memdash trains on half of them; "zlib" / "lzma"
    # (model-free); "heldout-model" (that trained model alone); "checkpoint:<id>" (an uploaded
    # model, e.g. a fine-tune's base model). See worker/jobs/score.py and docs/measures.md.
    reference: str = Field(
        default="auto", pattern=r"^(auto|zlib|lzma|heldout-model|checkpoint:[0-9]+)$"
    )
    seq_len: int = Field(default=64, ge=16, le=4096)
    max_samples: int = Field(default=1000, ge=1, le=100_000)
    # Canaries the user inserted into the model's training data: exposure per canary (SPEC 10).
    canaries: ScoringCanaries | None = None

    @property
    def reference_checkpoint_id(self) -> int | None:
        return (
            int(self.reference.split(":")[1]) if self.reference.startswith("checkpoint:") else None
        )


class ScoredCheckpoints(ScoredOn):
    """Stored checkpoints, each scored on the same data (`ScoredOn`): what a scoring and a
    checkpoint series (app/kinds/series) plan their score jobs from."""

    checkpoint_ids: list[DbId] = Field(min_length=1, max_length=MAX_SERIES_CHECKPOINTS)
    # "model": score in the precision the weights are stored in; "bf16": cast them to bf16 first
    # (logits in fp32), 2.7× faster on CPUs with AMX for +0.005 bits/token over a corpus and
    # 0.02 per sample (bench/results-bf16-scoring.md). A documented choice, never a silent one.
    precision: Literal["model", "bf16"] = "model"


class ScoringParams(ScoredCheckpoints):
    """Score uploaded checkpoints on members (and optionally non-members) against a reference.

    Several checkpoints of one model scored on the same data also give the Pythia-style
    precision/recall of predicting the last one's memorized set from the earlier ones (a
    checkpoint series, app/kinds/series, takes up to 256 and draws them over steps or sizes)."""

    name: str = Field(default="scoring", max_length=200)
    checkpoint_ids: list[DbId] = Field(min_length=1, max_length=16)
    training: TrainingTag | None = None
