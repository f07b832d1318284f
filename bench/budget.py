"""Budget study (issue 14): does a capacity preset's step budget saturate its models?

Trains one shape of a capacity preset at its dataset sizes and seeds with the preset's trainer
settings, at 1×, 2× and 4× its step budget, with the same stacked trainer and saturation rule the
sweep uses, and reports per budget: the shape's capacity (max over N of the seed mean of memorized
bits), bits per parameter, how each run stopped, and the wall time. When the preset saturates,
capacity stops rising with the budget and every run ends by "plateau" or "memorized".

Usage: `.venv/bin/python -m bench.budget --preset quick --shape 1x16 [--multiples 1 2 4]
[--set train.lr=0.02] [--out bench/results-budget.md]`.
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

from bench.report import emit
from memdash.app.kinds.capacity.params import PRESETS, CapacitySweepParams
from memdash.worker.data.synthetic import uniform_tokens
from memdash.worker.evaluate import evaluate_uniform
from memdash.worker.inference import MemdashScorer
from memdash.worker.model import GPTConfig
from memdash.worker.train import train_many
from memdash.worker.train_config import TrainConfig


def _with_overrides(preset: str, overrides: list[str]) -> CapacitySweepParams:
    raw = json.loads(json.dumps(PRESETS[preset]))
    for item in overrides:
        key, value = item.split("=", 1)
        *path, last = key.split(".")
        target = raw
        for part in path:
            target = target.setdefault(part, {})
        target[last] = json.loads(value)
    return CapacitySweepParams(**raw)


def study(params: CapacitySweepParams, shape_index: int, multiples: list[float]) -> list[dict]:
    shape = params.shapes[shape_index]
    model = GPTConfig(
        vocab_size=params.vocab_size,
        seq_len=params.seq_len,
        n_layer=shape.n_layer,
        d_model=shape.d_model,
    )
    sizes = params.sizes_for(shape)
    members = [(n, seed) for n in sizes for seed in range(params.seeds)]
    datasets = [uniform_tokens(n, params.seq_len, params.vocab_size, seed) for n, seed in members]
    rows = []
    for multiple in multiples:
        base = TrainConfig.from_params(params.train)
        config = replace(base, max_steps=round(base.max_steps * multiple))
        start = time.perf_counter()
        results = train_many(model, config, datasets, [seed for _, seed in members])
        seconds = time.perf_counter() - start
        memorized: dict[int, list[float]] = {}
        for (n, _), data, result in zip(members, datasets, results, strict=True):
            empty = np.zeros((0, params.seq_len), dtype=np.int32)
            evaluation = evaluate_uniform(
                MemdashScorer(result.model), data, empty, model.vocab_size
            )
            memorized.setdefault(n, []).append(evaluation.summary["mem_u_bits"])
        means = {n: float(np.mean(v)) for n, v in memorized.items()}
        peak_n = max(means, key=means.get)
        n_params = results[0].model.n_params()
        rows.append(
            {
                "max_steps": config.max_steps,
                "capacity_bits": means[peak_n],
                "bits_per_param": means[peak_n] / n_params,
                "peak_n": peak_n,
                "by_n": means,
                "stop_reasons": dict(Counter(r.stop_reason for r in results)),
                "last_stop_step": max(r.steps for r in results),
                "seconds": seconds,
                "n_params": n_params,
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--preset", default="quick", choices=sorted(PRESETS))
    parser.add_argument("--shape", type=int, default=1, help="index into the preset's shapes")
    parser.add_argument("--multiples", type=float, nargs="+", default=[1, 2, 4])
    parser.add_argument("--set", action="append", default=[], help="key.path=json override")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    params = _with_overrides(args.preset, args.set)
    shape = params.shapes[args.shape]
    rows = study(params, args.shape, args.multiples)
    lines = [
        f"Budget study: preset `{args.preset}`{' with ' + ', '.join(args.set) if args.set else ''},"
        f" shape L{shape.n_layer}-d{shape.d_model} ({rows[0]['n_params']:,} parameters), "
        f"V={params.vocab_size}, S={params.seq_len}, {params.seeds} seed(s), "
        f"N in {params.sizes_for(shape)}. {platform.machine()}, {args.threads} torch threads, "
        f"torch {torch.__version__}. Command: `.venv/bin/python -m bench.budget --preset "
        f"{args.preset} --shape {args.shape}" + "".join(f" --set {s}" for s in args.set) + "`",
        "",
        "| step budget | capacity (bits) | bits/param | peak N | stop reasons | last stop | time |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(row["stop_reasons"].items()))
        lines.append(
            f"| {row['max_steps']:,} | {row['capacity_bits']:,.0f} | {row['bits_per_param']:.3f} "
            f"| {row['peak_n']} | {reasons} | {row['last_stop_step']:,} | {row['seconds']:.0f} s |"
        )
    text = "\n".join(lines)
    emit(text, args.out)


if __name__ == "__main__":
    main()
