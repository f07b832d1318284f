"""memdash workers as Slurm jobs: one job array, one `memdash worker` per task, each on its own
GPU when GPUs are asked for (Slurm sets CUDA_VISIBLE_DEVICES per task, so `cuda` is that GPU).

A worker exits after `idle_exit_s` without a job, freeing its node. `scancel` (or preemption,
or the time limit) sends SIGTERM: the worker stops its job at a safe point, saves nothing new
and hands the job back (`/release`); the job resumes elsewhere from its last checkpoint. The
worker token travels in the job's environment (`--export`), never in the script file.
Job states are read with `squeue` (no accounting database needed; `sacct` is not used).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

JOB_NAME = "memdash-worker"


class SlurmError(RuntimeError):
    pass


@dataclass(frozen=True)
class SlurmWorkers:
    server: str
    count: int
    gpus_per_worker: int = 0
    cpus_per_worker: int | None = None
    partition: str | None = None
    time: str = "1-00:00:00"
    account: str | None = None
    idle_exit_s: float = 600.0
    log_dir: Path = Path("slurm-logs")
    extra: tuple[str, ...] = ()  # further sbatch options, as given


def batch_script(
    spec: SlurmWorkers, python: str = sys.executable, folder: Path | None = None
) -> str:
    """The array's script: each task runs `python -m memdash.app.cli.main worker` (the Python
    that ran `memdash workers slurm`, so the same install) in `folder` (default: the directory
    it was run from, where relative paths such as the log folder point)."""
    folder = folder or Path.cwd()
    device = "cuda" if spec.gpus_per_worker else "cpu"
    command = [
        python,
        "-m",
        "memdash.app.cli.main",
        "worker",
        "--server",
        spec.server,
        "--device",
        device,
        "--idle-exit",
        str(spec.idle_exit_s),
    ]
    return "\n".join(
        [
            "#!/bin/bash",
            "# memdash workers, one per array task (written by `memdash workers slurm`).",
            "set -euo pipefail",
            f"cd {shlex.quote(str(folder))}",
            'name="slurm-${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}"',
            "# exec: scancel's SIGTERM reaches the worker itself, which hands its job back.",
            f'exec {shlex.join(command)} --name "$name"',
            "",
        ]
    )


def sbatch_arguments(spec: SlurmWorkers) -> list[str]:
    if spec.count < 1:
        raise SlurmError("--count must be at least 1")
    arguments = [
        "--parsable",
        f"--job-name={JOB_NAME}",
        f"--array=0-{spec.count - 1}",
        f"--time={spec.time}",
        "--ntasks=1",
        f"--output={spec.log_dir}/%A_%a.out",
        "--export=ALL",
    ]
    if spec.partition:
        arguments.append(f"--partition={spec.partition}")
    if spec.account:
        arguments.append(f"--account={spec.account}")
    if spec.gpus_per_worker:
        arguments.append(f"--gpus-per-task={spec.gpus_per_worker}")
    if spec.cpus_per_worker:
        arguments.append(f"--cpus-per-task={spec.cpus_per_worker}")
    return [*arguments, *spec.extra]


def _run(arguments: list[str], env: dict[str, str] | None = None) -> str:
    if shutil.which(arguments[0]) is None:
        raise SlurmError(f"{arguments[0]} is not on PATH: run this on a Slurm login node")
    done = subprocess.run(arguments, capture_output=True, text=True, env=env, timeout=60)
    if done.returncode != 0:
        raise SlurmError(f"{arguments[0]} failed: {(done.stderr or done.stdout).strip()}")
    return done.stdout


def submit(spec: SlurmWorkers, token: str) -> str:
    """Submit the array (the script on sbatch's stdin); returns its Slurm job id."""
    if shutil.which("sbatch") is None:
        raise SlurmError("sbatch is not on PATH: run this on a Slurm login node")
    spec.log_dir.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["sbatch", *sbatch_arguments(spec)],
        input=batch_script(spec),
        capture_output=True,
        text=True,
        env={**os.environ, "MEMDASH_WORKER_TOKEN": token},
        timeout=60,
    )
    if done.returncode != 0:
        raise SlurmError(f"sbatch failed: {(done.stderr or done.stdout).strip()}")
    return done.stdout.strip().split(";")[0]


@dataclass(frozen=True)
class SlurmTask:
    job_id: str  # <array>_<task>, as squeue and scancel name it
    state: str
    elapsed: str
    node: str

    @property
    def worker_name(self) -> str:
        return f"slurm-{self.job_id}"


def tasks() -> list[SlurmTask]:
    """This user's memdash worker tasks, from squeue."""
    out = _run(["squeue", "--noheader", f"--name={JOB_NAME}", "--format=%i|%T|%M|%N", "--me"])
    rows = [line.split("|") for line in out.splitlines() if line.strip()]
    return [SlurmTask(*row[:4]) for row in rows if len(row) >= 4]


def cancel(job_id: str) -> None:
    _run(["scancel", job_id])
