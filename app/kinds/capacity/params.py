"""A capacity sweep's parameters and presets (SPEC 3-4): a grid of model shapes × dataset sizes
× seeds on uniform random tokens."""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from memdash.core.edges import JSONObject
from memdash.core.job_cost import stack_job_bytes, stack_job_flops
from memdash.core.metrics.capacity import PAPER_ALPHA_FITTED_BF16
from memdash.core.params import LM2Variants, Shape, Strict, TrainParams, with_lm2_variants


class CapacitySweepParams(Strict):
    """A grid of model shapes × dataset sizes × seeds on uniform random tokens (SPEC 3-4)."""

    name: str = Field(default="capacity sweep", max_length=200)
    vocab_size: int = Field(default=2048, ge=2, le=1_000_000)
    seq_len: int = Field(default=64, ge=2, le=4096)
    shapes: list[Shape] = Field(min_length=1, max_length=64)
    # None: chosen around each shape's capacity
    dataset_sizes: list[Annotated[int, Field(ge=1, le=100_000_000)]] | None = Field(
        default=None, max_length=64
    )
    capacity_multiples: list[Annotated[float, Field(gt=0, le=1000)]] = Field(
        default=[0.25, 0.5, 1, 2, 4], min_length=1, max_length=32
    )
    # bits/param to place dataset sizes: the paper's α until the sweep has its own
    alpha_guess: float = Field(default=PAPER_ALPHA_FITTED_BF16, gt=0, le=64)
    # After the grid: one more pass of sizes around each shape's measured peak
    # (core.metrics.capacity.refinement_sizes), so the maximum is not missed between sizes.
    refine_peak: bool = True
    seeds: int = Field(default=2, ge=1, le=20)
    n_heldout: int = Field(default=64, ge=0, le=100_000)
    max_models_per_job: int = Field(default=16, ge=1, le=1024)
    train: TrainParams = TrainParams()
    # Train every configuration in each of these precisions (side by side: the paper's fp32 vs
    # bf16 comparison); None: only train.precision.
    precisions: list[Literal["fp32", "bf16"]] | None = Field(default=None, max_length=2)
    # LM2 variants beside each plain shape (matched non-memory / total parameters); None: none.
    lm2: LM2Variants | None = None

    def all_shapes(self) -> list[tuple[Shape, str | None, Shape | None]]:
        return with_lm2_variants(self.shapes, self.lm2, self.vocab_size, self.seq_len)

    def precision_list(self) -> list[str]:
        return sorted(set(self.precisions)) if self.precisions else [self.train.precision]

    @field_validator("dataset_sizes")
    @classmethod
    def _positive_sizes(cls, sizes: list[int] | None) -> list[int] | None:
        if sizes is not None and (not sizes or min(sizes) < 1):
            raise ValueError("dataset sizes must be positive whole numbers")
        return sorted(set(sizes)) if sizes else sizes

    @model_validator(mode="after")
    def _bounded(self) -> CapacitySweepParams:
        n_runs = len(self.all_shapes()) * self.seeds * len(self.sizes_for(self.shapes[0]))
        n_runs *= len(self.precision_list())
        if n_runs > 2000:
            raise ValueError(f"this sweep would train {n_runs} models; the limit is 2000")
        return self

    def n_params(self, shape: Shape) -> int:
        return shape.n_params(self.vocab_size, self.seq_len)

    def largest_job_flops(self) -> float:
        """Training FLOPs of the sweep's most expensive job, at its full step budget."""
        return max(
            stack_job_flops(
                min(self.max_models_per_job, self.seeds * len(self.sizes_for(shape))),
                self.n_params(shape),
                self.train.batch_size,
                self.seq_len,
                self.train.max_steps,
            )
            for shape, _, _ in self.all_shapes()
        )

    def largest_job_bytes(self) -> int:
        """Estimated memory of the sweep's largest stacked job (worst case: its largest sizes
        and every seed in one job)."""
        largest = 0
        for shape, _, _ in self.all_shapes():
            sizes = sorted(self.sizes_for(shape), reverse=True)
            runs = [n for n in sizes for _ in range(self.seeds)][: self.max_models_per_job]
            heldout = len(runs) * self.n_heldout
            largest = max(
                largest,
                stack_job_bytes(
                    len(runs),
                    self.n_params(shape),
                    (sum(runs) + heldout) * self.seq_len,
                    self.train.batch_size,
                    self.seq_len,
                    shape.n_layer,
                    shape.d_model,
                    shape.memory_slots,
                ),
            )
        return largest

    def sizes_for(self, shape: Shape) -> list[int]:
        """Dataset sizes N for one shape: given, or multiples of its expected capacity in samples.

        A sample carries (S−1)·log2 V memorizable bits (the first token is coded uniformly).
        """
        if self.dataset_sizes:
            return list(self.dataset_sizes)
        bits_per_sample = (self.seq_len - 1) * math.log2(self.vocab_size)
        at_capacity = self.alpha_guess * self.n_params(shape) / bits_per_sample
        return sorted({max(2, round(m * at_capacity)) for m in self.capacity_multiples})


