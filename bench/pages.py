"""Page latency and payload at scale (issue 7): 1,000 runs and 10^6 per-sample rows.

Fills a fresh SQLite database (the embedded default) with 10 text sweeps × 100 runs, 1,000
per-sample rows per run, training curves, then starts a real `memdash serve` (no workers) and
times each figure page over HTTP. The baseline is what a user would otherwise do for the
per-sample figure: download every sample (`/api/sweeps/ID/samples?format=json`) and plot them
all; it is timed in the same run and reported as a ratio, with both payload sizes.

Usage: `.venv/bin/python -m bench.pages [--samples-per-run 1000] [--out bench/results-pages.md]`.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
from sqlalchemy import insert

from bench.server import serve
from memdash.app.db.engine import make_engine, make_session_factory
from memdash.app.db.migrate import upgrade_to_head
from memdash.app.db.models import Evaluation, MetricPoint, Run, Sweep
from memdash.app.jobs.results import insert_sample_rows

N_SWEEPS, RUNS_PER_SWEEP = 10, 100


def fill(database_url: str, samples_per_run: int) -> list[int]:
    engine = make_engine(database_url)
    upgrade_to_head(engine)
    rng = random.Random(0)
    sweep_ids = []
    with make_session_factory(engine).begin() as session:
        for s in range(N_SWEEPS):
            sweep = Sweep(name=f"bench {s}", kind="text", status="succeeded", summary={})
            session.add(sweep)
            session.flush()
            sweep_ids.append(sweep.id)
            runs = []
            for r in range(RUNS_PER_SWEEP):
                shape, n = f"L{1 + r % 4}-d{32 * (1 + r % 5)}", 64 * (1 + r // 20)
                runs.append(
                    Run(
                        sweep_id=sweep.id,
                        name=f"{shape} N={n} seed={r}",
                        n_train=n,
                        n_params=10_000 * (1 + r % 5),
                        status="succeeded",
                        seed=r,
                        config={"shape": shape, "seq_len": 64},
                        summary={
                            "mem_u_bits": rng.uniform(0, 1e5),
                            "dataset_bits": n * 300.0,
                            "train_loss_bits": rng.uniform(0, 5),
                            "heldout_loss_bits": rng.uniform(5, 10),
                            "mi_f1": rng.uniform(0.5, 1),
                            "extract_rate_train_k8": rng.random(),
                            "extract_rate_heldout_k8": 0.0,
                        },
                    )
                )
            session.add_all(runs)
            session.flush()
            evaluations = [Evaluation(run_id=run.id, status="succeeded") for run in runs]
            session.add_all(evaluations)
            session.flush()
            session.execute(
                insert(MetricPoint),
                [
                    {"run_id": run.id, "name": "train_loss_bits", "step": step, "value": 5 / step}
                    for run in runs
                    for step in range(100, 2001, 100)
                ],
            )
            for evaluation in evaluations:
                mem = np.random.default_rng(evaluation.id).exponential(20, samples_per_run)
                tfidf = np.random.default_rng([evaluation.id, 1]).uniform(0.5, 4, samples_per_run)
                rows = [
                    {
                        "evaluation_id": evaluation.id,
                        "split": "train",
                        "sample_index": i,
                        "n_tokens": 64,
                        "nll_bits": 100.0,
                        "ref_bits": 100.0 + float(mem[i]),
                        "mem_u_bits": float(mem[i]),
                        "tfidf": float(tfidf[i]),
                        "extract_8": 0.0,
                        "script": "Latin",
                        "text": f"sample {i} of evaluation {evaluation.id}",
                    }
                    for i in range(samples_per_run)
                ]
                insert_sample_rows(session, evaluation, rows)
    with engine.begin() as connection:  # statistics, as autovacuum (or SQLite's optimize) keeps
        connection.exec_driver_sql("ANALYZE")
    engine.dispose()
    return sweep_ids


def timed(client: httpx.Client, path: str, repeats: int) -> tuple[float, float, int]:
    """(median s, p95 s, bytes) of `repeats` GETs after one warm-up."""
    client.get(path).raise_for_status()
    times, size = [], 0
    for _ in range(repeats):
        start = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - start)
        response.raise_for_status()
        size = len(response.content)
    return float(np.median(times)), float(np.percentile(times, 95)), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples-per-run", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--out", type=Path)
    parser.add_argument(
        "--postgres", action="store_true", help="a throwaway PostgreSQL cluster instead of SQLite"
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="memdash-bench-"))
    url = f"sqlite:///{folder / 'memdash.db'}"
    cluster = None
    if args.postgres:
        from sqlalchemy import create_engine, text

        from tests.pg_cluster import PgCluster

        cluster = PgCluster.start()
        admin = create_engine(cluster.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("CREATE DATABASE memdash_bench"))
        admin.dispose()
        url = cluster.url("memdash_bench")
    started = time.perf_counter()
    sweeps = fill(url, args.samples_per_run)
    fill_s = time.perf_counter() - started
    n_samples = N_SWEEPS * RUNS_PER_SWEEP * args.samples_per_run
    one, all_ = sweeps[0], ",".join(map(str, sweeps))
    pages = {
        "overview": "/",
        "sweep page (100 runs)": f"/sweeps/{one}",
        "memorization, 1 sweep": f"/figures/memorization?sweeps={one}",
        "memorization, 1,000 runs": f"/figures/memorization?sweeps={all_}",
        "double descent, 1,000 runs": f"/figures/double-descent?sweeps={all_}",
        "training curves, 100 runs": f"/figures/curves?sweeps={one}&group_by=shape",
        "extraction, 1,000 runs": f"/figures/extraction?sweeps={all_}",
        f"samples, {n_samples:,} rows": f"/figures/samples?sweeps={all_}",
        "samples page 50 by TF-IDF": f"/figures/samples?sweeps={all_}&page=50&sort=tfidf",
        "samples of 1 run, by TF-IDF": "/figures/samples?runs=5&sort=tfidf&order=asc",
        "samples JSON twin": f"/figures/samples?sweeps={all_}&format=json",
    }
    process = serve(folder, args.port, database_url=url)
    rows = []
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{args.port}", timeout=600) as client:
            for label, path in pages.items():
                median, p95, size = timed(client, path, args.repeats)
                rows.append((label, median, p95, size))
                print(
                    f"{label:40s} median {median * 1e3:7.1f} ms  p95 {p95 * 1e3:7.1f} ms  "
                    f"{size / 1e6:6.2f} MB",
                    flush=True,
                )
            base_median, _, base_size = timed(client, f"/api/sweeps/{one}/samples?format=json", 3)
    finally:
        process.terminate()
        process.wait()
        if cluster is not None:
            cluster.stop()
    figure = next(r for r in rows if r[0].startswith("samples, "))
    lines = [
        "# Page latency at scale (bench/pages.py)",
        "",
        f"`{' '.join(['.venv/bin/python -m bench.pages', *sys.argv[1:]])}` on "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"{'PostgreSQL' if args.postgres else 'SQLite'}; "
        f"{N_SWEEPS * RUNS_PER_SWEEP:,} runs, {n_samples:,} sample rows "
        f"(filled in {fill_s:.0f} s); "
        f"{args.repeats} requests per page over HTTP after a warm-up.",
        "",
        "| page | median (ms) | p95 (ms) | payload (MB) |",
        "| --- | --- | --- | --- |",
        *[
            f"| {label} | {m * 1e3:.1f} | {p * 1e3:.1f} | {s / 1e6:.2f} |"
            for label, m, p, s in rows
        ],
        "",
        f"Baseline: downloading one sweep's {RUNS_PER_SWEEP * args.samples_per_run:,} samples as "
        f"JSON to plot them yourself takes {base_median * 1e3:.0f} ms and {base_size / 1e6:.1f} MB "
        f"(all {n_samples:,}: about {N_SWEEPS * base_size / 1e6:.0f} MB); the aggregated figure "
        f"over all of them answers in {figure[1] * 1e3:.0f} ms with {figure[3] / 1e6:.2f} MB: "
        f"{N_SWEEPS * base_size / figure[3]:.0f}× less data for 10× the samples.",
    ]
    print("\n".join(lines))
    if args.out:
        args.out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
