"""Training one model to saturation, with atomic checkpoints and exact resume (SPEC 3).

The saturation rule (`Saturation`): every `eval_every` steps the mean training loss (bits/token)
is measured on the training set, or on a fixed subset of its first `max_eval_samples` samples
when it is larger (training sets are in seeded random order, so the subset is a random sample);
at a plateau the learning rate is cut, a few times, and training stops when it still does not
improve after the last cut ("plateau"), when the loss falls below `floor_bits` (everything
memorized), or at `max_steps` (a lower bound: not saturated). AdamW, linear warmup then cosine decay
to 10% of the peak rate (over `max_steps`), per-model gradient clipping.

Precision "bf16" computes in bfloat16 (the paper's half-precision models: forward and backward
on bf16 weights, the evaluated and kept model in bf16) with fp32 master weights and optimizer
state (`compute_dtype`); "fp32" is full precision. Batches are a pure function of (seed, step)
and the model is seeded before initialization, so a run resumed from a checkpoint ends bit for
bit where an uninterrupted one would.
"""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import NDArray
from torch.func import functional_call

from worker.batches import EpochBatches
from worker.inference import MemdashScorer, token_nll_bits
from worker.model import GPT, GPTConfig
from worker.params import TrainParams

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
    min_improvement_bits: float = _DEFAULTS.min_improvement_bits  # per token
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


@dataclass
class Saturation:
    """The stopping rule's state (saved in checkpoints so resume decides identically).

    Progress is measured against `reference_bits`, the loss when the rule last saw a real
    improvement (at least `min_improvement_bits` below it); it does not creep down with every
    evaluation, so slow steady progress adds up and resets the count instead of passing for a
    plateau. After `patience_evals` evaluations without such an improvement the learning rate is
    cut (×`lr_cut_factor`, at most `lr_cuts` times) and patience starts again; a plateau after
    the last cut is saturation ("plateau"). A loss at or below `floor_bits` is "memorized".
    Neither reached by `max_steps`: "max_steps", a lower bound (see `saturated`).
    """

    reference_bits: float = float("inf")
    best_bits: float = float("inf")
    evals_without_improvement: int = 0
    lr_cuts_done: int = 0
    reason: str = ""

    def update(self, loss_bits: float, config: TrainConfig) -> bool:
        """Record an evaluation; True when training should stop."""
        self.best_bits = min(self.best_bits, loss_bits)
        if loss_bits <= config.floor_bits:
            self.reason = "memorized"
            return True
        if loss_bits < self.reference_bits - config.min_improvement_bits:
            self.reference_bits, self.evals_without_improvement = loss_bits, 0
            return False
        self.evals_without_improvement += 1
        if self.evals_without_improvement >= config.patience_evals:
            if self.lr_cuts_done >= config.lr_cuts:
                self.reason = "plateau"
                return True
            self.lr_cuts_done += 1
            self.evals_without_improvement = 0
            self.reference_bits = self.best_bits
        return False

    def lr_scale(self, config: TrainConfig) -> float:
        """The factor on the scheduled learning rate after the cuts so far."""
        return config.lr_cut_factor**self.lr_cuts_done


@dataclass
class TrainResult:
    model: GPT
    steps: int
    stop_reason: str
    curve: list[dict[str, float]] = field(default_factory=list)
    resumed_from_step: int = 0


ProgressFn = Callable[[int, int, dict[str, float]], None]
CheckpointFn = Callable[[Path, int], None]


def mean_loss_bits(model: GPT, tokens: NDArray[np.int32], batch_size: int = 256) -> float:
    """Corpus bits per predicted token of `tokens` under `model` (Σ bits / Σ tokens)."""
    per_sample = token_nll_bits(MemdashScorer(model), tokens, batch_size)
    total = sum(float(a.sum()) for a in per_sample)
    return total / max(1, sum(a.size for a in per_sample))


def build_model(model_config: GPTConfig, train_config: TrainConfig, device: torch.device) -> GPT:
    """The seeded model with fp32 (master) weights, whatever the precision it computes in."""
    torch.manual_seed(train_config.seed)
    return GPT(model_config).to(device)


def compute_dtype(config: TrainConfig) -> torch.dtype:
    """bf16 means a bf16 model: forward and backward run on bf16 copies of the weights, while
    the weights the optimizer updates (and its state) stay fp32 (mixed precision, as the paper's
    bf16 models need to train at all: pure bf16 AdamW loses updates below bf16's resolution)."""
    return torch.bfloat16 if config.precision == "bf16" else torch.float32