PRESETS: dict[str, JSONObject] = {
    # SPEC 3's setup (Morris et al. Sec. 3): for a GPU; 10^6 steps in the paper, capped here.
    "paper": {
        "name": "paper capacity sweep",
        "vocab_size": 2048,
        "seq_len": 64,
        "shapes": [{"n_layer": n, "d_model": d} for n in (1, 2, 4, 8) for d in (32, 64, 128, 256)],
        "seeds": 5,
        "capacity_multiples": [0.25, 0.5, 1, 2, 4, 8],
        # At batch 2048 an L8-d256 model keeps ~17 GB of activations for its backward pass
        # (stack_job_bytes): two per job fit a 40 GB GPU, and more jobs spread over more GPUs.
        "max_models_per_job": 2,
        "train": {
            "max_steps": 100_000,
            "batch_size": 2048,
            "lr": 1e-3,
            "eval_every": 1000,
            # The window is 5% of the steps taken (TrainParams.window_share), at least 3
            # evaluations: the quick preset's rule in the same unit (issue 37).
            "patience_evals": 3,
            "precision": "bf16",
        },
    },
    # Ends by saturation in minutes on 2 CPU cores (bench/budget.py, docs/results.md): small
    # vocabulary, width and samples; full-ish batches at a high rate, evaluated often so the
    # saturation rule's learning-rate cuts come early; the step cap is a safety net.
    "quick": {
        "name": "quick capacity sweep",
        "vocab_size": 64,
        "seq_len": 16,
        "shapes": [{"n_layer": 1, "d_model": d} for d in (8, 16, 32)],
        "seeds": 2,
        "alpha_guess": 2.5,
        "capacity_multiples": [0.5, 1, 2, 4],
        "n_heldout": 32,
        "max_models_per_job": 4,
        "train": {
            "max_steps": 6000,
            "batch_size": 128,
            "lr": 2e-2,
            "warmup_steps": 30,
            "eval_every": 50,
            "patience_evals": 3,
        },
    },
}

# The paper's own smallest configurations on a CPU (issue 26): V = 2048, S = 64, L1-d32 and
# L2-d32 in fp32 and bf16, sizes bracketing the paper's capacities (alpha_guess at the paper's
# fp32 values, about 4.2 bits/param: N ≈ 490 for L1-d32), one seed, to saturation under the
# rule in bits. Hours on 2 cores, not minutes: `python -m bench.paper_cpu` runs it in the
# background and reports each row beside the paper's table (bench/results-paper-cpu.md).
PRESETS["paper-cpu"] = {
    "name": "the paper's smallest rows on a CPU",
    "vocab_size": 2048,
    "seq_len": 64,
    "shapes": [{"n_layer": 1, "d_model": 32}, {"n_layer": 2, "d_model": 32}],
    "seeds": 1,
    "alpha_guess": 4.2,
    "capacity_multiples": [0.5, 1, 2],
    "precisions": ["fp32", "bf16"],
    "n_heldout": 64,
    "max_models_per_job": 3,
    "train": {
        "max_steps": 200_000,
        "batch_size": 128,
        "lr": 3e-3,
        "warmup_steps": 100,
        "eval_every": 200,
        "patience_evals": 5,
        "checkpoint_every": 2000,
    },
}

# LM2 beside plain GPTs (SPEC 8): two 2-block shapes (so one block writes what the next reads),
# each with its LM2 at matched non-memory and at matched total parameters, on the quick
# preset's data and trainer; 9 minutes on 2 CPU cores (docs/results.md).
PRESETS["lm2-quick"] = {
    **PRESETS["quick"],
    "name": "LM2 vs GPT capacity sweep",
    "shapes": [{"n_layer": 2, "d_model": d} for d in (8, 16)],
    "capacity_multiples": [0.5, 1, 2],
    "refine_peak": False,
    "max_models_per_job": 6,
    # The quick preset's trainer and saturation rule, unchanged: one rule for every preset
    # (issue 26; a looser patience here made LM2's capacities lower bounds of another rule).
    "lm2": {"memory_slots": 8},
}
# For a GPU: six of the paper's shapes (2 and 4 blocks) with a 64-slot memory beside each.
PRESETS["lm2-paper"] = {
    **PRESETS["paper"],
    "name": "LM2 vs GPT capacity sweep (paper scale)",
    "shapes": [{"n_layer": n, "d_model": d} for n in (2, 4) for d in (32, 64, 128)],
    "seeds": 3,
    "lm2": {"memory_slots": 64},
}


def capacity_preset(name: str) -> CapacitySweepParams:
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)}")
    return CapacitySweepParams(**PRESETS[name])
