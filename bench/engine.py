"""Engine benchmarks (issue 4): memdash's paths against what a user would otherwise write.

Each comparison runs both sides in the same process, same config, same threads, same device,
and reports the ratio, and memdash's achieved FLOP/s beside the device's measured matmul peak
(a 2048² fp32 matmul; bf16 too), the physical ceiling of every ratio. FLOPs: 6·params·tokens
for a training step, 2·params·tokens for a forward pass (the non-embedding and head matmuls;
attention's T² terms are small at S = 64).
Usage: `.venv/bin/python -m bench.engine [--threads N] [--device cuda] [--out bench/results.md]`.
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from transformers import GPT2Config, GPT2LMHeadModel

from memdash.worker.batches import EpochBatches
from memdash.worker.data.synthetic import uniform_tokens
from memdash.worker.hf_export import to_hf_gpt2
from memdash.worker.inference import MemdashScorer, greedy_continuations, token_nll_bits
from memdash.worker.model import GPT, GPTConfig
from memdash.worker.train import train_many
from memdash.worker.train_config import TrainConfig


def timed(fn: Callable[[], object], repeats: int = 1) -> float:
    fn()  # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats


DEVICE = torch.device("cpu")


def sync() -> None:
    if DEVICE.type == "cuda":
        torch.cuda.synchronize()


def matmul_peak_flops(dtype: torch.dtype, size: int = 2048, repeats: int = 10) -> float:
    """Measured FLOP/s of a size² × size² matmul on DEVICE: the ceiling for dense work."""
    a = torch.randn(size, size, device=DEVICE, dtype=dtype)
    b = torch.randn(size, size, device=DEVICE, dtype=dtype)

    def run() -> None:
        for _ in range(repeats):
            a @ b
        sync()

    return 2 * size**3 * repeats / timed(run)


def bench_training(steps: int) -> dict[str, float]:
    """(a) tokens/s of one optimizer step loop: memdash GPT vs GPT2LMHeadModel, same config."""
    config = GPTConfig(vocab_size=2048, seq_len=64, n_layer=2, d_model=64)
    batch = torch.from_numpy(uniform_tokens(64, 64, 2048, seed=0).astype(np.int64)).to(DEVICE)
    torch.manual_seed(0)
    ours = GPT(config).to(DEVICE)
    hf_config = GPT2Config(
        vocab_size=2048,
        n_positions=64,
        n_embd=64,
        n_layer=2,
        n_head=2,
        resid_pdrop=0,
        embd_pdrop=0,
        attn_pdrop=0,
        bos_token_id=None,
        eos_token_id=None,
    )
    hf = GPT2LMHeadModel(hf_config).to(DEVICE)

    def loop(step_loss: Callable[[], torch.Tensor], params) -> Callable[[], None]:
        optimizer = torch.optim.AdamW(params, lr=1e-3, betas=(0.9, 0.98), foreach=True)

        def run() -> None:
            for _ in range(steps):
                loss = step_loss()
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, 1.0)
                optimizer.step()
            sync()

        return run

    ours_loop = loop(
        lambda: ours.training_loss(batch[:, :-1], batch[:, 1:]), list(ours.parameters())
    )
    hf_loop = loop(lambda: hf(input_ids=batch, labels=batch).loss, list(hf.parameters()))
    tokens = steps * batch.shape[0] * (batch.shape[1] - 1)
    t_ours, t_hf = timed(ours_loop), timed(hf_loop)
    return {
        "ours_tok_s": tokens / t_ours,
        "hf_tok_s": tokens / t_hf,
        "ratio": t_hf / t_ours,
        "flops": 6 * ours.n_params() * tokens / t_ours,
    }


def bench_many(n_models: int, steps: int) -> dict[str, float]:
    """(b) n same-shape tiny models trained together vs one after another."""
    config = GPTConfig(vocab_size=128, seq_len=32, n_layer=1, d_model=16)
    train_config = TrainConfig(
        max_steps=steps, batch_size=32, lr=1e-2, warmup_steps=10, eval_every=10**9
    )
    datasets = [uniform_tokens(64, 32, 128, seed=i) for i in range(n_models)]
    seeds = list(range(n_models))
    t_many = timed(lambda: train_many(config, train_config, datasets, seeds, device=DEVICE))

    def one_after_another() -> None:
        """The loop a user would write: one GPT and one torch AdamW per model, in turn."""
        for seed, data in zip(seeds, datasets, strict=True):
            torch.manual_seed(seed)
            model = GPT(config).to(DEVICE)
            optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, foreach=True)
            batches = EpochBatches(data.shape[0], train_config.batch_size, seed)
            tokens = torch.from_numpy(data.astype(np.int64)).to(DEVICE)
            for step in range(steps):
                batch = tokens[torch.from_numpy(batches.indices(step)).to(DEVICE)]
                loss = model.training_loss(batch[:, :-1], batch[:, 1:])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
        sync()

    t_seq = timed(one_after_another)
    n_params = GPT(config).n_params()
    tokens = n_models * steps * train_config.batch_size * (config.seq_len - 1)
    return {
        "together_s": t_many,
        "sequential_s": t_seq,
        "ratio": t_seq / t_many,
        "flops": 6 * n_params * tokens / t_many,
    }


def bench_nll(n_samples: int) -> dict[str, float]:
    """(c) per-sample NLL: batched memdash scorer vs a one-sample-at-a-time transformers loop."""
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=2048, seq_len=64, n_layer=2, d_model=64)).eval()
    hf = to_hf_gpt2(model).to(DEVICE)
    model = model.to(DEVICE)
    samples = uniform_tokens(n_samples, 64, 2048, seed=1)

    def hf_loop() -> None:
        with torch.inference_mode():
            for row in samples:
                idx = torch.from_numpy(row.astype(np.int64))[None].to(DEVICE)
                logprobs = F.log_softmax(hf(idx).logits[0, :-1], dim=-1)
                logprobs.gather(-1, idx[0, 1:, None])
            sync()

    t_ours = timed(lambda: token_nll_bits(MemdashScorer(model), samples, batch_size=64))
    t_hf = timed(hf_loop)
    return {
        "ours_samples_s": n_samples / t_ours,
        "hf_samples_s": n_samples / t_hf,
        "ratio": t_hf / t_ours,
        "flops": 2 * model.n_params() * n_samples * 64 / t_ours,
    }


def bench_extraction(n_samples: int, k: int = 32, m: int = 32) -> dict[str, float]:
    """(d) greedy k-extraction: batched, KV-cached vs transformers generate one at a time."""
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=2048, seq_len=64, n_layer=2, d_model=64)).eval()
    hf = to_hf_gpt2(model).to(DEVICE)
    model = model.to(DEVICE)
    prompts = uniform_tokens(n_samples, k, 2048, seed=2).astype(np.int64)

    def hf_loop() -> None:
        with torch.inference_mode():
            for row in prompts:
                hf.generate(
                    torch.from_numpy(row)[None].to(DEVICE),
                    max_new_tokens=m,
                    do_sample=False,
                    min_new_tokens=m,
                    pad_token_id=0,
                )

    t_ours = timed(lambda: greedy_continuations(MemdashScorer(model), prompts, m, batch_size=64))
    t_hf = timed(hf_loop)
    return {
        "ours_samples_s": n_samples / t_ours,
        "hf_samples_s": n_samples / t_hf,
        "ratio": t_hf / t_ours,
        "flops": 2 * model.n_params() * n_samples * m / t_ours,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--device", default="cpu", help="cpu or cuda (cuda:N)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    global DEVICE
    DEVICE = torch.device(args.device)
    device = torch.cuda.get_device_name(DEVICE) if DEVICE.type == "cuda" else platform.processor()
    peak_fp32 = matmul_peak_flops(torch.float32)
    peak_bf16 = matmul_peak_flops(torch.bfloat16)
    rows = [
        (
            "(a) training tokens/s vs GPT2LMHeadModel (L=2, d=64, V=2048, B=64, S=64)",
            1.5,
            bench_training(steps=20),
        ),
        (
            "(b) 16 tiny models together vs one after another (L=1, d=16, V=128, S=32)",
            3.0,
            bench_many(16, steps=100),
        ),
        ("(c) per-sample NLL, 512 samples, batched vs one-at-a-time HF loop", 10.0, bench_nll(512)),
        (
            "(d) greedy extraction k=32, m=32, 128 samples, vs HF generate one at a time",
            5.0,
            bench_extraction(128),
        ),
    ]
    lines = [
        f"Machine: {platform.machine()} {device or 'cpu'}, torch {torch.__version__}, "
        f"{args.threads} torch thread(s), device {DEVICE}. Command: `.venv/bin/python -m "
        f"bench.engine --threads {args.threads} --device {args.device}`",
        "",
        f"Measured matmul peak (2048², the ceiling): fp32 {peak_fp32 / 1e9:,.0f} GFLOP/s, "
        f"bf16 {peak_bf16 / 1e9:,.0f} GFLOP/s.",
        "",
        "| benchmark | goal | ratio | memdash GFLOP/s (share of the fp32 peak) | details |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, goal, result in rows:
        details = ", ".join(
            f"{k}={v:,.1f}" for k, v in result.items() if k not in ("ratio", "flops")
        )
        verdict = "met" if result["ratio"] >= goal else "missed"
        achieved = f"{result['flops'] / 1e9:,.1f} ({result['flops'] / peak_fp32:.0%})"
        lines.append(
            f"| {name} | ≥{goal}× | {result['ratio']:.2f}× ({verdict}) | {achieved} | {details} |"
        )
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
