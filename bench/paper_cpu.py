"""The paper's own smallest rows on this CPU (issue 26): the `paper-cpu` capacity preset —
V = 2048, S = 64, L1-d32 and L2-d32, fp32 and bf16, sizes bracketing each row's capacity,
uniform tokens — trained to saturation under memdash's rule (or until a step budget), each row's
capacity and bits per parameter beside the paper's (SPEC 3 table), with the time it took, why
runs stopped, and a budget curve (capacity at 1×, 2×, 4×, 8× a base budget) fitted with
C(b) = C∞ − A·b^(−k) to say where it is heading.

A benchmark to run in the background (hours on 2 cores), not a test; `--slice` runs the same
code path on tiny budgets in about a minute (tests/test_paper_cpu_slice.py).

Usage: `.venv/bin/python -m bench.paper_cpu [--budgets 2500 5000 10000 20000] [--rows L1-d32:fp32]
[--threads 2] [--set train.batch_size=2048] [--device cuda] [--out bench/results-paper-cpu.md]`.
`--set` overrides the preset's settings (key.path=json, as in bench.budget); `--device cuda`
runs the same code on a GPU (scripts/gpu-paper.sh).
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
from dataclasses import replace

import numpy as np
import torch
from scipy.optimize import curve_fit

from bench.budget import _with_overrides
from bench.report import emit
from bench.saturation_rule import memorized_bits
from memdash.app.kinds.capacity.params import capacity_preset
from memdash.core.metrics.capacity import PAPER_TABLE
from memdash.worker.train_config import TrainConfig

PRESET = "paper-cpu"


def paper_row(n_layer: int, d_model: int) -> dict:
    for layers, width, params, fp32, bf16, alpha32, alpha16 in PAPER_TABLE:
        if (layers, width) == (n_layer, d_model):
            return {"params": params, "fp32": fp32, "bf16": bf16, "alpha_fp32": alpha32,
                    "alpha_bf16": alpha16}  # fmt: skip
    raise KeyError(f"L{n_layer}-d{d_model} is not in the paper's table")


def heading(budgets: list[int], capacities: list[float]) -> float | None:
    """C∞ of C(b) = C∞ − A·b^(−k) fitted to the budget curve (None below three points, or when
    the fit does not converge)."""
    if len(budgets) < 3:
        return None
    b, c = np.asarray(budgets, dtype=float), np.asarray(capacities, dtype=float)
    try:
        (limit, _, _), _ = curve_fit(
            lambda x, top, a, k: top - a * x ** (-k),
            b / b[0],
            c,
            p0=(c[-1] * 1.1, c[-1] - c[0] + 1.0, 0.5),
            bounds=([c[-1], 0.0, 0.01], [c[-1] * 10, np.inf, 5.0]),
            maxfev=20_000,
        )
    except (RuntimeError, ValueError):
        return None
    return float(limit)


def run_row(
    shape_index: int,
    precision: str,
    budgets: list[int],
    sizes: list[int] | None,
    overrides: list[str] | None = None,
    device: torch.device | None = None,
):
    params = _with_overrides(PRESET, overrides or [])
    shape = params.shapes[shape_index]
    train = params.train.model_copy(update={"precision": precision})
    params = params.model_copy(update={"train": train})
    grid = sizes or params.sizes_for(shape)
    paper = paper_row(shape.n_layer, shape.d_model)
    points = []
    for budget in budgets:
        config = replace(TrainConfig.from_params(train), max_steps=budget)
        result = memorized_bits(params, shape_index, grid, config, device)
        points.append({"budget": budget, **result})
        print(json.dumps({"row": f"{shape.key()} {precision}", **points[-1]}), flush=True)
    capacities = [p["capacity_bits"] for p in points]
    limit = heading(budgets, capacities)
    n_params = points[-1]["n_params"]
    return {
        "row": f"{shape.key()} {precision}",
        "n_params": n_params,
        "sizes": grid,
        "points": points,
        "paper_capacity_bits": paper[precision],
        "paper_bits_per_param": paper[f"alpha_{precision}"],
        "heading_bits": limit,
        "n_params_matches_paper": math.isclose(n_params, paper["params"], rel_tol=0.002),
    }


def report(rows: list[dict], threads: int, command: str, device: str = "cpu") -> str:
    where = torch.cuda.get_device_name() if device == "cuda" else platform.machine()
    lines = [
        f"The paper's smallest rows on {where}, {threads} torch thread(s), torch "
        f"{torch.__version__}, preset `{PRESET}` (V=2048, S=64, one seed). Command: `{command}`.",
        "",
        "| row | params | sizes N | budget (steps) | capacity (bits) | bits/param | paper | "
        "of the paper's | stop reasons | time |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        for point in row["points"]:
            reasons = ", ".join(f"{k} {v}" for k, v in sorted(point["stop_reasons"].items()))
            share = point["capacity_bits"] / row["paper_capacity_bits"]
            lines.append(
                f"| {row['row']} | {row['n_params']:,} | {', '.join(map(str, row['sizes']))} "
                f"| {point['budget']:,} | {point['capacity_bits']:,.0f} (N={point['peak_n']}) "
                f"| {point['capacity_bits'] / row['n_params']:.2f} "
                f"| {row['paper_capacity_bits']:,.0f} ({row['paper_bits_per_param']:.2f}) "
                f"| {share:.0%} | {reasons} | {point['seconds']:.0f} s |"
            )
        if row["heading_bits"] is not None:
            lines.append(
                f"| {row['row']}: heading for | | | | {row['heading_bits']:,.0f} "
                f"| {row['heading_bits'] / row['n_params']:.2f} | | "
                f"{row['heading_bits'] / row['paper_capacity_bits']:.0%} | fit C∞ − A·b^−k | |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--budgets", type=int, nargs="+", default=[2500, 5000, 10_000, 20_000])
    parser.add_argument(
        "--rows", nargs="+", default=["L1-d32:fp32", "L1-d32:bf16", "L2-d32:fp32", "L2-d32:bf16"]
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=None, help="override the grid")
    parser.add_argument("--slice", action="store_true", help="tiny budgets: the test's slice")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--set", action="append", default=[], help="key.path=json override")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    if args.slice:
        args.budgets, args.sizes, args.rows = [20, 40, 80], [8], args.rows[:1]
    torch.set_num_threads(args.threads)
    keys = [s.key() for s in capacity_preset(PRESET).shapes]
    rows = []
    for spec in args.rows:
        key, precision = spec.split(":")
        rows.append(
            run_row(
                keys.index(key),
                precision,
                args.budgets,
                args.sizes,
                args.set,
                torch.device(args.device),
            )
        )
    given = argv if argv is not None else sys.argv[1:]
    command = "python -m bench.paper_cpu " + " ".join(given)
    text = report(rows, args.threads, command.strip(), args.device)
    emit(text, args.out)
    return text


if __name__ == "__main__":
    main()
