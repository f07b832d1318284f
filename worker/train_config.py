"""The trainer's configuration: TrainParams (the job contract) plus a seed, and the learning-rate
schedule: linear warmup, then cosine decay to 10% of the peak rate over `max_steps`.

Precision "bf16" computes in bfloat16 (the paper's half-precision models) with fp32 master
weights and optimizer state (`compute_dtype`); "fp32" is full precision.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch

from memdash.core.params import TrainParams

_DEFAULTS = TrainParams()  # every default is defined once, in the job contract's TrainParams


@dataclass(frozen=True)
class TrainConfig:
    max_steps: int = _DEFAULTS.max_steps
    batch_size: int = _DEFAULTS.batch_size
    lr: float = _DEFAULTS.lr
    warmup_steps: int = _DEFAULTS.warmup_steps
    weight_decay: float = _DEFAULTS.weight_decay
    beta2: float = _DEFAULTS.beta2
    grad_clip: float = _DEFAULTS.grad_clip
    precision: Literal["fp32", "bf16"] = _DEFAULTS.precision
    eval_every: int = _DEFAULTS.eval_every
    patience_evals: int = _DEFAULTS.patience_evals
    window_share: float = _DEFAULTS.window_share  # of the steps taken: the patience window
    min_gain_share: float = _DEFAULTS.min_gain_share  # of the memorized bits, per window
    lr_cuts: int = _DEFAULTS.lr_cuts
    lr_cut_factor: float = _DEFAULTS.lr_cut_factor
    floor_bits: float = _DEFAULTS.floor_bits  # per token: the training set is memorized
    checkpoint_every: int = _DEFAULTS.checkpoint_every
    max_eval_samples: int = _DEFAULTS.max_eval_samples  # the saturation rule's loss estimate
    seed: int = 0

    @classmethod
    def from_params(cls, params: TrainParams, seed: int = 0) -> TrainConfig:
        return cls(**params.model_dump(), seed=seed)

    def lr_at(self, step: int) -> float:
        if step < self.warmup_steps:
            return self.lr * (step + 1) / self.warmup_steps
        progress = min(1.0, (step - self.warmup_steps) / max(1, self.max_steps - self.warmup_steps))
        return self.lr * (0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * progress)))


def compute_dtype(config: TrainConfig) -> torch.dtype:
    """bf16 means a bf16 model: forward and backward run on bf16 copies of the weights, while
    the weights the optimizer updates (and its state) stay fp32 (mixed precision, as the paper's
    bf16 models need to train at all: pure bf16 AdamW loses updates below bf16's resolution)."""
    return torch.bfloat16 if config.precision == "bf16" else torch.float32
