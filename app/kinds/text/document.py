"""What a text sweep's run stores in `Run.config`, typed: its model and configuration name
(core.run_config.TrainedRunConfig), the corpus and the reference it was trained and scored
with, its training-set size and seed."""

from __future__ import annotations

from pydantic import Field

from memdash.app.kinds.stored_summary import Open, Prediction, StoredSummary
from memdash.core.edges import JSONObject, Measures
from memdash.core.run_config import TrainedRunConfig


class TextRunConfig(TrainedRunConfig):
    corpus: str  # "demo", or an uploaded corpus's sha256
    n_heldout: int
    reference: str  # "full", "zlib" or "lzma" (TextSweepParams)
    # The job's training parameters and planted canaries as they were launched (the job's own
    # models, core.params.TrainParams and core.canary_space.SweepCanaries, read them).
    train: JSONObject = Field(default_factory=dict)
    canaries: JSONObject | None = None
    # The files the worker downloads (an uploaded corpus), as the job names them.
    inputs: JSONObject = Field(default_factory=dict)


class ScalingLawFit(Open):
    """The membership-inference scaling law fitted over the sweep's runs (SPEC 6), or why
    the fit failed (`error`)."""

    c1: float | None = None
    c2: float | None = None
    c3: float | None = None
    rmse: float | None = None
    n_points: int | None = None
    error: str | None = None


class TextSummary(StoredSummary):
    """A text sweep's summary: a row per run (its numbers, open: what a run measures grows with
    memdash), the scaling-law fit, the prediction of the largest model's memorized set, and
    the LM2 comparison when the sweep has LM2s (app/analysis/architecture_summary.py)."""

    VERSION = 1

    points: list[Measures]  # a run's measured numbers by name (app/analysis/run_rows.py)
    scaling_law_fit: ScalingLawFit | None = None
    prediction: Prediction | None = None
    lm2_comparison: JSONObject | None = None  # finding, rows and means, as computed
