"""torch.optim.AdamW's update on stacked (M, ...) parameters, one model per leading index.

Each model keeps its own step count and its own gradient-norm clip, and a mask skips the models
that have stopped (saturated) while the others go on. The update is torch's AdamW formula
(decoupled weight decay, bias-corrected moments), written for a model axis.
"""

from __future__ import annotations

import operator
from functools import reduce

import torch
from torch import Tensor

from memdash.worker.train_config import TrainConfig

EPS = 1e-8


def _grad(param: Tensor) -> Tensor:
    """The parameter's gradient, which every step has (the backward pass ran before it)."""
    if param.grad is None:
        raise RuntimeError("a stacked parameter has no gradient: step() before backward()")
    return param.grad


class MaskedAdamW:
    """torch.optim.AdamW's update on stacked (M, ...) parameters, skipping inactive models."""

    def __init__(self, params: dict[str, Tensor], config: TrainConfig, n_models: int) -> None:
        self.params, self.config = params, config
        self.exp_avg = {k: torch.zeros_like(v) for k, v in params.items()}
        self.exp_avg_sq = {k: torch.zeros_like(v) for k, v in params.items()}
        self.steps = torch.zeros(n_models, dtype=torch.float64)

    @torch.no_grad()
    def step(self, lr: Tensor, active: Tensor) -> None:
        """One update; `lr` is each model's learning rate, (M,) float64."""
        beta1, beta2, wd = 0.9, self.config.beta2, self.config.weight_decay
        self.steps += active.double().cpu()
        bias1 = (1 - beta1 ** self.steps.clamp(min=1)).to(active.device)
        bias2 = (1 - beta2 ** self.steps.clamp(min=1)).to(active.device)
        lr = lr.to(active.device)
        for name, param in self.params.items():
            grad = _grad(param)
            shape = (-1,) + (1,) * (param.ndim - 1)
            on = active.view(shape)
            m, v = self.exp_avg[name], self.exp_avg_sq[name]
            m.copy_(torch.where(on, m * beta1 + grad * (1 - beta1), m))
            v.copy_(torch.where(on, v * beta2 + grad * grad * (1 - beta2), v))
            step_size = (lr / bias1).to(param.dtype).view(shape)
            denom = (v.sqrt() / bias2.sqrt().to(param.dtype).view(shape)) + EPS
            update = param * (lr * wd).to(param.dtype).view(shape) + step_size * m / denom
            param.sub_(torch.where(on, update, torch.zeros_like(update)))


def clip_per_model(params: dict[str, Tensor], max_norm: float) -> None:
    """Scale each model's gradient so its own global norm is at most max_norm."""
    parts = [_grad(p).flatten(1).float().pow(2).sum(dim=1) for p in params.values()]
    squares = reduce(operator.add, parts)  # summed in order, as sum() would
    scale = (max_norm / (squares.sqrt() + 1e-6)).clamp(max=1.0)
    for p in params.values():
        _grad(p).mul_(scale.to(p.dtype).view((-1,) + (1,) * (p.ndim - 1)))
