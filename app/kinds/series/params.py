"""A checkpoint series' parameters: one model at many revisions (its training steps), or models
of several sizes at one revision, each scored on the same members, non-members and canaries."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from memdash.app.kinds.scoring.params import MAX_SERIES_CHECKPOINTS, ScoredCheckpoints
from memdash.core.params import DbId

Step = Annotated[int, Field(ge=0, le=10**12)]


class SeriesParams(ScoredCheckpoints):
    """Score a series of checkpoints on the same data and follow memorization along it.

    `axis` "steps": the checkpoints are one model's revisions in training order (Pythia's
    step1000 … step143000); each is placed at its optimizer step — `steps` when given, else the
    number in a Hub revision or name such as "step3000", else its place in the list. The last
    is the target the earlier ones predict (Biderman et al. Sec. 2.3). `axis` "sizes": models
    of one suite at one revision, placed at their parameter count; the largest is the target
    the smaller ones predict (Sec. 2.2)."""

    name: str = Field(default="checkpoint series", max_length=200)
    checkpoint_ids: list[DbId] = Field(min_length=2, max_length=MAX_SERIES_CHECKPOINTS)
    axis: Literal["steps", "sizes"] = "steps"
    steps: list[Step] | None = Field(default=None, max_length=MAX_SERIES_CHECKPOINTS)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if len(set(self.checkpoint_ids)) != len(self.checkpoint_ids):
            raise ValueError("checkpoint_ids: each checkpoint once")
        if self.steps is not None:
            if self.axis != "steps":
                raise ValueError("steps: only a series over steps places checkpoints at steps")
            if len(self.steps) != len(self.checkpoint_ids):
                raise ValueError(
                    f"steps: one per checkpoint ({len(self.checkpoint_ids)} checkpoints, "
                    f"{len(self.steps)} steps)"
                )
            if any(b <= a for a, b in zip(self.steps, self.steps[1:], strict=False)):
                raise ValueError("steps: must rise, in the checkpoints' training order")
        return self
