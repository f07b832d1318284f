"""Train one model on a dataset (uniform random tokens for now) and measure its memorization.

params (worker.contract.TrainJob): model shape, train knobs, data {kind: "uniform", n_samples,
n_heldout, seed}. A re-claimed job resumes from its last checkpoint.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from worker.jobs.context import JobCancelled, JobContext


def run(ctx: JobContext) -> dict[str, Any]:
    import torch

    from worker.data.synthetic import uniform_tokens
    from worker.device import pick_device
    from worker.inference import MemdashScorer, token_nll_bits
    from worker.metrics.capacity import synthetic_dataset_bits
    from worker.metrics.codelength import sample_code_bits
    from worker.metrics.memorization import synthetic_memorization_totals
    from worker.model import GPTConfig
    from worker.train import TrainConfig, train

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
        on_progress=lambda step, total, point: ctx.progress(
            step / total, f"step {step}: train {point['train_loss_bits']:.3f} bits/token"
        ),
        on_checkpoint=lambda path, step: ctx.checkpoint(path, step),
        should_stop=ctx.should_stop,
    )
    if result.stop_reason == "cancelled":
        raise JobCancelled()

    scorer = MemdashScorer(result.model)
    vocab, seq_len = model_config.vocab_size, model_config.seq_len
    train_bits = [sample_code_bits(b, vocab) for b in token_nll_bits(scorer, train_tokens)]
    totals = synthetic_memorization_totals(train_bits, seq_len, vocab)
    summary = {
        "steps": result.steps,
        "stop_reason": result.stop_reason,
        "resumed_from_step": result.resumed_from_step,
        "train_loss_bits": result.curve[-1]["train_loss_bits"] if result.curve else None,
        "heldout_loss_bits": result.curve[-1].get("heldout_loss_bits") if result.curve else None,
        "mem_u_bits": totals.mem_u_bits,
        "unclipped_bits": totals.unclipped_bits,
        "dataset_bits": synthetic_dataset_bits(n_train, seq_len, vocab),
        "n_train": n_train,
        "device": str(device),
        "torch_threads": torch.get_num_threads(),
    }
    return {
        "n_params": result.model.n_params(),
        "summary": summary,
        "curve": result.curve,
        "train_bits_mean": float(np.mean(train_bits)),
    }
