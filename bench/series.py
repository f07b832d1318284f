"""A checkpoint series over a model trained as a text sweep trains it (issue 39's measure).

Trains the quick text preset's larger shape (L2-d64, 512-token BPE on the demo corpus, 32-token
samples, 256 training samples) with the text sweep's own trainer (worker/train.py), exporting
the model as a GPT-2 folder at every evaluation; puts `--revisions` of them, evenly spaced and
the last included, into a local Hub cache as revisions `step<N>` (worker/hub_cache.py); starts
`memdash serve` with one local worker offline on that cache; and scores them as one checkpoint
series (`Client.series`, reference "auto") on the run's members and held-out samples. Records
the time per revision (each score job's seconds) and, as the baseline a user would otherwise
write, a plain transformers loop over the last revision on the same samples (per-sample loss of
members and non-members, and greedy extraction at the series' k with `generate`), timed in the
same run.

Usage: `.venv/bin/python -m bench.series [--revisions 5] [--max-steps 1500] [--port 8791]
[--reference auto] [--out bench/results-series.md] [--append]`.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import torch

from bench.server import serve

SHAPE = {"n_layer": 2, "d_model": 64}
N_TRAIN = 256


def train_revisions(root: Path, max_steps: int) -> tuple[object, dict[int, Path], float]:
    """The model's folder at every evaluation step, the dataset, the training seconds."""
    from transformers import PreTrainedTokenizerFast

    from memdash.core.jobs import Member, TrainTextJob
    from memdash.core.params import Shape, TrainParams
    from memdash.worker.hf_export import save_hf_folder
    from memdash.worker.jobs.train_text import build_dataset
    from memdash.worker.model import GPTConfig
    from memdash.worker.train import train_many
    from memdash.worker.train_config import TrainConfig

    train = TrainParams(
        max_steps=max_steps, batch_size=64, lr=5e-3, warmup_steps=50, eval_every=100
    )
    job = TrainTextJob(
        model=Shape(**SHAPE),
        vocab_size=512,
        seq_len=32,
        n_heldout=256,
        train=train,
        members=[Member(run_id=1, n_samples=N_TRAIN)],
    )
    dataset = build_dataset(job)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=dataset.tokenizer)
    folders: dict[int, Path] = {}

    def export(index: int, step: int, model) -> None:
        folder = save_hf_folder(model, root / f"step{step}")
        tokenizer.save_pretrained(folder)
        folders[step] = folder

    started = time.perf_counter()
    train_many(
        GPTConfig.of(job.model, dataset.vocab_size, job.seq_len),
        TrainConfig.from_params(train, seed=0),
        [dataset.train[:N_TRAIN]],
        [0],
        device=torch.device("cpu"),
        on_eval=export,
        heldouts=[dataset.heldout],
    )
    return dataset, folders, time.perf_counter() - started


def spaced(steps: list[int], n: int) -> list[int]:
    """`n` of the steps, evenly spaced, the last included."""
    if len(steps) <= n:
        return steps
    return sorted({steps[round(i * (len(steps) - 1) / (n - 1))] for i in range(n)})


