"""Time per training step of a capacity preset's shape (the stacked trainer, as a sweep job runs
it), and where the time goes: the median step time over a window after a warm-up, and, with
`--profile`, torch.profiler's top operators by device (or CPU) time.

Usage: `.venv/bin/python -m bench.step_time --preset paper-cpu --shape 0 --sizes 245 489 978
[--precision fp32] [--steps 200] [--set train.batch_size=512] [--device cuda] [--profile]`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import replace

import torch

from bench.budget import _with_overrides
from memdash.worker.data.synthetic import uniform_tokens
from memdash.worker.model import GPTConfig
from memdash.worker.train import train_many
from memdash.worker.train_config import TrainConfig


def _train_seconds(args: argparse.Namespace, steps: int, profile: bool = False) -> float:
    params = _with_overrides(args.preset, args.set)
    shape = params.shapes[args.shape]
    model = GPTConfig(
        vocab_size=params.vocab_size,
        seq_len=params.seq_len,
        n_layer=shape.n_layer,
        d_model=shape.d_model,
    )
    device = torch.device(args.device)
    config = replace(
        TrainConfig.from_params(params.train),
        precision=args.precision,
        max_steps=steps,
        eval_every=10**9,  # one evaluation, at the last step
        checkpoint_every=10**9,
    )
    datasets = [uniform_tokens(n, params.seq_len, params.vocab_size, 0) for n in args.sizes]
    seeds = list(range(len(datasets)))
    start = time.perf_counter()
    if profile:
        activities = [torch.profiler.ProfilerActivity.CPU]
        if device.type == "cuda":
            activities.append(torch.profiler.ProfilerActivity.CUDA)
        with torch.profiler.profile(activities=activities) as prof:
            train_many(model, config, datasets, seeds, device=device)
        key = "self_cuda_time_total" if device.type == "cuda" else "self_cpu_time_total"
        print(prof.key_averages().table(sort_by=key, row_limit=args.top), flush=True)
    else:
        train_many(model, config, datasets, seeds, device=device)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def step_ms(args: argparse.Namespace) -> float:
    """(time of 2·steps − time of steps) / steps: the set-up and the final evaluation cancel."""
    return (
        1000
        * (_train_seconds(args, 2 * args.steps) - _train_seconds(args, args.steps))
        / args.steps
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--preset", default="paper-cpu")
    parser.add_argument("--shape", type=int, default=0)
    parser.add_argument("--sizes", type=int, nargs="+", default=[245, 489, 978])
    parser.add_argument("--precision", default="fp32", choices=["fp32", "bf16"])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--set", action="append", default=[], help="key.path=json override")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.profile:
        _train_seconds(args, args.steps, profile=True)
    times = [step_ms(args) for _ in range(args.repeats)]
    where = torch.cuda.get_device_name() if args.device == "cuda" else "cpu"
    result = {"preset": args.preset, "shape": args.shape, "sizes": args.sizes, "set": args.set,
              "precision": args.precision, "device": where, "runs_ms": times}  # fmt: skip
    print(json.dumps({**result, "ms_per_step": statistics.median(times)}), flush=True)


if __name__ == "__main__":
    main()
