"""Train one model on a dataset (uniform random tokens for now) and measure its memorization.

params (core.jobs.TrainJob): model shape, train knobs, data {kind: "uniform", n_samples,
n_heldout, seed}. The same trainer and evaluation as a capacity sweep's stacked jobs (a stack of
one); a re-claimed job resumes from its last checkpoint.
"""

from __future__ import annotations

import numpy as np

from memdash.core.results import TrainResult
from memdash.worker.jobs.context import JobCancelled, JobContext


def run(ctx: JobContext) -> TrainResult:
    import torch

    from memdash.core.metrics.capacity import synthetic_dataset_bits
    from memdash.worker.data.synthetic import uniform_tokens
    from memdash.worker.device import pick_device
    from memdash.worker.evaluate import evaluate_uniform
    from memdash.worker.inference import MemdashScorer
    from memdash.worker.model import GPTConfig
    from memdash.worker.train import train
    from memdash.worker.train_config import TrainConfig

    model_config = GPTConfig(**ctx.params.model.model_dump())
    config = TrainConfig.from_params(ctx.params.train)
    data = ctx.params.data
    n_train, n_heldout = data.n_samples, data.n_heldout
    tokens = uniform_tokens(
        n_train + n_heldout, model_config.seq_len, model_config.vocab_size, data.seed
    )
    train_tokens, heldout_tokens = tokens[:n_train], tokens[n_train:]
    device = pick_device(ctx.device)

    result = train(
        model_config,
        config,
        train_tokens,
        heldout_tokens=heldout_tokens if n_heldout else None,
        device=device,
        checkpoint_path=ctx.work_dir / "checkpoint.pt",
        resume_from=ctx.resume_path,
        on_progress=lambda step, total, _active: ctx.progress(0.9 * step / total, f"step {step}"),
        on_checkpoint=lambda path, step: ctx.checkpoint(path, step),
        should_stop=ctx.should_stop,
    )
    if result.stop_reason == "cancelled":
        raise JobCancelled()

    evaluation = evaluate_uniform(
        MemdashScorer(result.model), train_tokens, heldout_tokens, model_config.vocab_size
    )
    evaluation.summary.update(
        steps=result.steps,
        stop_reason=result.stop_reason,
        resumed_from_step=result.resumed_from_step,
        n_train=n_train,
        dataset_bits=synthetic_dataset_bits(n_train, model_config.seq_len, model_config.vocab_size),
        device=str(device),
        torch_threads=torch.get_num_threads(),
    )
    return TrainResult(
        **evaluation.run_result(result.model.n_params(), result.curve).model_dump(
            exclude_unset=True
        ),
        train_bits_mean=float(np.mean(evaluation.samples.train.bits)),
    )
