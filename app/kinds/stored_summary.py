"""The base of every kind's stored summary: typed fields, further keys kept, a version."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from memdash.core.edges import JSONObject


class StoredSummary(BaseModel):
    """A kind's summary: its typed fields, and any further keys kept as they are."""

    model_config = ConfigDict(extra="allow")
    VERSION: ClassVar[int] = 1

    version: int = 0  # 0: stored before summaries carried a version

    def stored(self) -> JSONObject:
        """The JSON to store: what was computed (no defaults added) and the version."""
        return {**self.model_dump(mode="json", exclude_unset=True), "version": self.VERSION}


class Open(BaseModel):
    """A part of a summary: its typed fields, further keys kept."""

    model_config = ConfigDict(extra="allow")


class PredictionRow(Open):
    """A model's k-extractable set as a prediction of another's (Biderman et al.): a smaller
    model's of the largest on the same training set (text sweeps: `n_train`, `seed`), or an
    earlier checkpoint's of the last (scorings)."""

    predictor: str
    target: str
    precision: float | None
    recall: float | None
    n_predicted: int
    n_target: int
    n_train: int | None = None
    seed: int | None = None


class Prediction(Open):
    k: int | None  # the prefix length every run was measured at (None: samples too short)
    rows: list[PredictionRow]
