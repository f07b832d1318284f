"""A throwaway single-node Slurm cluster for tests: munged, slurmctld and slurmd from Debian's
slurm-wlm (22.05) and munge, on free loopback ports, with all state in a temporary folder. As
root and without systemd: ProctrackType=proctrack/linuxproc, TaskPlugin=task/none, no
accounting (job states come from squeue/scontrol). `make test` installs the packages."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.pg_cluster import free_port

BINARIES = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scancel")


def missing() -> str | None:
    """Why a cluster cannot start here (None when it can)."""
    absent = [
        b for b in BINARIES if shutil.which(b) is None and not Path(f"/usr/sbin/{b}").exists()
    ]
    if absent:
        return f"Slurm is not installed ({', '.join(absent)} missing; `make test` installs it)"
    if os.geteuid() != 0:
        return "a test Slurm cluster runs slurmd as root"
    return None


def _binary(name: str) -> str:
    return shutil.which(name) or f"/usr/sbin/{name}"


@dataclass
class SlurmCluster:
    base: Path
    processes: list[subprocess.Popen]

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "SLURM_CONF": str(self.base / "slurm.conf")}

    def run(self, *arguments: str) -> str:
        done = subprocess.run(arguments, capture_output=True, text=True, env=self.env, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"{arguments[0]}: {done.stderr or done.stdout}")
        return done.stdout

    def stop(self) -> None:
        """Cancel every job (its slurmstepd would outlive the daemons), then stop them."""
        try:
            jobs = self.run("squeue", "-h", "-o", "%i").split()
            if jobs:
                self.run("scancel", "--full", *jobs)
                deadline = time.monotonic() + 20
                while self.run("squeue", "-h", "-o", "%i").strip():
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.5)
        except (RuntimeError, OSError, subprocess.TimeoutExpired):
            pass  # a cluster that cannot answer is stopped all the same
        for process in reversed(self.processes):
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:  # a throwaway cluster: no state worth waiting for
                process.kill()
                process.wait(timeout=5)


def start(base: Path) -> SlurmCluster:
    for folder in ("state", "spool", "log", "run"):
        (base / folder).mkdir(parents=True, exist_ok=True)
    key = base / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o400)
    socket_path = base / "run" / "munge.sock"
    host = socket.gethostname().split(".")[0]
    cpus = os.cpu_count()
    memory_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20 - 1024
    (base / "slurm.conf").write_text(
        f"""ClusterName=memdash-test
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={free_port()}
SlurmdPort={free_port()}
AuthType=auth/munge
AuthInfo=socket={socket_path}
CryptoType=crypto/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
StateSaveLocation={base}/state
SlurmdSpoolDir={base}/spool
SlurmctldPidFile={base}/run/slurmctld.pid
SlurmdPidFile={base}/run/slurmd.pid
SlurmctldLogFile={base}/log/slurmctld.log
SlurmdLogFile={base}/log/slurmd.log
SlurmUser=root
SlurmdUser=root
ReturnToService=2
MpiDefault=none
KillWait=30
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName={host} NodeAddr=127.0.0.1 NodeHostname={host} CPUs={cpus} RealMemory={memory_mb}
PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
"""
    )
    env = {**os.environ, "SLURM_CONF": str(base / "slurm.conf")}
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
    munge = subprocess.Popen(
        [
            _binary("munged"),
            "--foreground",
            f"--key-file={key}",
            f"--socket={socket_path}",
            f"--pid-file={base}/run/munged.pid",
            f"--log-file={base}/log/munged.log",
            f"--seed-file={base}/munge.seed",
            "--force",
        ],
        **quiet,
    )
    for _ in range(100):
        if socket_path.exists():
            break
        time.sleep(0.05)
    conf = str(base / "slurm.conf")
    controller = subprocess.Popen([_binary("slurmctld"), "-D", "-f", conf], **quiet)
    node = subprocess.Popen([_binary("slurmd"), "-D", "-f", conf], **quiet)
    cluster = SlurmCluster(base, [munge, controller, node])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        done = subprocess.run(
            ["sinfo", "--noheader", "--format=%T"], capture_output=True, text=True, env=env
        )
        if done.returncode == 0 and done.stdout.strip() in ("idle", "mixed", "allocated"):
            return cluster
        time.sleep(0.3)
    cluster.stop()
    raise RuntimeError(f"the test Slurm cluster did not come up: see {base}/log")