def plain_loop(folder: Path, members: list[str], nonmembers: list[str], k: int) -> float:
    """What a user would otherwise write: per-sample loss of members and non-members and greedy
    extraction at prefix k, with transformers alone; its seconds."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    started = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained(folder).eval()
    tok = AutoTokenizer.from_pretrained(folder)
    with torch.no_grad():
        for text in members + nonmembers:
            ids = torch.tensor([tok(text)["input_ids"][:32]])
            if ids.shape[1] > 1:
                model(input_ids=ids, labels=ids)
        for text in members:
            ids = tok(text)["input_ids"][:32]
            if len(ids) >= k + 8:
                prompt = torch.tensor([ids[:k]])
                model.generate(prompt, max_new_tokens=len(ids) - k, do_sample=False)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--revisions", type=int, default=5)
    parser.add_argument("--max-steps", type=int, default=1500)
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--reference", default="auto", help="the series' reference")
    parser.add_argument("--out", type=Path, default=Path("bench/results-series.md"))
    parser.add_argument("--append", action="store_true", help="add to --out, not replace it")
    args = parser.parse_args()

    from memdash.client import Client
    from memdash.worker.hub_cache import add_revision

    repo = "memdash-bench/text-l2-d64"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        dataset, folders, train_s = train_revisions(root / "folders", args.max_steps)
        chosen = spaced(sorted(folders), args.revisions)
        for step in chosen:
            add_revision(root / "hub", repo, f"step{step}", folders[step])
        os.environ.update(
            MEMDASH_HUB_CACHE=str(root / "hub"), MEMDASH_HUB_OFFLINE="1", HF_HUB_OFFLINE="1"
        )
        server = serve(root / "data", args.port, workers=1)
        try:
            client = Client(f"http://127.0.0.1:{args.port}")
            members = list(dataset.train_text[:N_TRAIN])
            nonmembers = list(dataset.heldout_text)
            member_sha = client.upload_corpus(members, name="members").sha256
            nonmember_sha = client.upload_corpus(nonmembers, name="nonmembers").sha256
            ids = [client.hub_model(repo, f"step{step}").id for step in chosen]
            started = time.perf_counter()
            sweep_id = client.series(
                ids,
                members=member_sha,
                nonmembers=nonmember_sha,
                reference=args.reference,
                seq_len=32,
                name="bench",
            )
            state = client.wait(sweep_id, progress=False)
            wall_s = time.perf_counter() - started
        finally:
            server.terminate()
            server.wait(timeout=30)
        summary = state.summary or {}
        k = summary.get("k") or 16
        plain_s = plain_loop(folders[chosen[-1]], members, nonmembers, k)
    seconds = {job.run_id: job.seconds for job in state.jobs}
    runs = sorted(state.runs, key=lambda r: r.id)
    lines = [
        "# A checkpoint series over a text sweep's model (bench/series.py)",
        "",
        f"`.venv/bin/python -m bench.series --revisions {args.revisions} --max-steps "
        f"{args.max_steps} --reference {args.reference}` on "
        f"{platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, torch {torch.__version__}, CPU; {time.strftime('%Y-%m-%d')}.",
        "",
        f"Model: L2-d64 GPT ({runs[0].n_params:,} parameters) trained by the text sweep's "
        f"trainer on {N_TRAIN} demo-corpus samples of 32 tokens ({train_s:.0f} s, exported at "
        f"every evaluation), {len(chosen)} revisions put into a local Hub cache and scored by "
        f"name by one offline local worker, reference {args.reference}"
        + (
            " (each job trains its own held-out reference model)"
            if args.reference == "auto"
            else ""
        )
        + f", {len(members)} members and {len(nonmembers)} non-member documents.",
        "",
        f"Series status: {state.status}; wall time {wall_s:.1f} s for {len(chosen)} revisions "
        f"({wall_s / len(chosen):.1f} s per revision).",
        "",
        f"| revision | score job (s) | members' loss (bits/token) | extraction k = {k} | "
        "MI AUC (loss) | Σ mem_U (bits) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        row = run.model_dump()
        lines.append(
            f"| {run.name.split('@')[1]} | {seconds.get(run.id) or 0:.1f} | "
            f"{row.get('train_loss_bits', float('nan')):.3f} | "
            f"{row.get(f'extract_rate_train_k{k}', float('nan')):.3f} | "
            f"{row.get('mi_loss_auc', float('nan')):.3f} | {row.get('mem_u_bits', 0):,.0f} |"
        )
    lines += ["", f"Prediction of the last revision's memorized set (k = {k}):", ""]
    lines += ["| predictor | precision | recall | |P| | |T| |", "|---|---:|---:|---:|---:|"]
    for p in summary.get("prediction", []):
        if p["k"] == k:
            precision = "—" if p["precision"] is None else f"{p['precision']:.3f}"
            recall = "—" if p["recall"] is None else f"{p['recall']:.3f}"
            lines.append(
                f"| {p['predictor'].split('@')[1]} | {precision} | {recall} | "
                f"{p['n_predicted']} | {p['n_target']} |"
            )
    last = seconds.get(runs[-1].id) or 0.0
    lines += [
        "",
        f"Baseline, the same run: a plain transformers loop over the last revision (per-sample "
        f"loss of the members and non-members, greedy extraction at k = {k} with `generate`, "
        f"one sample at a time) took {plain_s:.1f} s; memdash's score job for that revision "
        f"{last:.1f} s ({last / plain_s:.2f}×), which also computes the reference"
        + (" (with the held-out model)" if args.reference == "auto" else "")
        + ", draws the stratified attack sets, runs every attack with bootstrap intervals, "
        "TF-IDF and extraction at every k.",
    ]
    with args.out.open("a" if args.append else "w") as out:
        out.write(("\n" if args.append else "") + "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
