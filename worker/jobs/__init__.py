"""Job kinds: plug-ins of one small interface, `run(ctx: JobContext) -> result dict`.

Kinds are imported lazily in the job's child process, so the agent itself never loads torch.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from worker.jobs.context import JobContext

JOB_KINDS = {
    "sleep": "worker.jobs.sleep",
    "train": "worker.jobs.train",
    "train_group": "worker.jobs.train_group",
    "train_text": "worker.jobs.train_text",
    "score": "worker.jobs.score",
}


def runner_for(kind: str) -> Callable[[JobContext], dict[str, Any]]:
    if kind not in JOB_KINDS:
        raise ValueError(f"unknown job kind {kind!r}; this worker runs {sorted(JOB_KINDS)}")
    return importlib.import_module(JOB_KINDS[kind]).run
