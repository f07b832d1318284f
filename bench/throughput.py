"""Sweep throughput with 1, 2 and 4 workers (issue 18): jobs per hour and scaling efficiency,
with the workers started by `memdash serve` (local workers) and as Slurm jobs (`memdash workers
slurm` on the single-node test cluster of tests/slurm_cluster.py; needs root and slurm-wlm).

The sweep: a capacity sweep of 8 jobs of one model each (L1-d32, V = 256, S = 32, 600 steps,
no early stop), the same for every setting; wall time from launch to the last job's result.
Efficiency = throughput with N workers / (N × throughput with one). On a machine with C cores
the ceiling is min(N, C) / N: more workers than cores share them.

Usage: `.venv/bin/python -m bench.throughput [--workers 1,2,4] [--no-slurm]
[--out bench/results-throughput.md]`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tests import slurm_cluster
from tests.live import FAST_QUEUE_ENV, WORKER_TOKEN, LiveServer, wait_for
from tests.pg_cluster import free_port

N_JOBS = 8
SWEEP = {
    "name": "throughput",
    "vocab_size": 256,
    "seq_len": 32,
    "seeds": 1,
    "dataset_sizes": [64 * (i + 1) for i in range(N_JOBS)],
    "shapes": [{"n_layer": 1, "d_model": 32}],
    "n_heldout": 8,
    "max_models_per_job": 1,
    "refine_peak": False,
    "train": {
        "max_steps": 600,
        "batch_size": 32,
        "lr": 0.01,
        "eval_every": 100,
        "patience_evals": 1000,
        "floor_bits": 0.0,
    },
}


def run_sweep(server_url: str) -> float:
    started = time.perf_counter()
    launched = httpx.post(
        f"{server_url}/api/sweeps/capacity", json={"preset": None, "params": SWEEP}
    )
    launched.raise_for_status()
    sweep_id = launched.json()["sweep_id"]

    def done() -> dict | None:
        state = httpx.get(f"{server_url}/api/sweeps/{sweep_id}").json()
        return state if state["status"] in ("succeeded", "failed") else None

    state = wait_for(done, 3600, "the sweep")
    assert state["status"] == "succeeded", state["jobs"]
    return time.perf_counter() - started


def through_serve(n_workers: int, tmp: Path) -> float:
    server = LiveServer(
        tmp / f"serve-{n_workers}",
        f"sqlite:///{tmp}/serve-{n_workers}.db",
        free_port(),
        MEMDASH_LOCAL_WORKERS=str(n_workers),
    ).start()
    try:
        run_sweep(server.url)  # warm-up: imports, caches
        return run_sweep(server.url)
    finally:
        server.stop()


def through_slurm(n_workers: int, tmp: Path, cluster) -> float:
    server = LiveServer(
        tmp / f"slurm-{n_workers}", f"sqlite:///{tmp}/slurm-{n_workers}.db", free_port()
    ).start()
    env = {**cluster.env, "MEMDASH_WORKER_TOKEN": WORKER_TOKEN}
    try:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "memdash.app.cli.main",
                "workers",
                "slurm",
                "--server",
                server.url,
                "--count",
                str(n_workers),
                "--idle-exit",
                "120",
                "--log-dir",
                str(tmp / "logs"),
            ],
            env=env,
            check=True,
            capture_output=True,
            timeout=60,
        )

        def registered() -> bool:
            return len(httpx.get(f"{server.url}/queue?format=json").json()["workers"]) >= n_workers

        wait_for(registered, 120, "the Slurm workers")
        run_sweep(server.url)
        return run_sweep(server.url)
    finally:
        subprocess.run(["scancel", "--name=memdash-worker"], env=cluster.env, check=False)
        time.sleep(2)
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--no-slurm", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    os.environ.update({k: v for k, v in FAST_QUEUE_ENV.items() if k != "MEMDASH_LOCAL_WORKERS"})
    results: dict[str, dict[int, float]] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        results["memdash serve (local workers)"] = {n: through_serve(n, tmp) for n in counts}
        why = slurm_cluster.missing()
        if not args.no_slurm and why is None:
            cluster = slurm_cluster.start(tmp / "cluster")
            try:
                results["Slurm jobs (memdash workers slurm)"] = {
                    n: through_slurm(n, tmp, cluster) for n in counts
                }
            finally:
                cluster.stop()
        elif why:
            print(f"no Slurm run: {why}")
    lines = [
        f"# Sweep throughput: {N_JOBS} jobs, 1 model each, by number of workers",
        "",
        f"`.venv/bin/python -m bench.throughput --workers {args.workers}` on {os.cpu_count()} "
        "cores; each time is the second of two identical sweeps (the first warms up).",
        "",
        "| workers started by | workers | seconds | jobs per hour | scaling efficiency |",
        "| --- | --- | --- | --- | --- |",
    ]
    for how, by_count in results.items():
        base = N_JOBS / by_count[counts[0]] / counts[0]
        for n, seconds in by_count.items():
            rate = N_JOBS / seconds
            lines.append(
                f"| {how} | {n} | {seconds:.1f} | {3600 * rate:,.0f} | {rate / (n * base):.0%} |"
            )
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
