"""A slice of the paper's capacity grid on one device (issue 18: the GPU check): two shapes,
three dataset sizes around each one's published capacity, one seed, the paper preset's training
(V = 2048, S = 64, batch 2048, lr 1e-3, bf16 weights with fp32 masters, the saturation rule),
and each configuration's capacity beside the paper's row (SPEC 3, v3 Table 1).

Sizes: N at 0.5×, 1× and 2× the paper's bf16 capacity in samples (N·(S−1)·log2 V bits of data;
the first token is coded uniformly by every model). Runs that hit `--max-steps` are lower
bounds and are marked so. No server: the trainer and the evaluation the workers use.

Usage: `.venv/bin/python -m bench.paper_slice --device cuda [--max-steps 20000]
[--shapes 1x32,2x32] [--out bench/results-paper-slice.md]`.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import torch

from memdash.app.kinds.capacity.params import PRESETS
from memdash.core.metrics.capacity import PAPER_TABLE, gpt2_param_count
from memdash.worker.data.synthetic import uniform_tokens
from memdash.worker.evaluate import evaluate_uniform
from memdash.worker.inference import MemdashScorer
from memdash.worker.model import GPTConfig
from memdash.worker.train import train_many
from memdash.worker.train_config import TrainConfig

V, S = 2048, 64
MULTIPLES = (0.5, 1.0, 2.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--max-steps", type=int, default=20_000)
    parser.add_argument("--shapes", default="1x32,2x32", help="LxD,LxD: layers x width")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    device = torch.device(args.device)
    preset = PRESETS["paper"]["train"]
    config = TrainConfig(**{**preset, "max_steps": args.max_steps})
    paper = {(row[0], row[1]): row for row in PAPER_TABLE}
    bits_per_sample = (S - 1) * math.log2(V)
    lines = [
        f"`.venv/bin/python -m bench.paper_slice --device {args.device} --max-steps "
        f"{args.max_steps} --shapes {args.shapes}` on "
        f"{torch.cuda.get_device_name(device) if device.type == 'cuda' else 'cpu'}",
        "",
        "| shape | params | N | memorized bits | stop | capacity (ours) | paper bf16 | "
        "ours / paper |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    started = time.perf_counter()
    for shape in args.shapes.split(","):
        n_layer, d_model = (int(x) for x in shape.split("x"))
        row = paper[(n_layer, d_model)]
        sizes = [max(1, round(m * row[4] / bits_per_sample)) for m in MULTIPLES]
        datasets = [uniform_tokens(n, S, V, seed=i) for i, n in enumerate(sizes)]
        model_config = GPTConfig(vocab_size=V, seq_len=S, n_layer=n_layer, d_model=d_model)
        results = train_many(model_config, config, datasets, [0, 1, 2], device=device)
        memorized = []
        for result, data in zip(results, datasets, strict=True):
            evaluation = evaluate_uniform(MemdashScorer(result.model), data, data[:0], V)
            memorized.append(evaluation.summary["mem_u_bits"])
        capacity = max(memorized)
        params = gpt2_param_count(V, S, d_model, n_layer)
        for n, bits, result in zip(sizes, memorized, results, strict=True):
            lower = "" if result.stop_reason in ("plateau", "memorized") else " (lower bound)"
            lines.append(
                f"| L{n_layer}-d{d_model} | {params:,} | {n:,} | {bits:,.0f} | "
                f"{result.stop_reason} at {result.steps:,}{lower} | {capacity:,.0f} | "
                f"{row[4]:,.0f} | {capacity / row[4]:.2f} |"
            )
    lines += ["", f"{time.perf_counter() - started:,.0f} s in all."]
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
