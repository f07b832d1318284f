"""A checkpoint series' stored summary: Biderman et al.'s prediction tables per prefix length
k (each point's memorized set as a prediction of the target's) and the members that became
extractable from one point to the next (app/analysis/series.py computes both)."""

from __future__ import annotations

from pydantic import Field

from memdash.app.kinds.stored_summary import Open, StoredSummary


class SeriesPrediction(Open):
    """One point's k-extractable members as a prediction of the target's."""

    k: int
    predictor: str
    target: str
    step: int | None = None  # a series over steps: the predictor's and the target's steps
    target_step: int | None = None
    n_params: int | None = None  # a size series: the models' parameter counts
    target_n_params: int | None = None
    precision: float | None  # None: the predictor memorized nothing
    recall: float | None  # None: the target memorized nothing
    n_predicted: int
    n_target: int
    n_both: int


class NewlyExtractable(Open):
    label: str
    step: int | None = None
    k: int
    new: list[int]  # member sample numbers extractable here and not at the point before


class SeriesSummary(StoredSummary):
    VERSION = 1

    axis: str = "steps"
    k: int | None = None  # the prefix length reported (measured on most samples of every point)
    prediction: list[SeriesPrediction] = Field(default_factory=list)
    newly_extractable: list[NewlyExtractable] = Field(default_factory=list)
    not_comparable: list[str] = Field(default_factory=list)  # points that scored other samples
