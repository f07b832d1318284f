"""The trainer: models of one shape trained together as one stacked program, to saturation,
with atomic checkpoints and exact resume (SPEC 3; DESIGN: performance shape).

A capacity sweep trains tiny models of one shape on different seeds and dataset sizes. Run one
after another, each step is dominated by per-op overhead; stacked (worker/stacked_model.py),
every weight gets a leading model axis and each layer is one batched matmul for all models.
(torch.func.vmap over the plain model was tried first: on CPU SDPA has no batching rule there
and the stacked step ran 2x slower than a loop, so the stacked forward is written out.) One
model is a stack of one (`train`): there is one training path.

Each model keeps its own identity: its seed initializes it (`build_model`), it draws its own
deterministic batches from its own dataset, its gradient is clipped by its own norm, and
`MaskedAdamW` applies torch's AdamW per model with a mask, so a model that has saturated stops
updating while the others go on. Each model stops by the saturation rule (worker/saturation.py):
at a plateau its learning rate is cut, a few times, and it stops when it still does not improve
after the last cut ("plateau"), when its loss falls below `floor_bits` ("memorized"), or at
`max_steps` (a lower bound: not saturated).

Checkpoints: every `checkpoint_every` steps, and when asked to stop, the whole stack is written
atomically (weights, both AdamW moments and step counts, the active mask, every model's
saturation state, curves and stop steps, the step, torch's RNG state, and the caller's `extra`
state). Batches are a pure function of (seed, step), so a stack resumed from a checkpoint ends
bit for bit where an uninterrupted one would.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from numpy.typing import NDArray
from torch import Tensor

from memdash.core.edges import JSONObject
from memdash.worker.batches import EpochBatches
from memdash.worker.data.padding import unpad
from memdash.worker.inference import CausalScorer, MemdashScorer, token_nll_bits
from memdash.worker.masked_adamw import MaskedAdamW, clip_per_model
from memdash.worker.model import GPT, GPTConfig
from memdash.worker.saturation import Saturation
from memdash.worker.stacked_model import stack_state, stacked_losses, unstack_state
from memdash.worker.train_checkpoint import load_checkpoint, save_checkpoint
from memdash.worker.train_config import TrainConfig, compute_dtype


@dataclass
class TrainResult:
    model: GPT
    steps: int
    stop_reason: str
    curve: list[dict[str, float]] = field(default_factory=list)
    resumed_from_step: int = 0


ProgressFn = Callable[[int, int, int], None]  # step, max_steps, models still training
EvalFn = Callable[[int, int, GPT], None]  # model index, step, a copy of its current weights
CheckpointFn = Callable[[Path, int], None]


def mean_loss_bits(
    model: GPT | CausalScorer, tokens: NDArray[np.int32], batch_size: int = 256
) -> float:
    """Corpus bits per predicted token of `tokens` under `model` (a memdash GPT, or any
    scorer: Σ bits / Σ tokens); padded samples count their real tokens only."""
    scorer = MemdashScorer(model) if isinstance(model, GPT) else model
    per_sample = token_nll_bits(scorer, unpad(tokens), batch_size)
    total = sum(float(a.sum()) for a in per_sample)
    return total / max(1, sum(a.size for a in per_sample))


def build_model(model_config: GPTConfig, train_config: TrainConfig, device: torch.device) -> GPT:
    """The seeded model with fp32 (master) weights, whatever the precision it computes in."""
    torch.manual_seed(train_config.seed)
    return GPT(model_config).to(device)


STACK_FORMAT = "memdash-stack-v1"


def _fingerprint(
    model_config: GPTConfig, config: TrainConfig, datasets: Sequence[NDArray], seeds: Sequence[int]
) -> JSONObject:
    """What a checkpoint must agree on to be resumed by this call."""
    memory = {"memory": "causal-addressed"} if model_config.memory_slots else {}  # issue 28's
    return {
        **memory,  # an LM2 checkpoint of the former per-position memory cannot be resumed
        "model": model_config.to_dict(),
        "train": asdict(config),
        "sizes": [int(d.shape[0]) for d in datasets],
        "seeds": [int(s) for s in seeds],
    }


def train_many(
    model_config: GPTConfig,
    config: TrainConfig,
    datasets: Sequence[NDArray[np.int32]],
    seeds: Sequence[int],
    *,
    device: torch.device | None = None,
    on_progress: ProgressFn | None = None,
    on_eval: EvalFn | None = None,
    should_stop: Callable[[], bool] | None = None,
    checkpoint_path: Path | None = None,
    resume_from: Path | None = None,
    on_checkpoint: CheckpointFn | None = None,
    extra_state: Callable[[], JSONObject] | None = None,
    heldouts: Sequence[NDArray[np.int32] | None] | None = None,
) -> list[TrainResult]:
    """Train len(datasets) models of one shape together; model i uses seeds[i] and datasets[i].

    With `heldouts` (one set per model, or None for a model without one), each evaluation
    also records the model's held-out loss: the train-vs-held-out curves over steps.

    With `checkpoint_path` the stack is saved there (and `on_checkpoint(path, step)` told) every
    `config.checkpoint_every` steps and when `should_stop` ends it early; `resume_from` continues
    from such a file. `extra_state()` is saved with each checkpoint (read it back with
    `checkpoint_extra`)."""
    if len(datasets) != len(seeds) or not datasets:
        raise ValueError("give one seed per dataset, and at least one of each")
    if heldouts is not None and len(heldouts) != len(datasets):
        raise ValueError("give one held-out set (or None) per dataset")
    device = device or torch.device("cpu")
    n_models = len(datasets)
    models = [build_model(model_config, replace(config, seed=s), device) for s in seeds]
    params = stack_state(models)  # each (M, ...), requires_grad
    optimizer = MaskedAdamW(params, config, n_models)
    samplers = [
        EpochBatches(d.shape[0], config.batch_size, s) for d, s in zip(datasets, seeds, strict=True)
    ]
    data = [torch.from_numpy(np.ascontiguousarray(d, dtype=np.int64)).to(device) for d in datasets]
    saturations = [Saturation() for _ in range(n_models)]
    curves: list[list[dict[str, float]]] = [[] for _ in range(n_models)]
    stopped_at = [0] * n_models
    active = torch.ones(n_models, dtype=torch.bool, device=device)
    step = 0
    fingerprint = _fingerprint(model_config, config, datasets, seeds)
    dtype = compute_dtype(config)

    if resume_from is not None:
        state = load_checkpoint(resume_from)
        if state.get("format") != STACK_FORMAT or state.get("fingerprint") != fingerprint:
            raise ValueError("the resume checkpoint belongs to another stack of models")
        with torch.no_grad():
            for name, value in state["params"].items():
                params[name].copy_(value.to(device))
            for name, value in state["exp_avg"].items():
                optimizer.exp_avg[name].copy_(value.to(device))
            for name, value in state["exp_avg_sq"].items():
                optimizer.exp_avg_sq[name].copy_(value.to(device))
        optimizer.steps = state["adam_steps"].clone()
        active = state["active"].to(device)
        saturations = [Saturation(**s) for s in state["saturations"]]
        curves, stopped_at = state["curves"], list(state["stopped_at"])
        step = int(state["step"])
        torch.set_rng_state(state["rng"])
    resumed_from_step = step

    def checkpoint() -> None:
        if checkpoint_path is None:
            return
        save_checkpoint(
            checkpoint_path,
            {
                "format": STACK_FORMAT,
                "fingerprint": fingerprint,
                "params": {k: v.detach().cpu() for k, v in params.items()},
                "exp_avg": {k: v.cpu() for k, v in optimizer.exp_avg.items()},
                "exp_avg_sq": {k: v.cpu() for k, v in optimizer.exp_avg_sq.items()},
                "adam_steps": optimizer.steps.clone(),
                "active": active.cpu(),
                "saturations": [asdict(s) for s in saturations],
                "curves": curves,
                "stopped_at": stopped_at,
                "step": step,
                "rng": torch.get_rng_state(),
                "extra": extra_state() if extra_state else {},
            },
        )
        if on_checkpoint:
            on_checkpoint(checkpoint_path, step)

    while bool(active.any()) and step < config.max_steps:
        if should_stop and should_stop():
            checkpoint()
            break
        batch = torch.stack(
            [
                data[i][torch.from_numpy(samplers[i].indices(step)).to(device)]
                for i in range(n_models)
            ]
        )  # (M, B, S)
        # bf16: the forward and backward run on bf16 casts of the fp32 masters (compute_dtype)
        weights = params if dtype == torch.float32 else {k: v.to(dtype) for k, v in params.items()}
        losses = stacked_losses(weights, model_config, batch)  # (M,)
        for p in params.values():
            p.grad = None
        (losses * active).sum().backward()  # per-model gradients; inactive models get zeros
        if config.grad_clip > 0:
            clip_per_model(params, config.grad_clip)
        scales = torch.tensor([sat.lr_scale(config) for sat in saturations], dtype=torch.float64)
        optimizer.step(config.lr_at(step) * scales, active)
        step += 1

        if step % config.eval_every == 0 or step == config.max_steps:
            for i in torch.nonzero(active).flatten().tolist():
                model = _unstack(model_config, params, i, device, dtype)
                point = {
                    "step": float(step),
                    "train_loss_bits": mean_loss_bits(
                        model, datasets[i][: config.max_eval_samples]
                    ),
                }
                heldout = heldouts[i] if heldouts is not None else None
                if heldout is not None and heldout.shape[0]:
                    point["heldout_loss_bits"] = mean_loss_bits(
                        model, heldout[: config.max_eval_samples]
                    )
                curves[i].append(point)
                if on_eval:
                    on_eval(i, step, model)
                uniform_bits = math.log2(model_config.vocab_size)
                if saturations[i].update(point["train_loss_bits"], config, uniform_bits, step):
                    active[i] = False
                    stopped_at[i] = step
            if on_progress:
                on_progress(step, config.max_steps, int(active.sum()))
        if step % config.checkpoint_every == 0 and bool(active.any()):
            checkpoint()

    results = []
    for i in range(n_models):
        reason = saturations[i].reason or ("max_steps" if step >= config.max_steps else "cancelled")
        model = _unstack(model_config, params, i, device, dtype)
        results.append(
            TrainResult(model, stopped_at[i] or step, reason, curves[i], resumed_from_step)
        )
    return results


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
    on_eval: EvalFn | None = None,
) -> TrainResult:
    """One model (seed `config.seed`): a stack of one through `train_many`."""
    (result,) = train_many(
        model_config,
        config,
        [train_tokens],
        [config.seed],
        device=device,
        on_progress=on_progress,
        on_eval=on_eval,
        should_stop=should_stop,
        checkpoint_path=checkpoint_path,
        resume_from=resume_from,
        on_checkpoint=on_checkpoint,
        heldouts=[heldout_tokens],
    )
    return result


def _unstack(
    model_config: GPTConfig,
    params: dict[str, Tensor],
    index: int,
    device: torch.device,
    dtype: torch.dtype = torch.float32,
) -> GPT:
    """Model `index` of the stack as an ordinary GPT (a copy of its current weights, in the
    precision it is evaluated and kept in)."""
    model = GPT(model_config).to(device=device, dtype=dtype)
    model.load_state_dict(unstack_state(params, index))
    return model.eval()
