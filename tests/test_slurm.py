"""Workers as Slurm jobs on a real single-node cluster (tests/slurm_cluster.py): `memdash
workers slurm` submits two workers through sbatch, they run a sweep to the end on PostgreSQL,
one is preempted with scancel mid-job, and its job resumes on the other from its checkpoint."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from memdash.app.cli.slurm import SlurmWorkers, batch_script, sbatch_arguments
from tests import slurm_cluster
from tests.live import WORKER_TOKEN, LiveServer, wait_for
from tests.pg_cluster import free_port

SWEEP = {
    "name": "slurm",
    "vocab_size": 256,
    "seq_len": 32,
    "seeds": 1,
    "dataset_sizes": [256, 512],
    "shapes": [{"n_layer": 2, "d_model": 64}],
    "n_heldout": 8,
    "max_models_per_job": 1,
    "refine_peak": False,
    "train": {
        "max_steps": 1000,
        "batch_size": 32,
        "lr": 0.01,
        "eval_every": 50,
        "checkpoint_every": 50,
        "patience_evals": 1000,
        "floor_bits": 0.0,
    },
}


def test_sbatch_script_and_arguments_for_gpu_workers() -> None:
    spec = SlurmWorkers(
        "http://login:8000", count=4, gpus_per_worker=1, partition="gpu", account="lab"
    )
    arguments = sbatch_arguments(spec)
    assert "--array=0-3" in arguments and "--gpus-per-task=1" in arguments
    assert "--partition=gpu" in arguments and "--account=lab" in arguments
    script = batch_script(spec, python="/venv/bin/python")
    assert "--device cuda" in script
    assert "exec /venv/bin/python -m memdash.app.cli.main worker" in script
    assert "slurm-${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}" in script
    assert WORKER_TOKEN not in script  # the token travels in the environment only


@pytest.fixture
def slurm(tmp_path: Path):
    why = slurm_cluster.missing()
    if why:
        if os.environ.get("MEMDASH_REQUIRE_SLURM"):
            pytest.fail(why)
        pytest.skip(why)
    cluster = slurm_cluster.start(tmp_path / "slurm")
    yield cluster
    subprocess.run(["scancel", "--name=memdash-worker"], env=cluster.env, check=False)
    cluster.stop()


def _cli(cluster, *arguments: str) -> str:
    env = {**cluster.env, "MEMDASH_WORKER_TOKEN": WORKER_TOKEN}
    done = subprocess.run(
        [sys.executable, "-m", "memdash.app.cli.main", *arguments],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_slurm_workers_run_a_sweep_and_a_preempted_job_resumes(
    tmp_path: Path, database_url, engine, slurm
) -> None:
    server = LiveServer(tmp_path / "data", database_url, free_port()).start()
    try:
        out = _cli(
            slurm,
            "workers",
            "slurm",
            "--server",
            server.url,
            "--count",
            "2",
            "--time",
            "15",
            "--idle-exit",
            "60",
            "--log-dir",
            str(tmp_path / "logs"),
        )
        array = out.split("job array ")[1].split()[0]
        names = {f"slurm-{array}_0", f"slurm-{array}_1"}

        def registered() -> bool:
            workers = httpx.get(f"{server.url}/queue?format=json").json()["workers"]
            return names <= {w["name"] for w in workers}

        wait_for(registered, 60, "both Slurm workers to register")
        launched = httpx.post(
            f"{server.url}/api/sweeps/capacity", json={"preset": None, "params": SWEEP}
        )
        assert launched.status_code == 201, launched.text
        sweep_id = launched.json()["sweep_id"]

        def a_checkpointed_job() -> dict | None:
            jobs = httpx.get(f"{server.url}/api/sweeps/{sweep_id}").json()["jobs"]
            for job in jobs:
                detail = httpx.get(f"{server.url}/jobs/{job['id']}").json()
                if detail["state"] == "running" and detail["progress"] > 0.15 and detail["worker"]:
                    return detail
            return None

        victim = wait_for(a_checkpointed_job, 180, "a job to run past its first checkpoints")
        status = _cli(slurm, "workers", "status", "--server", server.url)
        assert f"job {victim['id']}" in status  # which Slurm task runs which job
        task = victim["worker"].removeprefix("slurm-")
        _cli(slurm, "workers", "cancel", task)  # scancel: SIGTERM, the worker hands it back

        def resumed_elsewhere() -> bool:
            detail = httpx.get(f"{server.url}/jobs/{victim['id']}").json()
            return detail["worker"] not in (None, victim["worker"])  # released, claimed again

        wait_for(resumed_elsewhere, 180, "the preempted job to resume on the other worker")

        def finished() -> dict | None:
            state = httpx.get(f"{server.url}/api/sweeps/{sweep_id}").json()
            return state if state["status"] in ("succeeded", "failed") else None

        state = wait_for(finished, 300, "the sweep to finish")
        assert state["status"] == "succeeded", state["jobs"]
        resumed = [r for r in state["runs"] if (r.get("resumed_from_step") or 0) > 0]
        assert resumed, [r.get("resumed_from_step") for r in state["runs"]]
        remaining = slurm.run("squeue", "--noheader", "--name=memdash-worker", "--format=%i")
        assert f"{array}_{task.split('_')[1]}" not in remaining  # the cancelled task is gone
    finally:
        server.stop()
