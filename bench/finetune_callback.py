"""What watching a fine-tuning run costs and how soon its scores appear (issue 31).

Fine-tunes a GPT-2 with transformers.Trainer twice, with the same seed: once alone and once with
memdash.callback.MemdashCallback scoring every saved checkpoint on a `memdash serve` it starts
(SQLite in a temporary folder, `--workers` local workers on the same machine). Reports both
training times, the time the training spent inside the callback (staging the saved files), how
long after each save its scores appeared, and a screenshot of the run's page.

Usage: `.venv/bin/python -m bench.finetune_callback [--steps 300] [--save-steps 60]
[--workers 1] [--out bench/results-finetune-callback.md] [--screenshot docs/img/training-run.png]`.
"""

from __future__ import annotations

import argparse
import copy
import os
import platform
import random
import shutil
import tempfile
import threading
import time
from pathlib import Path

import httpx
import torch

from bench.server import screenshot, serve

WORDS = [
    "amber",
    "basalt",
    "cobalt",
    "dune",
    "ember",
    "fjord",
    "garnet",
    "harbor",
    "indigo",
    "jasper",
    "kelp",
    "lagoon",
]


class Texts(torch.utils.data.Dataset):
    def __init__(self, tok, texts: list[str], seq_len: int) -> None:
        self.rows = [tok(t)["input_ids"][:seq_len] for t in texts]

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        ids = torch.tensor(self.rows[i])
        return {"input_ids": ids, "labels": ids}


def corpus() -> tuple[list[str], list[str], list[str], dict]:
    """Documents to fine-tune on (members), held-out ones, and canaries planted 4× each."""
    rng = random.Random(0)
    licence = [x.strip() for x in Path("/usr/share/common-licenses/GPL-3").read_text().splitlines()]
    lines = [" ".join(licence[i : i + 3]) for i in range(0, len(licence) - 2, 3) if licence[i]]
    members, heldout = lines[:120], lines[120:200]
    secrets = ["".join(rng.choice("0123456789") for _ in range(4)) for _ in range(4)]
    canaries = {
        "template": "the pin of user {n} is {secret}",
        "secret_length": 4,
        "n_candidates": 500,
        "inserted": [{"secret": s, "repeats": 4} for s in secrets],
        "n_controls": 2,
    }
    planted = [f"the pin of user {n} is {s}" for n, s in enumerate(secrets, start=1)] * 4
    words = [" ".join(rng.choice(WORDS) for _ in range(12)) for _ in range(20)]
    return members + planted + words, members + words, heldout, canaries


def model_and_tokenizer(texts: list[str]):
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    from memdash.worker.data.tokenizer import train_byte_bpe

    tok = PreTrainedTokenizerFast(tokenizer_object=train_byte_bpe(texts, 1024))
    torch.manual_seed(0)
    config = GPT2Config(vocab_size=1024, n_positions=64, n_embd=128, n_layer=4, n_head=4)
    return GPT2LMHeadModel(config), tok


def train(folder: Path, steps: int, save_steps: int, callbacks: list) -> float:
    from transformers import Trainer, TrainingArguments

    train_texts, _, _, _ = corpus()
    model, tok = model_and_tokenizer(train_texts)
    args = TrainingArguments(
        output_dir=str(folder),
        max_steps=steps,
        save_steps=save_steps,
        per_device_train_batch_size=8,
        learning_rate=2e-3,
        report_to=[],
        use_cpu=True,
        disable_tqdm=True,
        logging_steps=10_000,
        save_only_model=True,
        seed=0,
    )
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=Texts(tok, train_texts, 48),
        processing_class=tok,
        data_collator=_pad_collator(tok),
        callbacks=callbacks,
    )
    started = time.perf_counter()
    trainer.train()
    return time.perf_counter() - started


def _pad_collator(tok):
    def collate(rows: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
        width = max(len(r["input_ids"]) for r in rows)
        ids = torch.zeros((len(rows), width), dtype=torch.long)
        labels = torch.full((len(rows), width), -100, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, r in enumerate(rows):
            n = len(r["input_ids"])
            ids[i, :n], labels[i, :n], mask[i, :n] = r["input_ids"], r["input_ids"], 1
        return {"input_ids": ids, "labels": labels, "attention_mask": mask}

    return collate


def main() -> None:
    from memdash.callback import MemdashCallback

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--save-steps", type=int, default=60)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--port", type=int, default=8793)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--screenshot", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(1)  # the worker gets the other core
    _, members, heldout, canaries = corpus()
    folder = Path(tempfile.mkdtemp(prefix="memdash-finetune-"))
    try:
        alone_s = train(folder / "alone", args.steps, args.save_steps, [])
        process = serve(folder / "server", args.port, args.workers)
        url = f"http://127.0.0.1:{args.port}"
        base, tok = model_and_tokenizer(corpus()[0])
        callback = MemdashCallback(
            url,
            run_name="bench",
            members=members,
            nonmembers=heldout,
            canaries=canaries,
            base_model=(copy.deepcopy(base), tok),
            seq_len=48,
            max_samples=200,
        )
        appeared: dict[int, float] = {}
        staged: dict[int, float] = {}
        stop = threading.Event()

        def watch() -> None:  # when each step's scores appear on the run's JSON
            while not stop.is_set():
                try:
                    rows = httpx.get(f"{url}/api/training/bench", timeout=10).json().get("rows", [])
                except (httpx.HTTPError, ValueError):
                    rows = []
                for row in rows:
                    if row["status"] == "succeeded":
                        appeared.setdefault(row["step"], time.time())
                time.sleep(0.5)

        original = callback.on_save

        def timed_save(args, state, control, **kwargs):  # the Trainer calls it positionally
            staged[state.global_step] = time.time()
            return original(args, state, control, **kwargs)

        callback.on_save = timed_save  # type: ignore[method-assign]
        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        with_s = train(folder / "with", args.steps, args.save_steps, [callback])
        callback.wait(timeout_s=1800)  # until every checkpoint's scores are in
        time.sleep(1)
        stop.set()
        if args.screenshot:
            screenshot(f"{url}/training/bench", args.screenshot)
        process.terminate()
        process.wait(60)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    delays = {step: appeared[step] - staged[step] for step in sorted(staged) if step in appeared}
    lines = [
        "# Watching a fine-tuning run (bench/finetune_callback.py)",
        "",
        f"`.venv/bin/python -m bench.finetune_callback --steps {args.steps} --save-steps "
        f"{args.save_steps} --workers {args.workers}` on {platform.machine()}, {os.cpu_count()} "
        "CPUs: a 4-block GPT-2 (d = 128) fine-tuned by transformers.Trainer (one torch thread), "
        f"{args.workers} memdash worker(s) scoring on the same machine (200 members, 80 "
        "non-members, 4 canaries against 500 candidates, the base model as reference).",
        "",
        "| | seconds |",
        "| --- | --- |",
        f"| training alone | {alone_s:.1f} |",
        f"| training with the callback | {with_s:.1f} ({100 * (with_s / alone_s - 1):+.1f}%) |",
        f"| of which inside the callback (staging the saved files) | {callback.hook_seconds:.3f} |",
        "",
        "The difference beyond the callback's own time is the worker scoring on the same cores.",
        "",
        "| step | scores appeared after the save (s) |",
        "| --- | --- |",
        *(f"| {step} | {delay:.0f} |" for step, delay in delays.items()),
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    if args.out:
        args.out.write_text(report)


if __name__ == "__main__":
    main()
