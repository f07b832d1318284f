"""A trivial job for tests and smoke checks: sleeps in steps, with progress and checkpoints.

params (core.jobs.SleepJob): seconds (total), steps, marker (optional path created
exclusively: a second execution of the same job fails loudly), fail (optional message to raise).
"""

from __future__ import annotations

import json
import os
import time

from memdash.core.results import SleepResult
from memdash.worker.jobs.context import JobCancelled, JobContext


def run(ctx: JobContext) -> SleepResult:
    seconds, steps = ctx.params.seconds, ctx.params.steps
    if marker := ctx.params.marker:
        os.close(
            os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        )  # FileExistsError: ran twice
    if message := ctx.params.fail:
        raise RuntimeError(message)
    done = json.loads(ctx.resume_path.read_text())["done"] if ctx.resume_path else 0
    for step in range(done, steps):
        if ctx.should_stop():
            raise JobCancelled()
        time.sleep(seconds / steps)
        state = ctx.work_dir / "sleep.json"
        state.write_text(json.dumps({"done": step + 1}))
        ctx.checkpoint(state, step + 1)
        ctx.progress((step + 1) / steps, f"slept {step + 1}/{steps}")
    return SleepResult(steps=steps, resumed_from=done)
