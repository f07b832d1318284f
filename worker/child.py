"""The job's own process: a crash, an OOM kill or a hang here never takes the agent down."""

from __future__ import annotations

import os
import signal
import traceback
from multiprocessing.connection import Connection
from pathlib import Path

from memdash.core.edges import JSONObject
from memdash.core.jobs import JOBS
from memdash.core.worker_protocol import ClaimedJob
from memdash.worker.jobs import runner_for
from memdash.worker.jobs.context import HubSettings, JobCancelled, JobContext

JOB_NICENESS = 10  # added to the job process's nice value (lower CPU priority)


def result_message(kind: str, result: object) -> JSONObject:
    """What the agent posts to /complete: the job kind's result model as JSON. A runner that
    returns anything else (a dict, another kind's model) breaks the contract: the job fails
    here, with a message, rather than on the server."""
    expected = JOBS[kind].result
    if not isinstance(result, expected):
        raise TypeError(
            f"the {kind} runner returned {type(result).__name__}, not {expected.__name__}"
        )
    return result.model_dump(mode="json", exclude_unset=True)


def child_main(
    job: ClaimedJob,
    work_dir: str,
    resume_path: str | None,
    device: str,
    connection: Connection,
    inputs: dict[str, str] | None = None,
    torch_threads: int = 1,
    hub: HubSettings | None = None,
    cache_dir: str | None = None,
) -> None:
    # One thread per job by default: two 1-thread jobs beat one 2-thread job on a shared CPU
    # (DESIGN). Set before torch is imported in this fresh (spawned) interpreter.
    # Jobs yield the CPU to everything else on the machine: on a laptop or a shared server the
    # dashboard (and the worker agent's heartbeats) stay responsive while models train.
    os.nice(JOB_NICENESS)
    os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = str(torch_threads)
    ctx = JobContext(
        job.contract(),
        Path(work_dir),
        Path(resume_path) if resume_path else None,
        device,
        connection,
        inputs={name: Path(path) for name, path in (inputs or {}).items()},
        hub=hub or HubSettings(),
        cache_dir=Path(cache_dir) if cache_dir else None,
    )

    def on_sigterm(*_: object) -> None:
        ctx.stop_requested = True  # the job checks should_stop() and leaves at a safe point

    signal.signal(signal.SIGTERM, on_sigterm)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        result = runner_for(job.kind)(ctx)
        connection.send(("result", result_message(job.kind, result)))
    except JobCancelled:
        connection.send(("cancelled",))
    except BaseException as error:
        # The first line is the cause people read; the traceback follows for the details.
        cause = f"{type(error).__name__}: {error}".strip().splitlines()[0]
        connection.send(("error", f"{cause}\n\n{traceback.format_exc()}"))
    finally:
        connection.close()
