"""Run the scoring job in-process (worker/jobs/score.py) on files a test wrote: the job's real
code, its real inputs by content hash, with progress messages going into a pipe."""

from __future__ import annotations

import hashlib
import multiprocessing
from pathlib import Path
from typing import Any

from core.jobs import job_params
from worker.jobs import score
from worker.jobs.context import JobContext


def run_scoring(
    work: Path,
    model_archive: Path,
    members: list[str],
    nonmembers: list[str],
    *,
    reference: str,
    seq_len: int,
    max_samples: int = 1000,
) -> dict[str, Any]:
    work.mkdir(parents=True)
    files = {"model": model_archive}
    for side, lines in (("members", members), ("nonmembers", nonmembers)):
        files[side] = work / f"{side}.txt"
        files[side].write_text("\n".join(lines) + "\n")
    digest = {k: hashlib.sha256(p.read_bytes()).hexdigest() for k, p in files.items()}
    corpus = lambda side: {"kind": "corpus", "sha256": digest[side], "format": ".txt"}  # noqa: E731
    params = job_params(
        "score",
        {
            "run_id": 1,
            "seq_len": seq_len,
            "max_samples": max_samples,
            "members": digest["members"],
            "reference": reference,
            "inputs": {
                "model": {"kind": "checkpoint", "sha256": digest["model"]},
                "members": corpus("members"),
                "nonmembers": corpus("nonmembers"),
            },
        },
    )
    _, sink = multiprocessing.Pipe()  # both ends kept: progress messages go into it
    scratch = work / "scratch"
    scratch.mkdir()
    return score.run(JobContext(params, scratch, None, "cpu", sink, inputs=files))
