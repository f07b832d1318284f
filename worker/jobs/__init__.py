"""Job kinds: plug-ins of one small interface, `run(ctx: JobContext) -> result model`. Which
module runs which kind is written once, in core/jobs.py's JOBS table.

Runners are imported lazily in the job's child process, so the agent itself never loads torch.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from pydantic import BaseModel

from memdash.core.jobs import JOBS
from memdash.worker.jobs.context import JobContext


def runner_for(kind: str) -> Callable[[JobContext], BaseModel]:
    if kind not in JOBS:
        raise ValueError(f"unknown job kind {kind!r}; this worker runs {sorted(JOBS)}")
    return importlib.import_module(JOBS[kind].runner).run
