"""A capacity sweep's stored summary, typed: every shape's capacity with how far to trust it,
the α fits (over saturated shapes, and over every shape as a lower bound), the precision
comparison and the paper's numbers. LM2 sweeps add their memory's numbers as further keys
(app/analysis/architecture_summary.py)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from memdash.app.kinds.stored_summary import StoredSummary
from memdash.core.run_config import TrainedRunConfig


class CapacityRunConfig(TrainedRunConfig):
    """A capacity run's config: its configuration (shape × precision) and dataset size."""

    layers: str  # the shape's key without the precision ("L2-d32")
    precision: Literal["fp32", "bf16"] = "fp32"
    refinement: bool = False  # a size of the second pass around the first pass's peak

    @model_validator(mode="before")
    @classmethod
    def _older(cls, data: Any) -> Any:
        """Configs stored before `layers` was: their configuration's name is the shape's."""
        if isinstance(data, dict) and "layers" not in data and "shape" in data:
            return {**data, "layers": data["shape"]}
        return data


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class ShapeCapacity(Open):
    """One configuration (shape × precision): the maximum over dataset sizes of the seed mean
    of memorized bits, and whether it is a capacity or a lower bound."""

    shape: str
    n_params: int
    capacity_bits: float
    argmax_n_samples: int
    bits_per_param: float
    n_seeds: int
    seed_range_bits: tuple[float, float]
    saturated: bool
    unsaturated_sizes: list[int] = []
    seeds_apart_sizes: list[int] = []
    failed_sizes: list[int] = []
    incomplete_sizes: list[int] = []
    largest_n_samples: int
    past_peak_share: float | None = None
    refined_sizes: list[int] = []
    precision: str = "fp32"
    layers: str
    architecture: str = "GPT"
    memory_slots: int = 0
    n_memory_params: int = 0
    n_nonmemory_params: int


class AlphaFit(Open):
    """α through the origin over shapes' capacities (one shape: its bits per parameter)."""

    alpha: float
    n_configs: int
    ci95: tuple[float, float] | None = None
    r2_origin: float | None = None
    lower_bound: bool = False  # over every shape, lower bounds included
    n_lower_bound: int = 0  # ... and how many of them are lower bounds
    n_lower_bound_left_out: int = 0  # over saturated shapes: how many were left out
    precision: str | None = None


class PaperAlpha(Open):
    alpha_fitted_bf16: float
    alpha_mean_bf16: float
    alpha_mean_fp32: float


class PrecisionRow(Open):
    layers: str
    alpha_fp32: float | None
    alpha_bf16: float | None


class PrecisionComparison(Open):
    rows: list[PrecisionRow]
    mean_alpha_fp32: float | None
    mean_alpha_bf16: float | None


class CapacitySummary(StoredSummary):
    VERSION = 1

    shapes: list[ShapeCapacity]
    stop_reasons: dict[str, int]
    n_runs_not_saturated: int
    n_shapes_lower_bound: int
    paper: PaperAlpha
    alpha_by_precision: dict[str, AlphaFit | None] = Field(default_factory=dict)
    alpha_all_shapes_by_precision: dict[str, AlphaFit] = Field(default_factory=dict)
    alpha_fit: AlphaFit | None = None
    alpha_fit_all_shapes: AlphaFit | None = None
    precision_comparison: PrecisionComparison | None = None
