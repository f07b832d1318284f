"""A quantization study's parameters: one model, the GGUF types to write it at, other GGUF
files of the same model to add, and the scoring every file gets (the same members,
non-members, reference and canaries)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from memdash.app.kinds.scoring.params import ScoredOn, ScoringParams
from memdash.core.jobs import GGUF_TYPES, GgufType
from memdash.core.params import DbId

DEFAULT_TYPES: list[GgufType] = ["F16", "BF16", "Q8_0", "Q5_1", "Q5_0", "Q4_1", "Q4_0"]


class QuantizationParams(ScoredOn):
    """Score one model at several GGUF precisions side by side. The model is scored as
    uploaded (its full precision) and once per type; `extra_checkpoint_ids` adds uploaded GGUF
    files of the same model at types memdash does not write (Q4_K_M, Q6_K, ...)."""

    name: str = Field(default="quantization study", max_length=200)
    checkpoint_id: DbId
    types: list[GgufType] = Field(default_factory=lambda: list(DEFAULT_TYPES), max_length=8)
    extra_checkpoint_ids: list[DbId] = Field(default_factory=list, max_length=8)
    # Every file is scored on the same ScoredOn fields; members default to the source's own
    # training set when it is a text sweep's model (app/jobs/quantization.py).
    precision: Literal["model"] = "model"  # bf16 scoring would blur the study's own rounding

    @field_validator("types")
    @classmethod
    def _distinct_in_order(cls, types: list[GgufType]) -> list[GgufType]:
        return [t for t in GGUF_TYPES if t in types]

    def scoring(self) -> ScoringParams:
        """The scoring each file gets (the source first, then the extra files)."""
        return ScoringParams(
            name=self.name,
            checkpoint_ids=[self.checkpoint_id, *self.extra_checkpoint_ids],
            precision=self.precision,
            **self.model_dump(include=set(ScoredOn.model_fields)),
        )
