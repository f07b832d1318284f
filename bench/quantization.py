"""A quantization study on a model a text sweep trained (issue 30): the sweep's largest run,
with the canaries the sweep planted, written at every GGUF type memdash writes and scored on
its own members and non-members. Reports the study's table, the time to write each type and to
score each file, and the sentence per type the page shows.

Starts its own `memdash serve` (SQLite in a temporary folder, `--workers` local workers).

Usage: `.venv/bin/python -m bench.quantization [--preset quick] [--set key=value ...]
[--workers 2] [--max-samples 1000] [--out bench/results-quantization.md]`.
`--set` overrides the text preset (e.g. `--set 'shapes=[{"n_layer": 4, "d_model": 128}]'`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import httpx

from bench.server import screenshot, serve
from memdash.app.kinds.text.params import text_preset


def wait(client: httpx.Client, sweep_id: int, what: str) -> dict:
    started = time.monotonic()
    while True:
        state = client.get(f"/api/sweeps/{sweep_id}").json()
        if state["status"] not in ("queued", "running"):
            print(f"{what}: {state['status']} after {time.monotonic() - started:.0f} s", flush=True)
            return state
        time.sleep(5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--set", action="append", default=[], help="key=JSON over the preset")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-samples", type=int, default=1000)
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--screenshot", type=Path, help="a PNG of the study's page")
    args = parser.parse_args()
    overrides = {"canaries": {}}
    for pair in args.set:
        key, _, value = pair.partition("=")
        overrides[key] = json.loads(value)
    params = text_preset(args.preset).model_copy(update={}).model_dump() | overrides
    with tempfile.TemporaryDirectory(prefix="memdash-quant-") as folder:
        process = serve(Path(folder), args.port, args.workers)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{args.port}", timeout=600) as client:
                started = time.monotonic()
                body = {"preset": args.preset, "params": overrides}
                sweep = client.post("/api/sweeps/text", json=body).json()
                trained = wait(client, sweep["sweep_id"], "text sweep")
                train_s = time.monotonic() - started
                largest = max(trained["runs"], key=lambda r: (r["n_train"], r["n_params"] or 0))
                models = client.get("/api/checkpoints").json()
                model = next(c for c in models if c.get("run_id") == largest["id"])
                started = time.monotonic()
                launched = client.post(
                    "/api/quantization",
                    json={
                        "checkpoint_id": model["id"],
                        "max_samples": args.max_samples,
                        "seq_len": trained["params"]["seq_len"],
                    },
                )
                launched.raise_for_status()
                study = wait(client, launched.json()["sweep_id"], "quantization study")
                study_s = time.monotonic() - started
                if args.screenshot:
                    url = f"http://127.0.0.1:{args.port}/sweeps/{study['id']}"
                    screenshot(url, args.screenshot)
        finally:
            process.terminate()
            process.wait(timeout=60)
    report = render(args, params, largest, study, train_s, study_s)
    print(report)
    if args.out:
        args.out.write_text(report)


def render(args, params, largest, study, train_s: float, study_s: float) -> str:
    summary = study["summary"]
    k = (summary.get("changed") or {}).get("k", 32)  # the longest prefix the samples allow
    quantize = next(j for j in study["jobs"] if j["kind"] == "quantize")
    write_s = {f["gguf_type"]: f["seconds"] for f in (quantize["result"] or {}).get("files", [])}
    score_s = {j["run_id"]: j["seconds"] for j in study["jobs"] if j["kind"] == "score"}
    lines = [
        "# A quantization study (bench/quantization.py)",
        "",
        f"`.venv/bin/python -m bench.quantization --preset {args.preset}"
        + "".join(f" --set '{s}'" for s in args.set)
        + f" --workers {args.workers} --max-samples {args.max_samples}` on {platform.machine()}, "
        f"{os.cpu_count()} CPUs. The text sweep ({len(params['shapes'])} shape(s), training sets "
        f"{params['train_sizes']}, canaries planted) took {train_s:.0f} s; its largest run "
        f"({largest['name']}, {largest['n_params']:,} parameters) was studied in {study_s:.0f} s "
        f"with {args.workers} workers. Status: {study['status']}.",
        "",
        "| file | bits/weight | members bits/token | non-members | Σ mem_U | AUC loss (95% CI) "
        f"| AUC Min-K% | TPR@1%FPR | extraction k={k} | Σ exposure | extracted | write s "
        "| score s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for f in summary.get("files", []):
        ci = f.get("mi_loss_auc_ci") or [float("nan")] * 2
        k32 = f.get(f"extract_rate_train_k{k}")
        tpr = f.get("mi_loss_tpr_at_1pct_fpr")
        lines.append(
            f"| {'as uploaded' if f['gguf_type'] == 'source' else f['gguf_type']} "
            f"| {f['bits_per_weight']:.2f} | {f['members_bits_per_token']:.4f} "
            f"| {f['nonmembers_bits_per_token']:.4f} | {f['mem_u_bits']:,.0f} "
            f"| {f['mi_loss_auc']:.3f} ({ci[0]:.3f}–{ci[1]:.3f}) | {f['mi_min_k_auc']:.3f} "
            f"| {'—' if tpr is None else f'{tpr:.3f}'} | {'' if k32 is None else f'{k32:.3f}'} "
            f"| {f['canary_exposure_bits'] or 0:.2f} | {f['canaries_extracted']} "
            f"| {write_s.get(f['gguf_type'], float('nan')):.2f} "
            f"| {score_s.get(f['run']) or float('nan'):.0f} |"
        )
    lines += [
        "",
        "Differences from the model as uploaded (paired over the same samples, 95% CI):",
        "",
    ]
    lines += [f"- {sentence}" for sentence in summary.get("words", [])]
    if changed := summary.get("changed"):
        lines += [
            "",
            f"Members {changed['k']}-extractable as uploaded: {changed['n_kept']} kept at "
            f"{changed['against']}, {changed['n_lost']} lost, {changed['n_gained']} gained.",
        ]
    if kept := summary.get("exposure_kept"):
        lines.append(
            f"Σ canary exposure: {kept['full_bits']:.2f} bits as uploaded, "
            f"{kept['low_bits']:.2f} at {kept['against']} ({100 * (kept['share'] or 0):.0f}%)."
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
