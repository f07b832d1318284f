"""Run the scoring job in-process (worker/jobs/score.py) on files a test wrote: the job's real
code, its real inputs by content hash, with progress messages going into a pipe."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
from pathlib import Path
from typing import Any

from memdash.core.hub_ref import HubDataset, HubRef
from memdash.core.jobs import job_params
from memdash.worker.jobs import score
from memdash.worker.jobs.context import HubSettings, JobContext


def run_scoring(
    work: Path,
    model_archive: Path | HubRef,
    members: list[str] | list[tuple[str, str]] | Path | HubDataset,
    nonmembers: list[str] | list[tuple[str, str]] | Path | HubDataset,
    *,
    reference: str,
    seq_len: int,
    max_samples: int = 1000,
    hub: HubSettings | None = None,
) -> dict[str, Any]:
    """`model_archive`: an uploaded model's archive, or a Hub model resolved through the cache
    `hub` names (worker/hub.py), as a worker would. Members and non-members: lists of documents
    (written as .txt, or .jsonl with groups), files already written (token ids, say), or Hub
    datasets the job reads through the cache `hub` names (worker/hub_dataset.py)."""
    work.mkdir(parents=True)
    files: dict[str, Path] = {}
    if isinstance(model_archive, Path):
        files["model"] = model_archive
    sides = {"members": members, "nonmembers": nonmembers}
    named = {k: v for k, v in sides.items() if isinstance(v, HubDataset)}
    listed = [d for side in sides.values() if isinstance(side, list) for d in side]
    suffix = ".jsonl" if any(isinstance(line, tuple) for line in listed) else ".txt"
    formats = {}
    for side, lines in sides.items():
        if isinstance(lines, HubDataset):
            continue
        if isinstance(lines, Path):
            files[side], formats[side] = lines, lines.suffix
            continue
        files[side], formats[side] = work / f"{side}{suffix}", suffix
        if suffix == ".jsonl":  # (text, group) documents
            rows = [line if isinstance(line, tuple) else (line, "") for line in lines]
            text = "\n".join(json.dumps({"text": t, "group": g}) for t, g in rows)
        else:
            text = "\n".join(lines)
        files[side].write_text(text + "\n")
    digest = {k: hashlib.sha256(p.read_bytes()).hexdigest() for k, p in files.items()}

    def corpus(side: str) -> dict[str, Any]:
        if side in named:
            dataset = named[side]
            return {
                "kind": "hub-dataset",
                "sha256": dataset.identity_sha256(),
                "dataset": dataset.model_dump(),
            }
        return {"kind": "corpus", "sha256": digest[side], "format": formats[side]}

    params = job_params(
        "score",
        {
            "run_id": 1,
            "seq_len": seq_len,
            "max_samples": max_samples,
            "members": corpus("members")["sha256"],
            "reference": reference,
            "inputs": {
                "model": (
                    {"kind": "checkpoint", "sha256": digest["model"]}
                    if isinstance(model_archive, Path)
                    else {
                        "kind": "hub",
                        "sha256": model_archive.identity_sha256(),
                        "hub": model_archive.model_dump(),
                    }
                ),
                "members": corpus("members"),
                "nonmembers": corpus("nonmembers"),
            },
        },
    )
    _, sink = multiprocessing.Pipe()  # both ends kept: progress messages go into it
    scratch = work / "scratch"
    scratch.mkdir()
    context = JobContext(params, scratch, None, "cpu", sink, inputs=files, hub=hub or HubSettings())
    return score.run(context)
