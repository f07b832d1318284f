"""The worker agent: register, claim jobs over HTTP, run each in a child process, report back.

While a job runs the agent heartbeats every `heartbeat_s` with the job's latest progress, uploads
the checkpoints the job announces (the server makes the newest one the resume point), honours a
cancel request (SIGTERM to the child, SIGKILL after a grace period), and drops the job at once if
the server answers 409 (its lease went to another worker). When the server is unreachable it
keeps the job running and retries with backoff. On SIGTERM/SIGINT it stops the child and gives
the job back (release), so a clean shutdown loses nothing.
"""

from __future__ import annotations

import multiprocessing
import os
import platform
import shutil
import signal
import socket
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from memdash.core.jobs import first_problem
from memdash.core.results import non_finite
from memdash.core.worker_protocol import (
    ClaimedJob,
    Complete,
    Fail,
    Heartbeat,
    HeartbeatReply,
    JobEnded,
    Lease,
    Register,
    Registered,
)
from memdash.worker import input_cache
from memdash.worker.child import child_main
from memdash.worker.client import LeaseLost, ServerClient, Stopping
from memdash.worker.jobs.context import HubSettings

CANCEL_GRACE_S = 10.0
# Each job works in <tmp>/memdash-worker-<pid>-job-<id>-*; a worker killed with -9 leaves its
# folder behind, and the next worker that starts on the machine removes it.
WORK_DIR_PREFIX = "memdash-worker-"
# Uploaded corpora and checkpoints, kept between jobs (content-addressed, checked on download).
_spawn = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited threads/locks


@dataclass(frozen=True)
class WorkerOptions:
    """How this worker runs jobs (from the process settings: app/settings.py via `memdash
    worker`). The worker reads no environment of its own."""

    torch_threads: int
    cache_dir: Path
    cache_bytes: int
    hub: HubSettings = field(default_factory=HubSettings)
    # Exit after this long without a job (a worker launched as a Slurm job frees its node).
    idle_exit_s: float | None = None


