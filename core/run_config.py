"""What a trained run stores in `Run.config`, typed: the model's shape (a `Shape`, with the
vocabulary and sequence length), the configuration's name, its architecture and, for an LM2
variant, the plain GPT it matches. A kind adds its own fields in its folder
(app/kinds/capacity/document.py, app/kinds/text/document.py); readers call `of(run.config)`.

The stored JSON keeps the names earlier memdash versions wrote (`shape` is the configuration's
name, e.g. "L2-d32 bf16"), so configs stored before this model are read as they are."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field

from memdash.core.edges import JSONObject
from memdash.core.params import Shape


class TrainedRunConfig(BaseModel):
    # Unknown keys are kept (a kind's own, or a later version's); unset ones take the
    # defaults older configs imply (a GPT, fp32).
    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)

    # The configuration's name: the shape's key, with the precision when a sweep has two.
    name: str = Field(alias="shape")
    vocab_size: int
    seq_len: int
    n_layer: int
    d_model: int
    memory_slots: int = 0
    memory_blocks: int = 0
    memory_learned: bool = True
    memory_heads: int = 0
    architecture: Literal["GPT", "LM2"] = "GPT"
    n_memory_params: int = 0
    matched: str | None = None  # an LM2 variant: which parameter count of the plain GPT it matches
    matched_to: str | None = None  # ... and that GPT's configuration name
    n_samples: int
    seed: int = 0

    @classmethod
    def of(cls, config: JSONObject) -> Self:
        """A run's stored config, read (ValidationError when it is not one of this kind's)."""
        return cls.model_validate(config)

    @property
    def shape(self) -> Shape:
        return Shape.model_validate({k: getattr(self, k) for k in Shape.model_fields})

    def stored(self) -> JSONObject:
        """The JSON to store (under the names readers of every version know)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)
