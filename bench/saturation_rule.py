"""Saturation-rule study (issue 26): does the stopping rule, rather than the models, shape the
capacity memdash reports?

Trains one shape of a capacity preset at dataset sizes around its capacity, with the preset's
trainer settings and a step budget large enough that the rule, not the cap, ends every run, once
per rule strength (`min_gain_share`: the share of its memorized bits a run must gain within its
patience window to count as improving). Reports per strength: memorized bits at each size (seed
mean), the capacity (max over sizes), how runs stopped, their last stop step and the wall time.
A rule is strict enough when a stricter one no longer changes the bits; the strictest rule also
answers whether memorized bits fall past the peak (the paper reports a plateau).

Usage: `.venv/bin/python -m bench.saturation_rule --preset quick --shape 1 --shares 0.004 0.001
0.00025 [--multiples 0.5 1 2 4] [--max-steps 30000] [--out bench/results-saturation.md]`.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections import Counter
from dataclasses import replace

import numpy as np
import torch

from bench.budget import _with_overrides
from bench.report import emit
from memdash.app.kinds.capacity.params import PRESETS, CapacitySweepParams
from memdash.core.metrics.capacity import seeds_apart
from memdash.worker.data.synthetic import uniform_tokens
from memdash.worker.evaluate import evaluate_uniform
from memdash.worker.inference import MemdashScorer
from memdash.worker.model import GPTConfig
from memdash.worker.train import train_many
from memdash.worker.train_config import TrainConfig


def memorized_bits(
    params: CapacitySweepParams,
    shape_index: int,
    sizes: list[int],
    config: TrainConfig,
    device: torch.device | None = None,
) -> dict:
    """Train the shape at each size (the preset's seeds) under `config`; memorized bits per N."""
    shape = params.shapes[shape_index]
    model = GPTConfig(
        vocab_size=params.vocab_size,
        seq_len=params.seq_len,
        n_layer=shape.n_layer,
        d_model=shape.d_model,
    )
    members = [(n, seed) for n in sizes for seed in range(params.seeds)]
    datasets = [uniform_tokens(n, params.seq_len, params.vocab_size, seed) for n, seed in members]
    start = time.perf_counter()
    results = train_many(model, config, datasets, [seed for _, seed in members], device=device)
    seconds = time.perf_counter() - start
    by_n: dict[int, list[float]] = {}
    empty = np.zeros((0, params.seq_len), dtype=np.int32)
    for (n, _), data, result in zip(members, datasets, results, strict=True):
        scored = evaluate_uniform(MemdashScorer(result.model), data, empty, model.vocab_size)
        by_n.setdefault(n, []).append(scored.summary["mem_u_bits"])
    means = {n: float(np.mean(v)) for n, v in sorted(by_n.items())}
    peak = max(means, key=means.get)
    return {
        "min_gain_share": config.min_gain_share,
        "by_n": means,
        "capacity_bits": means[peak],
        "peak_n": peak,
        "n_params": results[0].model.n_params(),
        "stop_reasons": dict(Counter(r.stop_reason for r in results)),
        # Seeds more than 10% apart at a size: a stall the rule took for a plateau.
        "seeds_apart": [n for n, bits in sorted(by_n.items()) if seeds_apart(bits)],
        "window_share": config.window_share,
        "last_stop_step": max(r.steps for r in results),
        "seconds": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--preset", default="quick", choices=sorted(PRESETS))
    parser.add_argument("--shape", type=int, default=1, help="index into the preset's shapes")
    parser.add_argument("--shares", type=float, nargs="+", default=[0.004, 0.001, 0.00025])
    parser.add_argument(
        "--multiples",
        type=float,
        nargs="+",
        default=None,
        help="sizes as multiples of the preset's expected capacity",
    )
    parser.add_argument("--max-steps", type=int, default=30_000)
    parser.add_argument("--set", action="append", default=[], help="key.path=json override")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    params = _with_overrides(args.preset, args.set)
    if args.multiples:
        params = params.model_copy(update={"capacity_multiples": args.multiples})
    shape = params.shapes[args.shape]
    sizes = params.sizes_for(shape)
    base = replace(TrainConfig.from_params(params.train), max_steps=args.max_steps)
    rows = []
    for share in args.shares:
        rows.append(memorized_bits(params, args.shape, sizes, replace(base, min_gain_share=share)))
        print(json.dumps(rows[-1]), flush=True)
    strictest = min(rows, key=lambda r: r["min_gain_share"])
    lines = [
        f"Saturation-rule study: preset `{args.preset}`, shape L{shape.n_layer}-d{shape.d_model} "
        f"({rows[0]['n_params']:,} parameters), V={params.vocab_size}, S={params.seq_len}, "
        f"{params.seeds} seed(s), N in {sizes}, budget {args.max_steps:,} steps, window "
        f"{base.window_share:.0%} of the steps taken (at least {base.patience_evals} "
        f"evaluations of {base.eval_every}). "
        f"{platform.machine()}, {args.threads} torch threads, torch {torch.__version__}. "
        f"Command: `.venv/bin/python -m bench.saturation_rule --preset {args.preset} --shape "
        f"{args.shape} --shares {' '.join(map(str, args.shares))}"
        + (f" --multiples {' '.join(map(str, args.multiples))}" if args.multiples else "")
        + "".join(f" --set '{item}'" for item in args.set)
        + f" --max-steps {args.max_steps}`",
        "",
        "| min_gain_share | "
        + " | ".join(f"N={n}" for n in sizes)
        + " | capacity | vs strictest | stop reasons | seeds > 10% apart | last stop | time |",
        "| --- | " + " | ".join("---" for _ in sizes) + " | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(row["stop_reasons"].items()))
        ratio = row["capacity_bits"] / strictest["capacity_bits"] - 1
        lines.append(
            f"| {row['min_gain_share']:g} | "
            + " | ".join(f"{row['by_n'][n]:,.0f}" for n in sizes)
            + f" | {row['capacity_bits']:,.0f} (N={row['peak_n']}) | {ratio:+.1%} | {reasons} "
            f"| {', '.join(map(str, row['seeds_apart'])) or 'none'} "
            f"| {row['last_stop_step']:,} | {row['seconds']:.0f} s |"
        )
    text = "\n".join(lines)
    emit(text, args.out)


if __name__ == "__main__":
    main()