def run_agent(
    server_url: str,
    token: str,
    name: str | None,
    device: str,
    options: WorkerOptions,
) -> None:
    """Run until SIGTERM/SIGINT."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:  # local workers ignore Ctrl-C
        signal.signal(signal.SIGINT, lambda *_: stop.set())
    agent = Agent(
        ServerClient(server_url, token, stop),
        name or socket.gethostname(),
        device,
        stop,
        options,
    )
    try:
        agent.run()
    except Stopping:
        pass
    finally:
        agent.client.close()
        print(f"worker {agent.name}: stopped", flush=True)


def remove_orphaned_work_dirs(temp_dir: Path) -> int:
    """Remove job work folders whose worker process no longer exists; returns how many."""
    removed = 0
    for folder in temp_dir.glob(f"{WORK_DIR_PREFIX}*-job-*"):
        pid_text = folder.name.removeprefix(WORK_DIR_PREFIX).split("-", 1)[0]
        if pid_text.isdigit() and not _alive(int(pid_text)) and folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


class Agent:
    def __init__(
        self,
        client: ServerClient,
        name: str,
        device: str,
        stop: threading.Event,
        options: WorkerOptions,
    ) -> None:
        self.client, self.name, self.device, self.stop = client, name, device, stop
        self.options = options

    def run(self) -> None:
        removed = remove_orphaned_work_dirs(Path(tempfile.gettempdir()))
        if removed:
            print(f"worker {self.name}: removed {removed} work folder(s) of dead workers")
        info = {
            "host": socket.gethostname(),
            "python": platform.python_version(),
            "memory_bytes": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"),
            "pid": os.getpid(),
        }
        # A worker that exits when idle (on Slurm) also exits when the server stays unreachable
        # that long: a server that went away must not leave it holding its allocation.
        idle = self.options.idle_exit_s
        idle_since = time.monotonic()
        try:
            worker_id = self.client.send(
                "/api/worker/register",
                Register(name=self.name, device=self.device, info=info),
                Registered,
                give_up_at=None if idle is None else idle_since + idle,
            ).worker_id
        except ConnectionError as error:
            print(f"worker {self.name}: server unreachable for {idle:.0f} s ({error}), exiting")
            return
        print(f"worker {self.name} ({self.device}): connected as #{worker_id}", flush=True)
        idle_since = time.monotonic()
        while not self.stop.is_set():
            try:
                job = self.client.claim(
                    worker_id, give_up_at=None if idle is None else idle_since + idle
                )
            except ConnectionError as error:
                print(
                    f"worker {self.name}: no server and no job for {idle:.0f} s ({error}), exiting"
                )
                return
            if job is None:
                if idle is not None and time.monotonic() - idle_since > idle:
                    print(f"worker {self.name}: no job for {idle:.0f} s, exiting", flush=True)
                    return
                continue
            print(f"worker {self.name}: running job {job.id} ({job.kind})", flush=True)
            prefix = f"{WORK_DIR_PREFIX}{os.getpid()}-job-{job.id}-"
            with tempfile.TemporaryDirectory(prefix=prefix) as work_dir:
                try:
                    self.run_job(job, Path(work_dir))
                except LeaseLost as error:
                    print(f"worker {self.name}: dropped job {job.id}: {error}", flush=True)
            idle_since = time.monotonic()

    def _fail(self, job: ClaimedJob, error: str) -> None:
        body = Fail(lease_token=job.lease_token, error=error)
        self.client.send(f"/api/worker/jobs/{job.id}/fail", body, JobEnded)

    def _end(self, job: ClaimedJob, how: str, retry: bool = True) -> None:
        """Say the job ended without a result: "cancelled", or "release" (back to the queue)."""
        body = Lease(lease_token=job.lease_token)
        self.client.send(f"/api/worker/jobs/{job.id}/{how}", body, JobEnded, retry=retry)

    def run_job(self, job: ClaimedJob, work_dir: Path) -> None:
        lease = job.lease_token
        try:
            job.contract()  # the parameters, checked before any work
        except ValueError as error:
            self._fail(job, f"this worker cannot run the job: {first_problem(error)}")
            return
        resume = None
        if job.resume_checkpoint_id:
            resume = self.client.download_checkpoint(
                job.resume_checkpoint_id, work_dir / "resume.ckpt"
            )
        try:
            inputs = self.fetch_inputs(job)
        except RuntimeError as error:
            self._fail(job, str(error))
            return
        receiver, sender = _spawn.Pipe(duplex=False)
        child = _spawn.Process(
            target=child_main,
            daemon=True,
            args=(
                job,
                str(work_dir),
                str(resume) if resume else None,
                self.device,
                sender,
                inputs,
                self.options.torch_threads,
                self.options.hub,
                str(self.options.cache_dir),
            ),
        )
        child.start()
        sender.close()
        progress: tuple[float | None, str | None] = (None, None)
        next_beat = time.monotonic() + job.heartbeat_s
        cancel_sent_at: float | None = None
        try:
            while True:
                if self.stop.is_set():
                    self._terminate(child)
                    self._end(job, "release", retry=False)
                    return
                # The child's messages (worker/child.py): a tuple whose first item names it.
                message: tuple[Any, ...] | None = receiver.recv() if receiver.poll(0.2) else None
                if message is None and not child.is_alive() and not receiver.poll(0):
                    code = child.exitcode
                    self._fail(
                        job,
                        f"the job process died (exit code {code}; killed, crashed or out of "
                        "memory)",
                    )
                    return
                if message:
                    kind = message[0]
                    if kind == "progress":
                        progress = (message[1], message[2])
                    elif kind == "checkpoint":
                        self.client.upload_checkpoint(job.id, lease, message[2], Path(message[1]))
                    elif kind == "artifact":
                        self.client.upload_model(
                            job.id, lease, message[2], message[3], Path(message[1])
                        )
                    elif kind == "result":
                        if (where := non_finite(message[1])) is not None:
                            why = f"the job's result holds a non-finite number at {where}"
                            self._fail(job, why)
                            return
                        done = Complete(lease_token=lease, result=message[1])
                        self.client.send(f"/api/worker/jobs/{job.id}/complete", done, JobEnded)
                        return
                    elif kind == "error":
                        self._fail(job, message[1])
                        return
                    elif kind == "cancelled":
                        self._end(job, "cancelled")
                        return
                if time.monotonic() >= next_beat:
                    next_beat = time.monotonic() + job.heartbeat_s
                    beat = Heartbeat(
                        lease_token=lease, progress_frac=progress[0], message=progress[1]
                    )
                    try:
                        reply = self.client.send(
                            f"/api/worker/jobs/{job.id}/heartbeat",
                            beat,
                            HeartbeatReply,
                            retry=False,
                        )
                    except ConnectionError:
                        continue  # server down: keep working, try again next beat
                    if reply.cancel and cancel_sent_at is None:
                        child.terminate()  # SIGTERM: the job stops at a safe point
                        cancel_sent_at = time.monotonic()
                if cancel_sent_at and time.monotonic() - cancel_sent_at > CANCEL_GRACE_S:
                    child.kill()
                    self._end(job, "cancelled")
                    return
        except LeaseLost:
            self._terminate(child, grace_s=0)
            raise
        finally:
            receiver.close()
            if child.is_alive():
                self._terminate(child)

    def fetch_inputs(self, job: ClaimedJob) -> dict[str, str]:
        """Download the files a job names in params["inputs"] (each a kind and a sha256)."""
        paths = {
            name: input_cache.touch(
                self.client.download_input(spec.kind, spec.sha256, self.options.cache_dir)
            )
            for name, spec in job.inputs().items()
            if not spec.resolved_by_job  # a Hub model or dataset: the job resolves it
        }
        input_cache.prune(
            self.options.cache_dir, self.options.cache_bytes, keep=set(paths.values())
        )
        return {name: str(path) for name, path in paths.items()}

    @staticmethod
    def _terminate(child: multiprocessing.process.BaseProcess, grace_s: float = 5.0) -> None:
        child.terminate()
        child.join(grace_s)
        if child.is_alive():
            child.kill()
            child.join()
