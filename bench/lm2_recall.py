"""Does LM2's memory remember? Key-value recall with self-attention that cannot reach the pairs.

The task (worker/data/recall.py): n (key, value) pairs, filler, a key again; predict its value.
Self-attention sees only the last `window` positions, so from the query the pairs are out of
reach of a plain GPT (chance: 1 / n_values) and reachable only through a memory. Trained here:
the LM2 (worker/memory.py) and a plain GPT of matched total parameters with the same window,
and a plain GPT with full attention as the ceiling; each on fresh sequences every step
(loss on the answer only), then scored on 2,000 sequences never trained on. Time per step is
each model's own, in the same run.

Usage: `.venv/bin/python -m bench.lm2_recall [--steps 3000] [--window 3]
[--out bench/results-lm2-recall.md]`.
"""

from __future__ import annotations

import argparse
import platform
import time
from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F

from bench.report import emit
from memdash.worker.data.recall import RecallTask
from memdash.worker.model import GPT, GPTConfig

N_TEST = 2000


@dataclass(frozen=True)
class RecallResult:
    name: str
    n_params: int
    accuracy: float
    ms_per_step: float


def matched_plain_width(lm2: GPTConfig, heads: int = 1) -> GPTConfig:
    """The plain GPT (same depth and window) whose parameter count is nearest the LM2's."""
    target = GPT(lm2).n_params()
    plain = replace(lm2, memory_slots=0, memory_blocks=0, memory_heads=0, n_head=heads)
    widths = range(heads, 4 * lm2.d_model, heads)
    return min(
        (replace(plain, d_model=d) for d in widths),
        key=lambda c: abs(GPT(c).n_params() - target),
    )


def train_recall(
    config: GPTConfig, task: RecallTask, steps: int, seed: int, batch_size: int = 64
) -> RecallResult:
    """Train on fresh sequences (cross-entropy of the answer only) and return test accuracy."""
    torch.manual_seed(seed)
    model = GPT(config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.0)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, 3e-3, total_steps=steps)
    started = time.perf_counter()
    for step in range(steps):
        batch = torch.from_numpy(task.sequences(batch_size, seed=seed * 1_000_003 + step))
        logits = model(batch[:, :-1])[0][:, -1]
        loss = F.cross_entropy(logits, batch[:, -1])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
    ms_per_step = 1000 * (time.perf_counter() - started) / steps
    test = torch.from_numpy(task.sequences(N_TEST, seed=2**31 + seed))  # no training step's
    with torch.no_grad():
        guesses = model.eval()(test[:, :-1])[0][:, -1].argmax(-1)
    accuracy = float((guesses == test[:, -1]).float().mean())
    name = "LM2" if config.memory_slots else "GPT"
    return RecallResult(name, model.n_params(), accuracy, ms_per_step)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--window", type=int, default=3)
    parser.add_argument("--d-model", type=int, default=32)
    parser.add_argument("--slots", type=int, default=8)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    task = RecallTask()
    lm2 = GPTConfig(
        vocab_size=task.vocab_size,
        seq_len=task.seq_len - 1,
        n_layer=2,
        d_model=args.d_model,
        memory_slots=args.slots,
        attention_window=args.window,
    )
    models = {
        f"LM2-m{args.slots}, window {args.window}": lm2,
        f"GPT, window {args.window} (matched total)": matched_plain_width(lm2),
        "GPT, full attention (ceiling)": replace(matched_plain_width(lm2), attention_window=0),
    }
    rows = [
        "| model | params | test accuracy per seed | ms/step |",
        "| --- | --- | --- | --- |",
    ]
    for label, config in models.items():
        results = [train_recall(config, task, args.steps, seed) for seed in args.seeds]
        accuracies = ", ".join(f"{r.accuracy:.3f}" for r in results)
        ms = sum(r.ms_per_step for r in results) / len(results)
        rows.append(f"| {label} | {results[0].n_params:,} | {accuracies} | {ms:.1f} |")
        print(rows[-1], flush=True)
    header = (
        f"## Key-value recall, {time.strftime('%Y-%m-%d')} ({platform.machine()}, "
        f"{args.threads} threads)\n\n"
        f"`python -m bench.lm2_recall --steps {args.steps} --window {args.window}`: "
        f"{task.n_pairs} pairs of {task.n_keys} keys / {task.n_values} values, the query "
        f"{task.gap} positions after the last value (2 blocks of window {args.window} "
        f"reach {2 * (args.window - 1)}); chance {1 / task.n_values:.3f}; "
        f"{args.steps} steps of batch 64, {N_TEST} test sequences.\n"
    )
    emit(header + "\n" + "\n".join(rows), args.out)


if __name__ == "__main__":
    main()
