"""Loopback load while jobs train (issue 12): 20 clients for 60 s on the overview, a sweep page,
a figure's JSON twin and /queue, while two local workers train a capacity sweep; then an upload
of a real checkpoint in the middle. Reports the error rate (any 5xx or transport error) and
p50/p99 latency per page, on SQLite (the embedded default) and on PostgreSQL.

Usage: `.venv/bin/python -m bench.load [--clients 20] [--seconds 60] [--postgres]
[--out bench/results-load.md]`. Run it from a checkout to measure that checkout's server
(`git worktree add /tmp/before <commit>` and run there for a before/after).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
WORKER_TOKEN = "bench-worker-token"
SWEEP = {
    "preset": None,
    "params": {
        "name": "load benchmark",
        "vocab_size": 64,
        "seq_len": 16,
        "shapes": [{"n_layer": 1, "d_model": 32}, {"n_layer": 1, "d_model": 48}],
        "dataset_sizes": [64, 128],
        "seeds": 1,
        "n_heldout": 8,
        "train": {"max_steps": 100000, "batch_size": 32, "eval_every": 50, "patience_evals": 10000},
    },
}


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(data_dir: Path, database_url: str, port: int, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "MEMDASH_DATA_DIR": str(data_dir),
        "MEMDASH_DATABASE_URL": database_url,
        "MEMDASH_LOCAL_WORKERS": "2",
        "MEMDASH_WORKER_TOKENS": WORKER_TOKEN,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "memdash.app.cli.main", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=open(log, "w"),  # noqa: SIM115 (lives as long as the process)
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/-/health", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.3)
    raise RuntimeError(f"the server did not start: {log.read_text()[-2000:]}")


def _client_loop(base: str, paths: list[str], stop: threading.Event, out: dict) -> None:
    with httpx.Client(base_url=base, timeout=60) as client:
        i = 0
        while not stop.is_set():
            path = paths[i % len(paths)]
            i += 1
            started = time.perf_counter()
            try:
                status = client.get(path).status_code
            except httpx.HTTPError:
                status = 599
            out.setdefault(path, []).append((status, time.perf_counter() - started))


def _upload_checkpoint(base: str, folder: Path) -> int:
    """A small real GPT-NeoX (tests' factory) uploaded mid-load: validation runs for seconds."""
    sys.path.insert(0, str(ROOT))
    from tests import checkpoint_factory as factory

    factory.random_neox(folder / "neox")
    archive = factory.tar_gz(folder / "neox", folder / "neox.tar.gz")
    with open(archive, "rb") as handle:
        return httpx.post(
            f"{base}/api/checkpoints", files={"file": handle}, timeout=600
        ).status_code


def run(database_url: str | None, clients: int, seconds: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="memdash-load-") as tmp:
        tmp_path = Path(tmp)
        url = database_url or f"sqlite:///{tmp_path / 'memdash.db'}"
        port = _free_port()
        server = _serve(tmp_path / "data", url, port, tmp_path / "server.log")
        base = f"http://127.0.0.1:{port}"
        try:
            sweep_id = httpx.post(f"{base}/api/sweeps/capacity", json=SWEEP).json()["sweep_id"]
            deadline = time.monotonic() + 120
            while httpx.get(f"{base}/api/sweeps/{sweep_id}").json()["status"] != "running":
                if time.monotonic() > deadline:
                    raise RuntimeError("the sweep never started")
                time.sleep(0.5)
            paths = [
                "/",
                f"/sweeps/{sweep_id}",
                f"/figures/capacity-plateau?sweeps={sweep_id}&format=json",
                "/queue",
            ]
            stop, results = threading.Event(), [{} for _ in range(clients)]
            threads = [
                threading.Thread(target=_client_loop, args=(base, paths, stop, results[i]))
                for i in range(clients)
            ]
            for thread in threads:
                thread.start()
            time.sleep(seconds / 3)
            upload_status = _upload_checkpoint(base, tmp_path / "upload")
            time.sleep(max(0.0, seconds * 2 / 3))
            stop.set()
            for thread in threads:
                thread.join(120)
        finally:
            os.killpg(server.pid, 15)
            server.wait(60)
        merged: dict[str, list[tuple[int, float]]] = {}
        for result in results:
            for path, answers in result.items():
                merged.setdefault(path, []).extend(answers)
        return {"paths": merged, "upload_status": upload_status}


def _quantile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def report(name: str, outcome: dict, clients: int, seconds: float) -> str:
    lines = [
        f"### {name}: {clients} clients, {seconds:.0f} s, two jobs training, one upload "
        f"(answered {outcome['upload_status']})",
        "",
        "| page | requests | errors (5xx or none) | error rate | p50 ms | p99 ms | max ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    total = failed = 0
    every: list[float] = []
    for path, answers in outcome["paths"].items():
        times = [t for _, t in answers]
        errors = sum(1 for status, _ in answers if status >= 500)
        total, failed = total + len(answers), failed + errors
        every += times
        lines.append(
            f"| `{path.split('?')[0]}` | {len(answers)} | {errors} | {errors / len(answers):.2%} "
            f"| {_quantile(times, 50) * 1e3:.0f} | {_quantile(times, 99) * 1e3:.0f} "
            f"| {max(times) * 1e3:.0f} |"
        )
    lines.append(
        f"| **all** | {total} | {failed} | {failed / max(1, total):.2%} "
        f"| {_quantile(every, 50) * 1e3:.0f} | {_quantile(every, 99) * 1e3:.0f} "
        f"| {max(every) * 1e3:.0f} |"
    )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--postgres", action="store_true", help="also on a throwaway PostgreSQL")
    parser.add_argument("--label", default="", help="e.g. before / after")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    sections = [
        report(f"SQLite {args.label}".strip(), run(None, args.clients, args.seconds), args.clients,
               args.seconds)
    ]  # fmt: skip
    if args.postgres:
        sys.path.insert(0, str(ROOT))
        from tests.pg_cluster import PgCluster

        cluster = PgCluster.start()
        try:
            from sqlalchemy import create_engine, text

            admin = create_engine(cluster.admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text('CREATE DATABASE "memdash_load"'))
            admin.dispose()
            outcome = run(cluster.url("memdash_load"), args.clients, args.seconds)
            sections.append(
                report(f"PostgreSQL {args.label}".strip(), outcome, args.clients, args.seconds)
            )
        finally:
            cluster.stop()
    header = (
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; `python -m bench.load` at {time.strftime('%Y-%m-%d %H:%M')}"
    )
    text_out = header + "\n\n" + "\n".join(sections)
    print(text_out)
    if args.out:
        with open(args.out, "a") as out:
            out.write(text_out + "\n")


if __name__ == "__main__":
    main()