def stored_model(model: GPT, config: TrainConfig) -> GPT:
    """The model as it is evaluated and kept: a bf16 copy of the master weights under bf16."""
    if compute_dtype(config) == torch.float32:
        return model
    return copy.deepcopy(model).to(torch.bfloat16).eval()


def forward_in(model: GPT, dtype: torch.dtype, tokens: torch.Tensor) -> torch.Tensor:
    """Logits with the weights cast to `dtype` (differentiably: gradients reach the masters)."""
    if dtype == torch.float32:
        return model(tokens)[0]
    weights = {name: p.to(dtype) for name, p in model.named_parameters()}
    return functional_call(model, weights, (tokens,))[0]


def make_optimizer(model: GPT, config: TrainConfig) -> torch.optim.AdamW:
    return torch.optim.AdamW(
        model.parameters(),
        lr=config.lr,
        betas=(0.9, config.beta2),
        weight_decay=config.weight_decay,
        foreach=True,
    )


def save_checkpoint(path: Path, payload: dict[str, Any]) -> None:
    """Write atomically: a reader sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".partial")
    torch.save(payload, partial)
    with open(partial, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(partial, path)


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Checkpoints are data: loaded with weights_only=True, which never runs pickled code."""
    return torch.load(path, map_location="cpu", weights_only=True)


def train(
    model_config: GPTConfig,
    config: TrainConfig,
    train_tokens: NDArray[np.int32],
    *,
    heldout_tokens: NDArray[np.int32] | None = None,
    device: torch.device | None = None,
    checkpoint_path: Path | None = None,
    resume_from: Path | None = None,
    on_progress: ProgressFn | None = None,
    on_checkpoint: CheckpointFn | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> TrainResult:
    device = device or torch.device("cpu")
    model = build_model(model_config, config, device)
    optimizer = make_optimizer(model, config)
    saturation, curve, step = Saturation(), [], 0
    if resume_from is not None:
        state = load_checkpoint(resume_from)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        step, curve = int(state["step"]), list(state["curve"])
        saturation = Saturation(**state["saturation"])
    resumed_from_step = step

    batches = EpochBatches(train_tokens.shape[0], config.batch_size, config.seed)
    data = torch.from_numpy(np.ascontiguousarray(train_tokens, dtype=np.int64)).to(device)

    def checkpoint() -> None:
        if checkpoint_path is None:
            return
        save_checkpoint(
            checkpoint_path,
            {
                "format": "memdash-train-v1",
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "step": step,
                "curve": curve,
                "saturation": asdict(saturation),
                "model_config": model_config.to_dict(),
                "train_config": asdict(config),
            },
        )
        if on_checkpoint:
            on_checkpoint(checkpoint_path, step)

    while not saturation.reason and step < config.max_steps:
        if should_stop and should_stop():
            checkpoint()
            return TrainResult(
                stored_model(model, config), step, "cancelled", curve, resumed_from_step
            )
        # One optimizer step on a deterministic batch.
        model.train()
        for group in optimizer.param_groups:
            group["lr"] = config.lr_at(step) * saturation.lr_scale(config)
        batch = data[torch.from_numpy(batches.indices(step)).to(device)]  # (B, S)
        logits = forward_in(model, compute_dtype(config), batch[:, :-1])
        loss = F.cross_entropy(
            logits.float().reshape(-1, logits.size(-1)), batch[:, 1:].reshape(-1)
        )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if config.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        optimizer.step()
        step += 1

        # Evaluation, the stopping rule, progress and checkpoints.
        if step % config.eval_every == 0 or step == config.max_steps:
            evaluated = stored_model(model, config)  # one bf16 copy for both losses
            point = {
                "step": float(step),
                "train_loss_bits": mean_loss_bits(
                    evaluated, train_tokens[: config.max_eval_samples]
                ),
            }
            if heldout_tokens is not None and heldout_tokens.shape[0]:
                point["heldout_loss_bits"] = mean_loss_bits(evaluated, heldout_tokens)
            curve.append(point)
            saturation.update(point["train_loss_bits"], config)
            if on_progress:
                on_progress(step, config.max_steps, point)
        if step % config.checkpoint_every == 0 and not saturation.reason:
            checkpoint()
    stop_reason = saturation.reason or "max_steps"
    checkpoint()
    return TrainResult(stored_model(model, config), step, stop_reason, curve, resumed_from_step)
