"""Real processes for end-to-end tests: a `memdash serve` server and `memdash worker` agents."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

WORKER_TOKEN = "test-worker-token"
FAST_QUEUE_ENV = {
    "MEMDASH_LEASE_S": "3",
    "MEMDASH_HEARTBEAT_S": "0.5",
    "MEMDASH_REAPER_INTERVAL_S": "0.5",
    "MEMDASH_CLAIM_WAIT_S": "1",
    "MEMDASH_WORKER_TOKENS": WORKER_TOKEN,
    "MEMDASH_LOCAL_WORKERS": "0",
}


def wait_for(condition: Callable[[], object], timeout_s: float, what: str) -> object:
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
        time.sleep(0.2)


class LiveServer:
    def __init__(self, data_dir: Path, database_url: str, port: int, **env: str) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.port = port
        self.env = {
            **os.environ,
            **FAST_QUEUE_ENV,
            "MEMDASH_DATA_DIR": str(data_dir),
            "MEMDASH_DATABASE_URL": database_url,
            **env,
        }
        self.process: subprocess.Popen | None = None
        self.log = data_dir.parent / f"server-{port}.log"

    def start(self) -> LiveServer:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "memdash.app.cli.main", "serve", "--port", str(self.port)],
            env=self.env,
            stdout=open(self.log, "a"),  # noqa: SIM115 (lives as long as the process)
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(self._healthy, 60, "the server to answer /-/health")
        return self

    def _healthy(self) -> bool:
        assert self.process.poll() is None, self.log.read_text()
        try:
            return httpx.get(f"{self.url}/-/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(30)


class LiveWorker:
    def __init__(
        self, server_url: str, name: str, log_dir: Path, env: dict[str, str] | None = None
    ) -> None:
        self.log = log_dir / f"worker-{name}.log"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "memdash.app.cli.main",
                "worker",
                "--server",
                server_url,
                "--name",
                name,
                "--token",
                WORKER_TOKEN,
            ],
            # A cache of its own (inputs, held-out references): no test reuses what another left.
            env={
                "MEMDASH_WORKER_CACHE": str(log_dir / f"worker-{name}-cache"),
                **os.environ,
                "PYTHONUNBUFFERED": "1",
                **(env or {}),
            },
            stdout=open(self.log, "w"),  # noqa: SIM115 (lives as long as the process)
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log.read_text()

    def kill_hard(self) -> None:
        """kill -9 of the agent alone, as when a machine's process dies."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def wait_for_sweep(server_url: str, sweep_id: int, timeout_s: float) -> dict:
    """Poll the sweep's JSON until it has ended; return its final state."""

    def ended() -> dict | None:
        state = httpx.get(f"{server_url}/api/sweeps/{sweep_id}").json()
        return state if state["status"] not in ("queued", "running") else None

    return wait_for(ended, timeout_s, f"sweep {sweep_id} to end")
